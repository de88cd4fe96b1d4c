"""Response bodies in the wire shapes Kubernetes clients expect, serialised with orjson.

Success bodies are objects, lists, Tables or a `Status` of `Success`; every failure is
a `Status` of `Failure` built from the `ApiError` tree, so a client sees the same
reason and code whichever layer decided it. Request bodies are parsed here too, so a
malformed one is a 400 that names the problem rather than a traceback.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml
from starlette.requests import Request
from starlette.responses import Response

from kflow.api.errors import ApiError, BadRequest, UnsupportedMediaType
from kflow.server import protobuf

JSON = "application/json"


class JSONResponse(Response):
    """A JSON body rendered by orjson."""

    media_type = JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.to_status(), status_code=error.code, headers=headers)


def success_status(details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `Status` a delete returns when it has no object to show."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
    }
    if details:
        body["details"] = details
    return body


def parse_json(raw: bytes, what: str = "request body") -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the {what} is not valid JSON: {exc}") from None


async def read_object(request: Request) -> dict[str, Any]:
    """The request body as an object; JSON, or YAML when the Content-Type says so."""
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("the request body is empty: send the object as JSON")
    content_type = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
    if content_type in ("application/yaml", "application/x-yaml", "text/yaml"):
        try:
            body = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise BadRequest(f"the request body is not valid YAML: {exc}") from None
    elif content_type in (JSON, "", "*/*", "text/plain"):
        body = parse_json(raw)
    elif content_type == protobuf.MEDIA_TYPE:
        body = protobuf.decode(raw)
    else:
        raise UnsupportedMediaType(
            f'the body of the request was in an unknown format "{content_type}" - accepted media types include: "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"'
        )
    if not isinstance(body, dict):
        raise BadRequest(
            f"the request body must be a JSON object, not {type(body).__name__}: send the object as JSON"
        )
    return body


async def read_optional_object(request: Request) -> dict[str, Any] | None:
    """The body as a JSON object, or None if there is none (DELETE's DeleteOptions)."""
    raw = await request.body()
    if not raw.strip():
        return None
    content_type = request.headers.get("content-type", JSON).split(";")[0].strip().lower()
    body = protobuf.decode(raw) if content_type == protobuf.MEDIA_TYPE else parse_json(raw)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object (DeleteOptions)")
    return body
