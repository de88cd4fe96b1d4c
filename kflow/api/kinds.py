"""The kind registry: every resource kflow serves, and the hooks admission runs for it.

A kind registers itself once (`registry.register(KindInfo(...))`) with its group,
version, plural, scope, schema and admission hooks; the store keys objects by its
`resource` name, the server builds discovery, OpenAPI and routes from it, and the
CLI resolves `kubectl`-style names (`po`, `pods`, `pod`, `tfjobs.kubeflow.org`)
through it. Training jobs, experiments and workflows plug in here later without the
server knowing them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from kflow.api.errors import Cause, NotFound

Obj = dict[str, Any]
"""A Kubernetes-shaped object body: apiVersion, kind, metadata, spec, status."""

Defaulter = Callable[[Obj], None]
"""Fills upstream defaults into an object in place."""
Validator = Callable[[Obj, "Obj | None"], list[Cause]]
"""Returns what is wrong with an object (given the old one on update)."""
Converter = Callable[[Obj], Obj]
"""Turns an object of an older served version into the storage version."""
CellFn = Callable[[Obj], Any]


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of `kubectl get` output, rendered server-side as a Table."""

    name: str
    cell: CellFn
    type: str = "string"  # string | integer | number | boolean | date
    description: str = ""
    priority: int = 0  # 0: always shown; 1: only with -o wide


@dataclasses.dataclass(frozen=True)
class KindInfo:
    """Everything kflow knows about one kind of object."""

    group: str  # "" for the core group
    version: str  # the storage (and preferred) version
    kind: str
    plural: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)  # e.g. "status", "log"
    has_status: bool = True  # False: the whole body is spec-like (ConfigMap, Secret, ...)
    schema: Obj | None = None  # OpenAPI v3 schema of the whole object
    defaulters: tuple[Defaulter, ...] = ()
    validators: tuple[Validator, ...] = ()
    # older versions still accepted, each with its conversion to `version`
    converters: dict[str, Converter] = dataclasses.field(default_factory=dict)
    columns: tuple[Column, ...] = ()
    # fields of the spec part that do not bump `generation` (none by default)
    verbs: tuple[str, ...] = (
        "create",
        "delete",
        "deletecollection",
        "get",
        "list",
        "patch",
        "update",
        "watch",
    )

    @property
    def resource(self) -> str:
        """The store key: `pods` for core kinds, `tfjobs.kubeflow.org` for others."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def served_versions(self) -> tuple[str, ...]:
        return (self.version, *self.converters)

    @property
    def status_fields(self) -> bool:
        return self.has_status


class Registry:
    """Kinds by resource, by (group, kind) and by every name a user may type."""

    def __init__(self) -> None:
        self._by_resource: dict[str, KindInfo] = {}
        self._by_group_kind: dict[tuple[str, str], KindInfo] = {}
        self._by_name: dict[str, list[KindInfo]] = {}

    def register(self, info: KindInfo) -> KindInfo:
        self._by_resource[info.resource] = info
        self._by_group_kind[(info.group, info.kind)] = info
        names = {info.plural, info.singular, info.kind.lower(), *info.short_names}
        for name in names:
            for key in (name, f"{name}.{info.group}" if info.group else name):
                bucket = self._by_name.setdefault(key.lower(), [])
                if info not in bucket:
                    bucket.append(info)
        return info

    def all(self) -> list[KindInfo]:
        return list(self._by_resource.values())

    def by_resource(self, resource: str) -> KindInfo:
        try:
            return self._by_resource[resource]
        except KeyError:
            raise NotFound(f'the server doesn\'t have a resource type "{resource}"') from None

    def for_object(self, obj: Obj) -> tuple[KindInfo, str]:
        """The kind of an object body and the version it was written in."""
        api_version = str(obj.get("apiVersion") or "")
        kind = str(obj.get("kind") or "")
        group, _, version = api_version.rpartition("/")
        info = self._by_group_kind.get((group, kind))
        if info is None or version not in info.served_versions:
            raise NotFound(
                f'no matches for kind "{kind}" in version "{api_version}"'
                if kind
                else "object has no kind"
            )
        return info, version

    def lookup(self, group: str, version: str, plural: str) -> KindInfo:
        """The kind served at `/apis/<group>/<version>/<plural>` (or `/api/v1/<plural>`)."""
        info = self._by_resource.get(f"{plural}.{group}" if group else plural)
        if info is None or version not in info.served_versions:
            qualified = f"{plural}.{version}.{group}" if group else f"{plural}.{version}"
            raise NotFound(f'the server could not find the requested resource "{qualified}"')
        return info

    def resolve(self, name: str) -> KindInfo:
        """The kind a user means by `pods`, `po`, `Pod`, `tfjobs.kubeflow.org`, ..."""
        matches = self._by_name.get(name.lower(), [])
        if not matches:
            raise NotFound(f'the server doesn\'t have a resource type "{name}"')
        # kubectl prefers the core group when a short name is ambiguous
        return sorted(matches, key=lambda k: (k.group != "", k.group))[0]

    def groups(self) -> dict[str, list[str]]:
        """Group name -> its served versions, preferred first, by Kubernetes' version priority.

        One group can hold kinds of several versions (`kubeflow.org`: training jobs at
        v1, Katib at v1beta1); like the API server, the preferred version is the
        highest-priority one: GA before beta before alpha, higher numbers first.
        """
        out: dict[str, list[str]] = {}
        for info in self._by_resource.values():
            versions = out.setdefault(info.group, [])
            for v in info.served_versions:
                if v not in versions:
                    versions.append(v)
        return {group: sorted(versions, key=version_priority) for group, versions in out.items()}


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key putting `v2` before `v1` before `v1beta2` before `v1beta1` before `v1alpha1`."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if match is None:
        return (3, 0, 0, version)  # not Kubernetes-like: last, alphabetically
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


registry = Registry()
"""The process-wide registry; kinds register into it when their module is imported."""
