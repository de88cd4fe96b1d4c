"""`argo retry` through the Kubernetes API: a failed workflow runs again from what failed.

`kflow.api.argo.retry.retried` decides what stays; this module applies it the way
Argo's server does, in an order that is safe against the workflow controller
running at the same time: the dropped nodes' pods are deleted and waited for (so no
old pod is taken for a new attempt), then the spec and labels lose `shutdown` and
the completed mark, then the status goes back to Running in one write guarded by
its resourceVersion.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.retry import retried
from kflow.api.errors import Conflict, NotFound
from kflow.sdk.client import Client

Obj = dict[str, Any]
POD_GONE_TIMEOUT = 60.0
POLL_INTERVAL = 0.1


def _wait_gone(client: Client, pods: list[str], namespace: str | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for pod in pods:
        while True:
            try:
                client.get("pods", pod, namespace=namespace)
            except NotFound:
                break
            if time.monotonic() > deadline:
                raise Conflict(f'pod "{pod}" of a failed step is still being deleted; try again')
            time.sleep(POLL_INTERVAL)


def _status_patch(old: Obj, new: Obj) -> Obj:
    """A merge patch from `old`'s status to `new`'s: dropped nodes and fields as null."""
    before = (old.get("status") or {}).get("nodes") or {}
    after = (new.get("status") or {}).get("nodes") or {}
    nodes: dict[str, Obj | None] = {i: None for i in before if i not in after}
    for node_id, node in after.items():
        if node != before.get(node_id):
            removed = {k: None for k in before.get(node_id) or {} if k not in node}
            nodes[node_id] = {**removed, **node}
    status = {k: v for k, v in (new.get("status") or {}).items() if k != "nodes"}
    for gone in ("message", "finishedAt"):
        status.setdefault(gone, None)
    return {
        "metadata": {"resourceVersion": m.meta(old).get("resourceVersion")},
        "status": {**status, "nodes": nodes},
    }


def retry_workflow(
    client: Client, name: str, *, namespace: str | None = None, timeout: float = POD_GONE_TIMEOUT
) -> list[str]:
    """Argo's `retry` of a Failed or Errored workflow; the pods deleted for it.

    BadRequest if the workflow is not Failed or Error.
    """
    wf = client.get(c.WORKFLOWS, name, namespace=namespace)
    body, pods = retried(wf, m.now())
    for pod in pods:
        with contextlib.suppress(NotFound):
            client.delete("pods", pod, namespace=namespace, grace_period_seconds=0)
    _wait_gone(client, pods, namespace, timeout)
    labels = m.labels_of(wf)
    spec_patch: Obj = {
        "metadata": {
            "labels": {c.LABEL_COMPLETED: None, c.LABEL_PHASE: m.labels_of(body)[c.LABEL_PHASE]}
            if c.LABEL_COMPLETED in labels or c.LABEL_PHASE in labels
            else {}
        },
        "spec": {k: None for k in ("shutdown", "activeDeadlineSeconds") if k not in body["spec"]},
    }
    client.patch(c.WORKFLOWS, name, spec_patch, namespace=namespace)
    for _ in range(10):
        current = client.get(c.WORKFLOWS, name, namespace=namespace)
        body, _pods = retried(current, m.now())
        try:
            client.patch(
                c.WORKFLOWS,
                name,
                _status_patch(current, body),
                namespace=namespace,
                subresource="status",
            )
        except Conflict:
            continue
        return pods
    raise Conflict(f'workflow "{name}" kept changing; try again')
