"""What a workflow pod's status means for its node: phase, message, finish time, outputs.

`assess` is Argo's `assessNodeStatus`/`inferFailedReason`: a pending pod's waiting
reason, `Error (exit code 1)` for a main container that failed, an init
container's failure, `pod deleted` for a pod that vanished. `collect_outputs` is
what Argo's wait container does once main has ended: output parameters read from
the files main wrote (or their `valueFrom.default`), output artifacts archived
into the artifact store, `outputs.result` (main's stdout, its last newline trimmed,
at most 256 kB like Argo) and `outputs.exitCode`. A main container that succeeded
but left a declared output missing makes the node an Error, as in Argo.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kflow.api.argo import contracts as c
from kflow.artifacts import ArtifactRepositoryError, ArtifactStore, archive_of
from kflow.controllers.workflows.staging import read_capped

Obj = dict[str, Any]
RESULT_LIMIT = 256 * 1024
"""Argo keeps at most the last 256 kB of a step's stdout as `outputs.result`."""
HostPath = Callable[[str], str | None]
"""Where a path of the main container is on this machine (None: unknown)."""


def _terminated(cs: Obj) -> Obj | None:
    state = cs.get("state") or {}
    return state.get("terminated") if isinstance(state.get("terminated"), dict) else None


def _statuses(pod: Obj, field: str) -> list[Obj]:
    return [cs for cs in (pod.get("status") or {}).get(field) or [] if isinstance(cs, dict)]


def main_status(pod: Obj) -> Obj | None:
    for cs in _statuses(pod, "containerStatuses"):
        if cs.get("name") == c.MAIN_CONTAINER:
            return cs
    return None


def exit_code(pod: Obj) -> int | None:
    cs = main_status(pod)
    terminated = _terminated(cs) if cs else None
    return int(terminated["exitCode"]) if terminated and "exitCode" in terminated else None


def _pending_reason(pod: Obj) -> str:
    for cs in [*_statuses(pod, "initContainerStatuses"), *_statuses(pod, "containerStatuses")]:
        waiting = (cs.get("state") or {}).get("waiting")
        if isinstance(waiting, dict) and waiting.get("reason") not in (None, "PodInitializing"):
            reason, message = waiting.get("reason"), waiting.get("message")
            return f"{reason}: {message}" if message else str(reason)
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("reason") == "Unschedulable":
            return f"Unschedulable: {cond['message']}" if cond.get("message") else "Unschedulable"
    return ""


def _failure(terminated: Obj) -> str:
    text = f"{terminated.get('reason') or 'Error'} (exit code {terminated.get('exitCode')})"
    return f"{text}: {terminated['message']}" if terminated.get("message") else text


def _infer_failed(pod: Obj) -> tuple[c.NodePhase, str]:
    status = pod.get("status") or {}
    if status.get("message"):
        return c.NodePhase.FAILED, str(status["message"])
    for cs in _statuses(pod, "initContainerStatuses"):
        terminated = _terminated(cs)
        if terminated is None and (cs.get("state") or {}).get("waiting"):
            return c.NodePhase.ERROR, f"Pod failed before {cs.get('name')} container starts"
        if terminated and terminated.get("exitCode") != 0:
            return c.NodePhase.FAILED, _failure(terminated)
    sidecar = ""
    for cs in _statuses(pod, "containerStatuses"):
        terminated = _terminated(cs)
        if terminated is None:
            if (cs.get("state") or {}).get("waiting"):
                return c.NodePhase.ERROR, f"Pod failed before {cs.get('name')} container starts"
            continue
        code = terminated.get("exitCode")
        if code == 0:
            continue
        if cs.get("name") == c.MAIN_CONTAINER:
            return c.NodePhase.FAILED, _failure(terminated)
        if code not in (137, 143):
            sidecar = sidecar or f"sidecar '{cs.get('name')}' {_failure(terminated)}"
    if sidecar:
        return c.NodePhase.FAILED, sidecar
    return c.NodePhase.SUCCEEDED, ""


def assess(pod: Obj) -> tuple[c.NodePhase, str]:
    """The node phase and message a pod stands for now."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Pending" or not phase:
        return c.NodePhase.PENDING, _pending_reason(pod)
    if phase == "Running":
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            return c.NodePhase.ERROR, "pod deleted during operation"
        return c.NodePhase.RUNNING, ""
    if phase == "Succeeded":
        return c.NodePhase.SUCCEEDED, ""
    if phase == "Failed":
        return _infer_failed(pod)
    return c.NodePhase.ERROR, f"Unexpected pod phase for {pod['metadata']['name']}: {phase}"


def finished_at(pod: Obj) -> str | None:
    """The latest `finishedAt` of the pod's containers."""
    stamps = [
        str(t["finishedAt"])
        for field in ("initContainerStatuses", "containerStatuses")
        for cs in _statuses(pod, field)
        if (t := _terminated(cs)) and t.get("finishedAt")
    ]
    return max(stamps) if stamps else None


@dataclasses.dataclass
class Collected:
    """A finished pod's outputs, and why they are incomplete if they are."""

    outputs: Obj
    error: str = ""


def collect_outputs(
    template: Obj,
    pod: Obj,
    *,
    host_path: HostPath,
    staging: Path,
    store: ArtifactStore,
) -> Collected:
    """Argo's wait container: the outputs of a pod whose main container has ended."""
    declared = template.get("outputs") or {}
    main_ok = exit_code(pod) == 0
    outputs: Obj = {}
    missing: list[str] = []
    params: list[Obj] = []
    for param in declared.get("parameters") or []:
        out = {k: v for k, v in param.items() if k in ("name", "value", "valueFrom", "globalName")}
        source = param.get("valueFrom") or {}
        if param.get("value") is None and source.get("path"):
            found = host_path(str(source["path"]))
            text = read_capped(Path(found), 1 << 30) if found else None
            if text is not None:
                out["value"] = text
            elif source.get("default") is not None:
                out["value"] = str(source["default"])
            else:
                missing.append(str(source["path"]))
                continue
        elif param.get("value") is not None:
            out["value"] = str(param["value"])
        params.append(out)
    if params:
        outputs["parameters"] = params
    artifacts: list[Obj] = []
    unsaved: list[str] = []
    for art in declared.get("artifacts") or []:
        path = str(art.get("path") or "")
        found = host_path(path)
        if not found or not Path(found).exists():
            if not art.get("optional"):
                missing.append(path)
            continue
        # the pod has ended: what it left in its own scratch is linked in, not copied
        scratch = Path(found).resolve().is_relative_to(staging.resolve())
        try:
            stored = store.save(Path(found), archive_of(art.get("archive")), link=scratch)
        except ArtifactRepositoryError as failure:
            unsaved.append(str(failure))
            continue
        kept = {k: v for k, v in art.items() if k in ("name", "path", "archive", "globalName")}
        artifacts.append({**kept, "kflow": stored.to_json()})
    if artifacts:
        outputs["artifacts"] = artifacts
    result = read_capped(staging / "stdout", RESULT_LIMIT)
    if result is not None:
        outputs["result"] = result[:-1] if result.endswith("\n") else result
    code = exit_code(pod)
    if code is not None:
        outputs["exitCode"] = str(code)
    error = ""
    if missing and main_ok:
        error = f"failed to save outputs: open {missing[0]}: no such file or directory"
    elif unsaved:
        error = f"failed to save outputs: {unsaved[0]}"
    return Collected(outputs, error)
