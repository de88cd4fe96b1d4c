"""KFP's retry of a failed run's workflow (`formulateRetryWorkflow`), as a pure function.

Succeeded and skipped nodes are kept (not the exit handler's), failed DAG nodes go
back to Running, every other failed node is dropped and its pod is to be deleted;
the workflow itself goes back to Running without its end time, message and any
`shutdown`, so the workflow controller runs only what failed.
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.naming import pod_name
from kflow.api.kfp.errors import FailedPrecondition

Obj = dict[str, Any]


def retry(wf: Obj) -> tuple[Obj, list[str]]:
    """The workflow to write for a retry, and the names of the pods to delete first."""
    status = wf.get("status") or {}
    if status.get("phase") not in ("Failed", "Error"):
        raise FailedPrecondition(
            f"Workflow must be Failed/Error to retry; it is {status.get('phase') or 'Pending'}"
        )
    new = m.clone(wf)
    labels = m.meta(new).setdefault("labels", {})
    labels.pop(c.LABEL_COMPLETED, None)
    labels[c.LABEL_PHASE] = "Running"
    spec = new.setdefault("spec", {})
    spec.pop("shutdown", None)
    if spec.get("activeDeadlineSeconds") == 0:
        spec.pop("activeDeadlineSeconds")
    new_status = new.setdefault("status", {})
    new_status["phase"] = "Running"
    new_status.pop("message", None)
    new_status.pop("finishedAt", None)
    on_exit = f"{m.name_of(wf)}.onExit"
    kept: dict[str, Obj] = {}
    pods: list[str] = []
    for node_id, node in (status.get("nodes") or {}).items():
        phase = node.get("phase")
        exit_node = str(node.get("name") or "").startswith(on_exit)
        if phase in ("Succeeded", "Skipped") and not exit_node:
            kept[node_id] = node
            continue
        if phase not in ("Failed", "Error", "Omitted"):
            raise FailedPrecondition(
                f"Workflow cannot be retried with node {node_id} in {phase or 'Pending'} phase"
            )
        if node.get("type") == c.NodeType.DAG.value and not exit_node:
            reset = m.clone(node)
            reset["phase"] = "Running"
            reset.pop("message", None)
            reset.pop("finishedAt", None)
            kept[node_id] = reset
            continue
        if node.get("type") == c.NodeType.POD.value:
            pods.append(
                pod_name(
                    m.name_of(wf), str(node.get("name") or ""), str(node.get("templateName") or "")
                )
            )
    new_status["nodes"] = kept
    return new, pods
