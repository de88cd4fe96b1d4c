"""The pod `status` in the Kubernetes shape, built from container states.

The shim owns a pod's container states and writes the finished status; the runtime
only builds one itself before the shim's first write (a pod still being created) or
after a shim was lost. Both use these functions, so the phase rules and condition
reasons live once. Imported by the shim: standard library only.
"""

from __future__ import annotations

from typing import Any

POD_IP = "127.0.0.1"
HOST_IP = "127.0.0.1"


def is_terminated(cs: dict[str, Any]) -> bool:
    return "terminated" in cs["state"]


def phase(
    init: list[dict[str, Any]],
    main: list[dict[str, Any]],
    done: set[str],
    init_failed: bool,
) -> str:
    """Pending / Running / Succeeded / Failed, from container statuses.

    `done` names the containers that ended and will not be restarted.
    """
    if init_failed:
        return "Failed"
    if main and all(cs["name"] in done for cs in main):
        ok = all(is_terminated(cs) and cs["state"]["terminated"]["exitCode"] == 0 for cs in main)
        return "Succeeded" if ok else "Failed"
    if not all(cs["name"] in done for cs in init):
        return "Pending"
    if any(cs["started"] or cs["restartCount"] or cs["lastState"] for cs in main):
        return "Running"
    return "Pending"


def _condition(
    previous: dict[str, dict[str, Any]],
    type_: str,
    value: bool,
    now: str,
    reason: str = "",
    message: str = "",
) -> dict[str, Any]:
    status = "True" if value else "False"
    old = previous.get(type_)
    when = old["lastTransitionTime"] if old and old["status"] == status else now
    cond: dict[str, Any] = {
        "type": type_,
        "status": status,
        "lastProbeTime": None,
        "lastTransitionTime": when,
    }
    if not value and reason:
        cond["reason"] = reason
        if message:
            cond["message"] = message
    return cond


def conditions(
    previous: list[dict[str, Any]],
    init: list[dict[str, Any]],
    main: list[dict[str, Any]],
    init_done: bool,
    pod_phase: str,
    now: str,
) -> list[dict[str, Any]]:
    """PodScheduled, Initialized, ContainersReady, Ready; transition times kept."""
    prev = {c["type"]: c for c in previous}
    uninit = [
        cs["name"]
        for cs in init
        if not (is_terminated(cs) and cs["state"]["terminated"]["exitCode"] == 0)
    ]
    unready = [cs["name"] for cs in main if not cs["ready"]]
    ready = not unready and pod_phase == "Running"
    if pod_phase in ("Succeeded", "Failed"):
        why, msg = "PodCompleted", ""
    else:
        why, msg = "ContainersNotReady", f"containers with unready status: [{' '.join(unready)}]"
    return [
        _condition(prev, "PodScheduled", True, now),
        _condition(
            prev,
            "Initialized",
            init_done,
            now,
            "ContainersNotInitialized",
            f"containers with incomplete status: [{' '.join(uninit)}]",
        ),
        _condition(prev, "ContainersReady", ready, now, why, msg),
        _condition(prev, "Ready", ready, now, why, msg),
    ]


def container(spec: dict[str, Any], reason: str) -> dict[str, Any]:
    """A container status for a container that has not started."""
    return {
        "name": spec["name"],
        "image": spec["image"],
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "state": {"waiting": {"reason": reason}},
        "lastState": {},
    }


def pending(launch: dict[str, Any], now: str) -> dict[str, Any]:
    """The status of a pod whose shim has not written one yet."""
    init = [container(c, "PodInitializing") for c in launch["init_containers"]]
    first = "PodInitializing" if init else "ContainerCreating"
    main = [container(c, first) for c in launch["containers"]]
    status = {
        "phase": "Pending",
        "conditions": conditions([], init, main, not init, "Pending", now),
        "hostIP": HOST_IP,
        "podIP": POD_IP,
        "podIPs": [{"ip": POD_IP}],
        "startTime": launch["runtime"]["created"],
        "containerStatuses": main,
    }
    if init:
        status["initContainerStatuses"] = init
    return status
