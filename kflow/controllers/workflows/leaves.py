"""The template that does the work in a pod: container and script templates.

`execute_pod` creates the node's pod once and then follows it: the node's phase and
message come from the pod (`podstatus.assess`); when the pod has ended, its outputs
are collected, main's log is archived as the `main-logs` artifact (so it outlives
the pod), and a pod past its `activeDeadlineSeconds`/`timeout` is stopped and failed.
`stop_active` fails whatever still runs (a workflow deadline or shutdown).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from typing import Any

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.argo import contracts as c
from kflow.api.errors import AlreadyExists, ApiError, NotFound
from kflow.api.kinds import registry
from kflow.artifacts import ArtifactRepositoryError
from kflow.controllers.workflows.durations import parse_duration
from kflow.controllers.workflows.execution import Call, Execution
from kflow.controllers.workflows.nodes import Node, fulfilled
from kflow.controllers.workflows.podspec import PodBuildError, build_pod
from kflow.controllers.workflows.podstatus import (
    assess,
    collect_outputs,
    exit_code,
    finished_at,
    main_status,
)

Obj = dict[str, Any]
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"
RESOURCE_POLL_SECONDS = 1.0
LOGS_ARTIFACT = "main-logs"
log = logging.getLogger(__name__)


def _node_deadline(tmpl: Obj, node: Node) -> dt.datetime | None:
    """When a pod node must have finished: `activeDeadlineSeconds` or `timeout`."""
    limits = []
    ads = tmpl.get("activeDeadlineSeconds")
    if ads not in (None, ""):
        limits.append(float(int(ads)))
    if tmpl.get("timeout"):
        limits.append(parse_duration(tmpl["timeout"], "timeout"))
    if not limits:
        return None
    return m.parse_timestamp(str(node["startedAt"])) + dt.timedelta(seconds=min(limits))


def _archive_logs(ex: Execution, pod: Obj, outputs: Obj) -> None:
    uid = str(m.meta(pod).get("uid") or "")
    data = ex.env.read_log(uid, c.MAIN_CONTAINER) if uid else None
    if data is None:
        return
    try:
        stored = ex.env.artifacts.save_bytes(data)
    except ArtifactRepositoryError as error:  # the log stays here, with the step
        log.warning("workflow %s/%s: %s", ex.namespace, ex.name, error)
        stored = ex.env.artifacts.save_bytes(data, upload=False)
    artifacts = [a for a in outputs.get("artifacts") or [] if a.get("name") != LOGS_ARTIFACT]
    artifacts.append({"name": LOGS_ARTIFACT, "kflow": stored.to_json()})
    outputs["artifacts"] = artifacts


def _create_pod(ex: Execution, call: Call, tmpl: Obj, node: Node) -> None:
    staging = ex.env.staging.node_dir(ex.namespace, ex.name, ex.uid, node["id"])
    try:
        pod = build_pod(
            wf=ex.wf,
            spec=ex.spec,
            claims=ex.claims(),
            node=node,
            pod_name=ex.pod_name_of(call.name, tmpl),
            template=tmpl,
            staging=staging,
            store=ex.env.artifacts,
        )
        body = admit(registry.by_resource("pods"), pod, None, operation="CREATE", version="v1")
        ex.env.store.create("pods", body)
    except AlreadyExists:
        return
    except (PodBuildError, ApiError, OSError, ValueError) as error:
        ex.nodes.mark(node, c.NodePhase.ERROR, str(error))


def execute_pod(ex: Execution, call: Call, tmpl: Obj) -> Node | None:
    """A container or script template's node, moved along by its pod."""
    node = ex.nodes.get(call.name)
    if node is None:
        node = ex.init_node(call, c.NodeType.POD, tmpl, phase=c.NodePhase.PENDING)
        ex.active_pods += 1
    if fulfilled(node):
        return node
    pod = ex.pods.get(node["id"])
    if pod is None:
        if node.get("phase") == c.NodePhase.RUNNING.value:
            return ex.nodes.mark(node, c.NodePhase.ERROR, "pod deleted")
        if ex.blocked:
            return ex.nodes.mark(node, c.NodePhase.FAILED, c.MESSAGE_DEADLINE)
        if time.monotonic() > ex.creating_until:  # the next pass creates it
            ex.wake_in(0)
            return node
        _create_pod(ex, call, tmpl, node)
        return node
    phase, message = assess(pod)
    sidecars_left = phase == c.NodePhase.RUNNING and exit_code(pod) is not None
    if sidecars_left:  # main has ended: Argo kills the sidecars, the node ends with main
        phase = c.NodePhase.SUCCEEDED if exit_code(pod) == 0 else c.NodePhase.FAILED
        message = "" if phase == c.NodePhase.SUCCEEDED else _main_failure(pod)
    if phase.value not in ("Succeeded", "Failed", "Error"):
        deadline = _node_deadline(tmpl, node)
        if deadline is not None and ex.now >= deadline:
            return _stop(ex, node, pod, c.NodePhase.FAILED, DEADLINE_MESSAGE)
        if deadline is not None:
            ex.wake_in((deadline - ex.now).total_seconds())
        return ex.nodes.mark(node, phase, message)
    staging = ex.env.staging.node_dir(ex.namespace, ex.name, ex.uid, node["id"])
    uid = str(m.meta(pod).get("uid") or "")
    ex.active_pods -= 1  # its slot is free for the rest of this pass

    def host_path(path: str) -> str | None:
        return ex.env.runtime.container_path(uid, c.MAIN_CONTAINER, path)

    collected = collect_outputs(
        tmpl, pod, host_path=host_path, staging=staging, store=ex.env.artifacts
    )
    _archive_logs(ex, pod, collected.outputs)
    if collected.outputs:
        ex.nodes.set(node, "outputs", collected.outputs)
        ex.publish_outputs(collected.outputs)
    if collected.error and phase == c.NodePhase.SUCCEEDED:
        phase, message = c.NodePhase.ERROR, collected.error
    ex.nodes.set(node, "finishedAt", finished_at(pod) or m.timestamp(ex.now))
    ex.nodes.mark(node, phase, message)
    gc = (ex.spec.get("podGC") or {}).get("strategy")
    if (
        sidecars_left
        or gc == c.PodGCStrategy.ON_POD_COMPLETION.value
        or (gc == c.PodGCStrategy.ON_POD_SUCCESS.value and phase == c.NodePhase.SUCCEEDED)
    ):
        with contextlib.suppress(NotFound):
            ex.env.store.delete("pods", ex.namespace, m.name_of(pod))
    return node


def _main_failure(pod: Obj) -> str:
    terminated = ((main_status(pod) or {}).get("state") or {}).get("terminated") or {}
    return f"{terminated.get('reason') or 'Error'} (exit code {terminated.get('exitCode')})"


def _stop(ex: Execution, node: Node, pod: Obj, phase: c.NodePhase, message: str) -> Node:
    """End a pod that must not run on: keep its log, delete it, settle its node."""
    outputs: Obj = dict(node.get("outputs") or {})
    _archive_logs(ex, pod, outputs)
    if outputs:
        ex.nodes.set(node, "outputs", outputs)
    with contextlib.suppress(NotFound):
        ex.env.store.delete("pods", ex.namespace, m.name_of(pod))
    return ex.nodes.mark(node, phase, message)


def stop_active(ex: Execution, message: str) -> None:
    """Fail every node still waiting or running (a workflow deadline or shutdown)."""
    for node in list(ex.nodes.by_id.values()):
        if fulfilled(node):
            continue
        kind = node.get("type")
        if kind == c.NodeType.POD.value:
            pod = ex.pods.get(node["id"])
            if pod is not None:
                _stop(ex, node, pod, c.NodePhase.FAILED, message)
            else:
                ex.nodes.mark(node, c.NodePhase.FAILED, message)
        elif kind == c.NodeType.SUSPEND.value:
            ex.nodes.mark(node, c.NodePhase.FAILED, message)
