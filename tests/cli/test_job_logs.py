"""`kflow logs job/NAME`: every replica's log merged, each line prefixed `[role-index]`.

The pods are made the way a training controller makes them (the job-name,
replica-type and replica-index labels); the test server's FakeRuntime serves their
logs, and a test marks a pod ended by writing its status.
"""

from __future__ import annotations

from typing import Any

from kflow.sdk import Client
from kflow.sdk.joblogs import job_logs, replica_name
from tests.cli.conftest import Server, spawn
from tests.support import OutputLines


def make_replica(
    api: Client, server: Server, job: str, role: str, index: int, containers: tuple[str, ...]
) -> dict[str, Any]:
    pod = api.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{job}-{role}-{index}",
                "namespace": api.namespace,
                "labels": {
                    "training.kubeflow.org/job-name": job,
                    "training.kubeflow.org/replica-type": role,
                    "training.kubeflow.org/replica-index": str(index),
                },
            },
            "spec": {"containers": [{"name": c, "image": "python:3.11"} for c in containers]},
        }
    )
    set_phase(server, pod, "Running")
    return pod


def set_phase(server: Server, pod: dict[str, Any], phase: str) -> None:
    meta = pod["metadata"]
    fresh = server.store.get("pods", meta["namespace"], meta["name"])
    server.store.update_status("pods", {**fresh, "status": {"phase": phase}})


def test_replica_names_and_order(server: Server, api: Client) -> None:
    worker1 = make_replica(api, server, "mnist", "worker", 1, ("pytorch",))
    master = make_replica(api, server, "mnist", "master", 0, ("pytorch",))
    worker0 = make_replica(api, server, "mnist", "worker", 0, ("pytorch", "sidecar"))
    make_replica(api, server, "other", "master", 0, ("pytorch",))
    for pod, lines in ((worker1, ["w1 a"]), (master, ["m a", "m b"]), (worker0, ["w0 a"])):
        server.runtime.lines[(pod["metadata"]["uid"], "pytorch")] = lines
    server.runtime.lines[(worker0["metadata"]["uid"], "sidecar")] = ["not this one"]
    assert replica_name(master) == "master-0"
    merged = [(line.replica, line.text) for line in job_logs(api, "mnist")]
    # the master first, then workers by index; the kind's default container of a
    # multi-container pod; other jobs' pods left out
    assert merged == [
        ("master-0", "m a"),
        ("master-0", "m b"),
        ("worker-0", "w0 a"),
        ("worker-1", "w1 a"),
    ]
    assert [line.text for line in job_logs(api, "mnist", tail=1)] == ["m b", "w0 a", "w1 a"]


def test_cli_prints_prefixed_lines(kflow: Any, server: Server, api: Client, namespace: str) -> None:
    master = make_replica(api, server, "tiny", "master", 0, ("pytorch",))
    worker = make_replica(api, server, "tiny", "worker", 0, ("pytorch",))
    server.runtime.lines[(master["metadata"]["uid"], "pytorch")] = ["epoch 1 loss 2.3"]
    server.runtime.lines[(worker["metadata"]["uid"], "pytorch")] = ["epoch 1 loss 2.2"]
    result = kflow("logs", "job/tiny", "-n", namespace)
    assert (result.exit_code, result.stdout) == (
        0,
        "[master-0] epoch 1 loss 2.3\n[worker-0] epoch 1 loss 2.2\n",
    )
    # a non-job kind still says logs come from pods
    not_job = kflow("logs", "svc/tiny", "-n", namespace)
    assert not_job.stderr == 'error: "svc/tiny": logs are read from pods: use pod/NAME\n'
    # a job with no pods yet prints nothing, as `kubectl logs -l` does
    assert kflow("logs", "job/ghost", "-n", namespace).stdout == ""


def test_follow_merges_streams_and_new_replicas_join(
    server: Server, api: Client, namespace: str
) -> None:
    master = make_replica(api, server, "live", "master", 0, ("pytorch",))
    muid = master["metadata"]["uid"]
    server.runtime.write(muid, "pytorch", "master starting")
    proc = spawn(server, "logs", "job/live", "-f", "-n", namespace)
    out = OutputLines(proc)
    try:
        out.wait_for("[master-0] master starting")
        # a replica created after the follow began joins the stream
        worker = make_replica(api, server, "live", "worker", 0, ("pytorch",))
        wuid = worker["metadata"]["uid"]
        server.runtime.write(wuid, "pytorch", "worker up")
        out.wait_for("[worker-0] worker up")
        server.runtime.write(muid, "pytorch", "epoch 1 done")
        out.wait_for("[master-0] epoch 1 done")
        # the follow ends once every replica has ended and its stream drained
        server.runtime.write(wuid, "pytorch", "worker bye")
        for pod, uid in ((master, muid), (worker, wuid)):
            server.runtime.finish(uid, "pytorch")
            set_phase(server, pod, "Succeeded")
        out.wait_for("[worker-0] worker bye")
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
