"""TF Serving's REST bodies: predict (row and columnar), classify, regress, status, metadata.

Row format (`instances`) is a list with one entry per example — a value, or an object
of named inputs; columnar (`inputs`) is one value or an object of named inputs. The
response mirrors the request: `predictions` for rows (one object per row when the
model has several outputs) and `outputs` for columns. `{"b64": "..."}` is a binary
value in either direction; outputs whose names end in `_bytes` go back as b64.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from kflow.serving import datatypes
from kflow.serving.datatypes import Array
from kflow.serving.errors import InvalidInput, Unsupported
from kflow.serving.model import TensorModel, Tensors
from kflow.serving.repository import ModelVersion, ServedModel, VersionState


def _decode_b64(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        if set(value) == {"b64"} and isinstance(value["b64"], str):
            try:
                return base64.b64decode(value["b64"], validate=True)
            except binascii.Error:
                raise InvalidInput(f"{where}: 'b64' value is not valid base64") from None
        raise InvalidInput(f'{where}: an object value must be {{"b64": "..."}}')
    if isinstance(value, list):
        return [_decode_b64(item, where) for item in value]
    return value


def _array(value: Any, where: str) -> Array:
    value = _decode_b64(value, where)
    try:
        array = np.asarray(value)
    except ValueError:
        raise InvalidInput(
            f"{where}: the values are ragged (every row needs the same shape)"
        ) from None
    if array.dtype == object:
        if any(isinstance(v, (list, dict)) for v in array.reshape(-1)):
            raise InvalidInput(f"{where}: the values are ragged (every row needs the same shape)")
        array = np.vectorize(
            lambda v: v if isinstance(v, bytes) else str(v).encode(), otypes=[object]
        )(array)
    elif array.dtype.kind == "U":
        out = np.empty(array.shape, dtype=object)
        out.reshape(-1)[:] = [s.encode() for s in array.reshape(-1)]
        array = out
    return array


def _sole_input(model: TensorModel) -> str:
    if len(model.inputs) != 1:
        names = [spec.name for spec in model.inputs]
        raise InvalidInput(f"the model takes several inputs {names}: name them in each instance")
    return model.inputs[0].name


def parse_predict(body: dict[str, Any], model: TensorModel) -> tuple[Tensors, bool]:
    """The named input tensors of a predict body, and whether it was row format."""
    if "instances" in body and "inputs" in body:
        raise InvalidInput("use either 'instances' (row format) or 'inputs' (columnar), not both")
    if "instances" in body:
        instances = body["instances"]
        if not isinstance(instances, list) or not instances:
            raise InvalidInput("'instances' must be a non-empty list")
        if all(isinstance(i, dict) and set(i) != {"b64"} for i in instances):
            keys = set(instances[0])
            for index, instance in enumerate(instances):
                if set(instance) != keys:
                    raise InvalidInput(
                        f"instances[{index}] has inputs {sorted(instance)}; "
                        f"instances[0] has {sorted(keys)}"
                    )
            return {k: _array([i[k] for i in instances], f"instances[*].{k}") for k in keys}, True
        return {_sole_input(model): _array(instances, "instances")}, True
    if "inputs" in body:
        inputs = body["inputs"]
        if isinstance(inputs, dict) and set(inputs) != {"b64"}:
            return {k: _array(v, f"inputs.{k}") for k, v in inputs.items()}, False
        return {_sole_input(model): _array(inputs, "inputs")}, False
    raise InvalidInput("the request needs 'instances' (row format) or 'inputs' (columnar format)")


def _jsonable(array: Array, name: str) -> Any:
    if datatypes.of_array(array) != "BYTES":
        return array.tolist()

    def convert(value: Any) -> Any:
        if isinstance(value, list):
            return [convert(v) for v in value]
        raw = value if isinstance(value, bytes) else str(value).encode()
        if name.endswith("_bytes"):
            return {"b64": base64.b64encode(raw).decode()}
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return {"b64": base64.b64encode(raw).decode()}

    return convert(array.tolist())


def predict_response(outputs: Tensors, row_format: bool) -> dict[str, Any]:
    if row_format:
        if len(outputs) == 1:
            name, array = next(iter(outputs.items()))
            return {"predictions": _jsonable(array, name)}
        columns = {name: _jsonable(array, name) for name, array in outputs.items()}
        rows = len(next(iter(columns.values())))
        return {"predictions": [{n: c[i] for n, c in columns.items()} for i in range(rows)]}
    if len(outputs) == 1:
        name, array = next(iter(outputs.items()))
        return {"outputs": _jsonable(array, name)}
    return {"outputs": {name: _jsonable(array, name) for name, array in outputs.items()}}


def parse_examples(body: dict[str, Any], model: TensorModel) -> Tensors:
    """Classify/regress `examples` (plus shared `context`) as input tensors."""
    examples = body.get("examples")
    if not isinstance(examples, list) or not examples:
        raise InvalidInput("'examples' must be a non-empty list of objects")
    context = body.get("context") or {}
    if not isinstance(context, dict):
        raise InvalidInput("'context' must be an object")
    rows = []
    for index, example in enumerate(examples):
        if not isinstance(example, dict):
            raise InvalidInput(f"examples[{index}] must be an object of features")
        clash = set(example) & set(context)
        if clash:
            raise InvalidInput(
                f"examples[{index}]: feature {sorted(clash)[0]!r} is also in context"
            )
        rows.append({**context, **example})
    names = {spec.name for spec in model.inputs}
    keys = set(rows[0])
    if keys <= names:
        return {k: _array([r.get(k) for r in rows], f"examples[*].{k}") for k in keys}
    if len(keys) == 1 and len(model.inputs) == 1:
        (key,) = keys
        return {model.inputs[0].name: _array([r.get(key) for r in rows], f"examples[*].{key}")}
    raise InvalidInput(
        f"examples have features {sorted(keys)}; the model's inputs are {sorted(names)}"
    )


def scores_output(model: TensorModel) -> str:
    """The output `:classify` reads class scores from."""
    for spec in model.outputs:
        if spec.name == "probabilities":
            return spec.name
    default = model.output_names(())
    if len(default) == 1 and len(next(s for s in model.outputs if s.name == default[0]).shape) == 2:
        return default[0]
    raise Unsupported("the model has no class scores to classify with (use :predict)")


def classify_response(scores: Array, labels: list[Any] | None) -> dict[str, Any]:
    if scores.ndim != 2:
        raise Unsupported("the model's scores are not one row of class scores per example")
    names = [str(label) for label in labels] if labels else [str(i) for i in range(scores.shape[1])]
    return {"result": [[[names[i], float(s)] for i, s in enumerate(row)] for row in scores]}


def regress_response(values: Array) -> dict[str, Any]:
    flat = values.reshape(values.shape[0], -1) if values.ndim > 1 else values.reshape(-1, 1)
    if flat.shape[1] != 1:
        raise Unsupported(
            "regress needs one value per example; the model returns several (use :predict)"
        )
    return {"result": [float(v) for v in flat[:, 0]]}


def status(model: ServedModel, only: ModelVersion | None) -> dict[str, Any]:
    """GetModelStatusResponse as JSON, plus KServe V1's `name` and `ready`."""
    versions = (
        [only]
        if only is not None
        else sorted(model.versions.values(), key=lambda v: v.version, reverse=True)
    )
    entries = [
        {
            "version": str(v.version),
            "state": v.state.value,
            "status": {
                "error_code": "UNKNOWN" if v.error else "OK",
                "error_message": v.error,
            },
        }
        for v in versions
    ]
    ready = any(v.state is VersionState.AVAILABLE for v in versions)
    return {"name": model.name, "ready": ready, "model_version_status": entries}


def _tensor_info(name: str, datatype: str, shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "dtype": datatypes.TENSORFLOW.get(datatype, "DT_INVALID"),
        "tensor_shape": {
            "dim": [{"size": str(d), "name": ""} for d in shape],
            "unknown_rank": False,
        },
        "name": name,
    }


def metadata(model: ServedModel, version: ModelVersion) -> dict[str, Any]:
    """GetModelMetadataResponse as JSON, with one `serving_default` signature."""
    signatures: dict[str, Any] = {}
    if isinstance(version.servable, TensorModel):
        tensor_model = version.servable
        signatures["serving_default"] = {
            "inputs": {
                s.name: _tensor_info(s.name, s.datatype, s.shape) for s in tensor_model.inputs
            },
            "outputs": {
                s.name: _tensor_info(s.name, s.datatype, s.shape) for s in tensor_model.outputs
            },
            "method_name": "tensorflow/serving/predict",
        }
    return {
        "model_spec": {"name": model.name, "signature_name": "", "version": str(version.version)},
        "metadata": {"signature_def": {"signature_def": signatures}},
    }
