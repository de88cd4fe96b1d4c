"""The Namespace kind: cluster-scoped, `Active` from birth, labelled with its own name."""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.core._common import as_dict, core_kind
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import core as models
from kflow.api.tables import age_column, name_column


def _default_namespace(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("finalizers", ["kubernetes"])
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Active")
    # Kubernetes labels every namespace with its own name
    labels = m.meta(obj).setdefault("labels", {})
    if isinstance(labels, dict) and m.name_of(obj):
        labels.setdefault("kubernetes.io/metadata.name", m.name_of(obj))


def _validate_namespace(obj: Obj, old: Obj | None) -> list[Cause]:
    name = m.name_of(obj)
    if name and not m.check_name(name):
        return m.check_name(name, label=True)
    return []


NAMESPACE_COLUMNS = (
    name_column(),
    Column(
        "STATUS",
        lambda n: str(as_dict(n.get("status")).get("phase") or ""),
        description="The phase of the namespace.",
    ),
    age_column(),
)


def namespace_kind() -> KindInfo:
    return core_kind(
        models.Namespace,
        "namespaces",
        namespaced=False,
        short_names=("ns",),
        subresources=("status", "finalize"),
        defaulters=(_default_namespace,),
        validators=(_validate_namespace,),
        columns=NAMESPACE_COLUMNS,
    )
