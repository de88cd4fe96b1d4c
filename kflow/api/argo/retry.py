"""What `argo retry` does to a failed workflow: only what failed runs again.

Argo's API server retries a workflow by editing it (`FormulateRetryWorkflow`): the
workflow goes back to Running with a fresh start time, its completed label, message,
end time and any `shutdown` gone; nodes that succeeded or were skipped stay, with
their outputs, so nothing that worked runs again. On the way from each failed step
to the root, group nodes (Steps, StepGroup, DAG, TaskGroup) go back to Running, and
the failed steps themselves — pods, Retry nodes with their attempts, omitted tasks
and the exit handler — are dropped with their pods, so the workflow controller
makes them anew. Nodes inside a group that succeeded are kept as they are (a step
that failed with `continueOn` stays failed), and so are the failed attempts of a
Retry node that went on to succeed. `kflow retry` applies this through the status
subresource after deleting the dropped nodes' pods.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.naming import pod_name
from kflow.api.errors import BadRequest

Obj = dict[str, Any]

GROUP_TYPES = frozenset(
    t.value
    for t in (c.NodeType.STEPS, c.NodeType.STEP_GROUP, c.NodeType.DAG, c.NodeType.TASK_GROUP)
)
KEPT_PHASES = frozenset((c.NodePhase.SUCCEEDED.value, c.NodePhase.SKIPPED.value))
RETRYABLE_PHASES = ("Failed", "Error")


def _parents(nodes: dict[str, Obj]) -> dict[str, str]:
    """The first node (by id) that lists each node as a child."""
    parents: dict[str, str] = {}
    for node_id in sorted(nodes):
        for child in nodes[node_id].get("children") or []:
            parents.setdefault(str(child), node_id)
    return parents


def _owners(nodes: dict[str, Obj], parents: dict[str, str]) -> dict[str, str]:
    """Each node's owner: its boundary node, else the node that lists it as a child."""
    owners: dict[str, str] = {}
    for node_id, node in nodes.items():
        boundary = str(node.get("boundaryID") or "")
        owner = boundary if boundary in nodes and boundary != node_id else parents.get(node_id, "")
        if owner:
            owners[node_id] = owner
    return owners


def _fate(
    node_id: str,
    nodes: dict[str, Obj],
    owners: dict[str, str],
    retry_parents: dict[str, str],
    fates: dict[str, str],
) -> str:
    """ "keep", "reset" or "drop" for one node, its owner's fate decided first."""
    if node_id in fates:
        return fates[node_id]
    fates[node_id] = "keep"  # a cycle in a hand-edited status keeps what it touches
    node = nodes[node_id]
    owner = owners.get(node_id)
    owner_fate = _fate(owner, nodes, owners, retry_parents, fates) if owner else "reset"
    phase = str(node.get("phase") or "")
    retry = nodes.get(retry_parents.get(node_id, "")) or {}
    parent_kept_retry = retry.get("phase") in KEPT_PHASES
    if owner_fate == "drop":
        fate = "drop"
    elif (
        phase in KEPT_PHASES
        or parent_kept_retry
        or (owner_fate == "keep" and owner is not None and nodes[owner].get("phase") in KEPT_PHASES)
    ):
        fate = "keep"
    elif node.get("type") in GROUP_TYPES and phase in (*RETRYABLE_PHASES, "Running"):
        fate = "reset"
    elif node.get("type") not in GROUP_TYPES and any(
        (nodes.get(str(child)) or {}).get("phase") == c.NodePhase.SUCCEEDED.value
        and owners.get(str(child)) != node_id
        for child in node.get("children") or []
    ):
        fate = "keep"  # failed, but what depended on it ran (continueOn)
    else:
        fate = "drop"
    fates[node_id] = fate
    return fate


def retried(wf: Obj, now: dt.datetime) -> tuple[Obj, list[str]]:
    """The workflow to write for `argo retry`, and the names of the pods to delete first.

    Raises BadRequest unless the workflow has Failed or Errored, as Argo does.
    """
    status = wf.get("status") or {}
    phase = status.get("phase") or ""
    if phase not in RETRYABLE_PHASES:
        raise BadRequest(f"Cannot retry a workflow in phase {phase or 'Pending'}")
    name = m.name_of(wf)
    body = copy.deepcopy(wf)
    labels = m.meta(body).setdefault("labels", {})
    labels.pop(c.LABEL_COMPLETED, None)
    labels[c.LABEL_PHASE] = c.NodePhase.RUNNING.value
    spec = body.setdefault("spec", {})
    spec.pop("shutdown", None)
    if spec.get("activeDeadlineSeconds") == 0:  # terminated: the deadline was the stop
        spec.pop("activeDeadlineSeconds")
    new_status = body.setdefault("status", {})
    new_status["phase"] = c.NodePhase.RUNNING.value
    new_status["startedAt"] = m.timestamp(now)
    for gone in ("message", "finishedAt"):
        new_status.pop(gone, None)

    nodes: dict[str, Obj] = status.get("nodes") or {}
    parents = _parents(nodes)
    owners = _owners(nodes, parents)
    retry_parents = {
        child: parent
        for child, parent in parents.items()
        if nodes[parent].get("type") == c.NodeType.RETRY.value
    }
    on_exit = f"{name}.onExit"
    fates: dict[str, str] = {
        node_id: "drop"
        for node_id, n in nodes.items()
        if str(n.get("name", "")).startswith(on_exit)
    }
    kept: dict[str, Obj] = {}
    pods: list[str] = []
    for node_id, node in nodes.items():
        fate = _fate(node_id, nodes, owners, retry_parents, fates)
        if fate == "drop":
            if node.get("type") == c.NodeType.POD.value:
                pods.append(
                    pod_name(name, str(node.get("name") or ""), str(node.get("templateName") or ""))
                )
            continue
        copied = copy.deepcopy(node)
        if fate == "reset":
            copied["phase"] = c.NodePhase.RUNNING.value
            copied.pop("message", None)
            copied.pop("finishedAt", None)
        kept[node_id] = copied
    for node in kept.values():
        for field in ("children", "outboundNodes"):
            if field in node:
                node[field] = [i for i in node[field] if i in kept]
    new_status["nodes"] = kept
    return body, sorted(set(pods))
