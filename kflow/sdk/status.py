"""Turning a server's Kubernetes `Status` body back into the `kflow.api.errors` tree.

The server decides the reason (NotFound, Invalid, ...) where the problem is known and
sends it as a `Status`; the client raises the matching subclass with the server's own
message and causes, so callers `except NotFound:` instead of comparing codes.
"""

from __future__ import annotations

import contextlib
from typing import Any

from kflow.api import errors

_BY_REASON: dict[str, type[errors.ApiError]] = {
    "BadRequest": errors.BadRequest,
    "Invalid": errors.Invalid,
    "Unauthorized": errors.Unauthorized,
    "Forbidden": errors.Forbidden,
    "NotFound": errors.NotFound,
    "MethodNotAllowed": errors.MethodNotAllowed,
    "AlreadyExists": errors.AlreadyExists,
    "Conflict": errors.Conflict,
    "Expired": errors.Gone,
    "Gone": errors.Gone,
    "UnsupportedMediaType": errors.UnsupportedMediaType,
    "InternalError": errors.InternalError,
    "ServiceUnavailable": errors.ServiceUnavailable,
}

_BY_CODE: dict[int, type[errors.ApiError]] = {
    400: errors.BadRequest,
    401: errors.Unauthorized,
    403: errors.Forbidden,
    404: errors.NotFound,
    405: errors.MethodNotAllowed,
    409: errors.Conflict,
    410: errors.Gone,
    415: errors.UnsupportedMediaType,
    422: errors.Invalid,
}


def error_from_status(status: Any, code: int, fallback_message: str = "") -> errors.ApiError:
    """The error a `Status` body (or any error response) stands for."""
    body: dict[str, Any] = status if isinstance(status, dict) else {}
    reason = str(body.get("reason") or "")
    with contextlib.suppress(TypeError, ValueError):
        code = int(body.get("code") or code)
    cls = _BY_REASON.get(reason) or _BY_CODE.get(code) or errors.InternalError
    message = str(body.get("message") or fallback_message or f"the server returned HTTP {code}")
    details: dict[str, Any] = body.get("details") or {}
    if not isinstance(details, dict):
        details = {}
    causes = [
        errors.Cause(
            field=str(c.get("field") or ""),
            message=str(c.get("message") or ""),
            reason=str(c.get("reason") or "FieldValueInvalid"),
        )
        for c in details.get("causes") or []
        if isinstance(c, dict)
    ]
    return cls(
        message,
        kind=str(details.get("kind") or ""),
        name=str(details.get("name") or ""),
        group=str(details.get("group") or ""),
        causes=causes,
    )
