"""`/openapi/v2` and `/openapi/v3`: the schemas `kubectl explain` and `kubectl apply` read.

The documents are generated from the kind registry by `kflow.api.openapi` and cached
per app until the registry changes. OpenAPI v3 (what kubectl 1.27+ uses for `explain`
and to learn that the server validates fields itself) is served as JSON. OpenAPI v2 is
served as JSON; a client that insists on the protobuf encoding gets 406 Not
Acceptable, which client-go treats like an old server without the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from kflow.api import openapi
from kflow.api.errors import ApiError, NotFound
from kflow.api.kinds import Registry

PROTOBUF_V2 = "application/com.github.proto-openapi.spec.v2"


class NotAcceptable(ApiError):
    code = 406
    reason = "NotAcceptable"


class OpenAPIDocuments:
    """The rendered documents, rebuilt when a kind is registered."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._generation = -1
        self._cache: dict[str, bytes] = {}

    def _cached(self, key: str, build: Callable[[], Any]) -> bytes:
        generation = len(self._registry.all())
        if generation != self._generation:
            self._cache.clear()
            self._generation = generation
        body = self._cache.get(key)
        if body is None:
            body = self._cache[key] = orjson.dumps(build())
        return body

    def v2(self) -> bytes:
        return self._cached("v2", lambda: openapi.openapi_v2(self._registry))

    def v3_group(self, group: str, version: str) -> bytes:
        if version not in self._registry.groups().get(group, []):
            raise NotFound("the server could not find the requested resource")
        return self._cached(
            f"v3:{group}/{version}",
            lambda: openapi.openapi_v3_group(self._registry, group, version),
        )

    def v3_index(self) -> bytes:
        return self._cached("v3", lambda: openapi.openapi_v3_index(self._registry))


def _split_v3_path(path: str) -> tuple[str, str]:
    """`api/v1` -> ("", "v1"); `apis/kubeflow.org/v1` -> ("kubeflow.org", "v1")."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "api":
        return "", parts[1]
    if len(parts) == 3 and parts[0] == "apis":
        return parts[1], parts[2]
    raise NotFound("the server could not find the requested resource")


def _json(body: bytes, request: Request) -> Response:
    headers = {}
    if request.query_params.get("hash"):
        headers["cache-control"] = "public, immutable"
    return Response(body, media_type="application/json", headers=headers)


def serve_v2(documents: OpenAPIDocuments, request: Request) -> Response:
    accept = request.headers.get("accept", "")
    if accept.startswith(PROTOBUF_V2) and "json" not in accept:
        raise NotAcceptable("only application/json is served for /openapi/v2")
    return _json(documents.v2(), request)


def serve_v3(documents: OpenAPIDocuments, request: Request, path: str) -> Response:
    if not path:
        return _json(documents.v3_index(), request)
    group, version = _split_v3_path(path)
    return _json(documents.v3_group(group, version), request)
