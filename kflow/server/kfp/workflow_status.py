"""What a run's workflow says about it: state, end time, message and task details.

The run's state is the workflow's phase through `kflow.api.kfp.states.ARGO_PHASES`,
as KFP's persistence agent reads it; a run whose termination was asked for is
`CANCELING` while the workflow stops and `CANCELED` once it has failed. Each node of
`status.nodes` is a task detail, with the pod Argo named for it
(`<workflow>-<template>-<hash>`), its parent and children, times and error.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.naming import pod_name
from kflow.api.kfp import states, times

Obj = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Observed:
    """A run's state as its workflow shows it."""

    state: states.RuntimeState
    finished_at: int  # seconds, 0 while unfinished
    message: str
    task_details: list[Obj]


def observe(wf: Obj, run_id: str, *, terminating: bool) -> Observed:
    """The run state, end time, message and task details of a run's workflow."""
    status = wf.get("status") or {}
    phase = str(status.get("phase") or "")
    state = states.from_argo_phase(phase)
    if terminating:
        if state in (states.RuntimeState.PENDING, states.RuntimeState.RUNNING):
            state = states.RuntimeState.CANCELING
        elif state is states.RuntimeState.FAILED:
            state = states.RuntimeState.CANCELED
    finished = _seconds(status.get("finishedAt")) if state in states.FINAL_STATES else 0
    return Observed(state, finished, str(status.get("message") or ""), _tasks(wf, run_id))


def _seconds(stamp: Any) -> int:
    return times.parse(str(stamp), "finishedAt") if stamp else 0


def _tasks(wf: Obj, run_id: str) -> list[Obj]:
    nodes: dict[str, Obj] = (wf.get("status") or {}).get("nodes") or {}
    name = m.name_of(wf)
    created = _seconds(m.meta(wf).get("creationTimestamp"))
    parents = {
        child: node_id for node_id, node in nodes.items() for child in node.get("children") or []
    }
    details = []
    for node_id in sorted(nodes):
        node = nodes[node_id]
        state = states.from_argo_phase(node.get("phase"))
        detail: Obj = {
            "run_id": run_id,
            "task_id": node_id,
            "display_name": node.get("displayName") or node.get("name") or node_id,
            "create_time": times.render(created),
            "start_time": times.render(_seconds(node.get("startedAt"))),
            "end_time": times.render(_seconds(node.get("finishedAt"))),
            "state": state.value,
            "state_history": [
                {
                    "update_time": times.render(
                        _seconds(node.get("finishedAt") or node.get("startedAt"))
                    ),
                    "state": state.value,
                }
            ],
        }
        if node.get("type") == c.NodeType.POD.value:
            detail["pod_name"] = pod_name(
                name, str(node.get("name") or ""), str(node.get("templateName") or "")
            )
            detail["executor_detail"] = {"main_job": detail["pod_name"]}
        if node_id in parents:
            detail["parent_task_id"] = parents[node_id]
        children = node.get("children") or []
        if children:
            detail["child_tasks"] = [{"pod_name": child} for child in children]
        if state is states.RuntimeState.FAILED and node.get("message"):
            detail["error"] = {"code": 2, "message": str(node["message"])}
        details.append(detail)
    return details
