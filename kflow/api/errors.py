"""The error tree every layer raises, and its Kubernetes `Status` body.

Stores, admission and controllers raise these; the server turns any of them into the
`kind: Status` response kubectl and the Kubernetes clients understand, and the CLI
prints their message. One tree means a reason (NotFound, Conflict, ...) is decided
once, where the problem is known, and never guessed from a message later.

    ApiError
    ├── BadRequest          400
    │   └── Invalid         422  (with causes: field path + message)
    ├── Unauthorized        401
    ├── Forbidden           403
    ├── NotFound            404
    ├── MethodNotAllowed    405
    ├── AlreadyExists       409
    ├── Conflict            409
    ├── Gone                410  (watch from a compacted resourceVersion)
    ├── UnsupportedMediaType 415
    ├── InternalError       500
    ├── BadGateway          502  (a model server behind the web UI answered with an error)
    └── ServiceUnavailable  503  (no ready replica behind the serving gateway)
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar


@dataclasses.dataclass(frozen=True)
class Cause:
    """One reason an object is invalid: where (`field`, a dotted path) and why."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ApiError(Exception):
    """Base of every error with a Kubernetes `Status` representation."""

    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        kind: str = "",
        name: str = "",
        group: str = "",
        causes: list[Cause] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.name = name
        self.group = group
        self.causes = list(causes or [])

    def to_status(self) -> dict[str, Any]:
        """The `Status` body the Kubernetes API returns for this error."""
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [
                {"reason": c.reason, "message": c.message, "field": c.field} for c in self.causes
            ]
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            status["details"] = details
        return status


class BadRequest(ApiError):
    code = 400
    reason = "BadRequest"


class Invalid(BadRequest):
    """The object breaks a rule; `causes` name each field and what is allowed."""

    code = 422
    reason = "Invalid"

    @classmethod
    def of(cls, kind: str, name: str, causes: list[Cause], group: str = "") -> Invalid:
        shown = "; ".join(str(c) for c in causes) if causes else "invalid object"
        label = f'{kind} "{name}"' if name else kind
        return cls(f"{label} is invalid: {shown}", kind=kind, name=name, group=group, causes=causes)


class Unauthorized(ApiError):
    code = 401
    reason = "Unauthorized"


class Forbidden(ApiError):
    code = 403
    reason = "Forbidden"


class NotFound(ApiError):
    code = 404
    reason = "NotFound"

    @classmethod
    def of(cls, resource: str, name: str, group: str = "") -> NotFound:
        qualified = f"{resource}.{group}" if group else resource
        return cls(f'{qualified} "{name}" not found', kind=resource, name=name, group=group)


class MethodNotAllowed(ApiError):
    code = 405
    reason = "MethodNotAllowed"


class AlreadyExists(ApiError):
    code = 409
    reason = "AlreadyExists"

    @classmethod
    def of(cls, resource: str, name: str, group: str = "") -> AlreadyExists:
        qualified = f"{resource}.{group}" if group else resource
        return cls(f'{qualified} "{name}" already exists', kind=resource, name=name, group=group)


class Conflict(ApiError):
    """A write based on a stale `resourceVersion` (optimistic concurrency)."""

    code = 409
    reason = "Conflict"

    @classmethod
    def stale(cls, resource: str, name: str, group: str = "") -> Conflict:
        qualified = f"{resource}.{group}" if group else resource
        return cls(
            f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            kind=resource,
            name=name,
            group=group,
        )


class Gone(ApiError):
    """A watch asked to start before the oldest change still kept."""

    code = 410
    reason = "Expired"


class UnsupportedMediaType(ApiError):
    code = 415
    reason = "UnsupportedMediaType"


class InternalError(ApiError):
    code = 500
    reason = "InternalError"


class BadGateway(ApiError):
    """A server kflow called on the caller's behalf failed or could not be reached."""

    code = 502
    reason = "BadGateway"


class ServiceUnavailable(ApiError):
    """Nothing can answer yet: an InferenceService with no ready replica."""

    code = 503
    reason = "ServiceUnavailable"
