"""The model server's ASGI app: every protocol on one port, over one repository.

`build_app` adds the configured models while the app starts (uvicorn accepts no
connection before that), starts the gRPC services on their own port when asked
(`grpc_server.py`, same repository, same event loop), then polls the model directories
for new versions until it stops.

Inference requests (`POST /v1/models/...` and `POST /v2/models/...`) go straight to
their endpoint: Starlette's middleware and route matching cost more per request than
a small model's call, and the endpoints already turn every error into a response.
Everything else goes through the Starlette app as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kflow.serving.grpc_server import GrpcServer
from kflow.serving.protocols import v1, v2
from kflow.serving.protocols.common import Endpoint
from kflow.serving.repository import ModelConfig, ModelRepository

DEFAULT_POLL_INTERVAL = 1.0  # seconds between scans of the model directories


class ServingApp(Starlette):
    """The Starlette app, with inference POSTs sent straight to their endpoint."""

    fast_routes: tuple[tuple[str, Endpoint], ...] = ()  # (path prefix, endpoint of `rest`)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            path: str = scope["path"]
            for prefix, endpoint in self.fast_routes:
                if path.startswith(prefix):
                    # what Starlette's router would have set for `{prefix}{rest:path}`
                    scope["app"] = self
                    scope["path_params"] = {"rest": path[len(prefix) :]}
                    response = await endpoint(Request(scope, receive))
                    await response(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


def build_app(
    configs: Sequence[ModelConfig],
    *,
    repository: ModelRepository | None = None,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    grpc_port: int | None = None,
    grpc_host: str = "127.0.0.1",
    freeze_gc: bool = False,
) -> ServingApp:
    """An app serving `configs` (and whatever `repository` already holds).

    With `grpc_port` (0: any free port) the V2 and TF Serving gRPC services listen there
    while the app runs; `app.state.grpc_port` is the bound port. With `freeze_gc` (for a
    process of its own, as `kflow serve` is) everything alive once the models have loaded
    is moved out of the garbage collector's sight (`gc.freeze`): a loaded framework holds
    a few hundred thousand objects, and a full collection walking them all paused every
    request for tens of milliseconds, the server's p99 at high concurrency.
    """
    repo = repository if repository is not None else ModelRepository()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for config in configs:
            if config.name not in repo.models:
                await repo.add(config)
        if freeze_gc:
            gc.collect()  # the garbage of loading goes first; the rest lives as long as we do
            gc.freeze()
        grpc_server = None
        if grpc_port is not None:
            grpc_server = GrpcServer(repo)
            app.state.grpc_port = await grpc_server.start(grpc_host, grpc_port)
        watch = asyncio.get_running_loop().create_task(repo.watch(poll_interval))
        try:
            yield
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            if grpc_server is not None:
                await grpc_server.stop()
            await repo.close()

    one = v1.endpoints(repo)
    two = v2.endpoints(repo)
    routes = [
        Route("/", one["live"]),
        Route("/v1/models", one["list"]),
        Route("/v1/models/{rest:path}", one["models"], methods=["GET", "POST"]),
        Route("/v2", two["server"]),
        Route("/v2/health/live", two["live"]),
        Route("/v2/health/ready", two["ready"]),
        Route("/v2/repository/index", two["index"], methods=["POST"]),
        Route("/v2/repository/models/{name}/load", two["load"], methods=["POST"]),
        Route("/v2/repository/models/{name}/unload", two["unload"], methods=["POST"]),
        Route("/v2/models/{rest:path}", two["models"], methods=["GET", "POST"]),
    ]
    app = ServingApp(routes=routes, lifespan=lifespan)
    app.fast_routes = (("/v1/models/", one["models"]), ("/v2/models/", two["models"]))
    app.state.repository = repo
    app.state.grpc_port = None
    return app
