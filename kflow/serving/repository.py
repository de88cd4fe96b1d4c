"""The model repository: named models, their versions, and the watch that swaps them.

Each `ServedModel` follows TF Serving's version life cycle. `poll()` is one step of
the watch: it reads the version directories on disk, asks the `VersionPolicy` which
should be served, loads (and warms up) new ones in a worker thread — never on the
request path — and only then makes them available; versions the policy drops stop
taking new requests at once and are unloaded when their last request has finished.
A request resolves its version once (`resolve`) and keeps it, so a swap never fails
a request in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kflow.serving import codec, formats, storage
from kflow.serving.batching import Batcher, BatchingConfig
from kflow.serving.errors import (
    InvalidInput,
    ModelLoadError,
    ModelNotFound,
    ModelNotReady,
    ServingError,
)
from kflow.serving.execution import CallSite
from kflow.serving.forwarding import PredictorHop
from kflow.serving.model import PythonModel, Servable, TensorModel, Tensors
from kflow.serving.versions import VersionPolicy, versions_on_disk

log = logging.getLogger(__name__)

WARMUP_FILE = "warmup.json"  # in a version directory: V2 infer request bodies to run first


class VersionState(enum.Enum):
    """TF Serving's `ModelVersionStatus.State`."""

    START = "START"  # seen on disk, not loading yet
    LOADING = "LOADING"  # loading and warming up in a worker thread
    AVAILABLE = "AVAILABLE"  # taking requests
    UNLOADING = "UNLOADING"  # no new requests; waiting for those in flight, then freed
    END = "END"  # unloaded, or failed to load (`error` says why)


@dataclass
class ModelConfig:
    """One model to serve: where it is, how to read it, which versions, batching."""

    name: str
    uri: str  # a path, file://, pvc://, s3://, gs://
    format: str | None = None  # a `formats.FORMATS` name; None: from the files
    policy: VersionPolicy = field(default_factory=VersionPolicy)
    labels: dict[str, int] = field(default_factory=dict)  # e.g. {"stable": 1, "canary": 2}
    batching: BatchingConfig | None = None  # None: every request runs on its own
    claims_root: Path | None = None  # where pvc:// claims live
    predictor: PredictorHop | None = None  # a transformer: where its custom model's predict goes


@dataclass
class ModelVersion:
    """One version of a model and where it is in its life cycle."""

    model: str
    version: int
    path: Path
    state: VersionState = VersionState.START
    error: str = ""  # why loading failed (state END)
    servable: Servable | None = None
    batcher: Batcher | None = None
    calls: CallSite = field(default_factory=CallSite)  # inline or threaded model calls
    inflight: int = 0  # requests holding this version
    idle: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def tensor_model(self) -> TensorModel:
        if self.servable is None:
            raise ModelNotReady(
                f"model {self.model!r} version {self.version} is {self.state.value}"
            )
        if not isinstance(self.servable, TensorModel):
            raise InvalidInput(f"model {self.model!r} is a custom Python model without tensors")
        return self.servable

    def _enter(self) -> None:
        self.inflight += 1
        self.idle.clear()

    def _exit(self) -> None:
        self.inflight -= 1
        if self.inflight == 0:
            self.idle.set()

    async def predict(self, inputs: Tensors, outputs: tuple[str, ...] = ()) -> Tensors:
        """Run the tensor model (batched if configured); outputs keep the batch dimension."""
        self._enter()
        try:
            model = self.tensor_model
            names = tuple(model.output_names(outputs))
            if self.batcher is not None:
                result = await self.batcher.predict(inputs, names)
            else:
                result = await self.calls.call(lambda: model.run(inputs, names), rows(inputs))
            return {name: codec.normalize(value) for name, value in result.items()}
        finally:
            self._exit()

    async def infer_python(self, payload: Any, headers: Mapping[str, str]) -> Any:
        self._enter()
        try:
            assert isinstance(self.servable, PythonModel)
            return await self.servable.infer(payload, headers)
        finally:
            self._exit()

    async def explain(self, payload: Any, headers: Mapping[str, str]) -> Any:
        self._enter()
        try:
            if not isinstance(self.servable, PythonModel):
                from kflow.serving.errors import Unsupported

                raise Unsupported(f"model {self.model!r} does not provide explain()")
            return await self.servable.explain(payload, headers)
        finally:
            self._exit()


def rows(inputs: Tensors) -> int:
    """Rows in a request: the batch dimension of its first input (1 for a scalar)."""
    first = next(iter(inputs.values()), None)
    return int(first.shape[0]) if first is not None and first.ndim else 1


def _warm_up(servable: Servable, path: Path) -> None:
    """Run the version's warm-up requests, or one row of zeros when shapes are known."""
    if not isinstance(servable, TensorModel):
        return
    file = path / WARMUP_FILE if path.is_dir() else path.parent / WARMUP_FILE
    if file.is_file():
        try:
            bodies = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"{file}: not JSON: {exc}") from None
        for index, body in enumerate(bodies if isinstance(bodies, list) else [bodies]):
            inputs = {
                spec["name"]: codec.from_json(
                    spec.get("data"),
                    spec.get("datatype", ""),
                    spec.get("shape"),
                    f"{file.name}[{index}].inputs[{n}]",
                )
                for n, spec in enumerate(body.get("inputs", []))
            }
            servable.predict(inputs)
        return
    if all(all(d >= 0 for d in spec.shape[1:]) for spec in servable.inputs):
        with contextlib.suppress(Exception):  # best effort: the first real call warms it too
            servable.predict(
                {s.name: codec.zeros((1, *s.shape[1:]), s.datatype) for s in servable.inputs}
            )


def _load(path: Path, format_name: str | None) -> Servable:
    servable = formats.load(path, format_name)
    _warm_up(servable, path)
    return servable


class ServedModel:
    """A named model with its versions."""

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.versions: dict[int, ModelVersion] = {}
        self.loaded = True  # False after a repository unload
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return self.config.name

    def available(self) -> list[ModelVersion]:
        return sorted(
            (v for v in self.versions.values() if v.state is VersionState.AVAILABLE),
            key=lambda v: v.version,
        )

    def resolve(self, version: str | int | None = None, label: str | None = None) -> ModelVersion:
        """The version a request goes to: a number, a label, or the latest available."""
        if label is not None:
            if label not in self.config.labels:
                known = ", ".join(sorted(self.config.labels)) or "none"
                raise ModelNotFound(f"model {self.name!r} has no label {label!r} (labels: {known})")
            version = self.config.labels[label]
        if version is not None:
            try:
                number = int(version)
            except ValueError:
                raise ModelNotFound(
                    f"model {self.name!r}: version {version!r} is not a number"
                ) from None
            found = self.versions.get(number)
            if found is None:
                raise ModelNotFound(
                    f"model {self.name!r} has no version {number} "
                    f"(versions: {', '.join(str(v) for v in sorted(self.versions)) or 'none'})"
                )
            if found.state is not VersionState.AVAILABLE:
                raise ModelNotReady(
                    f"model {self.name!r} version {number} is {found.state.value}"
                    + (f": {found.error}" if found.error else "")
                )
            return found
        available = self.available()
        if not available:
            errors = [v.error for v in self.versions.values() if v.error]
            raise ModelNotReady(
                f"model {self.name!r} has no version ready"
                + (f" (last error: {errors[-1]})" if errors else "")
            )
        return available[-1]

    def _desired(self) -> dict[int, Path]:
        if not self.loaded:
            return {}
        base = storage.resolve(self.config.uri, claims_root=self.config.claims_root)
        on_disk = versions_on_disk(base)
        if on_disk is None:
            return {1: base}
        return {v: on_disk[v] for v in self.config.policy.select(list(on_disk))}

    async def poll(self) -> None:
        """One step of the watch: load what the policy wants, then unload what it dropped."""
        async with self._lock:
            try:
                desired = await asyncio.to_thread(self._desired)
            except ServingError as exc:
                log.warning("model %s: %s", self.name, exc)
                desired = {}
            for number, path in sorted(desired.items()):
                current = self.versions.get(number)
                if current is not None and current.state is not VersionState.END:
                    continue
                if current is not None and current.error and current.path == path:
                    continue  # failed before: retried when the directory changes or on load
                await self._load_version(ModelVersion(self.name, number, path))
            # availability first: keep old versions until a wanted one is up (or none is wanted)
            if desired and not any(
                self.versions[n].state is VersionState.AVAILABLE for n in desired
            ):
                return
            for number, version in list(self.versions.items()):
                if number not in desired and version.state is VersionState.AVAILABLE:
                    await self._unload_version(version)

    async def _load_version(self, version: ModelVersion) -> None:
        version.state = VersionState.LOADING
        self.versions[version.version] = version
        try:
            servable = await asyncio.to_thread(_load, version.path, self.config.format)
        except ServingError as exc:
            version.state, version.error = VersionState.END, str(exc)
            log.error("model %s version %d: %s", self.name, version.version, exc)
            return
        except Exception as exc:  # a user's warm-up or load() raising anything
            version.state, version.error = VersionState.END, f"{type(exc).__name__}: {exc}"
            log.error("model %s version %d: %s", self.name, version.version, version.error)
            return
        if self.config.predictor is not None:
            if not isinstance(servable, PythonModel):
                version.state = VersionState.END
                version.error = (
                    "a predictor host makes a transformer of a custom model (a model.py class "
                    f"with preprocess/postprocess); {version.path} holds a tensor model"
                )
                log.error("model %s version %d: %s", self.name, version.version, version.error)
                return
            servable.forward_to(self.config.predictor, self.name)
        version.servable = servable
        if self.config.batching is not None and isinstance(servable, TensorModel):
            version.batcher = Batcher(servable.run, self.config.batching, version.calls)
        version.idle.set()
        version.state = VersionState.AVAILABLE
        log.info("model %s version %d available", self.name, version.version)

    async def _unload_version(self, version: ModelVersion) -> None:
        version.state = VersionState.UNLOADING
        await version.idle.wait()
        if version.batcher is not None:
            await version.batcher.close()
        servable, version.servable, version.batcher = version.servable, None, None
        close = getattr(servable, "close", None)
        if callable(close):
            await asyncio.to_thread(close)
        version.state = VersionState.END
        log.info("model %s version %d unloaded", self.name, version.version)

    async def unload(self) -> None:
        self.loaded = False
        await self.poll()

    async def load(self) -> None:
        self.loaded = True
        for version in self.versions.values():
            version.error = ""  # an explicit load retries versions that failed
        await self.poll()
        self.resolve()  # raise if nothing came up


class ModelRepository:
    """Every model this server serves, by name."""

    def __init__(self, root: Path | None = None) -> None:
        self.models: dict[str, ServedModel] = {}
        self.root = root  # where V2 `repository/models/<name>/load` finds models not yet known

    async def add(self, config: ModelConfig) -> ServedModel:
        if config.name in self.models:
            raise InvalidInput(f"model {config.name!r} is already served")
        model = ServedModel(config)
        self.models[config.name] = model
        await model.poll()
        return model

    def get(self, name: str) -> ServedModel:
        try:
            return self.models[name]
        except KeyError:
            raise ModelNotFound(
                f"model {name!r} is not served (models: {', '.join(sorted(self.models)) or 'none'})"
            ) from None

    async def poll(self) -> None:
        for model in list(self.models.values()):
            await model.poll()

    async def watch(self, interval: float) -> None:
        """Poll every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.poll()
            except Exception:  # the watch must outlive one bad poll
                log.exception("polling the model repository failed")

    async def load(self, name: str) -> ServedModel:
        if name not in self.models:
            if self.root is None or not (self.root / name).exists():
                raise ModelNotFound(f"no model {name!r} in the repository")
            await self.add(ModelConfig(name=name, uri=str(self.root / name)))
        model = self.models[name]
        await model.load()
        return model

    async def unload(self, name: str) -> None:
        await self.get(name).unload()

    async def close(self) -> None:
        for model in self.models.values():
            for version in model.versions.values():
                if version.batcher is not None:
                    await version.batcher.close()
