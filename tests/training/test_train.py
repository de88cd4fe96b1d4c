"""`kflow.train`: a Python function as a PyTorchJob, its replicas' logs streamed, the job returned."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import kflow
from kflow.sdk import Client
from kflow.sdk.training import TrainFailed, function_script, pytorchjob_for

pytestmark = pytest.mark.slow


def allreduce(steps: int, label: str) -> None:
    import os

    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    value = torch.ones(1)
    for step in range(steps):
        dist.all_reduce(value)
        print(f"{label} step {step} value {int(value.item())} {os.environ['GREETING']}", flush=True)
    dist.destroy_process_group()


def broken() -> None:
    raise SystemExit("no data here")


def test_the_job_it_submits() -> None:
    job = pytorchjob_for(
        allreduce,
        name="ar",
        num_workers=3,
        parameters={"steps": 1, "label": "x"},
        resources_per_worker={"cpu": "500m"},
        env={"GREETING": "hi"},
    )
    specs = job["spec"]["pytorchReplicaSpecs"]
    assert (specs["Master"]["replicas"], specs["Worker"]["replicas"]) == (1, 2)
    container = specs["Worker"]["template"]["spec"]["containers"][0]
    assert container["name"] == "pytorch"
    assert container["env"] == [{"name": "GREETING", "value": "hi"}]
    assert container["resources"]["requests"] == {"cpu": "500m"}
    single = pytorchjob_for(allreduce, name="one", num_workers=1)
    assert list(single["spec"]["pytorchReplicaSpecs"]) == ["Master"]
    # the shipped source defines the function and calls it with the JSON parameters
    scope: dict[str, object] = {}
    exec(function_script(lambda_free, {"n": 2}), scope)
    assert scope["RESULT"] == [0, 1]
    with pytest.raises(TypeError, match="defined with `def`"):
        function_script(lambda: None, None)


def lambda_free(n: int) -> None:
    globals()["RESULT"] = list(range(n))


def test_train_streams_every_replica_and_returns_the_job(kf: Client) -> None:
    out = io.StringIO()
    job = kflow.train(
        allreduce,
        num_workers=2,
        env={"GREETING": "hello"},
        parameters={"steps": 3, "label": "ar"},
        client=kf,
        console=Console(file=out, width=200),
        timeout=120,
    )
    conditions = [c["type"] for c in job["status"]["conditions"] if c["status"] == "True"]
    assert "Succeeded" in conditions
    text = out.getvalue()
    for replica in ("master-0", "worker-0"):
        assert f"[{replica}] ar step 2 value 8 hello" in text
    assert f"pytorchjob/{job['metadata']['name']}: Succeeded" in text


def test_a_failing_function_raises_with_the_job(kf: Client) -> None:
    with pytest.raises(TrainFailed) as failed:
        kflow.train(broken, client=kf, console=Console(file=io.StringIO()), timeout=60)
    assert failed.value.job["metadata"]["name"].startswith("broken-")


def test_without_follow_the_created_job_returns(kf: Client) -> None:
    job = kflow.train(
        allreduce,
        num_workers=1,
        follow=False,
        parameters={"steps": 1, "label": "q"},
        env={"GREETING": "x"},
        client=kf,
        name="quick",
    )
    assert job["metadata"]["name"] == "quick"
    done = kf.wait_for("pytorchjobs", "quick", "condition=Succeeded", timeout=60)
    assert done is not None
