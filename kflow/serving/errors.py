"""What can go wrong while serving, as one small tree of exceptions.

Every protocol turns a `ServingError` into its own error body (`{"error": "..."}` for
TF Serving, KServe V1 and V2 alike) with the error's HTTP status, or into a gRPC status
(`grpc_code`, a `grpc.StatusCode` name) with the message as its details, so the message
is written once, where the problem is found, and names what was wrong.
"""

from __future__ import annotations


class ServingError(Exception):
    """Base of every error a client can cause or see.

    `status` is its HTTP status; `grpc_code` says the same as a `grpc.StatusCode` name.
    """

    status = 500
    grpc_code = "INTERNAL"


class InvalidInput(ServingError):
    """The request body does not fit the protocol or the model's inputs."""

    status = 400
    grpc_code = "INVALID_ARGUMENT"


class ModelNotFound(ServingError):
    """No model, version or label by that name."""

    status = 404
    grpc_code = "NOT_FOUND"


class ModelNotReady(ServingError):
    """The model exists but has no version that can take requests yet."""

    status = 503
    grpc_code = "UNAVAILABLE"


class Unsupported(ServingError):
    """The model cannot do what was asked (`:explain`, `:classify` on a regressor)."""

    status = 501
    grpc_code = "UNIMPLEMENTED"


class ModelLoadError(ServingError):
    """A model version could not be loaded (bad file, missing library, wrong format)."""

    status = 500
    grpc_code = "INTERNAL"


_GRPC_CODES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE"}


class PredictorError(ServingError):
    """A transformer's predictor failed or answered with an error; its status is kept."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
        self.grpc_code = _GRPC_CODES.get(status, "INTERNAL")
