"""Discovery: the documents clients read to learn which kinds this server serves.

Built from the kind registry, so a kind that registers itself is discoverable with no
server change. Both forms kubectl understands are served: the legacy documents
(`/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`), and the aggregated
`apidiscovery.k8s.io/v2` lists kubectl 1.27+ asks for first, which describe every
group in two requests instead of one per group version.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kflow import __version__
from kflow.api.errors import NotFound
from kflow.api.kinds import KindInfo, Registry
from kflow.server.responses import JSONResponse

Obj = dict[str, Any]

KUBERNETES_VERSION = (1, 32, 0)
"""The Kubernetes API version kflow speaks; kubectl 1.31-1.33 see no version skew."""

_SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "log": ["get"],
    "finalize": ["update"],
}
_AGGREGATED = "apidiscovery.k8s.io"


def version_info() -> Obj:
    major, minor, patch = KUBERNETES_VERSION
    return {
        "major": str(major),
        "minor": str(minor),
        "gitVersion": f"v{major}.{minor}.{patch}-kflow.{__version__}",
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "python",
        "compiler": "kflow",
        "platform": "linux/amd64",
    }


def _kinds_at(registry: Registry, group: str, version: str) -> list[KindInfo]:
    return sorted(
        (i for i in registry.all() if i.group == group and version in i.served_versions),
        key=lambda i: i.plural,
    )


def _group_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


def api_resources(registry: Registry, group: str, version: str) -> Obj:
    """The `APIResourceList` of one group version (`/api/v1`, `/apis/<g>/<v>`)."""
    kinds = _kinds_at(registry, group, version)
    if not kinds:
        raise NotFound("the server could not find the requested resource")
    resources: list[Obj] = []
    for info in kinds:
        entry: Obj = {
            "name": info.plural,
            "singularName": info.singular,
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": list(info.verbs),
        }
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.categories:
            entry["categories"] = list(info.categories)
        resources.append(entry)
        for sub in info.subresources:
            resources.append(
                {
                    "name": f"{info.plural}/{sub}",
                    "singularName": "",
                    "namespaced": info.namespaced,
                    "kind": info.kind,
                    "verbs": _SUBRESOURCE_VERBS.get(sub, ["get"]),
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": _group_version(group, version),
        "resources": resources,
    }


def _api_group(group: str, versions: list[str]) -> Obj:
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group(registry: Registry, group: str) -> Obj:
    versions = registry.groups().get(group)
    if not group or not versions:
        raise NotFound("the server could not find the requested resource")
    return {"kind": "APIGroup", "apiVersion": "v1", **_api_group(group, versions)}


def api_group_list(registry: Registry) -> Obj:
    groups = registry.groups()
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_api_group(g, vs) for g, vs in sorted(groups.items()) if g],
    }


def api_versions(request: Request) -> Obj:
    host = request.headers.get("host", "127.0.0.1")
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
    }


# -- aggregated discovery (apidiscovery.k8s.io/v2, v2beta1) -------------------


def aggregated_version(accept: str) -> str | None:
    """`v2` or `v2beta1` when the client accepts aggregated discovery, else None."""
    for part in accept.split(","):
        params = dict(p.strip().split("=", 1) for p in part.split(";")[1:] if "=" in p)
        if params.get("g") == _AGGREGATED and params.get("as") == "APIGroupDiscoveryList":
            version = params.get("v", "")
            if version in ("v2", "v2beta1"):
                return version
    return None


def _resource_discovery(info: KindInfo, version: str) -> Obj:
    kind_ref = {"group": info.group, "version": version, "kind": info.kind}
    entry: Obj = {
        "resource": info.plural,
        "responseKind": kind_ref,
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    if info.subresources:
        entry["subresources"] = [
            {
                "subresource": sub,
                "responseKind": kind_ref,
                "verbs": _SUBRESOURCE_VERBS.get(sub, ["get"]),
            }
            for sub in info.subresources
        ]
    return entry


def aggregated_list(registry: Registry, *, core: bool, version: str) -> Obj:
    """The `APIGroupDiscoveryList` of the core group (`/api`) or the named ones (`/apis`)."""
    items = []
    for group, versions in sorted(registry.groups().items()):
        if (group == "") != core:
            continue
        items.append(
            {
                "metadata": {"name": group, "creationTimestamp": None},
                "versions": [
                    {
                        "version": v,
                        "resources": [
                            _resource_discovery(i, v) for i in _kinds_at(registry, group, v)
                        ],
                        "freshness": "Current",
                    }
                    for v in versions
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"{_AGGREGATED}/{version}",
        "metadata": {},
        "items": items,
    }


def aggregated_response(registry: Registry, *, core: bool, version: str) -> Response:
    media = f"application/json;g={_AGGREGATED};v={version};as=APIGroupDiscoveryList"
    return JSONResponse(
        aggregated_list(registry, core=core, version=version),
        headers={"content-type": media, "vary": "Accept"},
    )
