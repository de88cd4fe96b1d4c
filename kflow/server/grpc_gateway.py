"""The gateway's gRPC port: Open Inference Protocol V2 gRPC to InferenceService replicas.

The kflow server speaks HTTP/1.1; gRPC needs HTTP/2, so the gateway has a port of its
own for `inference.GRPCInferenceService`. A call is routed by its model: the
`model_name` (or `name`) in the request is the InferenceService's name (`kflow serve
--name`), in the namespace given by the `kflow-namespace` metadata key, else the one
namespace holding an InferenceService of that name. Like the REST gateway it
authenticates the caller (`authorization: Bearer ...` metadata), authorizes `get`
on the InferenceService, counts the call for the autoscaler and holds it while the
service has no ready replica; then the request's bytes go unchanged to a replica's
gRPC port, in turn, and the answer's bytes come back. Server-wide calls that name no
model (ServerLive, ServerReady, ServerMetadata) are answered by the gateway itself.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf import message_factory
from starlette.requests import HTTPConnection

from kflow import __version__
from kflow.api.errors import ApiError, BadRequest, NotFound
from kflow.api.kserve import contracts as c
from kflow.server.gateway import Gateway
from kflow.serving.protos import grpc_predict_v2_pb2 as pb

log = logging.getLogger(__name__)

SERVICE = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"]
NAMESPACE_METADATA = "kflow-namespace"
FORWARDED_METADATA_DROPPED = frozenset({"authorization", NAMESPACE_METADATA})
"""The caller's credentials stay at the gateway, as on the REST route."""
STATUS_CODES = {
    400: grpc.StatusCode.INVALID_ARGUMENT,
    401: grpc.StatusCode.UNAUTHENTICATED,
    403: grpc.StatusCode.PERMISSION_DENIED,
    404: grpc.StatusCode.NOT_FOUND,
    503: grpc.StatusCode.UNAVAILABLE,
}
"""A gateway error's HTTP code as a gRPC status (others are INTERNAL)."""
LOCAL_ANSWERS: dict[str, Callable[[], Any]] = {
    "ServerLive": lambda: pb.ServerLiveResponse(live=True),
    "ServerReady": lambda: pb.ServerReadyResponse(ready=True),
    "ServerMetadata": lambda: pb.ServerMetadataResponse(name="kflow", version=__version__),
}


class GrpcGateway:
    """A gRPC server forwarding V2 inference calls through the REST gateway's checks."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None
        self._channels: dict[str, grpc.aio.Channel] = {}
        self._turns = itertools.count()

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (0: any free port); returns the bound port."""
        # no SO_REUSEPORT: a port another server holds is an error, never shared
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        handlers = {
            method.name: grpc.unary_unary_rpc_method_handler(self._method(method))
            for method in SERVICE.methods
        }
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE.full_name, handlers),)
        )
        self.port = server.add_insecure_port(f"{host}:{port}")
        if not self.port:
            raise OSError(f"the serving gRPC gateway cannot listen on {host}:{port}")
        await server.start()
        self._server = server
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(1.0)
        for channel in self._channels.values():
            await channel.close()
        self._channels.clear()

    def _method(self, method: Any) -> Callable[[bytes, Any], Awaitable[bytes]]:
        request_class = message_factory.GetMessageClass(method.input_type)
        path = f"/{SERVICE.full_name}/{method.name}"

        async def call(raw: bytes, context: grpc.aio.ServicerContext) -> bytes:
            metadata = [(str(k), str(v)) for k, v in context.invocation_metadata() or ()]
            try:
                return await self._forward(path, method.name, request_class, raw, metadata)
            except ApiError as exc:
                code = STATUS_CODES.get(exc.code, grpc.StatusCode.INTERNAL)
                await context.abort(code, exc.message)
            except grpc.aio.AioRpcError as exc:  # the replica's own error, as it sent it
                await context.abort(exc.code(), exc.details() or "")
            raise AssertionError("unreachable: abort raises")

        return call

    async def _forward(
        self, path: str, method: str, request_class: Any, raw: bytes, metadata: list[Any]
    ) -> bytes:
        headers = dict(metadata)
        identity_scope = {
            "type": "http",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in metadata],
        }
        model = _model_name(request_class.FromString(raw))
        if not model:
            self.gateway.ctx.identify(HTTPConnection(identity_scope))
            return bytes(LOCAL_ANSWERS[method]().SerializeToString())
        namespace, name = self._service(model, headers.get(NAMESPACE_METADATA))
        self.gateway.authorize(HTTPConnection(identity_scope), namespace, name)
        key = (namespace, name, c.PREDICTOR)
        self.gateway.traffic.begin(key)
        try:
            hold = self.gateway.activator.hold(namespace, name, c.PREDICTOR)
            while not (addresses := self.gateway.table.ready_grpc(namespace, name)):
                await hold.wait(any_ready=False)  # held while at zero, or starting
            address = addresses[next(self._turns) % len(addresses)]
            forwarded = [(k, v) for k, v in metadata if k not in FORWARDED_METADATA_DROPPED]
            call = self._channel(address).unary_unary(path)
            return bytes(await call(raw, metadata=forwarded))
        finally:
            self.gateway.traffic.end(key)

    def _service(self, model: str, namespace: str | None) -> tuple[str, str]:
        if namespace:
            return namespace, model
        found = self.gateway.table.named(model)
        if len(found) == 1:
            return found[0]
        if not found:
            raise NotFound(
                f'no inferenceservice serves model "{model}" (the model name is the '
                "InferenceService's name)"
            )
        raise BadRequest(
            f'inferenceservices named "{model}" exist in namespaces '
            f"{', '.join(ns for ns, _ in found)}: say which with the "
            f'"{NAMESPACE_METADATA}" metadata key'
        )

    def _channel(self, address: str) -> grpc.aio.Channel:
        channel = self._channels.get(address)
        if channel is None:
            channel = self._channels[address] = grpc.aio.insecure_channel(address)
        return channel


def _model_name(request: Any) -> str:
    for field in ("model_name", "name"):
        if field in request.DESCRIPTOR.fields_by_name:
            return str(getattr(request, field))
    return ""
