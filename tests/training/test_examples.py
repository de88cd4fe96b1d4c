"""The training examples, run for real through `kflow up`: the loss must fall.

Each applies the example's YAML as a user would (`kflow apply -f`), waits for the job
to succeed, and reads the merged log of its replicas (`kflow logs job/NAME`).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
from pathlib import Path

import pytest
import yaml

from kflow.sdk import Client
from kflow.sdk.joblogs import job_logs
from tests.training.conftest import ROOT

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples" / "training"


def apply_example(kf: Client, path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc:
            kf.apply(doc)


def merged(kf: Client, job: str) -> list[tuple[str, str]]:
    return [(line.replica, line.text) for line in job_logs(kf, job)]


def test_pytorch_ddp_mnist_master_and_two_workers(kf: Client) -> None:
    apply_example(kf, EXAMPLES / "pytorch" / "pytorchjob.yaml")
    kf.wait_for("pytorchjobs", "mnist-ddp", "condition=Succeeded", timeout=240)
    lines = merged(kf, "mnist-ddp")
    assert {replica for replica, _ in lines} == {"master-0", "worker-0", "worker-1"}
    losses = [
        float(m.group(1))
        for replica, text in lines
        if replica == "master-0" and (m := re.search(r"epoch\s+\d+ :\s+([\d.]+)", text))
    ]
    assert len(losses) == 10
    assert losses[-1] < losses[0] * 0.6, losses
    assert all(b < a for a, b in itertools.pairwise(losses)), losses
    assert ("master-0", "data: digits, 1437 training samples, world size 3") in lines
    assert any(text.startswith("model saved to /mnt/model/model.pt") for _, text in lines)


def test_pytorch_v1alpha1_seed_shape(kf: Client) -> None:
    apply_example(kf, EXAMPLES / "pytorch" / "pytorchjob-v1alpha1.yaml")
    job = kf.wait_for("pytorchjobs", "distributed-mnist", "condition=Succeeded", timeout=240)
    assert job is not None and job["apiVersion"] == "kubeflow.org/v1"
    texts = [text for replica, text in merged(kf, "distributed-mnist") if replica == "master-0"]
    assert "Rank  0 , epoch  9 :" in "\n".join(texts)


def test_tensorflow_multi_worker_mirrored_chief_and_worker(kf: Client) -> None:
    apply_example(kf, EXAMPLES / "tensorflow" / "tfjob.yaml")
    kf.wait_for("tfjobs", "mnist-mwms", "condition=Succeeded", timeout=300)
    lines = merged(kf, "mnist-mwms")
    assert ("chief-0", "chief-0: 2 replica(s) in sync") in lines
    chief = [
        float(m.group(1))
        for r, t in lines
        if r == "chief-0" and (m := re.search(r"loss=([\d.]+)", t))
    ]
    worker = [
        float(m.group(1))
        for r, t in lines
        if r == "worker-0" and (m := re.search(r"loss=([\d.]+)", t))
    ]
    assert len(chief) == 8 and chief == worker  # synchronous: one model, one loss
    assert chief[-1] < chief[0] * 0.5, chief


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="OpenMPI is not installed")
def test_mpi_job(kf: Client) -> None:
    apply_example(kf, EXAMPLES / "mpi" / "mpijob.yaml")
    try:
        kf.wait_for("mpijobs", "digits-mpi", "condition=Succeeded", timeout=180)
    except Exception:  # say what the job and its pods were doing
        for pod in kf.list("pods").items:
            status = pod.get("status") or {}
            print(pod["metadata"]["name"], status.get("phase"), status.get("containerStatuses"))
            with contextlib.suppress(Exception):
                print("\n".join(list(kf.logs(pod["metadata"]["name"]))[-30:]))
        print(kf.get("mpijobs", "digits-mpi").get("status"))
        raise
    texts = [t for r, t in merged(kf, "digits-mpi") if r == "launcher-0"]
    losses = [float(m.group(1)) for t in texts if (m := re.search(r"loss=([\d.]+)", t))]
    assert len(losses) == 20 and losses[-1] < losses[0], texts


def test_xgboost_job(kf: Client) -> None:
    apply_example(kf, EXAMPLES / "xgboost" / "xgboostjob.yaml")
    kf.wait_for("xgboostjobs", "digits-xgb", "condition=Succeeded", timeout=180)
    texts = [t for r, t in merged(kf, "digits-xgb") if r == "master-0"]
    errors = [float(m.group(1)) for t in texts if (m := re.search(r"test-merror:([\d.]+)", t))]
    assert len(errors) == 10 and errors[-1] < errors[0], texts
