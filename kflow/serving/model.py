"""The two shapes a served model can take.

`TensorModel` is what every built-in format loads into: named tensors in, named
tensors out, batch dimension first. Because it speaks tensors, every protocol can
drive it and the batcher can merge requests for it.

`Model` is the class users write, shaped like KServe's `kserve.Model`: `load`,
`preprocess`, `predict`, `postprocess` (and optionally `explain`), each sync or async.
It receives the request body as the protocol gives it (the JSON object for TF
Serving/KServe V1, a dict of numpy arrays for V2) and returns what goes back, so
code written for KServe keeps working. `PythonModel` adapts any such object. A
`Model` with a predictor host is a transformer: its `predict` asks the predictor
(`forwarding.py`), so a transformer defines only `preprocess` and `postprocess`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kflow.serving.datatypes import Array
from kflow.serving.errors import Unsupported
from kflow.serving.forwarding import PredictorHop, forward

Tensors = dict[str, Array]


@dataclass(frozen=True)
class TensorSpec:
    """One input or output of a model, as V2 metadata shows it."""

    name: str
    datatype: str  # a V2 datatype (`FP32`, `INT64`, `BYTES`, ...)
    shape: tuple[int, ...]  # -1 where any size goes; the first dimension is the batch


@dataclass
class TensorModel:
    """A loaded model version that maps named tensors to named tensors."""

    inputs: list[TensorSpec]
    outputs: list[TensorSpec]  # every output a request may ask for
    run: Callable[[Tensors, Sequence[str]], Tensors]  # sync; called in a worker thread
    platform: str  # the V2 `platform` string, e.g. `sklearn`, `onnxruntime_onnx`
    default_outputs: tuple[str, ...] = ()  # returned when a request names none (empty: all)
    class_labels: list[Any] | None = None  # what `:classify` reports for each score column
    close: Callable[[], None] | None = None  # frees what `run` holds, when unloaded
    extra: dict[str, Any] = field(default_factory=dict)  # format-specific facts for metadata

    def output_names(self, requested: Sequence[str]) -> list[str]:
        """The outputs a request gets: what it named, else the defaults, else all."""
        if requested:
            return list(requested)
        return list(self.default_outputs) or [spec.name for spec in self.outputs]

    def predict(self, inputs: Tensors, requested: Sequence[str] = ()) -> Tensors:
        return self.run(inputs, self.output_names(requested))


class Model:
    """Base class for custom models, with KServe's `kserve.Model` shape.

    Override `load` to read weights (set `self.ready = True` or return True) and
    `predict`; `preprocess`/`postprocess` default to passing the payload through. Any
    of them may be `async def`. A transformer passes `predictor_host` (and `protocol`,
    `v1` or `v2`), as KServe's `--predictor_host` and `--protocol` give them, or gets
    them from `kflow serve --predictor_host`, and keeps the `predict` defined here.
    """

    def __init__(self, name: str, predictor_host: str | None = None, protocol: str = "v1") -> None:
        self.name = name
        self.ready = False
        self.predictor_host = predictor_host
        self.protocol = protocol

    def load(self) -> bool:
        self.ready = True
        return True

    def preprocess(self, payload: Any, headers: Mapping[str, str] | None = None) -> Any:
        return payload

    async def predict(self, payload: Any, headers: Mapping[str, str] | None = None) -> Any:
        """A transformer's hop: what `preprocess` returned, answered by the predictor."""
        if not self.predictor_host:
            raise NotImplementedError(
                "a custom model must define predict(); a transformer needs a predictor host "
                "(--predictor_host)"
            )
        hop = PredictorHop(self.predictor_host, self.protocol)
        return await forward(hop, self.name, payload, headers or {})

    def postprocess(self, result: Any, headers: Mapping[str, str] | None = None) -> Any:
        return result


async def _call(fn: Callable[..., Any], payload: Any, headers: Mapping[str, str]) -> Any:
    """Call a user hook with or without `headers`, awaiting it if it is async."""
    try:
        takes_headers = len(inspect.signature(fn).parameters) >= 2
    except (TypeError, ValueError):
        takes_headers = False
    args = (payload, headers) if takes_headers else (payload,)
    if inspect.iscoroutinefunction(fn):
        return await fn(*args)
    result = fn(*args)
    if inspect.isawaitable(result):
        return await result
    return result


class PythonModel:
    """A user's model object (`Model` subclass, `kserve.Model` or duck-typed) as served."""

    platform = "python"

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    async def load(self) -> None:
        hook = getattr(self.obj, "load", None)
        if hook is None:
            return
        result = hook()
        if inspect.isawaitable(result):
            await result

    async def infer(self, payload: Any, headers: Mapping[str, str]) -> Any:
        """preprocess -> predict -> postprocess; a sync predict runs in a worker thread."""
        # a duck-typed class may have only predict(): the other hooks pass through
        preprocess = getattr(self.obj, "preprocess", None)
        if preprocess is not None:
            payload = await _call(preprocess, payload, headers)
        predict = self.obj.predict
        if inspect.iscoroutinefunction(predict):
            result = await _call(predict, payload, headers)
        else:
            result = await asyncio.to_thread(_sync_call, predict, payload, headers)
        postprocess = getattr(self.obj, "postprocess", None)
        return result if postprocess is None else await _call(postprocess, result, headers)

    def forward_to(self, hop: PredictorHop, name: str) -> None:
        """Make the user's object a transformer of the predictor at `hop`, serving `name`
        (KServe's `predictor_host`, `protocol` and `name` attributes), unless it was
        given a predictor host of its own."""
        if getattr(self.obj, "predictor_host", None):
            return
        self.obj.predictor_host = hop.host
        self.obj.protocol = hop.protocol
        self.obj.name = name

    async def explain(self, payload: Any, headers: Mapping[str, str]) -> Any:
        hook = getattr(self.obj, "explain", None)
        if hook is None:
            raise Unsupported(f"model {self.name!r} does not provide explain()")
        return await _call(hook, payload, headers)

    @property
    def name(self) -> str:
        return str(getattr(self.obj, "name", type(self.obj).__name__))

    def close(self) -> None:
        hook = getattr(self.obj, "unload", None)
        if hook is not None:
            hook()


def _sync_call(fn: Callable[..., Any], payload: Any, headers: Mapping[str, str]) -> Any:
    try:
        takes_headers = len(inspect.signature(fn).parameters) >= 2
    except (TypeError, ValueError):
        takes_headers = False
    return fn(payload, headers) if takes_headers else fn(payload)


Servable = TensorModel | PythonModel
