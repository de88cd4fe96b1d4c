"""Upstream's lifecycle rules: restart policies, runPolicy, suspend, cleanup, gang."""

from __future__ import annotations

from pathlib import Path

from kflow.api import meta as m
from kflow.api.training.contracts import JAXJOB, MPIJOB, PYTORCHJOB, XGBOOSTJOB
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from tests.conftest import async_wait_until
from tests.controllers.training.harness import (
    condition,
    job,
    phases,
    pods_of,
    reasons,
    replica,
    run,
)

SLEEP = "import time; time.sleep(60)"
SERVE = (  # a master that listens on its port, as a real one does, then waits
    "import os, socket, time\n"
    "s = socket.create_server((os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT'])))\n"
    "time.sleep(60)\n"
)
OK = "pass"
PT = PYTORCHJOB


def pytorch(name: str, master: str, worker: str, workers: int = 1, **spec: object) -> dict:
    policy = spec.pop("restartPolicy", "Never")
    return job(
        PT,
        name,
        {
            "Master": replica(master, PT),
            "Worker": replica(worker, PT, replicas=workers, restartPolicy=policy),
        },
        **spec,
    )


def test_a_worker_failing_under_never_fails_the_job_and_stops_the_master(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(PT.resource, pytorch("f", SERVE, "raise SystemExit(3)"))
        cond = await async_wait_until(lambda: condition(store, PT, "f", "Failed"), timeout=20)
        assert cond["reason"] == "PyTorchJobFailed"
        assert (
            cond["message"] == "PyTorchJob default/f has failed because 1 Worker replica(s) failed."
        )
        # cleanPodPolicy defaults to None: pods are kept, but nothing keeps running
        await async_wait_until(lambda: phases(store, "f").get("f-master-0") == "Failed", timeout=10)
        assert "StoppedReplica" in reasons(store)

    run(tmp_path, body)


def test_exit_code_policy_recreates_retryable_failures_and_fails_on_permanent(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "failed-once"
    flaky = (
        f"import os,sys; p={str(marker)!r}\nif not os.path.exists(p): open(p,'w'); sys.exit(137)"
    )

    async def body(store: Store, runtime: LocalRuntime) -> None:
        wait = SERVE.replace("60", "3")
        store.create(PT.resource, pytorch("retry", wait, flaky, restartPolicy="ExitCode"))
        await async_wait_until(lambda: condition(store, PT, "retry", "Succeeded"), timeout=20)
        assert "PyTorchJobRestarting" in reasons(store)
        assert "ExitedWithCode" in reasons(store)

        store.create(
            PT.resource, pytorch("perm", SERVE, "raise SystemExit(3)", restartPolicy="ExitCode")
        )
        cond = await async_wait_until(lambda: condition(store, PT, "perm", "Failed"), timeout=20)
        assert "replica(s) failed" in cond["message"]

    run(tmp_path, body)


def test_backoff_limit_counts_recreations(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        spec = {"runPolicy": {"backoffLimit": 1}, "restartPolicy": "ExitCode"}
        store.create(PT.resource, pytorch("b", SERVE, "raise SystemExit(130)", **spec))
        cond = await async_wait_until(lambda: condition(store, PT, "b", "Failed"), timeout=20)
        assert (
            cond["message"] == "Job b has failed because it has reached the specified backoff limit"
        )

    run(tmp_path, body)


def test_active_deadline_fails_the_job_and_deletes_its_replicas(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(
            PT.resource, pytorch("d", SERVE, SLEEP, runPolicy={"activeDeadlineSeconds": 1})
        )
        cond = await async_wait_until(lambda: condition(store, PT, "d", "Failed"), timeout=20)
        assert cond["reason"] == "DeadlineExceeded"
        await async_wait_until(lambda: not pods_of(store, "d"), timeout=15)

    run(tmp_path, body)


def test_suspend_deletes_the_replicas_and_resume_brings_them_back(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(PT.resource, pytorch("s", SERVE, SLEEP))
        await async_wait_until(lambda: condition(store, PT, "s", "Running"), timeout=20)
        obj = store.get(PT.resource, "default", "s")
        obj["spec"]["runPolicy"] = {"suspend": True}
        store.update(PT.resource, obj)
        cond = await async_wait_until(lambda: condition(store, PT, "s", "Suspended"), timeout=20)
        assert cond["message"] == "PyTorchJob s is suspended."
        await async_wait_until(lambda: not pods_of(store, "s"), timeout=15)
        obj = store.get(PT.resource, "default", "s")
        obj["spec"]["runPolicy"] = {"suspend": False}
        store.update(PT.resource, obj)
        await async_wait_until(lambda: len(pods_of(store, "s")) == 2, timeout=15)
        resumed = m.condition(store.get(PT.resource, "default", "s"), "Suspended")
        assert resumed and resumed["status"] == "False" and resumed["reason"] == "PyTorchJobResumed"

    run(tmp_path, body)


def test_clean_pod_policy_all_and_running(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(PT.resource, pytorch("all", OK, OK, runPolicy={"cleanPodPolicy": "All"}))
        await async_wait_until(lambda: condition(store, PT, "all", "Succeeded"), timeout=20)
        await async_wait_until(lambda: not pods_of(store, "all"), timeout=15)
        assert not [
            s for s in store.list("services", "default").items if m.name_of(s).startswith("all-")
        ]

        spec = {"runPolicy": {"cleanPodPolicy": "Running"}}
        store.create(PT.resource, pytorch("run", OK, SLEEP, **spec))
        await async_wait_until(lambda: condition(store, PT, "run", "Succeeded"), timeout=20)
        await async_wait_until(lambda: list(phases(store, "run")) == ["run-master-0"], timeout=15)

    run(tmp_path, body)


def test_ttl_deletes_the_finished_job_and_its_pods(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(PT.resource, pytorch("t", OK, OK, runPolicy={"ttlSecondsAfterFinished": 0}))
        await async_wait_until(lambda: not store.list(PT.resource).items, timeout=20)
        await async_wait_until(lambda: not pods_of(store, "t"), timeout=15)

    run(tmp_path, body)


def test_deleting_a_job_deletes_its_pods_and_services(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(PT.resource, pytorch("del", SERVE, SLEEP))
        await async_wait_until(lambda: len(pods_of(store, "del")) == 2, timeout=15)
        store.delete(PT.resource, "default", "del")
        await async_wait_until(lambda: not pods_of(store, "del"), timeout=15)
        await async_wait_until(lambda: not store.list("services", "default").items, timeout=15)

    run(tmp_path, body)


def test_gang_scheduling_labels_the_pod_group_and_followers_wait_for_the_master(
    tmp_path: Path,
) -> None:
    master = (
        "import os, socket\n"
        "s = socket.create_server((os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT'])))\n"
        "n = 0\n"
        "while n < 2:\n"
        "    c = s.accept()[0]\n"
        "    n += bool(c.recv(4))\n"
        "    c.close()\n"
    )
    worker = (
        "import os, socket\n"
        "socket.create_connection((os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT']))).sendall(b'hi')\n"
    )

    async def body(store: Store, runtime: LocalRuntime) -> None:
        spec = {"runPolicy": {"schedulingPolicy": {"minAvailable": 3}}}
        store.create(PT.resource, pytorch("g", master, worker, workers=2, **spec))
        await async_wait_until(lambda: condition(store, PT, "g", "Succeeded"), timeout=30)
        for pod in pods_of(store, "g"):
            assert m.labels_of(pod)["scheduling.x-k8s.io/pod-group"] == "g"
            assert m.meta(pod)["annotations"]["scheduling.kflow.dev/min-available"] == "3"

    run(tmp_path, body)


def test_success_rules_per_kind(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        # JAX: worker 0 (the coordinator) decides
        code = "import os; assert os.environ['NUM_PROCESSES'] == '2'\nif os.environ['PROCESS_ID'] != '0':\n    import time; time.sleep(60)"
        listen = (
            "import os, socket, time\n"
            "if os.environ['PROCESS_ID'] == '0':\n"
            "    s = socket.create_server(('127.0.0.1', int(os.environ['COORDINATOR_PORT'])))\n"
            "    time.sleep(0.5)\n"
        )
        store.create(
            JAXJOB.resource,
            job(JAXJOB, "jx", {"Worker": replica(listen + code, JAXJOB, replicas=2)}),
        )
        await async_wait_until(lambda: condition(store, JAXJOB, "jx", "Succeeded"), timeout=20)
        # XGBoost: the master decides
        xgb = (
            "import os; assert os.environ['RANK'] in ('0', '1') and os.environ['WORLD_SIZE'] == '2'"
        )
        store.create(
            XGBOOSTJOB.resource,
            job(
                XGBOOSTJOB,
                "xg",
                {"Master": replica(xgb, XGBOOSTJOB), "Worker": replica(xgb, XGBOOSTJOB)},
            ),
        )
        await async_wait_until(lambda: condition(store, XGBOOSTJOB, "xg", "Succeeded"), timeout=20)
        # MPI: the launcher decides, created once the workers run
        launcher = "import os; assert os.environ['OMPI_MCA_plm_rsh_agent'].endswith('kubexec.sh')"
        store.create(
            MPIJOB.resource,
            job(
                MPIJOB,
                "mp",
                {
                    "Launcher": replica(launcher, MPIJOB),
                    "Worker": replica(SLEEP, MPIJOB, replicas=2),
                },
                slotsPerWorker=2,
            ),
        )
        await async_wait_until(lambda: condition(store, MPIJOB, "mp", "Succeeded"), timeout=20)
        config = store.get("configmaps", "default", "mp-config")
        assert config["data"]["hostfile"] == "mp-worker-0 slots=2\nmp-worker-1 slots=2\n"
        assert "mp-launcher" in phases(store, "mp")

    run(tmp_path, body)
