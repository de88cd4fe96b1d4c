"""The batch/v1 Job controller with the real local runtime: a Job's pods are processes."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from kflow.api import batch, core  # noqa: F401  (registers the kinds)
from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.batch import jobs as j
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from kflow.controllers.events import EventRecorder
from kflow.controllers.jobs import RESOURCE, JobController
from kflow.controllers.manager import Manager
from kflow.controllers.pods import PodController
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until
from tests.test_end_to_end import Up, up  # noqa: F401  (the live `kflow up` fixture)

PY = sys.executable
INFO = registry.by_resource(RESOURCE)


def job(name: str, code: str, restart: str = "Never", **spec: Any) -> dict[str, Any]:
    body = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": restart,
                    "containers": [{"name": "main", "image": "x", "command": [PY, "-c", code]}],
                }
            },
            **spec,
        },
    }
    return admit(INFO, body, None, operation="CREATE", version="v1")


def condition(store: Store, name: str) -> tuple[str, str] | None:
    status = store.get(RESOURCE, "default", name).get("status") or {}
    for cond in status.get("conditions") or []:
        if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
            return cond["type"], cond["reason"]
    return None


def run(tmp_path: Path, body: Callable[[Store], Awaitable[None]]) -> None:
    async def main() -> None:
        store = MemoryStore()
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        )
        runtime = LocalRuntime(
            tmp_path / "runtime", capacity=Capacity(cpu=8, memory=2**34, gpu=0), backoff_base=0.05
        )
        manager = Manager(store)
        manager.add(PodController(store, runtime))
        manager.add(JobController(store, EventRecorder(store, component="job-controller")))
        await manager.start()
        try:
            await body(store)
        finally:
            for p in store.list("pods").items:
                store.delete("pods", "default", m.name_of(p), grace_period_seconds=0)
            await async_wait_until(lambda: not store.list("pods").items, timeout=20)
            await manager.stop()

    asyncio.run(main())


def test_admission_defaults_the_job_like_kubernetes() -> None:
    obj = job("hello", "print(1)")
    spec = obj["spec"]
    assert (spec["completions"], spec["parallelism"], spec["backoffLimit"]) == (1, 1, 6)
    labels = spec["template"]["metadata"]["labels"]
    uid = labels[j.CONTROLLER_UID_LABEL]
    assert labels["controller-uid"] == uid
    assert labels["job-name"] == labels["batch.kubernetes.io/job-name"] == "hello"
    assert spec["selector"] == {"matchLabels": {j.CONTROLLER_UID_LABEL: uid}}


def test_a_pod_template_that_restarts_always_is_rejected_in_kubernetes_words() -> None:
    with pytest.raises(Invalid) as err:
        job("hello", "print(1)", restart="Always")
    assert (
        'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: '
        '"OnFailure", "Never"'
    ) in str(err.value)


def test_completions_run_at_most_parallelism_pods_at_once(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        most = 0

        def sample() -> bool:
            nonlocal most
            running = [
                p
                for p in store.list("pods", "default").items
                if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            ]
            most = max(most, len(running))
            return condition(store, "three") is not None

        store.create(
            RESOURCE, job("three", "import time; time.sleep(0.3)", completions=3, parallelism=2)
        )
        await async_wait_until(sample, timeout=30)
        assert condition(store, "three") == ("Complete", "CompletionsReached")
        assert most <= 2
        status = store.get(RESOURCE, "default", "three")["status"]
        assert status["succeeded"] == 3 and "active" not in status
        assert status["startTime"] and status["completionTime"]
        pods = store.list("pods", "default").items
        assert len(pods) == 3
        assert all(m.name_of(p).startswith("three-") for p in pods)
        reasons = [e["reason"] for e in store.list("events", "default").items]
        assert reasons.count("SuccessfulCreate") == 3 and "Completed" in reasons

    run(tmp_path, body)


def test_failures_past_the_backoff_limit_fail_the_job(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        store.create(RESOURCE, job("bad", "raise SystemExit(3)", backoffLimit=1))
        await async_wait_until(lambda: condition(store, "bad") is not None, timeout=30)
        assert condition(store, "bad") == ("Failed", "BackoffLimitExceeded")
        status = store.get(RESOURCE, "default", "bad")["status"]
        assert status["failed"] == 2
        reasons = {e["reason"] for e in store.list("events", "default").items}
        assert "BackoffLimitExceeded" in reasons

    run(tmp_path, body)


def test_restarts_under_on_failure_count_against_the_backoff_limit(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        store.create(RESOURCE, job("flaky", "raise SystemExit(1)", "OnFailure", backoffLimit=1))
        await async_wait_until(lambda: condition(store, "flaky") is not None, timeout=30)
        assert condition(store, "flaky") == ("Failed", "BackoffLimitExceeded")

    run(tmp_path, body)


def test_active_deadline_fails_the_job_and_stops_its_pods(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        store.create(RESOURCE, job("slow", "import time; time.sleep(60)", activeDeadlineSeconds=1))
        await async_wait_until(lambda: condition(store, "slow") is not None, timeout=30)
        assert condition(store, "slow") == ("Failed", "DeadlineExceeded")
        await async_wait_until(lambda: not store.list("pods", "default").items, timeout=30)

    run(tmp_path, body)


def test_a_suspended_job_runs_nothing_until_resumed(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        store.create(RESOURCE, job("later", "print(1)", suspend=True))

        def suspended() -> bool:
            status = store.get(RESOURCE, "default", "later").get("status") or {}
            return any(c["type"] == "Suspended" for c in status.get("conditions") or [])

        await async_wait_until(suspended)
        assert not store.list("pods", "default").items
        obj = store.get(RESOURCE, "default", "later")
        obj["spec"]["suspend"] = False
        store.update(RESOURCE, obj)
        await async_wait_until(lambda: condition(store, "later") is not None, timeout=30)
        assert condition(store, "later") == ("Complete", "CompletionsReached")

    run(tmp_path, body)


def test_indexed_jobs_give_each_pod_its_completion_index(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        code = "import os; print(os.environ['JOB_COMPLETION_INDEX'])"
        store.create(
            RESOURCE, job("idx", code, completions=2, parallelism=2, completionMode="Indexed")
        )
        await async_wait_until(lambda: condition(store, "idx") is not None, timeout=30)
        indexes = sorted(
            m.meta(p)["annotations"][j.COMPLETION_INDEX_ANNOTATION]
            for p in store.list("pods", "default").items
        )
        assert indexes == ["0", "1"]

    run(tmp_path, body)


def test_a_finished_job_is_deleted_after_its_ttl(tmp_path: Path) -> None:
    async def body(store: Store) -> None:
        store.create(RESOURCE, job("brief", "print(1)", ttlSecondsAfterFinished=0))
        await async_wait_until(lambda: not store.list(RESOURCE, "default").items, timeout=30)

    run(tmp_path, body)


@pytest.mark.kubectl
@pytest.mark.slow
def test_kubectl_runs_a_job_waits_for_it_and_reads_its_logs(up: Up, tmp_path: Path) -> None:  # noqa: F811
    manifest = tmp_path / "hello.yaml"
    manifest.write_text(
        f"""apiVersion: batch/v1
kind: Job
metadata:
  name: hello
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: python:3.11
        command: [{json.dumps(PY)}, -c, "print('hello from a job')"]
"""
    )
    assert "job.batch/hello created" in up.kubectl("apply", "-f", str(manifest))
    up.kubectl("wait", "--for=condition=complete", "job/hello", "--timeout=60s")
    assert up.kubectl("logs", "job/hello").strip() == "hello from a job"
    header, row = up.kubectl("get", "jobs").strip().split("\n")
    assert header.split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert row.split()[:3] == ["hello", "Complete", "1/1"]
    assert "Completed" in up.kubectl("describe", "job", "hello")
    # `kubectl create job` sends the Job as protobuf
    up.kubectl("create", "job", "hi", "--image=x", "--", PY, "-c", "print(42)")
    up.kubectl("wait", "--for=condition=complete", "job/hi", "--timeout=60s")
    assert up.kubectl("logs", "job/hi").strip() == "42"
