"""A digits model trained in the test session, and an in-process control plane.

The plane is the store, the real local runtime (replicas are real `kflow serve`
processes), the pod controller, the garbage collector and the InferenceService
controller; `app` is the kflow server over the same store, for the gateway, and the
cluster-local gateway transformers reach their predictor through listens on loopback.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
from fastapi import FastAPI
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from kflow.api import core, kserve  # noqa: F401  (registers the kinds)
from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.kinds import registry
from kflow.api.kserve import contracts as c
from kflow.controllers.events import EventRecorder
from kflow.controllers.garbage_collector import GarbageCollector
from kflow.controllers.manager import Manager
from kflow.controllers.pods import PodController
from kflow.controllers.serving import InferenceServiceController
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.server.app import create_app
from kflow.server.local_gateway import LocalGateway
from kflow.store.interface import Store
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until

GATEWAY_URL = "http://kflow.test"


@dataclass(frozen=True)
class Digits:
    """The digits data set and a classifier trained on it, saved under `directory`."""

    x: np.ndarray
    y: np.ndarray
    directory: Path


@pytest.fixture(scope="session")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Digits:
    x, y = load_digits(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(x / 16.0, y)
    directory = tmp_path_factory.mktemp("models") / "digits"
    directory.mkdir()
    joblib.dump(model, directory / "model.joblib")
    return Digits(x / 16.0, y, directory)


def runs_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test function in a fresh event loop (the suite has no async plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def inference_service(name: str, predictor: dict[str, Any]) -> dict[str, Any]:
    body = {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"predictor": predictor},
    }
    return admit(
        registry.by_resource(c.RESOURCE), body, None, operation="CREATE", version=c.VERSION
    )


@dataclass
class Plane:
    store: Store
    runtime: LocalRuntime
    app: FastAPI

    def isvc(self, name: str) -> dict[str, Any]:
        return self.store.get(c.RESOURCE, "default", name)

    def condition(self, name: str, ctype: str) -> str:
        for cond in (self.isvc(name).get("status") or {}).get("conditions") or []:
            if cond["type"] == ctype:
                return str(cond["status"])
        return ""

    def pods(self, name: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.store.list("pods", "default").items
            if m.labels_of(p).get(c.ISVC_LABEL) == name
        ]

    async def wait_ready(self, name: str, timeout: float = 60) -> None:
        await async_wait_until(
            lambda: self.condition(name, "Ready") == "True", timeout=timeout, interval=0.05
        )


@asynccontextmanager
async def control_plane(runtime_dir: Path) -> AsyncIterator[Plane]:
    store = MemoryStore()
    store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
    )
    runtime = LocalRuntime(
        runtime_dir, capacity=Capacity(cpu=16, memory=2**35, gpu=0), backoff_base=0.05
    )
    recorder = EventRecorder(store)
    manager = Manager(store)
    manager.add(PodController(store, runtime, recorder))
    manager.add(GarbageCollector(store, registry))
    traffic = ServingTraffic()  # what the gateway counts, the autoscaler reads
    controller = InferenceServiceController(
        store, gateway_url=GATEWAY_URL, recorder=recorder, traffic=traffic
    )
    manager.add(controller)
    app = create_app(store=store, runtime=runtime, serving_traffic=traffic)
    local = LocalGateway(app.state.gateway)
    controller.local_gateway = await local.start()
    await manager.start()
    try:
        yield Plane(store, runtime, app)
    finally:
        await local.stop()
        await app.state.gateway.close()
        for isvc in store.list(c.RESOURCE).items:  # else their replicas come back
            store.delete(c.RESOURCE, m.namespace_of(isvc), m.name_of(isvc))
        for pod in store.list("pods").items:
            store.delete("pods", m.namespace_of(pod), m.name_of(pod), grace_period_seconds=0)
        await async_wait_until(lambda: not store.list("pods").items, timeout=20)
        await async_wait_until(lambda: not runtime.known_pods(), timeout=20)
        await manager.stop()
        await runtime.close()
