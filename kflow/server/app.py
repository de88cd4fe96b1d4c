"""The Kubernetes-compatible HTTP API: `create_app` wires the routes to a store and a runtime.

Routes are plain Starlette routes on a FastAPI app (no per-request dependency
injection or body models: the hot path is parse, authorize, one store call, orjson).
Every endpoint runs inside `_guarded`, so whatever goes wrong reaches the client as a
Kubernetes `Status` — an `ApiError` with its own code and reason, anything else as a
500 whose traceback stays in the server log — and unknown paths and methods get
the `Status` bodies Kubernetes sends too.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

import httpx
from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kflow.api.errors import ApiError, InternalError, MethodNotAllowed, NotFound
from kflow.api.kinds import Registry, registry
from kflow.artifacts import ArtifactStore
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.pipelines.metadata import PipelineMetadata
from kflow.runtime.interface import Runtime
from kflow.server import discovery, openapi_routes, resources, ui
from kflow.server import observations as observation_routes
from kflow.server.context import ServerContext
from kflow.server.gateway import Gateway
from kflow.server.host_routes import HostRoutes
from kflow.server.identity import Authenticator, Authorizer, LocalAuthenticator, MastersAuthorizer
from kflow.server.kfp import routes as kfp_routes
from kflow.server.kfp.platform import KfpPlatform
from kflow.server.responses import JSONResponse, error_response
from kflow.server.rundata import routes as rundata_routes
from kflow.server.sessions import SessionAuthenticator, Sessions
from kflow.store.interface import Store
from kflow.store.observations import ObservationLog

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint) -> Endpoint:
    """Turn every exception into a `Status` response."""

    @functools.wraps(endpoint)
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ApiError as exc:
            return error_response(exc)
        except Exception:
            log.exception("%s %s failed", request.method, request.url.path)
            return error_response(
                InternalError("an internal error occurred; the server log has the details")
            )

    return run


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Routing misses (unknown path, method) as Kubernetes `Status` bodies."""
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    if code == 405:
        return error_response(
            MethodNotAllowed(
                f"the server does not allow this method on the requested resource ({request.method})"
            )
        )
    if code == 404:
        return error_response(NotFound("the server could not find the requested resource"))
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return JSONResponse(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": str(detail),
            "code": code,
        },
        status_code=code,
    )


def create_app(
    *,
    store: Store,
    runtime: Runtime | None = None,
    registry: Registry = registry,
    authenticator: Authenticator | None = None,
    authorizer: Authorizer | None = None,
    observations: ObservationLog | None = None,
    serving_transport: httpx.AsyncBaseTransport | None = None,
    serving_traffic: ServingTraffic | None = None,
    kfp: KfpPlatform | None = None,
    artifacts: ArtifactStore | None = None,
    pipeline_metadata: PipelineMetadata | None = None,
) -> FastAPI:
    """The API server app over `store` (objects) and `runtime` (pod logs).

    With `observations`, trials' observation logs are served at
    `.../trials/<name>/observationlog` (before the resource routes, which would
    otherwise take the path).

    `authenticator` defaults to trusting every caller as the local admin
    (`kflow-admin` in `system:masters`); `authorizer` defaults to allowing
    `system:masters` everything and everyone else nothing. `serving_transport` is how
    the serving gateway (and the web UI, for a model server URL) reach model servers (a
    test double; default: the network). Browsers sign in once at `/ui/login` and then
    carry a session cookie, which every route accepts besides `authenticator`'s
    credentials. With `kfp`, the Kubeflow Pipelines REST API is served at
    `/apis/v2beta1`. With `artifacts` (and the `pipeline_metadata` pipeline tasks record
    into), runs' artifacts, metrics, archived logs and lineage are served at
    `/apis/runs.kflow.dev/v1` (`kflow.server.rundata`).
    `serving_traffic` is where the gateway counts requests for the autoscaler.
    """
    sessions = SessionAuthenticator(authenticator or LocalAuthenticator(), Sessions())
    ctx = ServerContext(
        store=store,
        runtime=runtime,
        registry=registry,
        authenticator=sessions,
        authorizer=authorizer or MastersAuthorizer(),
    )
    documents = openapi_routes.OpenAPIDocuments(registry)
    app = FastAPI(
        title="kflow",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        exception_handlers={HTTPException: _http_exception},
    )
    app.state.kflow = ctx

    def route(path: str, methods: list[str]) -> Callable[[Endpoint], Endpoint]:
        def register(endpoint: Endpoint) -> Endpoint:
            app.add_route(path, _guarded(endpoint), methods=methods, include_in_schema=False)
            return endpoint

        return register

    any_method = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    if observations is not None:
        app.include_router(observation_routes.router(ctx, observations, _guarded))
    if kfp is not None:  # before the resource routes, which would read v2beta1 as a group
        app.include_router(kfp_routes.router(ctx, kfp))
    if artifacts is not None:  # before the resource routes, which would read it as a group
        app.include_router(rundata_routes.router(ctx, artifacts, pipeline_metadata, _guarded))

    # -- resources (first: they are the hot path) -----------------------------

    @route("/api/v1/{path:path}", any_method)
    async def core_resource(request: Request) -> Response:
        return await resources.handle(ctx, request, "", "v1", request.path_params["path"])

    @route("/apis/{group}/{version}/{path:path}", any_method)
    async def group_resource(request: Request) -> Response:
        params = request.path_params
        return await resources.handle(
            ctx, request, params["group"], params["version"], params["path"]
        )

    # -- the serving gateway: /serving/<namespace>/<name>/... to a model replica --

    gateway = Gateway(ctx, serving_transport, serving_traffic)
    app.state.gateway = gateway
    # and by Host header (`<name>.<namespace>.example.com`), ahead of every route
    app.add_middleware(HostRoutes, gateway=gateway, guard=_guarded)

    @route("/serving/{namespace}/{name}", any_method)
    @route("/serving/{namespace}/{name}/{path:path}", any_method)
    async def serving(request: Request) -> Response:
        return await gateway.handle(request)

    # -- the web UI: pages with a JSON twin ---------------------------------------

    ui.install(app, ctx, sessions, _guarded, serving_transport)

    # -- health and version: open to anyone, as in Kubernetes ------------------

    @route("/healthz", ["GET"])
    @route("/readyz", ["GET"])
    @route("/livez", ["GET"])
    async def health(request: Request) -> Response:
        return Response(b"ok", media_type="text/plain")

    @route("/version", ["GET"])
    async def version(request: Request) -> Response:
        return JSONResponse(discovery.version_info())

    # -- discovery -------------------------------------------------------------

    @route("/api", ["GET"])
    async def api(request: Request) -> Response:
        ctx.identify(request)
        aggregated = discovery.aggregated_version(request.headers.get("accept", ""))
        if aggregated:
            return discovery.aggregated_response(ctx.registry, core=True, version=aggregated)
        return JSONResponse(discovery.api_versions(request))

    @route("/apis", ["GET"])
    async def apis(request: Request) -> Response:
        ctx.identify(request)
        aggregated = discovery.aggregated_version(request.headers.get("accept", ""))
        if aggregated:
            return discovery.aggregated_response(ctx.registry, core=False, version=aggregated)
        return JSONResponse(discovery.api_group_list(ctx.registry))

    @route("/api/v1", ["GET"])
    async def core_resources(request: Request) -> Response:
        ctx.identify(request)
        return JSONResponse(discovery.api_resources(ctx.registry, "", "v1"))

    @route("/apis/{group}", ["GET"])
    async def group_info(request: Request) -> Response:
        ctx.identify(request)
        return JSONResponse(discovery.api_group(ctx.registry, request.path_params["group"]))

    @route("/apis/{group}/{version}", ["GET"])
    async def group_resources(request: Request) -> Response:
        ctx.identify(request)
        params = request.path_params
        return JSONResponse(
            discovery.api_resources(ctx.registry, params["group"], params["version"])
        )

    # -- OpenAPI ---------------------------------------------------------------

    @route("/openapi/v2", ["GET"])
    async def openapi_v2(request: Request) -> Response:
        ctx.identify(request)
        return openapi_routes.serve_v2(documents, request)

    @route("/swagger-2.0.0.pb-v1", ["GET"])
    async def swagger_protobuf(request: Request) -> Response:
        ctx.identify(request)
        return openapi_routes.serve_v2_legacy(documents, request)

    @route("/openapi/v3", ["GET"])
    @route("/openapi/v3/{path:path}", ["GET"])
    async def openapi_v3(request: Request) -> Response:
        ctx.identify(request)
        return openapi_routes.serve_v3(documents, request, request.path_params.get("path", ""))

    return app
