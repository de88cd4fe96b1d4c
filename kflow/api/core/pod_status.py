"""How a pod is summarized: its QoS class and the STATUS that `kubectl get pods` shows.

Both are derived, never stored: `qos_class` classifies requests and limits as the
kubelet does (admission uses it), and `pod_status_reason` follows kubectl's printer
through init containers, containers and deletion.
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.core._common import as_dict, as_list
from kflow.api.core.containers import each_container
from kflow.api.kinds import Obj
from kflow.api.quantity import QuantityError, parse_quantity

_COMPUTE = ("cpu", "memory")


def qos_class(spec: Obj) -> str:
    """Guaranteed, Burstable or BestEffort, as the kubelet classifies a pod."""
    containers = [c for _, _, c in each_container(spec)]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = as_dict(container.get("resources"))
        requests = as_dict(resources.get("requests"))
        limits = as_dict(resources.get("limits"))
        for name in _COMPUTE:
            if name in requests or name in limits:
                any_set = True
            limit = limits.get(name)
            request = requests.get(name, limit)
            if limit is None or not _same_quantity(request, limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _same_quantity(a: Any, b: Any) -> bool:
    try:
        return parse_quantity(a) == parse_quantity(b)
    except (QuantityError, TypeError):
        return False


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column of `kubectl get pods`, computed as kubectl's printer does."""
    status = as_dict(pod.get("status"))
    spec = as_dict(pod.get("spec"))
    reason = str(status.get("phase") or "")
    if status.get("reason"):
        reason = str(status["reason"])
    initializing = False
    init_statuses = as_list(status.get("initContainerStatuses"))
    for i, cs in enumerate(init_statuses):
        state = as_dict(as_dict(cs).get("state"))
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if isinstance(terminated, dict) and terminated.get("exitCode") == 0:
            continue
        if isinstance(terminated, dict):
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode')}"
        elif (
            isinstance(waiting, dict)
            and waiting.get("reason")
            and waiting["reason"] != "PodInitializing"
        ):
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(as_list(spec.get('initContainers')))}"
        initializing = True
        break
    if not initializing or _condition_true(status, "Initialized"):
        has_running = False
        for cs in reversed(as_list(status.get("containerStatuses"))):
            cs = as_dict(cs)
            state = as_dict(cs.get("state"))
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif isinstance(terminated, dict):
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode')}"
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    deleting = m.meta(pod).get("deletionTimestamp")
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason


def _condition_true(status: Obj, type_: str) -> bool:
    return any(
        as_dict(c).get("type") == type_ and as_dict(c).get("status") == "True"
        for c in as_list(status.get("conditions"))
    )
