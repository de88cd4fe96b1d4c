"""The pod controller with the real local runtime: store objects become processes and back."""

from __future__ import annotations

import asyncio
import base64
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kflow.api import core  # noqa: F401  (registers the core kinds)
from kflow.api import meta as m
from kflow.api.errors import NotFound
from kflow.controllers.manager import Manager
from kflow.controllers.pods import FINALIZER, PORTS_ANNOTATION, PodController
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until

PY = sys.executable


def pod(name: str, code: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": "python:3.11", "command": [PY, "-c", code]}
    container.update(spec.pop("container", {}))
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", **spec.pop("metadata", {})},
        "spec": {"restartPolicy": "Never", "containers": [container], **spec},
    }


def phase(store: Store, name: str) -> str:
    try:
        return str((store.get("pods", "default", name).get("status") or {}).get("phase") or "")
    except NotFound:
        return "<gone>"


def run(
    tmp_path: Path, body: Callable[[Store, LocalRuntime], Awaitable[None]], cpu: float = 2.0
) -> None:
    async def main() -> None:
        store = MemoryStore()
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        )
        runtime = LocalRuntime(
            tmp_path / "runtime", capacity=Capacity(cpu=cpu, memory=2**34, gpu=0), backoff_base=0.05
        )
        manager = Manager(store)
        manager.add(PodController(store, runtime))
        await manager.start()
        try:
            await body(store, runtime)
        finally:
            for p in store.list("pods").items:
                store.delete("pods", "default", m.name_of(p), grace_period_seconds=0)
            await async_wait_until(lambda: not store.list("pods").items, timeout=20)
            await manager.stop()

    asyncio.run(main())


async def logs_of(runtime: LocalRuntime, store: Store, name: str, container: str = "main") -> str:
    uid = m.meta(store.get("pods", "default", name))["uid"]
    return b"".join([chunk async for chunk in runtime.logs(uid, container)]).decode()


def test_a_pod_runs_to_completion_with_its_status_written_back(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create("pods", pod("hello", "print('hello')"))
        await async_wait_until(lambda: phase(store, "hello") == "Succeeded")
        obj = store.get("pods", "default", "hello")
        status = obj["status"]
        assert status["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
        assert status["startTime"] and status["podIP"] == "127.0.0.1"
        assert obj["spec"]["nodeName"] == "kflow-local"
        assert FINALIZER in m.meta(obj)["finalizers"]
        assert "hello" in await logs_of(runtime, store, "hello")
        reasons = {e["reason"] for e in store.list("events", "default").items}
        assert {"Scheduled", "Pulled", "Started"} <= reasons

    run(tmp_path, body)


def test_env_resolves_field_refs_config_maps_secrets_and_var_expansion(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(
            "configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cfg", "namespace": "default"},
                "data": {"mode": "fast", "LR": "0.1"},
            },
        )
        secret = base64.b64encode(b"s3cret").decode()
        store.create(
            "secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "sec", "namespace": "default"},
                "data": {"password": secret},
            },
        )
        code = "import os; print(' '.join(os.environ[k] for k in ('NAME','NS','MODE','PW','LR','GREETING')))"
        env = [
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}},
            {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "password"}}},
            {"name": "GREETING", "value": "hi-$(NAME)"},
        ]
        store.create(
            "pods",
            pod(
                "envy", code, container={"env": env, "envFrom": [{"configMapRef": {"name": "cfg"}}]}
            ),
        )
        await async_wait_until(lambda: phase(store, "envy") == "Succeeded")
        assert (
            await logs_of(runtime, store, "envy")
        ).strip() == "envy default fast s3cret 0.1 hi-envy"

    run(tmp_path, body)


def test_a_missing_config_map_keeps_the_pod_pending_until_it_exists(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        env = [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "later", "key": "x"}}}]
        store.create(
            "pods", pod("waits", "import os; print(os.environ['X'])", container={"env": env})
        )

        def says_missing() -> bool:
            cond = m.condition(store.get("pods", "default", "waits"), "PodScheduled") or {}
            return 'configmap "later" not found' in str(cond.get("message"))

        await async_wait_until(says_missing)
        assert phase(store, "waits") == "Pending"
        store.create(
            "configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "later", "namespace": "default"},
                "data": {"x": "now"},
            },
        )
        await async_wait_until(lambda: phase(store, "waits") == "Succeeded", timeout=15)
        assert (await logs_of(runtime, store, "waits")).strip() == "now"

    run(tmp_path, body)


def test_deleting_a_running_pod_stops_its_process_then_removes_it(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(
            "pods", pod("sleeper", "import time; time.sleep(60)", terminationGracePeriodSeconds=5)
        )
        await async_wait_until(lambda: phase(store, "sleeper") == "Running")
        uid = m.meta(store.get("pods", "default", "sleeper"))["uid"]
        marked = store.delete("pods", "default", "sleeper")
        assert (
            m.meta(marked)["deletionTimestamp"]
            and m.meta(marked)["deletionGracePeriodSeconds"] == 5
        )
        await async_wait_until(lambda: phase(store, "sleeper") == "<gone>", timeout=15)
        assert uid not in runtime.known_pods()

    run(tmp_path, body)


def test_pods_that_do_not_fit_wait_with_a_reason_then_start(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        big = {"resources": {"requests": {"cpu": "1500m"}}}
        store.create("pods", pod("first", "import time; time.sleep(1.5)", container=big))
        await async_wait_until(lambda: phase(store, "first") == "Running")
        store.create("pods", pod("second", "pass", container=big))

        def unschedulable() -> bool:
            cond = m.condition(store.get("pods", "default", "second"), "PodScheduled") or {}
            return cond.get("reason") == "Unschedulable" and "Insufficient cpu" in str(
                cond.get("message")
            )

        await async_wait_until(unschedulable)
        await async_wait_until(lambda: phase(store, "second") == "Succeeded", timeout=20)

    run(tmp_path, body)


def test_a_pod_group_starts_all_together_or_not_at_all(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        group = {
            "labels": {"scheduling.x-k8s.io/pod-group": "g"},
            "annotations": {"scheduling.kflow.dev/min-available": "3"},
        }
        for i in range(2):
            store.create("pods", pod(f"member-{i}", "import time; time.sleep(0.5)", metadata=group))
        await asyncio.sleep(0)  # let the controller look at the incomplete group

        def waiting_for_group() -> bool:
            cond = m.condition(store.get("pods", "default", "member-0"), "PodScheduled") or {}
            return "2 of the 3 pods" in str(cond.get("message"))

        await async_wait_until(waiting_for_group)
        assert phase(store, "member-1") == "Pending"
        store.create("pods", pod("member-2", "import time; time.sleep(0.5)", metadata=group))
        await async_wait_until(
            lambda: all(phase(store, f"member-{i}") in ("Running", "Succeeded") for i in range(3))
        )
        starts = [
            store.get("pods", "default", f"member-{i}")["status"]["startTime"] for i in range(3)
        ]
        assert len(set(starts)) <= 2  # started in the same pass (timestamps have 1 s resolution)

    run(tmp_path, body)


def test_declared_ports_are_recorded_on_the_pod(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        code = "import os, time; print(os.environ['KFLOW_PORT_2222']); time.sleep(0.3)"
        store.create("pods", pod("ported", code, container={"ports": [{"containerPort": 2222}]}))
        await async_wait_until(
            lambda: (
                PORTS_ANNOTATION
                in (m.meta(store.get("pods", "default", "ported")).get("annotations") or {})
            )
        )
        await async_wait_until(lambda: phase(store, "ported") == "Succeeded")
        mapped = m.meta(store.get("pods", "default", "ported"))["annotations"][PORTS_ANNOTATION]
        assert (await logs_of(runtime, store, "ported")).strip() in mapped

    run(tmp_path, body)


def test_a_pvc_is_shared_between_pods_at_their_mount_paths(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(
            "persistentvolumeclaims",
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "data", "namespace": "default"},
                "spec": {},
            },
        )
        mount = f"/mnt/kflow-test-{m.random_suffix()}"
        volumes = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
        mounts = {"volumeMounts": [{"name": "d", "mountPath": mount}]}
        store.create(
            "pods",
            pod(
                "writer",
                f"open('{mount}/x','w').write('shared')",
                volumes=volumes,
                container=mounts,
            ),
        )
        await async_wait_until(lambda: phase(store, "writer") == "Succeeded")
        store.create(
            "pods",
            pod("reader", f"print(open('{mount}/x').read())", volumes=volumes, container=mounts),
        )
        await async_wait_until(lambda: phase(store, "reader") in ("Succeeded", "Failed"))
        assert (await logs_of(runtime, store, "reader")).strip() == "shared"
        assert not Path(mount, "x").exists()  # the host's path is untouched

    run(tmp_path, body)
