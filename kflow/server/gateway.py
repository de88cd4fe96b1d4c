"""The serving gateway: `/serving/<namespace>/<name>/...` to a ready model replica.

A request to a model is a `get` on the InferenceService: it is authenticated and
authorized like every other route. `<name>` is the InferenceService (its
transformer when it has one, else its predictor), or a component or tag route
(`<name>-predictor`, `latest-<name>-predictor`: see `serving_routes.py`). The
replicas the gateway may use are the component's pods carrying
`serving.kflow.dev/ready-address` (written by the InferenceService controller once a
replica's `/v2/health/ready` answers 200), as the in-memory `ReplicaTable` knows
them: routing a request costs no store query. A request goes to a revision by the
revisions' shares of the traffic in the status (`traffic.py`), then to that
revision's replicas in turn (round robin). Request and response bodies stream
through; a replica that refuses the connection is skipped for the next one. A
request finding no ready replica (a service scaled to zero, or starting) is held by
the activator (`activator.py`) until one is, and every request is counted for the
autoscaler from arrival to the end of its answer. The cluster-local gateway
(`local_gateway.py`) forwards the same way without the identity check.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from starlette.background import BackgroundTask
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response, StreamingResponse

from kflow.api import meta as m
from kflow.api.errors import NotFound, ServiceUnavailable
from kflow.api.kserve import contracts as c
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.server.activator import Activator
from kflow.server.context import ServerContext
from kflow.server.identity import forbidden
from kflow.server.replica_table import ReplicaTable
from kflow.server.serving_routes import Route, UnknownTag, entry_component, parse_component_route
from kflow.server.traffic import RevisionPicker

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
"""Headers that belong to one connection and are not forwarded (content-length is
recomputed for streamed bodies)."""
DROPPED_REQUEST_HEADERS = frozenset({"authorization", "cookie"})
"""The caller's kflow credentials stay at the gateway."""
Obj = dict[str, Any]
REPLICA_TIMEOUT = httpx.Timeout(connect=2.0, read=300.0, write=60.0, pool=10.0)


class Gateway:
    """Forwards requests for InferenceServices to their ready replicas."""

    def __init__(
        self,
        ctx: ServerContext,
        transport: httpx.AsyncBaseTransport | None = None,
        traffic: ServingTraffic | None = None,
    ) -> None:
        self.ctx = ctx
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._turns: dict[tuple[str, ...], itertools.count[int]] = {}
        self._picker = RevisionPicker()
        self.table = ReplicaTable(ctx.store)
        self.traffic = traffic or ServingTraffic()
        self.activator = Activator(self.table, self.traffic)

    def _client(self) -> httpx.AsyncClient:
        # made on first use, inside the server's event loop
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=REPLICA_TIMEOUT, transport=self._transport)
        return self._http

    def replicas_by_revision(
        self, namespace: str, name: str, component: str = c.PREDICTOR
    ) -> dict[str, list[str]]:
        """Revision -> `host:port` of its ready replicas (stable order), for one component."""
        groups: dict[str, list[str]] = {}
        for replica in self.table.replicas(namespace, name):
            if replica.address and replica.component == component:
                groups.setdefault(replica.revision, []).append(replica.address)
        return {revision: sorted(addresses) for revision, addresses in groups.items()}

    def replicas(self, namespace: str, name: str, component: str = c.PREDICTOR) -> list[str]:
        """`host:port` of every ready replica of a component, in a stable order."""
        groups = self.replicas_by_revision(namespace, name, component)
        return sorted(address for addresses in groups.values() for address in addresses)

    def authorize(self, connection: HTTPConnection, namespace: str, name: str) -> None:
        """Raise unless the caller may `get` InferenceService `name`, which must exist."""
        self._authorize(connection, namespace, name)
        self.resolve(namespace, name)

    def _authorize(self, request: HTTPConnection, namespace: str, name: str) -> None:
        identity = self.ctx.identify(request)
        if not self.ctx.authorizer.authorize(identity, "get", c.RESOURCE, namespace, name):
            raise forbidden(identity, "get", c.RESOURCE, namespace, name)

    def resolve(
        self, namespace: str, segment: str, *, cached_only: bool = False
    ) -> tuple[Obj, Route]:
        """The InferenceService and the route a path segment names (404 if none).
        `cached_only`: ask the replica table alone, never the store."""
        isvc = self._isvc(namespace, segment, cached_only)
        if isvc is not None:
            return isvc, Route(segment, entry_component(isvc))
        route = parse_component_route(segment)
        if route is not None:
            isvc = self._isvc(namespace, route.name, cached_only)
            if isvc is not None:
                return isvc, route
        raise NotFound.of(c.PLURAL, segment, c.GROUP)

    def _isvc(self, namespace: str, name: str, cached_only: bool) -> Obj | None:
        found = self.table.service(namespace, name)
        if found is not None or cached_only:
            return found
        with contextlib.suppress(NotFound):  # not in the table (yet): the store decides
            return self.ctx.store.get(c.RESOURCE, namespace, name)
        return None

    async def handle(self, request: Request) -> Response:
        namespace = request.path_params["namespace"]
        segment = request.path_params["name"]
        try:
            isvc, route = self.resolve(namespace, segment)
        except NotFound:
            self._authorize(request, namespace, segment)  # 403 before saying what exists
            raise
        self._authorize(request, namespace, route.name)
        return await self.forward(request, isvc, route)

    def _candidates(self, namespace: str, isvc: Obj, route: Route) -> list[str]:
        """Replicas to try, in order: the chosen revision's, taken in turn, then those of
        the other revisions taking traffic (if the first refuse the connection)."""
        groups = self.replicas_by_revision(namespace, route.name, route.component)
        try:
            weights = route.weights(isvc)
        except UnknownTag as exc:
            raise NotFound(str(exc)) from None
        if weights is None:  # no traffic in the status yet: every ready replica is equal
            groups = {"": sorted(a for addresses in groups.values() for a in addresses)}
            weights = {"": 100}
        available = {r: w for r, w in weights.items() if groups.get(r)}
        key = (namespace, route.name, route.component, route.tag or "")
        chosen = self._picker.choose_revision(key, available)
        if chosen is None:
            return []
        ordered = [chosen, *sorted(r for r in available if r != chosen and available[r] > 0)]
        candidates: list[str] = []
        for revision in ordered:
            addresses = groups[revision]
            turn = next(self._turns.setdefault((*key, revision), itertools.count()))
            candidates += [addresses[(turn + i) % len(addresses)] for i in range(len(addresses))]
        return candidates

    async def forward(
        self, request: Request, isvc: Obj, route: Route, path: str | None = None
    ) -> Response:
        """Send the request to a ready replica of the route and stream the answer back.
        `path` is where on the replica (default: the rest of the `/serving/...` path)."""
        # counted from arrival to the end of the answer: the autoscaler's input
        key = (m.namespace_of(isvc), route.name, route.component)
        self.traffic.begin(key)
        try:
            response = await self._send(request, isvc, route, path)
        except BaseException:
            self.traffic.end(key)
            raise
        response.background = _then(response.background, lambda: self.traffic.end(key))
        return response

    async def _send(self, request: Request, isvc: Obj, route: Route, path: str | None) -> Response:
        namespace, name = m.namespace_of(isvc), route.name
        hold = self.activator.hold(namespace, name, route.component)
        path = path if path is not None else "/" + request.path_params.get("path", "")
        headers = [
            (k, v)
            for k, v in request.headers.items()
            if k not in HOP_BY_HOP and k not in DROPPED_REQUEST_HEADERS
        ]
        body = request.stream()
        refused: set[str] = set()
        while True:
            isvc = self.table.service(namespace, name) or isvc  # the traffic split may move
            replicas = [a for a in self._candidates(namespace, isvc, route) if a not in refused]
            if replicas:
                answer = await self._try(request, replicas, path, headers, body, refused)
                if answer is not None:
                    return answer
            # none ready (at zero, starting) or all refused: held until that changes
            await hold.wait(any_ready=bool(refused))
            refused.clear()

    async def _try(
        self,
        request: Request,
        replicas: list[str],
        path: str,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes],
        refused: set[str],
    ) -> Response | None:
        """The answer of the first replica that takes the request; None if every one
        refused the connection (they are added to `refused`)."""
        for address in replicas:
            outgoing = self._client().build_request(
                request.method,
                f"http://{address}{path}",
                params=str(request.query_params),
                headers=headers,
                content=_once(body) if request.method not in ("GET", "HEAD") else None,
            )
            try:
                answer = await self._client().send(outgoing, stream=True)
            except httpx.ConnectError:
                refused.add(address)
                continue  # the replica went away since it was probed: the next one
            except httpx.TimeoutException:
                raise ServiceUnavailable(
                    f"inferenceservice replica {address} did not answer in time"
                ) from None
            return StreamingResponse(
                answer.aiter_raw(),
                status_code=answer.status_code,
                headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP},
                background=BackgroundTask(answer.aclose),
            )
        return None

    async def close(self) -> None:
        await self.table.close()
        if self._http is not None:
            await self._http.aclose()


def _then(task: BackgroundTask | None, after: Callable[[], None]) -> BackgroundTask:
    """`task` (if any), then `after`, even if `task` fails."""

    async def run() -> None:
        try:
            if task is not None:
                await task()
        finally:
            after()

    return BackgroundTask(run)


async def _once(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in body:
        yield chunk
