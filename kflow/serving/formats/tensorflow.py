"""TensorFlow SavedModels, through their `serving_default` signature (when TF imports)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kflow.serving.errors import InvalidInput
from kflow.serving.model import TensorModel, Tensors, TensorSpec

# tf.DType names -> V2 datatypes
TYPES = {
    "float32": "FP32",
    "float64": "FP64",
    "float16": "FP16",
    "int64": "INT64",
    "int32": "INT32",
    "int16": "INT16",
    "int8": "INT8",
    "uint8": "UINT8",
    "bool": "BOOL",
    "string": "BYTES",
}


def _spec(name: str, tensor_spec: Any) -> TensorSpec:
    dims = tensor_spec.shape.as_list() if tensor_spec.shape.rank is not None else [-1]
    return TensorSpec(
        name, TYPES.get(tensor_spec.dtype.name, "FP32"), tuple(-1 if d is None else d for d in dims)
    )


def load(path: Path) -> TensorModel:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(path))
    if "serving_default" not in loaded.signatures:
        raise InvalidInput(f"the SavedModel at {path} has no serving_default signature")
    signature = loaded.signatures["serving_default"]
    inputs = [_spec(n, s) for n, s in sorted(signature.structured_input_signature[1].items())]
    outputs = [_spec(n, s) for n, s in sorted(signature.structured_outputs.items())]
    dtypes = {
        spec.name: s.dtype
        for spec, s in zip(
            inputs, [signature.structured_input_signature[1][i.name] for i in inputs], strict=True
        )
    }

    def run(request: Tensors, names: Sequence[str]) -> Tensors:
        feed = {}
        for spec in inputs:
            if spec.name in request:
                array = request[spec.name]
            elif len(inputs) == 1 and len(request) == 1:
                array = next(iter(request.values()))
            else:
                raise InvalidInput(
                    f"missing input {spec.name!r} (the model takes {[i.name for i in inputs]})"
                )
            feed[spec.name] = tf.constant(array, dtype=dtypes[spec.name])
        result = signature(**feed)
        unknown = [n for n in names if n not in result]
        if unknown:
            raise InvalidInput(f"unknown output {unknown[0]!r} (the model has {sorted(result)})")
        return {name: np.asarray(result[name].numpy()) for name in names}

    return TensorModel(
        inputs=inputs,
        outputs=outputs,
        run=run,
        platform="tensorflow_savedmodel",
        extra={"keep": loaded},
    )
