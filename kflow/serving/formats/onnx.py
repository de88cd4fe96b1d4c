"""ONNX models through onnxruntime (CPU), with the graph's own input and output names."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kflow.serving import datatypes
from kflow.serving.errors import InvalidInput
from kflow.serving.formats._arrays import as_numeric
from kflow.serving.model import TensorModel, Tensors, TensorSpec

# onnxruntime's type strings -> V2 datatypes
TYPES = {
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(float16)": "FP16",
    "tensor(int8)": "INT8",
    "tensor(int16)": "INT16",
    "tensor(int32)": "INT32",
    "tensor(int64)": "INT64",
    "tensor(uint8)": "UINT8",
    "tensor(uint16)": "UINT16",
    "tensor(uint32)": "UINT32",
    "tensor(uint64)": "UINT64",
    "tensor(bool)": "BOOL",
    "tensor(string)": "BYTES",
}


def _shape(dims: Sequence[object]) -> tuple[int, ...]:
    return tuple(d if isinstance(d, int) and d >= 0 else -1 for d in dims)


def load(path: Path) -> TensorModel:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # requests run side by side; one thread each is fastest
    session = onnxruntime.InferenceSession(
        str(path), sess_options=options, providers=["CPUExecutionProvider"]
    )
    inputs = [
        TensorSpec(arg.name, TYPES.get(arg.type, "FP32"), _shape(arg.shape))
        for arg in session.get_inputs()
    ]
    outputs = [
        TensorSpec(arg.name, TYPES[arg.type], _shape(arg.shape))
        for arg in session.get_outputs()
        if arg.type in TYPES  # sequences and maps (sklearn's ZipMap) have no tensor form
    ]
    known = {spec.name for spec in outputs}

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
            dtype = datatypes.NUMPY[spec.datatype]
            feed[spec.name] = (
                array if spec.datatype == "BYTES" else as_numeric(array, dtype, spec.name)
            )
        for name in names:
            if name not in known:
                raise InvalidInput(f"unknown output {name!r} (the model has {sorted(known)})")
        values = session.run(list(names), feed)
        return {name: np.asarray(value) for name, value in zip(names, values, strict=True)}

    return TensorModel(inputs=inputs, outputs=outputs, run=run, platform="onnxruntime_onnx")
