"""A control plane in the test process for the workflow controller's tests.

MemoryStore, the real local runtime (steps are real processes), the pod controller,
the garbage collector and the workflow controller, driven by one Manager.
Workflows are admitted like the server admits them (`submit`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kflow.api import argo, batch, core  # noqa: F401  (registers the kinds)
from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.kinds import registry
from kflow.controllers.events import EventRecorder
from kflow.controllers.garbage_collector import GarbageCollector
from kflow.controllers.jobs import JobController
from kflow.controllers.manager import Manager
from kflow.controllers.pods import PodController
from kflow.controllers.workflows import (
    CronWorkflowController,
    WorkflowController,
    register_workflow_validation,
)
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until

PY = sys.executable
WORKFLOWS = "workflows.argoproj.io"
NAMESPACE = "default"
FINISHED = ("Succeeded", "Failed", "Error")


def runs_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test function in a fresh event loop (the suite has no async plugin)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


def workflow(name: str, templates: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    """A Workflow whose entrypoint is the first template."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"entrypoint": templates[0]["name"], "templates": templates, **spec},
    }


def sh(name: str, script: str, **fields: Any) -> dict[str, Any]:
    """A container template running `sh -c script`."""
    return {
        "name": name,
        "container": {"image": "alpine", "command": ["sh", "-c", script]},
        **fields,
    }


def python(name: str, source: str, **fields: Any) -> dict[str, Any]:
    """A script template run by this Python."""
    return {
        "name": name,
        "script": {"image": "python", "command": [PY], "source": source},
        **fields,
    }


@dataclass
class Plane:
    store: Store
    manager: Manager
    controller: WorkflowController
    runtime: LocalRuntime

    def submit(self, body: dict[str, Any]) -> dict[str, Any]:
        info = registry.by_resource(WORKFLOWS)
        return self.store.create(
            WORKFLOWS, admit(info, body, None, operation="CREATE", version="v1alpha1")
        )

    def get(self, name: str) -> dict[str, Any]:
        return self.store.get(WORKFLOWS, NAMESPACE, name)

    def phase(self, name: str) -> str:
        return str((self.get(name).get("status") or {}).get("phase") or "")

    def nodes(self, name: str) -> dict[str, dict[str, Any]]:
        """The workflow's nodes by display name."""
        nodes = (self.get(name).get("status") or {}).get("nodes") or {}
        return {str(n.get("displayName")): n for n in nodes.values()}

    async def run(self, body: dict[str, Any], timeout: float = 60) -> dict[str, Any]:
        """Submit a workflow and wait until it has finished; its final body."""
        self.submit(body)
        name = body["metadata"]["name"]
        await async_wait_until(lambda: self.phase(name) in FINISHED, timeout=timeout, interval=0.05)
        return self.get(name)


@asynccontextmanager
async def control_plane(
    tmp: Path,
    *,
    store: Store | None = None,
    now: Callable[[], dt.datetime] = m.now,
    artifact_repository: str | None = None,
) -> AsyncIterator[Plane]:
    """`now` is the CronWorkflow controller's clock (tests steer it to schedule times)."""
    store = store or MemoryStore()
    if not store.list("namespaces").items:
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        )
    register_workflow_validation()
    runtime = LocalRuntime(
        tmp / "runtime", capacity=Capacity(cpu=16, memory=2**35, gpu=0), backoff_base=0.05
    )
    recorder = EventRecorder(store)
    manager = Manager(store)
    manager.add(PodController(store, runtime, recorder))
    manager.add(GarbageCollector(store, registry))
    manager.add(JobController(store, recorder))  # for resource templates that make Jobs
    controller = WorkflowController(
        store, runtime, tmp, recorder, artifact_repository=artifact_repository
    )
    manager.add(controller)
    manager.add(CronWorkflowController(store, recorder, now=now))
    await manager.start()
    try:
        yield Plane(store, manager, controller, runtime)
    finally:
        for resource in ("cronworkflows.argoproj.io", WORKFLOWS):  # nothing may make new pods
            for obj in store.list(resource).items:
                store.delete(resource, m.namespace_of(obj), m.name_of(obj))
        for pod in store.list("pods").items:
            store.delete("pods", m.namespace_of(pod), m.name_of(pod), grace_period_seconds=0)
        await async_wait_until(lambda: not store.list("pods").items, timeout=20)
        await async_wait_until(lambda: not runtime.known_pods(), timeout=20)
        await manager.stop()
        await runtime.close()


def show(wf: dict[str, Any]) -> str:
    """A workflow's nodes, one per line, for assertion messages."""
    nodes = (wf.get("status") or {}).get("nodes") or {}
    return "\n".join(
        f"{n.get('name')} {n.get('type')} {n.get('phase')} {n.get('message', '')}"
        for n in sorted(nodes.values(), key=lambda n: str(n.get("startedAt")) + str(n.get("name")))
    )
