"""A store, the real local runtime and the training controllers, for job tests."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kflow.api import core  # noqa: F401  (registers the core kinds)
from kflow.api import meta as m
from kflow.api.errors import NotFound
from kflow.api.kinds import KindInfo, Registry, registry
from kflow.api.training.contracts import TRAINING_KINDS, TrainingKind
from kflow.controllers.events import EventRecorder
from kflow.controllers.garbage_collector import GarbageCollector
from kflow.controllers.manager import Manager
from kflow.controllers.pods import PodController
from kflow.controllers.training import training_controllers
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until

PY = sys.executable
Obj = dict[str, Any]


def kinds() -> Registry:
    """The core kinds plus the training kinds, for the garbage collector."""
    reg = Registry()
    for info in registry.all():
        reg.register(info)
    for contract in TRAINING_KINDS.values():
        if not any(i.kind == contract.kind for i in reg.all()):
            reg.register(KindInfo("kubeflow.org", "v1", contract.kind, contract.plural))
    return reg


def replica(code: str, contract: TrainingKind, replicas: int = 1, **spec: Any) -> Obj:
    container: Obj = {
        "name": contract.default_container_name,
        "image": "python:3.11",
        "command": [PY, "-c", code],
        "ports": [{"name": contract.default_port_name, "containerPort": contract.default_port}],
    }
    return {
        "replicas": replicas,
        "restartPolicy": spec.pop("restartPolicy", "Never"),
        "template": {"spec": {"containers": [container], "terminationGracePeriodSeconds": 2}},
        **spec,
    }


def job(contract: TrainingKind, name: str, specs: dict[str, Obj], **spec: Any) -> Obj:
    return {
        "apiVersion": contract.api_version,
        "kind": contract.kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {contract.replica_specs_field: specs, **spec},
    }


def condition(store: Store, contract: TrainingKind, name: str, type_: str) -> Obj | None:
    try:
        obj = store.get(contract.resource, "default", name)
    except NotFound:
        return None
    cond = m.condition(obj, type_)
    return cond if cond and cond.get("status") == "True" else None


def pods_of(store: Store, name: str) -> list[Obj]:
    return [
        p
        for p in store.list("pods", "default").items
        if m.labels_of(p).get("training.kubeflow.org/job-name") == name
    ]


def phases(store: Store, name: str) -> dict[str, str]:
    return {m.name_of(p): (p.get("status") or {}).get("phase", "") for p in pods_of(store, name)}


def reasons(store: Store) -> list[str]:
    return [str(e["reason"]) for e in store.list("events", "default").items]


async def logs_of(runtime: LocalRuntime, store: Store, pod: str, container: str) -> str:
    uid = m.meta(store.get("pods", "default", pod))["uid"]
    return b"".join([chunk async for chunk in runtime.logs(uid, container)]).decode()


def run(
    tmp_path: Path,
    body: Callable[[Store, LocalRuntime], Awaitable[None]],
    *,
    cpu: float = 8.0,
    leader_wait_seconds: float = 10.0,
) -> None:
    async def main() -> None:
        store = MemoryStore()
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        )
        runtime = LocalRuntime(
            tmp_path / "runtime", capacity=Capacity(cpu=cpu, memory=2**34, gpu=0), backoff_base=0.05
        )
        recorder = EventRecorder(store)
        manager = Manager(store)
        manager.add(PodController(store, runtime, recorder))
        manager.add(GarbageCollector(store, kinds()))
        for controller in training_controllers(
            store, runtime, recorder, leader_wait_seconds=leader_wait_seconds
        ):
            manager.add(controller)
        await manager.start()
        try:
            await body(store, runtime)
        finally:
            for contract in TRAINING_KINDS.values():
                for obj in store.list(contract.resource).items:
                    store.delete(contract.resource, "default", m.name_of(obj))
            for p in store.list("pods").items:
                store.delete("pods", "default", m.name_of(p), grace_period_seconds=0)
            await async_wait_until(lambda: not store.list("pods").items, timeout=20)
            await manager.stop()

    asyncio.run(main())
