"""What can go wrong while serving, as one small tree of exceptions.

Every protocol turns a `ServingError` into its own error body (`{"error": "..."}` for
TF Serving, KServe V1 and V2 alike) with the error's HTTP status, so the message is
written once, where the problem is found, and names what was wrong.
"""

from __future__ import annotations


class ServingError(Exception):
    """Base of every error a client can cause or see; `status` is its HTTP status."""

    status = 500


class InvalidInput(ServingError):
    """The request body does not fit the protocol or the model's inputs."""

    status = 400


class ModelNotFound(ServingError):
    """No model, version or label by that name."""

    status = 404


class ModelNotReady(ServingError):
    """The model exists but has no version that can take requests yet."""

    status = 503


class Unsupported(ServingError):
    """The model cannot do what was asked (`:explain`, `:classify` on a regressor)."""

    status = 501


class ModelLoadError(ServingError):
    """A model version could not be loaded (bad file, missing library, wrong format)."""

    status = 500
