"""Who is asking, and may they: the authentication and authorization hooks.

Every request the server handles — discovery, CRUD, watch and logs alike — first
goes through an `Authenticator`, which turns the request's credentials into an
`Identity` or raises `Unauthorized`; then, for resource requests, through an
`Authorizer`, which answers one Kubernetes-style question: may this identity do
`verb` on `resource` in `namespace` (and `name`)? Both are small protocols so a
deployment can plug in session cookies, a trusted auth-proxy header or
per-namespace roles without the routes knowing.

Locally, `LocalAuthenticator` trusts whoever reaches the loopback port as the
administrator, and `MastersAuthorizer` lets the `system:masters` group do anything —
the same as a fresh cluster's admin kubeconfig.
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Mapping, Sequence
from typing import Protocol

from starlette.requests import HTTPConnection

from kflow.api.errors import Forbidden, Unauthorized

MASTERS = "system:masters"
"""The group that may do anything, as in Kubernetes."""


@dataclasses.dataclass(frozen=True)
class Identity:
    """An authenticated user."""

    user: str  # the user name, as RBAC and error messages show it
    groups: Sequence[str] = ()  # group names, e.g. ("system:masters",)


ADMIN = Identity("kflow-admin", (MASTERS, "system:authenticated"))
"""Who a local request is, when nothing else is configured."""


class Authenticator(Protocol):
    """Turns a request's credentials into an `Identity`; raises `Unauthorized` if it can't."""

    def authenticate(self, request: HTTPConnection) -> Identity: ...


class Authorizer(Protocol):
    """Decides whether `identity` may do `verb` on a resource.

    `verb` is a Kubernetes verb (`get`, `list`, `watch`, `create`, `update`, `patch`,
    `delete`, `deletecollection`); `resource` is the plural qualified by its group
    for non-core kinds, with the subresource after a slash: `pods`, `pods/log`,
    `tfjobs.kubeflow.org`, `tfjobs.kubeflow.org/status`. `namespace` is "" for
    cluster-scoped resources and all-namespaces lists; `name` is "" for collections.
    """

    def authorize(
        self, identity: Identity, verb: str, resource: str, namespace: str, name: str
    ) -> bool: ...


class LocalAuthenticator:
    """Trusts every caller as the local administrator (the loopback default)."""

    def __init__(self, identity: Identity = ADMIN) -> None:
        self.identity = identity

    def authenticate(self, request: HTTPConnection) -> Identity:
        return self.identity


class TokenAuthenticator:
    """Bearer tokens, each standing for one identity; anything else is Unauthorized."""

    def __init__(self, tokens: Mapping[str, Identity]) -> None:
        self._tokens = dict(tokens)

    def authenticate(self, request: HTTPConnection) -> Identity:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Unauthorized")
        token = token.strip()
        for known, identity in self._tokens.items():
            # constant time, so a token cannot be guessed byte by byte
            if hmac.compare_digest(known.encode(), token.encode()):
                return identity
        raise Unauthorized("Unauthorized")


class MastersAuthorizer:
    """Allows `system:masters` everything and everyone else nothing."""

    def authorize(
        self, identity: Identity, verb: str, resource: str, namespace: str, name: str
    ) -> bool:
        return MASTERS in identity.groups


class AllowAll:
    """Allows every authenticated identity everything."""

    def authorize(
        self, identity: Identity, verb: str, resource: str, namespace: str, name: str
    ) -> bool:
        return True


def forbidden(identity: Identity, verb: str, resource: str, namespace: str, name: str) -> Forbidden:
    """The error Kubernetes returns for a denied request, with its exact wording."""
    qualified, _, sub = resource.partition("/")
    plural, _, group = qualified.partition(".")
    shown_resource = f"{plural}/{sub}" if sub else plural
    subject = f'{qualified} "{name}"' if name else qualified
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return Forbidden(
        f'{subject} is forbidden: User "{identity.user}" cannot {verb} resource '
        f'"{shown_resource}" in API group "{group}" {scope}',
        kind=plural,
        name=name,
        group=group,
    )
