"""The gRPC side of the model server: V2's `GRPCInferenceService` and TF Serving's
`PredictionService` on one `grpc.aio` port, over the same repository (and so the same
versions and batchers) as the REST app.

It runs on the REST server's event loop (`app.py` starts it in the app's lifespan), so
a batch can hold REST and gRPC requests alike. A `ServingError` becomes the gRPC status
its class names (`grpc_code`) with its message as the details; anything else is logged
and answered INTERNAL.
"""

from __future__ import annotations

import logging
from typing import Any

import grpc
from google.protobuf import message_factory

from kflow.serving.errors import ServingError
from kflow.serving.protocols import tfserving_grpc, v2_grpc
from kflow.serving.protocols.common import GrpcCall
from kflow.serving.repository import ModelRepository

log = logging.getLogger("kflow.serving")

DEFAULT_GRPC_PORT = 8081  # KServe's and Triton's V2 gRPC port is 8081 and 8001; TF Serving's 8500
MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # images and batches outgrow gRPC's 4 MiB default


def _handler(service: Any, calls: dict[str, GrpcCall]) -> grpc.GenericRpcHandler:
    """Generic handlers for every method of a service descriptor."""
    missing = {m.name for m in service.methods} - set(calls)
    assert not missing, f"{service.full_name} lacks {missing}"
    handlers = {}
    for method in service.methods:
        request_class = message_factory.GetMessageClass(method.input_type)
        response_class = message_factory.GetMessageClass(method.output_type)
        handlers[method.name] = grpc.unary_unary_rpc_method_handler(
            _guarded(f"{service.full_name}/{method.name}", calls[method.name]),
            request_deserializer=request_class.FromString,
            response_serializer=response_class.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)


def _guarded(name: str, call: GrpcCall) -> Any:
    async def run(request: Any, context: grpc.aio.ServicerContext) -> Any:
        metadata = {str(k): str(v) for k, v in (context.invocation_metadata() or ())}
        try:
            return await call(request, metadata)
        except ServingError as exc:
            code, message = grpc.StatusCode[exc.grpc_code], str(exc)
        except Exception as exc:
            log.exception("gRPC %s failed", name)
            code, message = grpc.StatusCode.INTERNAL, f"internal error: {type(exc).__name__}: {exc}"
        await context.abort(code, message)

    return run


class GrpcServer:
    """Both gRPC services on one port; `start` it on the REST server's event loop."""

    def __init__(self, repository: ModelRepository) -> None:
        self.repository = repository
        self.port: int | None = None  # the bound port, once started
        self._server: grpc.aio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = DEFAULT_GRPC_PORT) -> int:
        """Listen on host:port (0 picks a free port); returns the bound port."""
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ]
        )
        server.add_generic_rpc_handlers(
            (
                _handler(v2_grpc.SERVICE, v2_grpc.calls(self.repository)),
                _handler(tfserving_grpc.SERVICE, tfserving_grpc.calls(self.repository)),
            )
        )
        try:
            bound = int(server.add_insecure_port(f"{host}:{port}"))
        except RuntimeError as exc:
            raise OSError(f"the gRPC server cannot listen on {host}:{port}: {exc}") from None
        if not bound:
            raise OSError(f"the gRPC server cannot listen on {host}:{port}")
        await server.start()
        self._server, self.port = server, bound
        log.info(
            "gRPC (V2 GRPCInferenceService, TF Serving PredictionService) on %s:%d", host, bound
        )
        return bound

    async def stop(self, grace: float | None = 1.0) -> None:
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None
