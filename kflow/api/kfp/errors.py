"""The errors of the KFP API, each with its gRPC code, HTTP status and wire body.

KFP's API server is gRPC behind grpc-gateway: a failed call reaches a REST client as
the HTTP status grpc-gateway maps the gRPC code to, with a body that carries the code,
the message and KFP's `api.Error` detail (`error_message`, `error_details`). The
multipart upload endpoints are plain HTTP handlers upstream and answer with only
`error_message` and `error_details`; `upload_body()` is that shape.

    KfpError               13 Internal          500
    ├── InvalidArgument     3 InvalidArgument   400
    ├── NotFound            5 NotFound          404
    ├── AlreadyExists       6 AlreadyExists     409
    ├── PermissionDenied    7 PermissionDenied  403
    ├── FailedPrecondition  9 FailedPrecondition 400
    ├── Unauthenticated    16 Unauthenticated   401
    └── Unimplemented      12 Unimplemented     501
"""

from __future__ import annotations

from typing import Any, ClassVar


class KfpError(Exception):
    """A KFP API failure; subclasses fix the gRPC code and HTTP status."""

    grpc_code: ClassVar[int] = 13
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.details = details or message

    def body(self) -> dict[str, Any]:
        """The grpc-gateway body: `error`/`message`, `code`, and KFP's `api.Error` detail."""
        return {
            "error": self.message,
            "code": self.grpc_code,
            "message": self.message,
            "details": [
                {
                    "@type": "type.googleapis.com/api.Error",
                    "error_message": self.message,
                    "error_details": self.details,
                }
            ],
        }

    def upload_body(self) -> dict[str, Any]:
        """The body of a failed multipart upload, as KFP's upload handler writes it."""
        return {"error_message": self.message, "error_details": self.details}

    def rpc_status(self) -> dict[str, Any]:
        """A `google.rpc.Status` for an `error` field of a run or task."""
        return {"code": self.grpc_code, "message": self.message}


class InvalidArgument(KfpError):
    grpc_code = 3
    http_status = 400


class NotFound(KfpError):
    grpc_code = 5
    http_status = 404


class AlreadyExists(KfpError):
    grpc_code = 6
    http_status = 409


class PermissionDenied(KfpError):
    grpc_code = 7
    http_status = 403


class FailedPrecondition(KfpError):
    grpc_code = 9
    http_status = 400


class Unimplemented(KfpError):
    grpc_code = 12
    http_status = 501


class Unauthenticated(KfpError):
    grpc_code = 16
    http_status = 401
