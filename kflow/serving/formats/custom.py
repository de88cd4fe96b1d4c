"""Custom Python models: a `model.py` defining a class with `predict` (KServe's shape).

The first class defined in the file that has a `predict` method is the model. It is
built with the model's name if its constructor takes one (as `kserve.Model` does),
and `load()` is called (sync or async) before it takes traffic. A class that builds a
`TensorModel` instead (a `tensor_model()` method) gets the tensor path: every
protocol, and batching.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import itertools
import sys
from pathlib import Path
from typing import Any

from kflow.serving.errors import ModelLoadError
from kflow.serving.model import PythonModel, Servable, TensorModel

_counter = itertools.count()


def _model_class(module: Any, path: Path) -> type[Any]:
    for value in vars(module).values():
        if (
            inspect.isclass(value)
            and value.__module__ == module.__name__
            and callable(getattr(value, "predict", None) or getattr(value, "tensor_model", None))
        ):
            return value
    raise ModelLoadError(f"{path} defines no class with a predict() method")


def load(path: Path) -> Servable:
    # a unique module name per load, so two versions of the same file never share state
    name = f"kflow_served_model_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    cls = _model_class(module, path)
    try:
        obj = cls(path.parent.parent.name if path.parent.name.isdigit() else path.parent.name)
    except TypeError:
        obj = cls()
    if hasattr(obj, "tensor_model"):
        built = obj.tensor_model()
        if not isinstance(built, TensorModel):
            raise ModelLoadError(f"{cls.__name__}.tensor_model() must return a TensorModel")
        return built
    served = PythonModel(obj)
    asyncio.run(served.load())  # loaders run in a worker thread: no loop is running here
    return served
