"""The PersistentVolumeClaim kind: locally a claim is a directory, bound on creation.

Defaulting fills the status a bound claim has upstream (phase, access modes, capacity);
validation asks for access modes and a storage request, as Kubernetes does.
"""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.core._common import as_dict, as_list, core_kind, or_none
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import core as models
from kflow.api.tables import age_column, name_column

_ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _default_pvc(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("volumeMode", "Filesystem")
    status = obj.get("status")
    if not isinstance(status, dict):
        status = obj["status"] = {}
    # locally a claim is a directory, so it is bound as soon as it exists
    status.setdefault("phase", "Bound")
    if "accessModes" in spec:
        status.setdefault("accessModes", m.clone(spec["accessModes"]))
    storage = as_dict(as_dict(spec.get("resources")).get("requests")).get("storage")
    if storage is not None:
        status.setdefault("capacity", {"storage": storage})


def _validate_pvc(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes: list[Cause] = []
    modes = as_list(spec.get("accessModes"))
    if not modes:
        causes.append(
            Cause(
                "spec.accessModes",
                "Required value: at least 1 access mode is required",
                "FieldValueRequired",
            )
        )
    for i, mode in enumerate(modes):
        if mode not in _ACCESS_MODES:
            allowed = ", ".join(f'"{v}"' for v in sorted(_ACCESS_MODES))
            causes.append(
                Cause(
                    f"spec.accessModes[{i}]",
                    f'Unsupported value: "{mode}": supported values: {allowed}',
                    "FieldValueNotSupported",
                )
            )
    if "storage" not in as_dict(as_dict(spec.get("resources")).get("requests")):
        causes.append(Cause("spec.resources[storage]", "Required value", "FieldValueRequired"))
    return causes


PVC_COLUMNS = (
    name_column(),
    Column(
        "STATUS",
        lambda p: str(as_dict(p.get("status")).get("phase") or ""),
        description="The phase of the claim.",
    ),
    Column(
        "VOLUME",
        lambda p: str(as_dict(p.get("spec")).get("volumeName") or ""),
        description="The volume bound to the claim.",
    ),
    Column(
        "CAPACITY",
        lambda p: str(as_dict(as_dict(p.get("status")).get("capacity")).get("storage") or ""),
        description="The capacity of the bound volume.",
    ),
    Column(
        "ACCESS MODES",
        lambda p: ",".join(
            _ACCESS_MODES.get(str(x), str(x))
            for x in as_list(as_dict(p.get("status")).get("accessModes"))
        ),
        description="The access modes of the bound volume.",
    ),
    Column(
        "STORAGECLASS",
        lambda p: or_none(as_dict(p.get("spec")).get("storageClassName")),
        description="The storage class of the claim.",
    ),
    age_column(),
    Column(
        "VOLUMEMODE",
        lambda p: str(as_dict(p.get("spec")).get("volumeMode") or ""),
        priority=1,
        description="The volume mode.",
    ),
)


def pvc_kind() -> KindInfo:
    return core_kind(
        models.PersistentVolumeClaim,
        "persistentvolumeclaims",
        short_names=("pvc",),
        defaulters=(_default_pvc,),
        validators=(_validate_pvc,),
        columns=PVC_COLUMNS,
    )
