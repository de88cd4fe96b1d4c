"""The Open Inference Protocol (V2) over gRPC: `inference.GRPCInferenceService`.

The same calls as V2 REST (`v2.py`), with the same answers and errors, over the
messages of `protos/grpc_predict_v2.proto`. Input values come typed (`contents`, the
field for the datatype) or raw (`raw_input_contents`, one entry per input in Triton's
binary layout). Outputs go back raw when the request was raw, or when an output has
no typed field (FP16); otherwise typed — never mixed, as the protocol requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from kflow import __version__
from kflow.serving import codec, datatypes
from kflow.serving.datatypes import Array
from kflow.serving.errors import InvalidInput, ModelNotFound, ServingError
from kflow.serving.model import Tensors
from kflow.serving.protocols import v2
from kflow.serving.protocols.common import GrpcCall
from kflow.serving.protos import grpc_predict_v2_pb2 as pb
from kflow.serving.repository import ModelRepository

SERVICE = pb.DESCRIPTOR.services_by_name["GRPCInferenceService"]


def _input(tensor: Any, raw: bytes | None, where: str) -> Array:
    shape = list(tensor.shape)
    if raw is not None:
        if tensor.HasField("contents"):
            raise InvalidInput(f"{where}: has both contents and raw_input_contents; send one")
        return codec.from_bytes(raw, tensor.datatype, shape, where)
    datatypes.to_numpy(tensor.datatype, where)  # a clear error for an unknown datatype
    field = datatypes.V2_CONTENTS.get(tensor.datatype)
    if field is None:
        raise InvalidInput(f"{where}: {tensor.datatype} has no contents field; send it raw")
    values = getattr(tensor.contents, field)
    if tensor.datatype == "BYTES":
        return codec.from_json([bytes(v) for v in values], "BYTES", shape, where)
    array = datatypes.narrow(np.asarray(values), tensor.datatype, where)
    return codec.from_json(array, tensor.datatype, shape, where)


def decode_inputs(request: Any) -> Tensors:
    """The input tensors of a `ModelInferRequest`, typed or raw."""
    if not request.inputs:
        raise InvalidInput("'inputs' must name at least one tensor")
    raw = list(request.raw_input_contents)
    if raw and len(raw) != len(request.inputs):
        raise InvalidInput(
            f"raw_input_contents has {len(raw)} entries for {len(request.inputs)} inputs; "
            "send one per input, in the order of 'inputs'"
        )
    tensors: Tensors = {}
    for index, tensor in enumerate(request.inputs):
        where = f"inputs[{index}] ({tensor.name!r})"
        tensors[tensor.name] = _input(tensor, raw[index] if raw else None, where)
    return tensors


def encode_outputs(response: Any, outputs: Tensors, raw: bool) -> None:
    """Fill a `ModelInferResponse`'s outputs, raw or in typed contents."""
    raw = raw or any(datatypes.of_array(a) not in datatypes.V2_CONTENTS for a in outputs.values())
    for name, array in outputs.items():
        datatype = datatypes.of_array(array)
        tensor = response.outputs.add(name=name, datatype=datatype, shape=list(array.shape))
        if raw:
            response.raw_output_contents.append(codec.to_bytes(array))
        elif datatype == "BYTES":
            tensor.contents.bytes_contents.extend(
                v if isinstance(v, bytes) else str(v).encode() for v in array.reshape(-1)
            )
        else:
            getattr(tensor.contents, datatypes.V2_CONTENTS[datatype]).extend(
                array.reshape(-1).tolist()
            )


def calls(repository: ModelRepository) -> dict[str, GrpcCall]:
    """The service's calls by method name."""

    async def server_live(request: Any, metadata: Mapping[str, str]) -> Any:
        return pb.ServerLiveResponse(live=True)

    async def server_ready(request: Any, metadata: Mapping[str, str]) -> Any:
        ready = all(m.available() for m in repository.models.values() if m.loaded)
        return pb.ServerReadyResponse(ready=ready)

    async def model_ready(request: Any, metadata: Mapping[str, str]) -> Any:
        model = repository.get(request.name)  # an unknown model is NOT_FOUND, as in REST
        try:
            model.resolve(request.version or None)
        except ServingError:
            return pb.ModelReadyResponse(ready=False)
        return pb.ModelReadyResponse(ready=True)

    async def server_metadata(request: Any, metadata: Mapping[str, str]) -> Any:
        return pb.ServerMetadataResponse(
            name="kflow", version=__version__, extensions=v2.EXTENSIONS
        )

    async def model_metadata(request: Any, metadata: Mapping[str, str]) -> Any:
        model = repository.get(request.name)
        body = v2.model_metadata(model, model.resolve(request.version or None))
        response = pb.ModelMetadataResponse(
            name=body["name"], versions=body["versions"], platform=body["platform"]
        )
        for spec in body["inputs"]:
            response.inputs.add(**spec)
        for spec in body["outputs"]:
            response.outputs.add(**spec)
        return response

    async def model_infer(request: Any, metadata: Mapping[str, str]) -> Any:
        if not request.model_name:
            raise ModelNotFound("model_name is required")
        model = repository.get(request.model_name)
        model.resolve(request.model_version or None)  # a bad version fails before decoding
        inputs = decode_inputs(request)
        names = [output.name for output in request.outputs]
        target = model.resolve(request.model_version or None)
        outputs = await v2.infer(target, inputs, names, metadata)
        response = pb.ModelInferResponse(
            model_name=model.name, model_version=str(target.version), id=request.id
        )
        encode_outputs(response, outputs, raw=bool(request.raw_input_contents))
        return response

    return {
        "ServerLive": server_live,
        "ServerReady": server_ready,
        "ModelReady": model_ready,
        "ServerMetadata": server_metadata,
        "ModelMetadata": model_metadata,
        "ModelInfer": model_infer,
    }
