"""TFJob: replicas parse TF_CONFIG and really connect to each other."""

from __future__ import annotations

import json
from pathlib import Path

from kflow.api import meta as m
from kflow.api.training.contracts import TFJOB
from kflow.runtime.local import LocalRuntime
from kflow.store.interface import Store
from tests.conftest import async_wait_until
from tests.controllers.training.harness import condition, job, phases, replica, run

MESH = """
import json, os, socket, time
cfg = json.loads(os.environ["TF_CONFIG"])
assert cfg["environment"] == "cloud" and "evaluator" not in cfg["cluster"], cfg
me = cfg["task"]
if me["type"] == "evaluator":
    raise SystemExit(0)
host, port = cfg["cluster"][me["type"]][me["index"]].rsplit(":", 1)
server = socket.create_server((host, int(port)))
server.settimeout(0.05)
peers = [a for role, addrs in cfg["cluster"].items() for i, a in enumerate(addrs)
         if (role, i) != (me["type"], me["index"])]
deadline = time.monotonic() + 20
for addr in peers:
    h, p = addr.rsplit(":", 1)
    while True:
        try:
            socket.create_connection((h, int(p)), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, addr
            try:
                server.accept()[0].close()
            except OSError:
                pass
# stay reachable until every peer had its chance to connect
end = time.monotonic() + 1.0
while time.monotonic() < end:
    try:
        server.accept()[0].close()
    except OSError:
        pass
print("reached", peers)
"""


def test_chief_and_workers_reach_each_other_through_tf_config(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        specs = {
            "Chief": replica(MESH, TFJOB),
            "Worker": replica(MESH, TFJOB, replicas=2),
            "Evaluator": replica(MESH, TFJOB),
        }
        store.create(TFJOB.resource, job(TFJOB, "mesh", specs))
        await async_wait_until(lambda: condition(store, TFJOB, "mesh", "Succeeded"), timeout=30)
        worker = store.get("pods", "default", "mesh-worker-1")
        env = {e["name"]: e["value"] for e in worker["spec"]["containers"][0]["env"]}
        cfg = json.loads(env["TF_CONFIG"])
        assert list(cfg) == ["cluster", "task", "environment"]
        assert sorted(cfg["cluster"]) == ["chief", "worker"]
        assert cfg["task"] == {"type": "worker", "index": 1}
        assert all(a.startswith("127.0.0.1:") for a in cfg["cluster"]["worker"])
        assert (
            m.labels_of(store.get("pods", "default", "mesh-chief-0"))[
                "training.kubeflow.org/job-role"
            ]
            == "master"
        )
        assert phases(store, "mesh")["mesh-chief-0"] == "Succeeded"

    run(tmp_path, body)


def test_a_single_replica_gets_no_tf_config_and_worker_zero_decides(tmp_path: Path) -> None:
    async def body(store: Store, runtime: LocalRuntime) -> None:
        code = "import os; assert 'TF_CONFIG' not in os.environ"
        store.create(TFJOB.resource, job(TFJOB, "solo", {"Worker": replica(code, TFJOB)}))
        await async_wait_until(lambda: condition(store, TFJOB, "solo", "Succeeded"), timeout=20)

    run(tmp_path, body)
