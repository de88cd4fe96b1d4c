"""Runs as Argo Workflows: the workflow a run creates, and what its status says.

A KFP run executes as one `argoproj.io/v1alpha1` Workflow in the object store, which
kflow's workflow controller runs. A v1 package already is a workflow: the run's
parameters become its `spec.arguments.parameters` (declared ones only, as KFP
checks); a v2 pipeline spec is translated by `kflow.pipelines.to_workflow` (the
default `IrCompiler`).
The workflow is labelled `pipeline/runid: <run id>`, as KFP labels it.

Back from the workflow: the run's state (`kflow.api.kfp.states.ARGO_PHASES`), its
end time and message, and one task detail per node, with the pod Argo named for it.
`retry` is KFP's `formulateRetryWorkflow`: succeeded and skipped nodes are kept,
failed DAG nodes go back to Running, the other failed nodes are dropped (their pods
deleted), so the controller reruns only what failed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import orjson

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.naming import pod_name
from kflow.api.kfp import states, times
from kflow.api.kfp.errors import FailedPrecondition, InvalidArgument
from kflow.api.kfp.packages import ARGO, Package
from kflow.pipelines import PipelineError, to_workflow

Obj = dict[str, Any]
LABEL_RUN_ID = "pipeline/runid"
"""KFP's label on a run's workflow (and its pods): the run's id."""
NAME_BASE_LIMIT = 57  # so that "<base>-<5 random>" fits a DNS-1123 label


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What a run asks of its workflow."""

    run_id: str
    namespace: str
    parameters: dict[str, Any]
    pipeline_root: str = ""
    service_account: str = ""


IrCompiler = Callable[[Package, RunSpec], Obj]
"""Translates a v2 pipeline spec into the Workflow that runs it."""


def compile_v2(package: Package, run: RunSpec) -> Obj:
    """`kflow.pipelines.to_workflow`, its errors as the API's InvalidArgument."""
    if package.platform_spec:
        raise InvalidArgument(
            "Failed to create a run: the pipeline has a platform spec (kfp-kubernetes "
            f"settings: {', '.join(sorted(package.platform_spec))}), which kflow does not run"
        )
    try:
        return to_workflow(
            package.spec,
            arguments=run.parameters,
            namespace=run.namespace,
            pipeline_root=run.pipeline_root or None,
        )
    except PipelineError as exc:
        raise InvalidArgument(f"Failed to create a run: {exc}") from None


def build(package: Package, run: RunSpec, compile_ir: IrCompiler = compile_v2) -> Obj:
    """The Workflow object (not yet stored) that executes `package` for `run`."""
    if package.kind == ARGO:
        wf = _argo_workflow(package.spec, run.parameters)
    else:
        wf = m.clone(compile_ir(package, run))
    meta = m.meta(wf)
    base = _dns_label(str(meta.get("generateName") or meta.get("name") or package.name))
    for key in ("generateName", "resourceVersion", "uid", "creationTimestamp", "generation"):
        meta.pop(key, None)
    meta["name"] = f"{base}-{m.random_suffix()}"
    meta["namespace"] = run.namespace
    meta["labels"] = {**(meta.get("labels") or {}), LABEL_RUN_ID: run.run_id}
    wf.pop("status", None)
    if run.service_account:
        wf.setdefault("spec", {})["serviceAccountName"] = run.service_account
    return wf


def _argo_workflow(template: Obj, parameters: dict[str, Any]) -> Obj:
    wf = m.clone(template)
    declared = ((wf.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    by_name = {p.get("name"): p for p in declared if isinstance(p, dict)}
    for name, value in parameters.items():
        if name not in by_name:
            raise InvalidArgument(
                f"Failed to verify parameters: Invalid input error: Unrecognized input parameter: {name}"
            )
        by_name[name]["value"] = argo_value(value)
        by_name[name].pop("valueFrom", None)
    return wf


def argo_value(value: Any) -> str:
    """A run parameter as an Argo parameter string (JSON for anything but a string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return orjson.dumps(value).decode()


def _dns_label(text: str) -> str:
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:NAME_BASE_LIMIT].strip("-")
    return label or "run"


# -- what the workflow says -------------------------------------------------------------


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


# -- retry ---------------------------------------------------------------------------


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
