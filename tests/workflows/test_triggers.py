"""What wakes a workflow: changes it has not seen, not its own writes or its pods' bookkeeping."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.kinds import registry
from kflow.controllers.garbage_collector import DEPENDENT, GarbageCollector
from kflow.controllers.workflows import WorkflowController, register_workflow_validation
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import EventType, WatchEvent
from kflow.store.memory import MemoryStore
from tests.workflows.harness import NAMESPACE, WORKFLOWS, sh, workflow

Obj = dict[str, Any]


def _store() -> MemoryStore:
    store = MemoryStore()
    store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    )
    return store


def test_a_pass_is_not_woken_by_its_own_status_write(tmp_path: Path) -> None:
    async def main() -> None:
        store = _store()
        register_workflow_validation()
        controller = WorkflowController(store, LocalRuntime(tmp_path / "runtime"), tmp_path)
        workflows = controller.watches()[0].mapper
        body = workflow("own", [sh("step", "true")])
        info = registry.by_resource(WORKFLOWS)
        store.create(WORKFLOWS, admit(info, body, None, operation="CREATE", version="v1alpha1"))
        watch = store.watch(WORKFLOWS, resource_version=str(store.resource_version()))
        events = aiter(watch)
        await controller.reconcile((NAMESPACE, "own"))  # creates the pod, writes status
        status = await anext(events)
        assert status.type is EventType.MODIFIED and status.object["status"]["nodes"]
        labels = await anext(events)  # then Argo's phase label
        assert m.labels_of(labels.object)["workflows.argoproj.io/phase"] == "Running"
        assert workflows(status) == workflows(labels) == []  # the pass saw all they hold
        edited = m.clone(store.get(WORKFLOWS, NAMESPACE, "own"))
        m.meta(edited)["labels"]["team"] = "a"
        store.update(WORKFLOWS, edited)  # someone else's change
        assert workflows(await anext(events)) == [(NAMESPACE, "own")]
        watch.close()

    asyncio.run(main())


def _pod_event(kind: EventType, pod: Obj, previous: Obj | None = None) -> WatchEvent:
    return WatchEvent(kind, "pods", pod, 1, previous)


def test_only_a_pods_status_or_deletion_wakes_its_workflow(tmp_path: Path) -> None:
    controller = WorkflowController(_store(), LocalRuntime(tmp_path / "runtime"), tmp_path)
    pods = controller.watches()[1].mapper
    pod: Obj = {
        "metadata": {
            "name": "p",
            "namespace": NAMESPACE,
            "labels": {"workflows.argoproj.io/workflow": "wf"},
        },
        "status": {"phase": "Pending"},
    }
    bound = copy.deepcopy(pod)
    bound["metadata"]["finalizers"] = ["kflow.dev/process"]
    running = copy.deepcopy(bound)
    running["status"]["phase"] = "Running"
    deleting = copy.deepcopy(running)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    key = [(NAMESPACE, "wf")]
    assert pods(_pod_event(EventType.ADDED, pod)) == []  # the workflow made it
    assert pods(_pod_event(EventType.MODIFIED, bound, pod)) == []  # the pod controller's finalizer
    assert pods(_pod_event(EventType.MODIFIED, running, bound)) == key
    assert pods(_pod_event(EventType.MODIFIED, deleting, running)) == key
    assert pods(_pod_event(EventType.MODIFIED, running)) == key  # without the old object: look
    assert pods(_pod_event(EventType.DELETED, running)) == key


def test_the_garbage_collector_checks_owners_when_references_change() -> None:
    collector = GarbageCollector(_store())
    mapper = collector.watches()[0].mapper
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u1"}
    obj: Obj = {"metadata": {"name": "d", "namespace": NAMESPACE, "ownerReferences": [owner]}}
    changed = copy.deepcopy(obj)
    changed["status"] = {"phase": "Running"}
    moved = copy.deepcopy(changed)
    moved["metadata"]["ownerReferences"] = [{**owner, "name": "o2", "uid": "u2"}]

    def checks(event: WatchEvent) -> bool:
        return any(k[0] == DEPENDENT for k in mapper(event))  # type: ignore[index]

    assert checks(WatchEvent(EventType.ADDED, "pods", obj, 1))
    assert not checks(WatchEvent(EventType.MODIFIED, "pods", changed, 2, obj))
    assert checks(WatchEvent(EventType.MODIFIED, "pods", moved, 3, changed))
