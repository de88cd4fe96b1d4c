"""PyTorchJob end to end on the local runtime: env contract, real TCP to the master."""

from __future__ import annotations

from pathlib import Path

from kflow.api import meta as m
from kflow.api.training.contracts import PYTORCHJOB
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from tests.conftest import async_wait_until
from tests.controllers.training.harness import (
    condition,
    job,
    logs_of,
    phases,
    pods_of,
    reasons,
    replica,
    run,
)

MASTER = """
import os, socket
env = {k: os.environ[k] for k in ("MASTER_ADDR", "MASTER_PORT", "WORLD_SIZE", "RANK",
       "PET_NNODES", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT", "PYTHONUNBUFFERED")}
assert env["RANK"] == "0" and env["WORLD_SIZE"] == "3" and env["PET_NNODES"] == "3", env
assert env["PYTHONUNBUFFERED"] == "1"
server = socket.create_server((env["MASTER_ADDR"], int(env["MASTER_PORT"])))
ranks = set()
while len(ranks) < 2:
    conn, _ = server.accept()
    data = conn.recv(64).decode()
    if data:  # the engine's readiness probe connects and closes without a word
        ranks.add(data)
        conn.sendall(b"ok")
    conn.close()
print("master saw ranks", sorted(ranks))
"""

WORKER = """
import os, socket
addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
assert os.environ["PET_MASTER_ADDR"] == addr and os.environ["WORLD_SIZE"] == "3"
with socket.create_connection((addr, port), timeout=5) as s:  # no retry: the master must be up
    s.sendall(os.environ["RANK"].encode())
    assert s.recv(8) == b"ok"
print("worker", os.environ["RANK"], "reached", addr, port)
"""


def test_master_and_two_workers_meet_over_tcp_and_the_job_succeeds(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        store.create(
            PYTORCHJOB.resource,
            job(
                PYTORCHJOB,
                "ddp",
                {
                    "Master": replica(MASTER, PYTORCHJOB),
                    "Worker": replica(WORKER, PYTORCHJOB, replicas=2),
                },
            ),
        )
        await async_wait_until(lambda: condition(store, PYTORCHJOB, "ddp", "Succeeded"), timeout=30)
        obj = store.get(PYTORCHJOB.resource, "default", "ddp")
        status = obj["status"]
        assert status["conditions"][-1]["reason"] == "PyTorchJobSucceeded"
        assert (
            status["conditions"][-1]["message"] == "PyTorchJob default/ddp successfully completed."
        )
        running = m.condition(obj, "Running")
        assert running and running["status"] == "False"
        assert status["startTime"] and status["completionTime"]
        master = status["replicaStatuses"]["Master"]
        assert master["succeeded"] == 1
        assert (
            master["labelSelector"]["matchLabels"]["training.kubeflow.org/replica-type"] == "master"
        )
        await async_wait_until(lambda: set(phases(store, "ddp").values()) == {"Succeeded"})
        assert sorted(phases(store, "ddp")) == ["ddp-master-0", "ddp-worker-0", "ddp-worker-1"]
        pod = store.get("pods", "default", "ddp-master-0")
        labels = m.labels_of(pod)
        assert labels["training.kubeflow.org/job-role"] == "master"
        assert labels["training.kubeflow.org/replica-index"] == "0"
        assert labels["training.kubeflow.org/operator-name"] == "pytorchjob-controller"
        assert m.meta(pod)["ownerReferences"][0]["kind"] == "PyTorchJob"
        worker = store.get("pods", "default", "ddp-worker-1")
        assert "training.kubeflow.org/job-role" not in m.labels_of(worker)
        env = {e["name"]: e["value"] for e in worker["spec"]["containers"][0]["env"]}
        assert env["RANK"] == "2" and env["MASTER_ADDR"] == "127.0.0.1"
        port = pod["spec"]["containers"][0]["ports"][0]
        assert int(env["MASTER_PORT"]) == port["hostPort"]
        svc = store.get("services", "default", "ddp-worker-1")
        assert svc["spec"]["clusterIP"] == "None"
        assert svc["spec"]["ports"][0]["port"] == 23456
        assert "reached" in await logs_of(runtime, store, "ddp-worker-1", "pytorch")
        seen = reasons(store)
        for reason in ("SuccessfulCreatePod", "SuccessfulCreateService", "LeaderReady"):
            assert reason in seen
        # the workers were created only once the master accepted connections
        created = {
            e["message"]: e["eventTime"]
            for e in store.list("events", "default").items
            if e["reason"] in ("SuccessfulCreatePod", "LeaderReady")
        }
        ready = next(t for msg, t in created.items() if "running and reachable" in msg)
        assert created["Created pod: ddp-master-0"] < ready < created["Created pod: ddp-worker-0"]
        assert len(pods_of(store, "ddp")) == 3

    run(tmp_path, body)
