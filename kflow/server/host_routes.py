"""The host-header route: a request for `<name>.<namespace>.<domain>` goes to that model.

KServe's ingress routes by `Host`, and its docs and clients call a model at its own
paths with the InferenceService's hostname in the header
(`curl -H "Host: digits.default.example.com" .../v1/models/digits:predict`). This
ASGI wrapper sits in front of the kflow server's routes: a request whose `Host`
names an InferenceService the gateway knows is forwarded whole (path and query
untouched) to its replicas; every other request — the Kubernetes API, a host that
merely looks like a service name — goes on to the routes as before. Hostnames are
`kflow.api.kserve.hosts`; the route a host's first label names is resolved as the
gateway resolves `/serving/<namespace>/<route>` (components and tags included).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from kflow.api import meta as m
from kflow.api.errors import NotFound
from kflow.api.kserve.hosts import route_for_host
from kflow.server.gateway import Gateway, Obj
from kflow.server.serving_routes import Route

Endpoint = Callable[[Request], Awaitable[Response]]
Guard = Callable[[Endpoint], Endpoint]


class HostRoutes:
    """Routes requests by their `Host` header to the gateway, everything else to `app`."""

    def __init__(self, app: ASGIApp, *, gateway: Gateway, guard: Guard) -> None:
        """`guard` turns an endpoint's errors into `Status` responses (the app's own)."""
        self.app = app
        self.gateway = gateway
        self.guard = guard

    def target(self, host: str) -> tuple[Obj, Route] | None:
        """The InferenceService and route `host` names, if the gateway knows it."""
        found = route_for_host(host)
        if found is None:
            return None
        try:  # the replica table alone: an API request never costs a store query here
            return self.gateway.resolve(*found, cached_only=True)
        except NotFound:
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v for k, v in scope["headers"] if k == b"host"), b"")
            found = self.target(host.decode("latin-1")) if host else None
            if found is not None:
                isvc, route = found
                path = scope["path"]

                async def forward(request: Request) -> Response:
                    self.gateway.authorize(request, m.namespace_of(isvc), route.name)
                    return await self.gateway.forward(request, isvc, route, path)

                response = await self.guard(forward)(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
