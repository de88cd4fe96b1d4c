"""Kind names as a user types them, resolved through the server's discovery documents.

kubectl accepts `po`, `pod`, `pods`, `Pod`, `tfjobs.kubeflow.org` and
`tfjobs.v1.kubeflow.org` for the same thing; it learns which names exist from
`/api/v1` and `/apis/<group>/<version>`. :class:`Discovery` does the same, once per
client, and hands back a :class:`Resource` that knows its URL paths.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from kflow.api.errors import NotFound

Fetch = Callable[[str], Any]
"""GETs a discovery path and returns its decoded JSON body."""


@dataclasses.dataclass(frozen=True)
class Resource:
    """One served resource (`pods`, `tfjobs.kubeflow.org`) at one version."""

    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # "status", "log", ...
    preferred: bool = True  # served at the group's preferred version

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`pods`, or `tfjobs.kubeflow.org`: the name kubectl shows in errors."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def display(self) -> str:
        """`pod`, or `tfjob.kubeflow.org`: the prefix of `pod/x created` and `-o name`."""
        kind = self.kind.lower()
        return f"{kind}.{self.group}" if self.group else kind

    @property
    def names(self) -> frozenset[str]:
        """Every lower-case name that means this resource."""
        return frozenset(
            n.lower()
            for n in (self.plural, self.singular or self.kind, self.kind, *self.short_names)
            if n
        )

    def path(self, namespace: str | None = None, name: str | None = None, sub: str = "") -> str:
        """The REST path of the collection, or of one object and its subresource."""
        parts = [f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"]
        if self.namespaced and namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.plural)
        if name:
            parts.append(name)
            if sub:
                parts.append(sub)
        return "/".join(parts)


def _resources_of(group: str, version: str, body: Any, preferred: bool) -> list[Resource]:
    """The resources of one `APIResourceList`, with their subresources folded in."""
    listed = body.get("resources") if isinstance(body, dict) else None
    subs: dict[str, list[str]] = {}
    for r in listed or []:
        name = str(r.get("name") or "")
        if "/" in name:
            parent, _, sub = name.partition("/")
            subs.setdefault(parent, []).append(sub)
    out = []
    for r in listed or []:
        name = str(r.get("name") or "")
        if not name or "/" in name:
            continue
        out.append(
            Resource(
                group=group,
                version=version,
                kind=str(r.get("kind") or ""),
                plural=name,
                namespaced=bool(r.get("namespaced", True)),
                singular=str(r.get("singularName") or ""),
                short_names=tuple(r.get("shortNames") or ()),
                verbs=tuple(r.get("verbs") or ()),
                subresources=tuple(subs.get(name, ())),
                preferred=preferred,
            )
        )
    return out


class Discovery:
    """The server's resources, fetched on first use and cached for the client's life."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._resources: list[Resource] | None = None
        self._by_group_version: dict[tuple[str, str], list[Resource]] = {}

    def invalidate(self) -> None:
        self._resources = None
        self._by_group_version.clear()

    def _group_version(self, group: str, version: str) -> list[Resource]:
        key = (group, version)
        if key not in self._by_group_version:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                body = self._fetch(path)
            except NotFound:
                body = {}
            self._by_group_version[key] = _resources_of(group, version, body, True)
        return self._by_group_version[key]

    def resources(self) -> list[Resource]:
        """Every resource at every served version, preferred versions first."""
        if self._resources is not None:
            return self._resources
        preferred: list[Resource] = []
        others: list[Resource] = []
        core = self._fetch("/api")
        for version in (core.get("versions") if isinstance(core, dict) else None) or ["v1"]:
            preferred.extend(self._group_version("", str(version)))
        groups = self._fetch("/apis")
        for g in (groups.get("groups") if isinstance(groups, dict) else None) or []:
            name = str(g.get("name") or "")
            pref = str((g.get("preferredVersion") or {}).get("version") or "")
            versions = [str(v.get("version")) for v in g.get("versions") or []]
            pref = pref or (versions[0] if versions else "")
            for version in versions:
                served = self._group_version(name, version)
                if version == pref:
                    preferred.extend(served)
                else:
                    others.extend(dataclasses.replace(r, preferred=False) for r in served)
        self._resources = preferred + others
        return self._resources

    def _match(self, text: str) -> Resource | None:
        lowered = text.lower()
        resources = self.resources()
        for r in resources:
            if r.preferred and lowered in r.names:
                return r
        # a resource served only at a version its group does not prefer
        # (`pytorchjobs` at kubeflow.org/v1 while Katib's v1beta1 kinds share the group)
        by_name = [r for r in resources if lowered in r.names]
        if by_name and len({r.group for r in by_name}) == 1:
            return by_name[0]
        # `tfjobs.kubeflow.org` or `tfjobs.v1.kubeflow.org`
        head, _, rest = lowered.partition(".")
        if rest:
            for r in resources:
                if head in r.names and r.preferred and rest == r.group.lower():
                    return r
            for r in resources:
                if head in r.names and rest == f"{r.version}.{r.group}".lower():
                    return r
        return None

    def resolve(self, text: str) -> Resource:
        """The resource a user means by `po`, `pods`, `Pod`, `tfjobs.kubeflow.org`, ..."""
        found = self._match(text)
        if found is None and self._resources is not None:
            self.invalidate()  # a kind may have been added since the cache was filled
            found = self._match(text)
        if found is None:
            raise NotFound(f'the server doesn\'t have a resource type "{text}"')
        return found

    def for_object(self, api_version: str, kind: str) -> Resource:
        """The resource that serves objects of `kind` written in `api_version`."""
        group, _, version = api_version.rpartition("/")
        for r in self.resources():
            if (r.group, r.version, r.kind) == (group, version, kind):
                return r
        # an older version may be accepted (and converted) without being listed
        for r in self._group_version(group, version):
            if r.kind == kind:
                return dataclasses.replace(r, preferred=False)
        raise NotFound(
            f'no matches for kind "{kind}" in version "{api_version}": '
            "check apiVersion and kind (`kflow get` lists what the server serves)"
        )
