"""The serving gateway: `/serving/<namespace>/<name>/...` to a ready model replica.

A request to a model is a `get` on the InferenceService: it is authenticated and
authorized like every other route. The replicas the gateway may use are the
predictor pods carrying `serving.kflow.dev/ready-address` (written by the
InferenceService controller once a replica's `/v2/health/ready` answers 200), as the
in-memory `ReplicaTable` knows them (no store query per request), taken in turn
(round robin). Request and response bodies stream through; a replica that
refuses the connection is skipped for the next one. No ready replica is a 503.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable

import httpx
from starlette.background import BackgroundTask
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response, StreamingResponse

from kflow.api.errors import NotFound, ServiceUnavailable
from kflow.api.kserve import contracts as c
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.server.activator import Activator
from kflow.server.context import ServerContext
from kflow.server.identity import forbidden
from kflow.server.replica_table import ReplicaTable

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
        self._turns: dict[tuple[str, str], itertools.count[int]] = {}
        self.table = ReplicaTable(ctx.store)
        self.traffic = traffic or ServingTraffic()
        self.activator = Activator(self.table, self.traffic)

    def _client(self) -> httpx.AsyncClient:
        # made on first use, inside the server's event loop
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=REPLICA_TIMEOUT, transport=self._transport)
        return self._http

    def replicas(self, namespace: str, name: str) -> list[str]:
        """`host:port` of every ready replica of an InferenceService, in a stable order."""
        return self.table.ready(namespace, name)

    def authorize(self, connection: HTTPConnection, namespace: str, name: str) -> None:
        """Raise unless the caller may `get` InferenceService `name`, which must exist."""
        self._authorize(connection, namespace, name)

    def _authorize(self, request: HTTPConnection, namespace: str, name: str) -> None:
        identity = self.ctx.identify(request)
        if not self.ctx.authorizer.authorize(identity, "get", c.RESOURCE, namespace, name):
            raise forbidden(identity, "get", c.RESOURCE, namespace, name)
        if self.table.service(namespace, name) is not None:
            return
        try:  # not in the table (yet): the store has the last word
            self.ctx.store.get(c.RESOURCE, namespace, name)
        except NotFound:
            raise NotFound.of(c.PLURAL, name, c.GROUP) from None

    async def handle(self, request: Request) -> Response:
        """`/serving/<namespace>/<name>/<path>`: `<path>` on a replica."""
        params = request.path_params
        path = "/" + params.get("path", "")
        return await self.forward(request, params["namespace"], params["name"], path)

    async def forward(self, request: Request, namespace: str, name: str, path: str) -> Response:
        """Send `request` to `path` on a ready replica of InferenceService `name`."""
        self._authorize(request, namespace, name)
        # counted from arrival to the end of the answer: the autoscaler's input
        key = (namespace, name)
        self.traffic.begin(key)
        try:
            response = await self._send(request, namespace, name, path)
        except BaseException:
            self.traffic.end(key)
            raise
        response.background = _then(response.background, lambda: self.traffic.end(key))
        return response

    async def _send(self, request: Request, namespace: str, name: str, path: str) -> Response:
        # a service at zero (or starting): held until a replica is ready
        hold = self.activator.hold(namespace, name)
        replicas = await hold.replicas()
        turn = next(self._turns.setdefault((namespace, name), itertools.count()))
        headers = [
            (k, v)
            for k, v in request.headers.items()
            if k not in HOP_BY_HOP and k not in DROPPED_REQUEST_HEADERS
        ]
        body = request.stream()
        refused: set[str] = set()
        while True:
            answer = await self._try(request, replicas, turn, path, headers, body, refused)
            if answer is not None:
                return answer
            # every replica refused: wait for the table to bring another (or give up)
            replicas = await hold.replicas(frozenset(refused))
            refused.clear()

    async def _try(
        self,
        request: Request,
        replicas: list[str],
        turn: int,
        path: str,
        headers: list[tuple[str, str]],
        body: AsyncIterator[bytes],
        refused: set[str],
    ) -> Response | None:
        """The answer of the first replica, in turn, that takes the request; None if all
        refused the connection (they are added to `refused`)."""
        for attempt in range(len(replicas)):
            address = replicas[(turn + attempt) % len(replicas)]
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
