"""What every protocol shares: JSON in and out, and one error body for every failure."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from kflow.serving.errors import InvalidInput, ServingError

log = logging.getLogger("kflow.serving")

Endpoint = Callable[[Request], Awaitable[Response]]

#: a gRPC call: the request message and the caller's metadata -> the response message
GrpcCall = Callable[[Any, Mapping[str, str]], Awaitable[Any]]

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, option=_OPTIONS),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def error_response(message: str, status: int) -> Response:
    """`{"error": "..."}`: the body TF Serving, KServe V1 and V2 all use."""
    return json_response({"error": message}, status)


def parse_json(raw: bytes | memoryview, what: str = "request body") -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}") from None


def json_object(raw: bytes | memoryview, what: str = "request body") -> dict[str, Any]:
    body = parse_json(raw, what) if len(raw) else None
    if not isinstance(body, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    return body


def guarded(handler: Endpoint) -> Endpoint:
    """Turn `ServingError`s into error bodies, and anything else into a logged 500."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except ServingError as exc:
            return error_response(str(exc), exc.status)
        except Exception as exc:
            log.exception("%s %s failed", request.method, request.url.path)
            return error_response(f"internal error: {type(exc).__name__}: {exc}", 500)

    return endpoint
