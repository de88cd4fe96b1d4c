"""PyTorch: TorchScript files (`torch.jit.save`) and `torch.export` archives (`.pt2`)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kflow.serving import datatypes
from kflow.serving.errors import InvalidInput
from kflow.serving.formats._arrays import as_numeric
from kflow.serving.model import TensorModel, Tensors, TensorSpec

OUTPUT = "output-0"

# torch dtype names -> V2 datatypes
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
}


def _exported_inputs(program: Any) -> list[TensorSpec]:
    """Input specs from an ExportedProgram's placeholders (dynamic dims as -1)."""
    user_inputs = set(program.graph_signature.user_inputs)
    specs: list[TensorSpec] = []
    for node in program.graph.nodes:
        if node.op != "placeholder" or node.name not in user_inputs:
            continue
        value = node.meta.get("val")
        shape = tuple(d if isinstance(d, int) else -1 for d in getattr(value, "shape", ()))
        dtype = str(getattr(value, "dtype", "torch.float32")).removeprefix("torch.")
        specs.append(TensorSpec(f"input-{len(specs)}", TYPES.get(dtype, "FP32"), shape))
    return specs


def load(path: Path) -> TensorModel:
    import torch

    module: Callable[..., Any]
    if path.suffix == ".pt2":
        program = torch.export.load(str(path))
        inputs = _exported_inputs(program)
        module = program.module()
        platform = "pytorch_export"
    else:
        with warnings.catch_warnings():  # TorchScript is deprecated upstream, still served
            warnings.simplefilter("ignore", DeprecationWarning)
            scripted = torch.jit.load(str(path), map_location="cpu")  # type: ignore[no-untyped-call]
        scripted.eval()
        module = scripted
        inputs = [TensorSpec("input-0", "FP32", (-1, -1))]
        platform = "pytorch_libtorch"

    def run(request: Tensors, names: Sequence[str]) -> Tensors:
        args = []
        for index, spec in enumerate(inputs):
            if spec.name in request:
                array = request[spec.name]
            elif len(inputs) == 1 and len(request) == 1:
                array = next(iter(request.values()))
            else:
                raise InvalidInput(
                    f"missing input {spec.name!r} (the model takes {[i.name for i in inputs]})"
                )
            dtype = datatypes.NUMPY[spec.datatype]
            args.append(torch.from_numpy(np.ascontiguousarray(as_numeric(array, dtype, spec.name))))
            del index
        with torch.inference_mode():
            result = module(*args)
        if isinstance(result, (tuple, list)):
            arrays = {f"output-{i}": r.detach().numpy() for i, r in enumerate(result)}
        else:
            arrays = {OUTPUT: result.detach().numpy()}
        unknown = [n for n in names if n not in arrays]
        if unknown:
            raise InvalidInput(f"unknown output {unknown[0]!r} (the model has {sorted(arrays)})")
        return {name: arrays[name] for name in names}

    return TensorModel(
        inputs=inputs,
        outputs=[TensorSpec(OUTPUT, "FP32", (-1, -1))],
        run=run,
        platform=platform,
    )
