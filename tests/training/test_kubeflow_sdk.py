"""The real Kubeflow training SDK (`kubeflow-training`'s TrainingClient) driving kflow, unmodified.

It reads the kubeconfig `kflow up` writes (what `kflow kubeconfig` prints) and talks
to kflow as to a cluster with the training operator installed.
"""

from __future__ import annotations

import re

import pytest

from kflow.sdk import Client
from tests.training.conftest import Up

training = pytest.importorskip("kubeflow.training")
pytestmark = pytest.mark.slow


def train_func() -> None:
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    value = torch.ones(1)
    dist.all_reduce(value)
    print(f"all_reduce={int(value.item())} world={dist.get_world_size()}", flush=True)
    dist.destroy_process_group()


def sdk(up: Up) -> training.TrainingClient:
    return training.TrainingClient(config_file=str(up.home / "kubeconfig"))


def test_create_from_train_func_wait_logs_delete(up: Up, kf: Client) -> None:
    client = sdk(up)
    ns = kf.namespace
    client.create_job(name="sdk-fn", namespace=ns, train_func=train_func, num_workers=2)
    job = client.wait_for_job_conditions(
        name="sdk-fn", namespace=ns, timeout=180, polling_interval=1
    )
    assert client.is_job_succeeded(name="sdk-fn", namespace=ns)
    assert job.metadata.name == "sdk-fn"
    assert client.get_job(name="sdk-fn", namespace=ns).kind == "PyTorchJob"
    assert [j.metadata.name for j in client.list_jobs(namespace=ns)] == ["sdk-fn"]
    logs, _ = client.get_job_logs(name="sdk-fn", namespace=ns, is_master=False)
    assert sorted(logs) == ["sdk-fn-master-0", "sdk-fn-worker-0"]
    # torchrun (nproc_per_node "auto": one process per CPU) in each of the 2 replicas
    for text in logs.values():
        worlds = re.findall(r"all_reduce=(\d+) world=(\d+)", text)
        assert worlds and all(a == w and int(w) >= 2 for a, w in worlds), logs
    client.delete_job(name="sdk-fn", namespace=ns)
    kf.wait_for("pytorchjobs", "sdk-fn", "delete", timeout=30)


def test_create_from_a_job_object(up: Up, kf: Client) -> None:
    from kubeflow.training import models
    from kubernetes.client import V1Container, V1ObjectMeta, V1PodSpec, V1PodTemplateSpec

    ns = kf.namespace
    container = V1Container(
        name="pytorch",
        image="python:3.11",
        command=["python", "-c", "import os; print('rank', os.environ['RANK'])"],
    )
    replica = models.KubeflowOrgV1ReplicaSpec(
        replicas=1,
        restart_policy="Never",
        template=V1PodTemplateSpec(spec=V1PodSpec(containers=[container])),
    )
    job = models.KubeflowOrgV1PyTorchJob(
        api_version="kubeflow.org/v1",
        kind="PyTorchJob",
        metadata=V1ObjectMeta(name="sdk-obj", namespace=ns),
        spec=models.KubeflowOrgV1PyTorchJobSpec(
            run_policy=models.KubeflowOrgV1RunPolicy(clean_pod_policy="None"),
            pytorch_replica_specs={"Master": replica, "Worker": replica},
        ),
    )
    client = sdk(up)
    client.create_job(job=job, namespace=ns)
    client.wait_for_job_conditions(name="sdk-obj", namespace=ns, timeout=120, polling_interval=1)
    logs, _ = client.get_job_logs(name="sdk-obj", namespace=ns, is_master=True)
    assert logs == {"sdk-obj-master-0": "rank 0\n"}
