"""The Pod kind: its defaults, the few fields an update may change, and its columns.

The PodSpec rules live in `pod_spec` (workload templates share them) and the derived
STATUS in `pod_status`; this module ties them to the `Pod` kind.
"""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.core._common import as_dict, as_list, core_kind, or_none
from kflow.api.core.containers import each_container
from kflow.api.core.pod_spec import default_pod_spec, validate_pod_spec
from kflow.api.core.pod_status import pod_status_reason
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import core as models
from kflow.api.tables import age_column, human_age, name_column

POD_MUTABLE_FIELDS_MESSAGE = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _default_pod(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec)


def _validate_pod(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec")
    causes = validate_pod_spec(spec) if isinstance(spec, dict) else []
    if (
        old is not None
        and isinstance(spec, dict)
        and _pod_spec_changed(spec, as_dict(old.get("spec")))
    ):
        causes.append(Cause("spec", POD_MUTABLE_FIELDS_MESSAGE, "FieldValueForbidden"))
    return causes


def _pod_spec_changed(new: Obj, old: Obj) -> bool:
    """True if an update changes more than Kubernetes lets a pod update change."""

    def comparable(spec: Obj) -> Obj:
        spec = m.clone(spec)
        for _, _, container in each_container(spec):
            container.pop("image", None)
        for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
            spec.pop(key, None)
        return spec

    if comparable(new) != comparable(old):
        return True
    old_tolerations = as_list(old.get("tolerations"))
    new_tolerations = as_list(new.get("tolerations"))
    if any(t not in new_tolerations for t in old_tolerations):
        return True
    old_grace, new_grace = (
        old.get("terminationGracePeriodSeconds"),
        new.get("terminationGracePeriodSeconds"),
    )
    return bool(
        old_grace != new_grace
        and not (isinstance(old_grace, int) and old_grace < 0 and new_grace == 1)
    )


def _pod_ready(pod: Obj) -> str:
    statuses = as_list(as_dict(pod.get("status")).get("containerStatuses"))
    ready = sum(
        1
        for cs in statuses
        if as_dict(cs).get("ready")
        and isinstance(as_dict(as_dict(cs).get("state")).get("running"), dict)
    )
    total = len(as_list(as_dict(pod.get("spec")).get("containers")))
    return f"{ready}/{total}"


def _pod_restarts(pod: Obj) -> str:
    status = as_dict(pod.get("status"))
    restarts = 0
    last = ""
    for cs in as_list(status.get("initContainerStatuses")) + as_list(
        status.get("containerStatuses")
    ):
        cs = as_dict(cs)
        restarts += int(cs.get("restartCount") or 0)
        finished = as_dict(as_dict(cs.get("lastState")).get("terminated")).get("finishedAt")
        if isinstance(finished, str) and finished > last:
            last = finished
    if restarts and last:
        return f"{restarts} ({human_age(last)} ago)"
    return str(restarts)


POD_COLUMNS = (
    name_column(),
    Column("READY", _pod_ready, description="The number of ready containers of the pod."),
    Column("STATUS", pod_status_reason, description="The aggregate status of the containers."),
    Column("RESTARTS", _pod_restarts, description="The number of container restarts."),
    age_column(),
    Column(
        "IP",
        lambda p: or_none(as_dict(p.get("status")).get("podIP")),
        priority=1,
        description="The IP address of the pod.",
    ),
    Column(
        "NODE",
        lambda p: or_none(as_dict(p.get("spec")).get("nodeName")),
        priority=1,
        description="The node the pod runs on.",
    ),
    Column(
        "NOMINATED NODE",
        lambda p: or_none(as_dict(p.get("status")).get("nominatedNodeName")),
        priority=1,
        description="The node the pod is nominated to.",
    ),
    Column(
        "READINESS GATES",
        lambda p: or_none(len(as_list(as_dict(p.get("spec")).get("readinessGates"))) or None),
        priority=1,
        description="The pod's readiness gates.",
    ),
)


def pod_kind() -> KindInfo:
    return core_kind(
        models.Pod,
        "pods",
        short_names=("po",),
        categories=("all",),
        subresources=("status", "log"),
        defaulters=(_default_pod,),
        validators=(_validate_pod,),
        columns=POD_COLUMNS,
    )
