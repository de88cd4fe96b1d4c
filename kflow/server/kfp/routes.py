"""`/apis/v2beta1/...`: the Kubeflow Pipelines REST API that `kfp.Client` speaks.

One Starlette route takes every path under `/apis/v2beta1` (before the Kubernetes
resource routes, which would read `v2beta1` as an API group) and dispatches on the
route tables of `http_uploads`, `http_catalog`, `http_runs` and `http_recurring`. Every call is
authenticated like any other kflow request; failures leave in KFP's shapes (see
`kflow.api.kfp.errors`), whatever raised them.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kflow.api.errors import AlreadyExists as ObjectExists
from kflow.api.errors import ApiError, BadRequest, Conflict, Forbidden, Unauthorized
from kflow.api.errors import NotFound as ObjectNotFound
from kflow.api.kfp import errors
from kflow.server.context import ServerContext
from kflow.server.identity import Identity
from kflow.server.kfp import http_catalog, http_recurring, http_runs, http_uploads
from kflow.server.kfp.calls import Call, Route
from kflow.server.kfp.platform import KfpPlatform
from kflow.server.responses import JSONResponse

log = logging.getLogger(__name__)

PREFIX = "/apis/v2beta1"
ANONYMOUS = Identity("system:anonymous", ("system:unauthenticated",))


async def healthz(call: Call) -> dict[str, Any]:
    """What `kfp.Client` asks on construction: single-user, pipelines in the database."""
    return {"multi_user": False, "pipeline_store": "database"}


ROUTES: list[Route] = [
    Route("GET", "/healthz", healthz, public=True),
    *http_uploads.ROUTES,
    *http_catalog.ROUTES,
    *http_runs.ROUTES,
    *http_recurring.ROUTES,
]
_COMPILED = [(route, route.pattern) for route in ROUTES]


def kfp_error(exc: Exception) -> errors.KfpError:
    """Any failure as a KFP error, keeping what kflow's own error tree decided."""
    if isinstance(exc, errors.KfpError):
        return exc
    if isinstance(exc, Unauthorized):
        return errors.Unauthenticated(exc.message)
    if isinstance(exc, Forbidden):
        return errors.PermissionDenied(exc.message)
    if isinstance(exc, ObjectNotFound):
        return errors.NotFound(exc.message)
    if isinstance(exc, ObjectExists | Conflict):
        return errors.AlreadyExists(exc.message)
    if isinstance(exc, BadRequest):
        return errors.InvalidArgument(exc.message)
    if isinstance(exc, ApiError):
        return errors.KfpError(exc.message)
    return errors.KfpError("an internal error occurred; the server log has the details")


def router(ctx: ServerContext, platform: KfpPlatform) -> APIRouter:
    """The routes of the KFP API over `platform`."""
    api = APIRouter()

    async def dispatch(request: Request) -> Response:
        path = "/" + request.path_params["path"]
        matched: Route | None = None
        params: dict[str, str] = {}
        for route, pattern in _COMPILED:
            match = pattern.match(path)
            if match and route.method == request.method:
                matched, params = route, match.groupdict()
                break
        try:
            identity = ANONYMOUS if matched and matched.public else ctx.identify(request)
            if matched is None:
                raise errors.NotFound(f"Not Found: {request.method} {PREFIX}{path}")
            result: Any = await matched.handler(Call(request, params, platform, identity, ctx))
            return JSONResponse(result)
        except Exception as exc:
            error = kfp_error(exc)
            if not isinstance(exc, errors.KfpError | ApiError):
                log.exception("%s %s failed", request.method, request.url.path)
            body = error.upload_body() if matched and matched.upload else error.body()
            return JSONResponse(body, status_code=error.http_status)

    api.add_route(
        f"{PREFIX}/{{path:path}}",
        dispatch,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    return api
