"""Finding a run's workflow, and who may read it.

`find_run` takes a workflow name or a KFP run id; `readable` checks `get` on
workflows in the namespace, through the server's authorizer like any resource route.
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.errors import NotFound
from kflow.api.selectors import parse_label_selector
from kflow.server.context import ServerContext, Target
from kflow.server.identity import Identity

Obj = dict[str, Any]
GROUP = "runs.kflow.dev"
VERSION = "v1"
PREFIX = f"/apis/{GROUP}/{VERSION}/namespaces/{{namespace}}"
KFP_RUN_LABEL = "pipeline/runid"
"""How the KFP API labels the workflow of a run (`kflow.server.kfp.workflows`)."""


def readable(ctx: ServerContext, identity: Identity, namespace: str, name: str = "") -> None:
    """Forbidden unless `identity` may get workflows (`name`, or any) in `namespace`."""
    info = ctx.registry.lookup(c.GROUP, c.VERSION, "workflows")
    ctx.allow(identity, "get", Target(info, c.VERSION, namespace, name, "", False))


def logs_readable(ctx: ServerContext, identity: Identity, namespace: str, pod: str) -> None:
    """Forbidden unless `identity` may read the logs of `pod` in `namespace`."""
    info = ctx.registry.lookup("", "v1", "pods")
    ctx.allow(identity, "get", Target(info, "v1", namespace, pod, "log", False))


def find_run(ctx: ServerContext, namespace: str, run: str) -> Obj:
    """The workflow named `run`, else the one of KFP run `run`; NotFound otherwise."""
    try:
        return ctx.store.get(c.WORKFLOWS, namespace, run)
    except NotFound:
        pass
    if run and all(ch.isalnum() or ch in "-._" for ch in run):
        labelled = ctx.store.list(
            c.WORKFLOWS, namespace, labels=parse_label_selector(f"{KFP_RUN_LABEL}={run}")
        ).items
        if labelled:
            return max(labelled, key=lambda w: str(m.meta(w).get("creationTimestamp")))
    raise NotFound(
        f'run "{run}" not found in namespace "{namespace}" (a workflow name or a KFP run id)'
    )


def run_summary(wf: Obj) -> Obj:
    """Who the run is: name, namespace, uid, KFP run id, phase, times."""
    status = wf.get("status") or {}
    return {
        "name": m.name_of(wf),
        "namespace": m.namespace_of(wf),
        "uid": str(m.meta(wf).get("uid") or ""),
        "kfpRunId": m.labels_of(wf).get(KFP_RUN_LABEL, ""),
        "phase": str(status.get("phase") or "Pending"),
        "startedAt": status.get("startedAt"),
        "finishedAt": status.get("finishedAt"),
        "message": status.get("message", ""),
    }
