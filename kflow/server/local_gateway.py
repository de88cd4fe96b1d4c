"""The cluster-local gateway: the serving routes on plain HTTP, for processes on this machine.

In KServe a transformer reaches its predictor at `<name>-predictor.<namespace>`, an
in-cluster host that Knative's cluster-local gateway answers without the ingress'
authentication. kflow's twin listens on a loopback address only and serves only
`/serving/<namespace>/<route>/...`, routed exactly as the gateway routes them
(component and tag routes, traffic shares, replicas in turn) but with no identity
check: like every replica's own port, it is reachable by local processes alone. The
InferenceService controller gives transformers its address as `--predictor_host`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kflow.api.errors import ApiError
from kflow.server.gateway import Gateway
from kflow.server.responses import error_response

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class _Quiet(uvicorn.Server):
    """uvicorn beside another server in one process: the signals stay with that one."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def local_gateway_app(gateway: Gateway) -> Starlette:
    """An ASGI app with only the serving routes, forwarded without an identity check."""

    async def serving(request: Request) -> Response:
        try:
            isvc, route = gateway.resolve(
                request.path_params["namespace"], request.path_params["name"]
            )
            return await gateway.forward(request, isvc, route)
        except ApiError as exc:
            return error_response(exc)

    return Starlette(
        routes=[
            Route("/serving/{namespace}/{name}", serving, methods=METHODS),
            Route("/serving/{namespace}/{name}/{path:path}", serving, methods=METHODS),
        ]
    )


class LocalGateway:
    """Runs the cluster-local gateway on the current event loop."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.address: str | None = None  # `host:port`, once listening
        self._server: _Quiet | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0: any free port); the bound `host:port`. Raises OSError
        when the address cannot be bound."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        config = uvicorn.Config(
            local_gateway_app(self.gateway),
            log_level="warning",
            lifespan="off",
            access_log=False,
        )
        server = _Quiet(config)
        self._server = server
        self._task = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise OSError(f"the cluster-local gateway did not start on {host}:{port}")
            await asyncio.sleep(0.01)
        self.address = f"{host}:{sock.getsockname()[1]}"
        return self.address

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None
        self.address = None
