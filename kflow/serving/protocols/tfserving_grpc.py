"""TF Serving's gRPC API: `tensorflow.serving.PredictionService` `Predict` and
`GetModelMetadata`, over the messages of `protos/predict.proto` and friends.

Models have one signature, `serving_default` (an empty `signature_name` means it); a
`model_spec` picks a version by number (`version`) or label (`version_label`), else the
latest. Inputs must be exactly the signature's inputs, as TF Serving requires; outputs
are every output, or those `output_filter` names. Classify, Regress and MultiInference
are not served (UNIMPLEMENTED).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format

from kflow.serving import tensorproto
from kflow.serving.errors import InvalidInput, ModelNotFound
from kflow.serving.model import TensorModel, Tensors
from kflow.serving.protocols import tfserving, v2
from kflow.serving.protocols.common import GrpcCall
from kflow.serving.protos import get_model_metadata_pb2, predict_pb2, prediction_service_pb2
from kflow.serving.repository import ModelRepository, ModelVersion, ServedModel

SERVICE = prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"]
SIGNATURE = "serving_default"
SIGNATURE_DEF_MAP = "type.googleapis.com/tensorflow.serving.SignatureDefMap"


def _target(repository: ModelRepository, spec: Any) -> tuple[ServedModel, ModelVersion]:
    """The model and version a `ModelSpec` names."""
    if not spec.name:
        raise ModelNotFound("model_spec.name is required")
    model = repository.get(spec.name)
    if spec.signature_name not in ("", SIGNATURE):
        raise InvalidInput(
            f"model_spec.signature_name {spec.signature_name!r} not found "
            f"(the model has {SIGNATURE!r})"
        )
    choice = spec.WhichOneof("version_choice")
    if choice == "version":
        return model, model.resolve(spec.version.value)
    if choice == "version_label":
        return model, model.resolve(label=spec.version_label)
    return model, model.resolve()


def _answered_by(response_spec: Any, model: ServedModel, version: ModelVersion) -> None:
    response_spec.name = model.name
    response_spec.version.value = version.version
    response_spec.signature_name = SIGNATURE


def _check_inputs(inputs: Tensors, version: ModelVersion) -> None:
    if not isinstance(version.servable, TensorModel):
        return  # a custom model takes whatever it takes
    expected = sorted(spec.name for spec in version.servable.inputs)
    if sorted(inputs) != expected:
        raise InvalidInput(
            f"inputs {sorted(inputs)} do not match the signature's inputs {expected} "
            f"of {SIGNATURE!r}"
        )


def calls(repository: ModelRepository) -> dict[str, GrpcCall]:
    """The service's calls by method name."""

    async def predict(request: Any, metadata: Mapping[str, str]) -> Any:
        model, version = _target(repository, request.model_spec)
        if not request.inputs:
            raise InvalidInput("inputs must hold at least one tensor")
        inputs = {
            name: tensorproto.to_array(proto, f"inputs[{name!r}]")
            for name, proto in request.inputs.items()
        }
        _check_inputs(inputs, version)
        # resolved again after decoding: the version may have been swapped meanwhile
        model, version = _target(repository, request.model_spec)
        outputs = await v2.infer(version, inputs, list(request.output_filter), dict(metadata))
        response = predict_pb2.PredictResponse()
        _answered_by(response.model_spec, model, version)
        for name, array in outputs.items():
            response.outputs[name].CopyFrom(tensorproto.from_array(array))
        return response

    async def get_model_metadata(request: Any, metadata: Mapping[str, str]) -> Any:
        fields = list(request.metadata_field)
        if not fields:
            raise InvalidInput("metadata_field must name at least one field ('signature_def')")
        unknown = [f for f in fields if f != "signature_def"]
        if unknown:
            raise InvalidInput(
                f"metadata field {unknown[0]!r} is not supported (only 'signature_def')"
            )
        model, version = _target(repository, request.model_spec)
        body = tfserving.metadata(model, version)["metadata"]["signature_def"]
        signatures = json_format.ParseDict(body, get_model_metadata_pb2.SignatureDefMap())
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        _answered_by(response.model_spec, model, version)
        packed = response.metadata["signature_def"]
        packed.type_url = SIGNATURE_DEF_MAP
        packed.value = signatures.SerializeToString()
        return response

    return {"Predict": predict, "GetModelMetadata": get_model_metadata}
