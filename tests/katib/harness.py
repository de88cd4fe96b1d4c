"""A control plane in the test process for the Katib controller tests.

MemoryStore, the real local runtime (trials are real processes), the pod and batch
Job controllers, the Katib controllers and an in-memory observation log, driven by
one Manager. Experiments are admitted like the server admits them.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kflow.api import batch, core, katib, training  # noqa: F401  (registers the kinds)
from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.kinds import registry
from kflow.controllers.events import EventRecorder
from kflow.controllers.garbage_collector import GarbageCollector
from kflow.controllers.jobs import JobController
from kflow.controllers.katib import katib_controllers
from kflow.controllers.manager import Manager
from kflow.controllers.pods import PodController
from kflow.controllers.training import training_controllers
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from kflow.store.memory import MemoryStore
from kflow.store.memory_observations import MemoryObservationLog
from kflow.store.observations import ObservationLog
from tests.conftest import async_wait_until

PY = sys.executable
EXPERIMENTS = "experiments.kubeflow.org"
TRIALS = "trials.kubeflow.org"
SUGGESTIONS = "suggestions.kubeflow.org"


def runs_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test function in a fresh event loop (the suite has no async plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def experiment(
    name: str,
    code: str,
    *,
    parameters: list[dict[str, Any]] | None = None,
    objective: dict[str, Any] | None = None,
    algorithm: str = "random",
    settings: dict[str, str] | None = None,
    max_trials: int = 4,
    parallel: int = 2,
    max_failed: int | None = None,
    collector: dict[str, Any] | None = None,
    early_stopping: dict[str, Any] | None = None,
    resume_policy: str | None = None,
    args: list[str] | None = None,
) -> dict[str, Any]:
    """An admitted Experiment whose trials run `python -c code --x=<x>` as a batch Job."""
    spec: dict[str, Any] = {
        "objective": objective or {"type": "minimize", "objectiveMetricName": "loss"},
        "algorithm": {
            "algorithmName": algorithm,
            "algorithmSettings": [{"name": k, "value": v} for k, v in (settings or {}).items()],
        },
        "parallelTrialCount": parallel,
        "maxTrialCount": max_trials,
        "parameters": parameters
        or [{"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}],
        "trialTemplate": {
            "primaryContainerName": "main",
            "trialParameters": [{"name": "x", "reference": "x"}],
            "trialSpec": {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "main",
                                    "image": "python",
                                    "command": [PY, "-c", code],
                                    "args": args or ["${trialParameters.x}"],
                                }
                            ],
                        }
                    }
                },
            },
        },
    }
    if max_failed is not None:
        spec["maxFailedTrialCount"] = max_failed
    if collector is not None:
        spec["metricsCollectorSpec"] = collector
    if early_stopping is not None:
        spec["earlyStopping"] = early_stopping
    if resume_policy is not None:
        spec["resumePolicy"] = resume_policy
    body = {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }
    info = registry.by_resource(EXPERIMENTS)
    return admit(info, body, None, operation="CREATE", version="v1beta1")


@dataclass
class Plane:
    store: Store
    observations: ObservationLog
    manager: Manager

    def experiment(self, name: str) -> dict[str, Any]:
        return self.store.get(EXPERIMENTS, "default", name)

    def trials(self, name: str) -> list[dict[str, Any]]:
        return [
            t
            for t in self.store.list(TRIALS, "default").items
            if m.labels_of(t).get("katib.kubeflow.org/experiment") == name
        ]

    def finished(self, name: str) -> tuple[str, str] | None:
        for cond in (self.experiment(name).get("status") or {}).get("conditions") or []:
            if cond["type"] in ("Succeeded", "Failed") and cond["status"] == "True":
                return cond["type"], cond["reason"]
        return None

    async def wait_finished(self, name: str, timeout: float = 60) -> tuple[str, str]:
        await async_wait_until(lambda: self.finished(name), timeout=timeout, interval=0.05)
        done = self.finished(name)
        assert done is not None
        return done


@asynccontextmanager
async def control_plane(
    runtime_dir: Path,
    *,
    store: Store | None = None,
    observations: ObservationLog | None = None,
) -> AsyncIterator[Plane]:
    store = store or MemoryStore()
    observations = observations or MemoryObservationLog()
    if not store.list("namespaces").items:
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        )
    runtime = LocalRuntime(
        runtime_dir, capacity=Capacity(cpu=16, memory=2**35, gpu=0), backoff_base=0.05
    )
    recorder = EventRecorder(store)
    manager = Manager(store)
    manager.add(PodController(store, runtime, recorder))
    manager.add(JobController(store, recorder))
    manager.add(GarbageCollector(store, registry))
    for controller in training_controllers(store, runtime, recorder):
        manager.add(controller)
    for controller in katib_controllers(store, runtime, observations, recorder, poll_seconds=0.2):
        manager.add(controller)
    await manager.start()
    try:
        yield Plane(store, observations, manager)
    finally:
        for pod in store.list("pods").items:
            store.delete("pods", m.namespace_of(pod), m.name_of(pod), grace_period_seconds=0)
        await async_wait_until(lambda: not store.list("pods").items, timeout=20)
        # and gone from the runtime too, which removes the mount points pods made
        await async_wait_until(lambda: not runtime.known_pods(), timeout=20)
        await manager.stop()
        await runtime.close()
