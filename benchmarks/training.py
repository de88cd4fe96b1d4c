"""Training-job benchmarks: a 2-replica gloo all_reduce end to end, and DDP throughput.

Side by side in one run, on the same machine:

1. bare `torchrun --nproc_per_node=2 allreduce.py` (the floor);
2. kflow: a PyTorchJob (master + 1 worker) running the same script, submitted with
   kflow's SDK to a `kflow up`, timed from the create to the Succeeded condition;
3. the Kubeflow SDK's LocalProcessBackend (`pip install kubeflow`, TrainerClient) for
   the equivalent function (it builds a venv and installs torch into it per job).

Then example (a)'s DDP training throughput (samples/s, 3 processes) under kflow
(1 master + 2 workers) and under bare `torchrun --nproc_per_node=3`.

    python benchmarks/training.py [--runs 5] [--json out.json] [--local-backend-timeout 300]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from kflow.sdk import Client

ROOT = Path(__file__).resolve().parents[1]
ALLREDUCE = "examples/training/pytorch/allreduce.py"
DDP = ["-m", "kflow.demos.mnist_ddp"]
DDP_ARGS = ["--epochs", "3", "--repeat", "30", "--batch-size", "64"]
TORCHRUN = [sys.executable, "-m", "torch.distributed.run"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Up:
    """A `kflow up` from the repository root, in a throwaway home."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="kflow-bench-training-"))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kflow",
                "up",
                "--home",
                str(self.home),
                "--port",
                str(free_port()),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not (self.home / "server.json").exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("kflow up did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)
        shutil.rmtree(self.home, ignore_errors=True)


def pytorchjob(name: str, workers: int, command: list[str]) -> dict[str, Any]:
    def spec(n: int) -> dict[str, Any]:
        container = {"name": "pytorch", "image": "pytorch/pytorch", "command": command}
        return {
            "replicas": n,
            "restartPolicy": "Never",
            "template": {"spec": {"containers": [container]}},
        }

    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name},
        "spec": {"pytorchReplicaSpecs": {"Master": spec(1), "Worker": spec(workers)}},
    }


def finished(kf: Client, name: str, timeout: float, interval: float = 0.02) -> None:
    """Poll until the job has finished; SystemExit when it failed.

    Every 20 ms when the end-to-end time is measured; throughput runs poll slowly so
    the polling itself takes no CPU from training on a 2-core machine.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = kf.get("pytorchjobs", name).get("status") or {}
        types = {c["type"] for c in status.get("conditions", []) if c["status"] == "True"}
        if "Succeeded" in types:
            return
        if "Failed" in types:
            raise SystemExit(f"pytorchjob/{name} failed: {status}")
        time.sleep(interval)
    raise SystemExit(f"pytorchjob/{name} did not finish within {timeout}s")


def bare_torchrun(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [*TORCHRUN, "--nproc_per_node=2", ALLREDUCE], cwd=ROOT, check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    return times


def kflow_job(kf: Client, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        name = f"ar-{uuid.uuid4().hex[:6]}"
        start = time.perf_counter()
        kf.create(pytorchjob(name, 1, ["python", ALLREDUCE]))
        finished(kf, name, 120)
        times.append(time.perf_counter() - start)
        kf.delete("pytorchjobs", name)
    return times


def _local_backend_func() -> None:
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")
    value = torch.ones(1)
    dist.all_reduce(value)
    print(f"all_reduce={value.item()}")
    dist.destroy_process_group()


def local_backend(runs: int, timeout: float) -> tuple[list[float], str]:
    """Kubeflow SDK's LocalProcessBackend; ([], why) when it cannot run here."""
    try:
        from kubeflow.trainer import CustomTrainer, LocalProcessBackendConfig, TrainerClient
    except ImportError as exc:
        return [], f"kubeflow SDK not installed ({exc})"
    client = TrainerClient(backend_config=LocalProcessBackendConfig())
    runtimes = {r.name: r for r in client.list_runtimes()}
    runtime = runtimes.get("torch-distributed") or next(iter(runtimes.values()))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            job = client.train(
                runtime=runtime,
                trainer=CustomTrainer(
                    func=_local_backend_func, num_nodes=1, packages_to_install=["torch==2.13.0"]
                ),
            )
            client.wait_for_job_status(job, status={"Complete", "Failed"}, timeout=int(timeout))
            status = client.get_job(job).status
        except Exception as exc:  # report why, keep the other numbers
            return times, f"{type(exc).__name__}: {exc}"
        if status != "Complete":
            logs = "".join(client.get_job_logs(job))[-400:]
            return times, f"job ended {status}: {logs}"
        times.append(time.perf_counter() - start)
    return times, ""


def throughput(text: str) -> float:
    match = re.search(r"throughput: ([\d.]+) samples/s", text)
    if not match:
        raise SystemExit(f"no throughput line in:\n{text[-800:]}")
    return float(match.group(1))


def ddp_bare(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        result = subprocess.run(
            [*TORCHRUN, "--nproc_per_node=3", *DDP, *DDP_ARGS],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        out.append(throughput(result.stdout))
    return out


def ddp_kflow(kf: Client, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        name = f"ddp-{uuid.uuid4().hex[:6]}"
        kf.create(pytorchjob(name, 2, ["python", *DDP, *DDP_ARGS]))
        finished(kf, name, 300, interval=1.0)
        out.append(throughput("\n".join(kf.logs(f"{name}-master-0"))))
        kf.delete("pytorchjobs", name)
    return out


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ddp-runs", type=int, default=3)
    parser.add_argument("--local-backend-timeout", type=float, default=300)
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()

    results: dict[str, Any] = {}
    subprocess.run([*TORCHRUN, "--nproc_per_node=2", ALLREDUCE], cwd=ROOT, capture_output=True)
    results["torchrun_s"] = bare_torchrun(args.runs)
    up = Up()
    try:
        with Client(home=up.home) as kf:
            kflow_job(kf, 1)  # warm the page cache and the spare supervisor
            results["kflow_s"] = kflow_job(kf, args.runs)
            # interleaved, so both see the same machine over time (kflow idles meanwhile)
            results["ddp_kflow_samples_s"], results["ddp_torchrun_samples_s"] = [], []
            for _ in range(args.ddp_runs):
                results["ddp_kflow_samples_s"] += ddp_kflow(kf, 1)
                results["ddp_torchrun_samples_s"] += ddp_bare(1)
    finally:
        up.stop()
    local, why = local_backend(args.runs, args.local_backend_timeout)
    results["local_backend_s"], results["local_backend_note"] = local, why

    floor, ours, theirs = (median(results[k]) for k in ("torchrun_s", "kflow_s", "local_backend_s"))
    ddp_ours, ddp_floor = (
        median(results[k]) for k in ("ddp_kflow_samples_s", "ddp_torchrun_samples_s")
    )
    assert floor is not None and ours is not None and ddp_ours and ddp_floor
    summary = {
        "torchrun_median_s": floor,
        "kflow_median_s": ours,
        "kflow_over_torchrun": ours / floor,
        "local_backend_median_s": theirs,
        "local_backend_over_kflow": (theirs / ours) if theirs else None,
        "ddp_kflow_samples_s": ddp_ours,
        "ddp_torchrun_samples_s": ddp_floor,
        "ddp_ratio": ddp_ours / ddp_floor,
    }
    results["summary"] = summary
    print(json.dumps(summary, indent=2))
    if why:
        print(f"local backend: {why}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
