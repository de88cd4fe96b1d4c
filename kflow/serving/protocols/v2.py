"""The Open Inference Protocol (V2) over REST, with Triton's binary tensor extension.

    GET  /v2                                          server metadata
    GET  /v2/health/live | /v2/health/ready
    GET  /v2/models/M[/versions/V]                    model metadata
    GET  /v2/models/M[/versions/V]/ready
    POST /v2/models/M[/versions/V]/infer
    POST /v2/repository/index
    POST /v2/repository/models/M/load | /unload

With the binary extension the body is the JSON request followed by raw tensors; the
`Inference-Header-Content-Length` header says where the JSON ends, and each binary
input says its size in `parameters.binary_data_size`. Outputs come back binary when
the request asks (`outputs[].parameters.binary_data`, or the request-level
`binary_data_output`), in the same layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response

from kflow import __version__
from kflow.serving import codec, datatypes
from kflow.serving.errors import InvalidInput, ModelNotFound
from kflow.serving.model import PythonModel, TensorModel, Tensors
from kflow.serving.protocols.common import error_response, guarded, json_object, json_response
from kflow.serving.repository import ModelRepository, ModelVersion, ServedModel, VersionState

HEADER_LENGTH = "inference-header-content-length"
EXTENSIONS = ["binary_tensor_data", "model_repository"]


def _parse_path(rest: str) -> tuple[str, str | None, str]:
    """(model, version, action) from the path after /v2/models/; action '' is metadata."""
    parts = [p for p in rest.split("/") if p]
    action = ""
    if parts and parts[-1] in ("ready", "infer"):
        action = parts.pop()
    if len(parts) == 1:
        return parts[0], None, action
    if len(parts) == 3 and parts[1] == "versions":
        return parts[0], parts[2], action
    raise ModelNotFound(
        f"no such path /v2/models/{rest}: expected /v2/models/NAME[/versions/V][/ready|/infer]"
    )


def decode_request(body: bytes, header_length: str | None) -> tuple[dict[str, Any], Tensors]:
    """The JSON part of an infer request and its input tensors (JSON or binary)."""
    if header_length is not None:
        try:
            json_length = int(header_length)
        except ValueError:
            raise InvalidInput(
                f"Inference-Header-Content-Length {header_length!r} is not a number"
            ) from None
        if not 0 <= json_length <= len(body):
            raise InvalidInput(
                f"Inference-Header-Content-Length {json_length} is past the body's {len(body)} bytes"
            )
    else:
        json_length = len(body)
    view = memoryview(body)
    request = json_object(view[:json_length], "the JSON part of the request")
    specs = request.get("inputs")
    if not isinstance(specs, list) or not specs:
        raise InvalidInput("'inputs' must be a non-empty list of tensors")
    tensors: Tensors = {}
    offset = json_length
    for index, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise InvalidInput(f"inputs[{index}] must be an object with a 'name'")
        where = f"inputs[{index}] ({spec['name']!r})"
        datatype = spec.get("datatype")
        if not isinstance(datatype, str):
            raise InvalidInput(f"{where}: 'datatype' is required")
        parameters = spec.get("parameters") or {}
        size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
        if size is not None:
            if not isinstance(size, int) or size < 0 or offset + size > len(body):
                raise InvalidInput(
                    f"{where}: binary_data_size {size!r} runs past the {len(body) - json_length} "
                    "bytes of binary data"
                )
            tensors[spec["name"]] = codec.from_bytes(
                view[offset : offset + size], datatype, spec.get("shape"), where
            )
            offset += size
        elif "data" in spec:
            tensors[spec["name"]] = codec.from_json(
                spec["data"], datatype, spec.get("shape"), where
            )
        else:
            raise InvalidInput(f"{where}: needs 'data' or parameters.binary_data_size")
    if offset != len(body):
        raise InvalidInput(
            f"the body has {len(body) - offset} bytes of binary data that no input's "
            "binary_data_size accounts for"
        )
    return request, tensors


def _requested(request: dict[str, Any]) -> tuple[list[str], dict[str, bool]]:
    """Requested output names, and which of them go back as binary."""
    parameters = request.get("parameters") or {}
    default_binary = bool(isinstance(parameters, dict) and parameters.get("binary_data_output"))
    outputs = request.get("outputs") or []
    if not isinstance(outputs, list):
        raise InvalidInput("'outputs' must be a list of {\"name\": ...}")
    names, binary = [], {}
    for index, output in enumerate(outputs):
        if not isinstance(output, dict) or not isinstance(output.get("name"), str):
            raise InvalidInput(f"outputs[{index}] must be an object with a 'name'")
        params = output.get("parameters") or {}
        names.append(output["name"])
        binary[output["name"]] = bool(params.get("binary_data", default_binary))
    binary["*"] = default_binary
    return names, binary


def encode_response(
    model: ServedModel,
    version: ModelVersion,
    request: dict[str, Any],
    outputs: Tensors,
    binary: dict[str, bool],
) -> Response:
    chunks: list[bytes] = []
    described = []
    for name, array in outputs.items():
        where = f"output {name!r}"
        entry: dict[str, Any] = {
            "name": name,
            "datatype": datatypes.of_array(array),
            "shape": list(array.shape),
        }
        if binary.get(name, binary["*"]):
            raw = codec.to_bytes(array)
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            entry["data"] = codec.to_json_data(array, where)
        described.append(entry)
    response: dict[str, Any] = {"model_name": model.name, "model_version": str(version.version)}
    if "id" in request:
        response["id"] = request["id"]
    response["outputs"] = described
    header = orjson.dumps(response, option=orjson.OPT_SERIALIZE_NUMPY)
    if not chunks:
        return Response(header, media_type="application/json")
    return Response(
        b"".join([header, *chunks]),
        media_type="application/octet-stream",
        headers={"Inference-Header-Content-Length": str(len(header))},
    )


def _python_outputs(result: Any) -> Tensors:
    if isinstance(result, dict):
        return {str(k): codec.normalize(np.asarray(v)) for k, v in result.items()}
    return {"output-0": codec.normalize(np.asarray(result))}


async def infer(
    target: ModelVersion, inputs: Tensors, names: list[str], headers: Mapping[str, str]
) -> Tensors:
    """Run one V2 inference on a version (REST and gRPC alike): the requested outputs."""
    if not isinstance(target.servable, PythonModel):
        return await target.predict(inputs, tuple(names))
    outputs = _python_outputs(await target.infer_python(inputs, dict(headers)))
    if names:
        missing = [n for n in names if n not in outputs]
        if missing:
            raise InvalidInput(f"unknown output {missing[0]!r} (the model gave {sorted(outputs)})")
        outputs = {n: outputs[n] for n in names}
    return outputs


def model_metadata(model: ServedModel, version: ModelVersion) -> dict[str, Any]:
    servable = version.servable
    inputs = outputs = []
    if isinstance(servable, TensorModel):
        inputs = [
            {"name": s.name, "datatype": s.datatype, "shape": list(s.shape)}
            for s in servable.inputs
        ]
        outputs = [
            {"name": s.name, "datatype": s.datatype, "shape": list(s.shape)}
            for s in servable.outputs
        ]
    return {
        "name": model.name,
        "versions": [str(v.version) for v in model.available()],
        "platform": getattr(servable, "platform", ""),
        "inputs": inputs,
        "outputs": outputs,
    }


def endpoints(repository: ModelRepository) -> dict[str, Any]:
    @guarded
    async def server_metadata(request: Request) -> Response:
        return json_response({"name": "kflow", "version": __version__, "extensions": EXTENSIONS})

    @guarded
    async def live(request: Request) -> Response:
        return json_response({"live": True})

    @guarded
    async def ready(request: Request) -> Response:
        ok = all(model.available() for model in repository.models.values() if model.loaded)
        return json_response({"ready": ok}, 200 if ok else 503)

    @guarded
    async def models(request: Request) -> Response:
        name, version, action = _parse_path(request.path_params["rest"])
        model = repository.get(name)
        if action == "ready":
            try:
                model.resolve(version)
            except ModelNotFound:
                raise
            except Exception:
                return json_response({"name": name, "ready": False}, 400)
            return json_response({"name": name, "ready": True})
        if action == "":
            if request.method != "GET":
                return error_response("model metadata takes GET; inference is POST .../infer", 405)
            return json_response(model_metadata(model, model.resolve(version)))
        if request.method != "POST":
            return error_response("infer takes POST", 405)
        model.resolve(version)  # a missing model or version fails before the body is read
        body, inputs = decode_request(await request.body(), request.headers.get(HEADER_LENGTH))
        names, binary = _requested(body)
        # resolved after the last await before the call: a version resolved earlier could
        # be unloaded while the body is still arriving
        target = model.resolve(version)
        outputs = await infer(target, inputs, names, request.headers)
        return encode_response(model, target, body, outputs, binary)

    @guarded
    async def index(request: Request) -> Response:
        entries = []
        for model in sorted(repository.models.values(), key=lambda m: m.name):
            if not model.versions:
                entries.append(
                    {
                        "name": model.name,
                        "version": "",
                        "state": "UNAVAILABLE",
                        "reason": "no versions",
                    }
                )
            for version in sorted(model.versions.values(), key=lambda v: v.version):
                state = {
                    VersionState.AVAILABLE: "READY",
                    VersionState.LOADING: "LOADING",
                    VersionState.START: "LOADING",
                    VersionState.UNLOADING: "UNLOADING",
                }.get(version.state, "UNAVAILABLE")
                entries.append(
                    {
                        "name": model.name,
                        "version": str(version.version),
                        "state": state,
                        "reason": version.error,
                    }
                )
        return json_response(entries)

    @guarded
    async def load(request: Request) -> Response:
        await repository.load(request.path_params["name"])
        return json_response({})

    @guarded
    async def unload(request: Request) -> Response:
        await repository.unload(request.path_params["name"])
        return json_response({})

    return {
        "server": server_metadata,
        "live": live,
        "ready": ready,
        "models": models,
        "index": index,
        "load": load,
        "unload": unload,
    }
