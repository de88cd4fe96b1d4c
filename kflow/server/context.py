"""What every route needs: the store, the runtime, the registry and the identity hooks.

`ServerContext` is built once by `create_app` and shared by the route modules, so a
route is a plain function of (context, request) and the app has no globals.
`Target` is a resource path (`/api/v1/namespaces/ns/pods/x/log`) parsed once into
the kind, namespace, name and subresource it names.
"""

from __future__ import annotations

import dataclasses

from starlette.requests import HTTPConnection

from kflow.api.errors import NotFound
from kflow.api.kinds import KindInfo, Registry
from kflow.runtime.interface import Runtime
from kflow.server.identity import Authenticator, Authorizer, Identity, forbidden
from kflow.store.interface import Store


@dataclasses.dataclass(frozen=True)
class ServerContext:
    """The collaborators of one app."""

    store: Store
    runtime: Runtime | None
    registry: Registry
    authenticator: Authenticator
    authorizer: Authorizer

    def identify(self, request: HTTPConnection) -> Identity:
        """Who sent the request (raises Unauthorized)."""
        return self.authenticator.authenticate(request)

    def allow(self, identity: Identity, verb: str, target: Target) -> None:
        """Raise Forbidden unless `identity` may do `verb` on `target`."""
        resource = target.info.resource
        if target.subresource:
            resource = f"{resource}/{target.subresource}"
        if not self.authorizer.authorize(identity, verb, resource, target.namespace, target.name):
            raise forbidden(identity, verb, resource, target.namespace, target.name)


@dataclasses.dataclass(frozen=True)
class Target:
    """What a resource path names."""

    info: KindInfo
    version: str  # the version in the URL (a served one; may be older than info.version)
    namespace: str  # "" for cluster-scoped kinds and all-namespaces lists
    name: str  # "" for collections
    subresource: str  # "", "status", "log", ...
    watch_path: bool  # the legacy `/watch/` path prefix was used


def parse_target(registry: Registry, group: str, version: str, path: str) -> Target:
    """The target of `<prefix>/<path>` where prefix is `/api/v1` or `/apis/<g>/<v>`."""
    parts = [p for p in path.split("/") if p]
    watch_path = bool(parts) and parts[0] == "watch"
    if watch_path:
        parts = parts[1:]
    if not parts:
        raise _not_found(path)
    namespace = ""
    if (
        parts[0] == "namespaces"
        and len(parts) >= 3
        and _is_namespaced(registry, group, version, parts[2])
    ):
        namespace = parts[1]
        parts = parts[2:]
        if not namespace:
            raise _not_found(path)
    if len(parts) > 3:
        raise _not_found(path)
    info = registry.lookup(group, version, parts[0])
    name = parts[1] if len(parts) > 1 else ""
    subresource = parts[2] if len(parts) > 2 else ""
    if namespace and not info.namespaced:
        raise _not_found(path)
    if name and info.namespaced and not namespace:
        raise _not_found(path)
    if subresource and subresource not in info.subresources:
        raise _not_found(path)
    return Target(info, version, namespace, name, subresource, watch_path)


def _is_namespaced(registry: Registry, group: str, version: str, plural: str) -> bool:
    try:
        return registry.lookup(group, version, plural).namespaced
    except NotFound:
        return False


def _not_found(path: str) -> NotFound:
    return NotFound("the server could not find the requested resource")
