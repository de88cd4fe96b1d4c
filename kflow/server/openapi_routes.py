"""`/openapi/v2` and `/openapi/v3`: the schemas `kubectl explain` and `kubectl apply` read.

The documents are generated from the kind registry by `kflow.api.openapi` and cached
per app until the registry changes. OpenAPI v3 (what kubectl 1.27+ uses for `explain`
and to learn that the server validates fields itself) is served as JSON. OpenAPI v2 is
served as JSON, or as gnostic's protobuf `Document` (`openapi_protobuf`) when the
client asks for that media type, as kubectl 1.27 and 1.28 do; `serve_v2_legacy`
answers the pre-`/openapi/v2` path `/swagger-2.0.0.pb-v1` with the protobuf always.
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
from kflow.server import openapi_protobuf

JSON = "application/json"


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
        """`build()`'s JSON (or its bytes as they are), kept until a kind is registered."""
        generation = len(self._registry.all())
        if generation != self._generation:
            self._cache.clear()
            self._generation = generation
        body = self._cache.get(key)
        if body is None:
            built = build()
            body = self._cache[key] = built if isinstance(built, bytes) else orjson.dumps(built)
        return body

    def v2(self) -> bytes:
        return self._cached("v2", lambda: openapi.openapi_v2(self._registry))

    def v2_protobuf(self) -> bytes:
        # built from the cached JSON: parsing it back is cheaper than rebuilding the document
        return self._cached(
            "v2.pb", lambda: openapi_protobuf.encode_document(orjson.loads(self.v2()))
        )

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
    return Response(body, media_type=JSON, headers=headers)


def _v2_media_type(accept: str) -> str:
    """The media type to answer an `Accept` header with: JSON or a protobuf spelling.

    The highest `q` wins, ties go to the earlier entry; no header, or a wildcard,
    means JSON. 406 if nothing listed is something `/openapi/v2` can send.
    """
    if not accept.strip():
        return JSON
    choices: list[tuple[float, int, str]] = []
    for index, entry in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in entry.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            choices.append((-quality, index, media.lower()))
    for _, _, media in sorted(choices):
        if media in (JSON, "application/*", "*/*"):
            return JSON
        if media in openapi_protobuf.MEDIA_TYPES:
            return media
    raise NotAcceptable(
        f"/openapi/v2 is served as {JSON} or {openapi_protobuf.MEDIA_TYPE}, not as {accept!r}"
    )


def serve_v2(documents: OpenAPIDocuments, request: Request) -> Response:
    media_type = _v2_media_type(request.headers.get("accept", ""))
    if media_type == JSON:
        response = _json(documents.v2(), request)
        response.headers["vary"] = "Accept"
        return response
    return Response(
        documents.v2_protobuf(),
        media_type=openapi_protobuf.MEDIA_TYPE,
        headers={"vary": "Accept"},
    )


def serve_v2_legacy(documents: OpenAPIDocuments, request: Request) -> Response:
    """`/swagger-2.0.0.pb-v1`, where clients older than `/openapi/v2` read the protobuf."""
    return Response(documents.v2_protobuf(), media_type=openapi_protobuf.MEDIA_TYPE)


def serve_v3(documents: OpenAPIDocuments, request: Request, path: str) -> Response:
    if not path:
        return _json(documents.v3_index(), request)
    group, version = _split_v3_path(path)
    return _json(documents.v3_group(group, version), request)
