"""`kflow demo`: the MNIST walk-through on the embedded default, end to end.

It starts a private `kflow up` (SQLite + local processes) in its own data directory,
then drives it only through the public API — the same calls kubectl makes:

1. a namespace, a PersistentVolumeClaim for the model and a ConfigMap of
   hyperparameters;
2. a training Pod (scikit-learn's bundled digits, an offline MNIST) whose log is
   followed live, epoch by epoch;
3. an evaluation Pod that mounts the same claim at the same path and scores the
   saved model;
4. distributed training: a PyTorchJob (1 master + 2 workers, DDP over gloo) whose
   merged replica logs drive a progress bar — when PyTorch is installed
   (`pip install -e '.[demo]'`);
5. hyperparameter tuning: a Katib Experiment (TPE, median stopping) over the
   learning rate and the hidden layer (`tuning.py`);
6. a pipeline: a kfp v2 pipeline (load, train, evaluate, approve) run on the
   workflow engine, then again from the cache (`pipeline.py`);
7. serving: the best trial's model behind an InferenceService, asked about held-out
   digits through the server's gateway (`serving.py`);
8. draw a digit: the MNIST web page's JSON twin reads a held-out digit and two
   drawings, and the page's link is printed (`drawing.py`; with `keep`, the demo
   stays up after the summary so a person can draw);
9. a summary: what ran, how long each step took, the accuracy, and how to look
   around with kubectl.

Later capabilities (pipelines, the draw-a-digit page) add steps here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from kflow.demo.drawing import try_the_page
from kflow.demo.pipeline import run_twice
from kflow.demo.serving import NAME as MODEL_NAME
from kflow.demo.serving import retire, serve
from kflow.demo.tuning import tune
from kflow.sdk import Client, read_server_info
from kflow.sdk.joblogs import job_logs

NAMESPACE = "kflow-demo"
EPOCHS = 15
_METRIC = re.compile(r"epoch=(\d+) loss=([\d.]+) accuracy=([\d.]+)")
DDP_EPOCHS = 10
DDP_WORKERS = 2
_DDP_EPOCH = re.compile(r"Rank\s+0\s*,\s*epoch\s+(\d+)\s*:\s*([\d.]+)")
_DDP_ACCURACY = re.compile(r"accuracy=([\d.]+)")


@dataclasses.dataclass
class Step:
    name: str
    seconds: float
    result: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def private_server(home: Path, console: Console) -> Iterator[Client]:
    """A `kflow up` of our own, stopped with Ctrl-C's signal when the demo ends."""
    port = _free_port()
    log = open(home / "demo-server.out", "w")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kflow", "up", "--port", str(port), "--home", str(home)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            info = read_server_info(home)
            if info is not None and info.url.endswith(f":{port}"):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise SystemExit(
                    "the demo's control plane did not start:\n"
                    + (home / "demo-server.out").read_text()
                )
            time.sleep(0.05)
        with Client(url=info.url, token=info.token, ca=info.ca, namespace=NAMESPACE) as client:
            try:
                yield client
            finally:  # a model server (restartPolicy Always) must not outlive the demo
                with contextlib.suppress(Exception):
                    retire(client)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def _manifests() -> list[dict[str, Any]]:
    meta = {"namespace": NAMESPACE}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "mnist-model", **meta},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "mnist-hparams", **meta},
            "data": {"EPOCHS": str(EPOCHS), "LEARNING_RATE": "0.1"},
        },
    ]


def _pod(name: str, module: str, role: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {"app": "mnist", "step": role},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": role,
                    "image": "python:3.11",
                    "command": [sys.executable, "-m", module],
                    "args": ["--model-dir", "/mnt/kflow-demo/model"],
                    "envFrom": [{"configMapRef": {"name": "mnist-hparams"}}],
                    "resources": {"requests": {"cpu": "1", "memory": "256Mi"}},
                    "volumeMounts": [{"name": "model", "mountPath": "/mnt/kflow-demo/model"}],
                }
            ],
            "volumes": [{"name": "model", "persistentVolumeClaim": {"claimName": "mnist-model"}}],
        },
    }


def _pytorchjob() -> dict[str, Any]:
    """The DDP trainer as a PyTorchJob: 1 master + workers, the model on the claim."""

    def replicas(count: int) -> dict[str, Any]:
        return {
            "replicas": count,
            "restartPolicy": "OnFailure",
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "pytorch",
                            "image": "pytorch/pytorch:2.4.0-cpu",
                            "command": [sys.executable, "-m", "kflow.demos.mnist_ddp"],
                            "args": [
                                "--epochs",
                                str(DDP_EPOCHS),
                                "--model-dir",
                                "/mnt/kflow-demo/ddp-model",
                            ],
                            "volumeMounts": [
                                {"name": "model", "mountPath": "/mnt/kflow-demo/ddp-model"}
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "model", "persistentVolumeClaim": {"claimName": "mnist-model"}}
                    ],
                }
            },
        }

    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "mnist-ddp", "namespace": NAMESPACE},
        "spec": {"pytorchReplicaSpecs": {"Master": replicas(1), "Worker": replicas(DDP_WORKERS)}},
    }


def _distributed(client: Client, console: Console) -> Step:
    """Step 4: the PyTorchJob, followed through its merged replica logs."""
    started = time.monotonic()
    if importlib.util.find_spec("torch") is None:
        return Step(
            "distributed training (PyTorchJob)",
            0.0,
            "skipped: PyTorch is not installed (pip install -e '.[demo]')",
        )
    client.apply(_pytorchjob())
    accuracy = "n/a"
    with Progress(
        SpinnerColumn(),
        TextColumn(f"[bold]PyTorchJob[/] 1 master + {DDP_WORKERS} workers"),
        BarColumn(),
        TextColumn("epoch {task.completed}/{task.total}"),
        TextColumn("{task.fields[metrics]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("ddp", total=DDP_EPOCHS, metrics="")
        for line in job_logs(
            client, "mnist-ddp", kind="pytorchjobs", namespace=NAMESPACE, follow=True, timeout=600
        ):
            if match := _DDP_EPOCH.search(line.text):
                progress.update(
                    task,
                    completed=int(match.group(1)) + 1,
                    metrics=f"loss={float(match.group(2)):.4f}",
                )
            elif match := _DDP_ACCURACY.search(line.text):
                accuracy = match.group(1)
    job = client.get("pytorchjobs", "mnist-ddp", namespace=NAMESPACE)
    conditions = (job.get("status") or {}).get("conditions") or []
    state = conditions[-1]["type"] if conditions else "Unknown"
    pods = len(
        client.list(
            "pods", namespace=NAMESPACE, labels="training.kubeflow.org/job-name=mnist-ddp"
        ).items
    )
    return Step(
        f"distributed training: PyTorchJob, {pods} replicas, DDP over gloo",
        time.monotonic() - started,
        f"{state}, accuracy {accuracy}",
    )


def _finish(client: Client, name: str, timeout: float = 300) -> dict[str, Any]:
    """The pod once it has Succeeded or Failed."""
    deadline = time.monotonic() + timeout
    while True:
        pod = client.get("pods", name)
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return pod
        if time.monotonic() > deadline:
            raise SystemExit(
                f"pod {name} did not finish within {timeout:.0f}s: kflow describe pod {name} -n {NAMESPACE}"
            )
        time.sleep(0.05)


def _phase(client: Client, name: str) -> str:
    return str((client.get("pods", name).get("status") or {}).get("phase") or "")


def _wait_started(client: Client, name: str) -> None:
    deadline = time.monotonic() + 120
    while _phase(client, name) in ("", "Pending"):
        if time.monotonic() > deadline:
            raise SystemExit(
                f"pod {name} did not start within 120s: kflow describe pod {name} -n {NAMESPACE}"
            )
        time.sleep(0.05)


def _wait_for_ctrl_c(console: Console) -> None:
    console.print("[bold]The control plane and the model stay up: Ctrl-C ends the demo.[/]")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


def run(home: Path | None = None, console: Console | None = None, *, keep: bool = False) -> int:
    """Run the walk-through; returns the process exit code. With `keep`, the control
    plane and the model server stay up after the summary until Ctrl-C."""
    console = console or Console()
    home = home or Path(tempfile.mkdtemp(prefix="kflow-demo-"))
    home.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    console.rule("[bold]kflow demo[/]: MNIST on one machine")
    started = time.monotonic()
    with private_server(home, console) as client:
        steps.append(
            Step(
                "start the control plane (SQLite + local processes)",
                time.monotonic() - started,
                client.url,
            )
        )

        t0 = time.monotonic()
        for obj in _manifests():
            applied = client.apply(obj)
            console.print(f"  {applied.ref} {applied.result.value}")
        steps.append(
            Step(
                "apply namespace, model claim, hyperparameters", time.monotonic() - t0, "3 objects"
            )
        )

        t0 = time.monotonic()
        client.apply(_pod("mnist-train", "kflow.demos.mnist_train", "train"))
        _wait_started(client, "mnist-train")
        accuracy = "n/a"
        with Progress(
            SpinnerColumn(),
            TextColumn("[bold]training[/]"),
            BarColumn(),
            TextColumn("epoch {task.completed}/{task.total}"),
            TextColumn("{task.fields[metrics]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("train", total=EPOCHS, metrics="")
            for line in client.logs("mnist-train", follow=True):
                if match := _METRIC.search(line):
                    accuracy = match.group(3)
                    progress.update(
                        task,
                        completed=int(match.group(1)),
                        metrics=f"loss={match.group(2)} accuracy={accuracy}",
                    )
        pod = _finish(client, "mnist-train")
        phase = pod["status"]["phase"]
        steps.append(
            Step(
                "train in a Pod (logs followed live)",
                time.monotonic() - t0,
                f"{phase}, accuracy {accuracy}",
            )
        )
        if phase != "Succeeded":
            console.print(f"[red]training failed[/]: kflow logs mnist-train -n {NAMESPACE}")
            return 1

        t0 = time.monotonic()
        with console.status("evaluating the saved model from the shared claim..."):
            client.apply(_pod("mnist-evaluate", "kflow.demos.mnist_evaluate", "evaluate"))
            pod = _finish(client, "mnist-evaluate")
        log_lines = list(client.logs("mnist-evaluate"))
        score = next(
            (line.split("=", 1)[1] for line in log_lines if line.startswith("accuracy=")), "n/a"
        )
        steps.append(
            Step(
                "evaluate in a second Pod (same claim, same path)",
                time.monotonic() - t0,
                f"{pod['status']['phase']}, accuracy {score}",
            )
        )

        steps.append(_distributed(client, console))
        evaluated = pod["status"]["phase"] == "Succeeded"
        ok = evaluated and not steps[-1].result.startswith(("Failed", "Unknown"))

        t0 = time.monotonic()
        summary, tuned, best_model = tune(client, NAMESPACE, console)
        steps.append(
            Step(
                "tune: Katib Experiment, TPE + median stopping, 2 trials at a time",
                time.monotonic() - t0,
                summary,
            )
        )
        ok = ok and tuned
        t0 = time.monotonic()
        summary, piped = run_twice(client, NAMESPACE, console)
        steps.append(
            Step(
                "pipeline: kfp v2 DSL on the workflow engine, run twice (cache)",
                time.monotonic() - t0,
                summary,
            )
        )
        ok = ok and piped

        page_url = ""
        if tuned:
            t0 = time.monotonic()
            summary, served = serve(client, NAMESPACE, best_model, console)
            steps.append(
                Step(
                    "serve the best model: InferenceService, predictions via the gateway",
                    time.monotonic() - t0,
                    summary,
                )
            )
            ok = ok and served
            if served:
                t0 = time.monotonic()
                info = read_server_info(home)
                summary, drawn, page_url = try_the_page(
                    client, NAMESPACE, MODEL_NAME, info.token if info else None, console
                )
                steps.append(
                    Step("draw a digit: the MNIST web page", time.monotonic() - t0, summary)
                )
                ok = ok and drawn

        pods = client.list("pods", namespace=NAMESPACE).items
        table = Table(title="What ran", show_lines=False)
        for column in ("step", "time", "result"):
            table.add_column(column)
        for step in steps:
            table.add_row(step.name, f"{step.seconds:.2f}s", step.result)
        console.print(table)
        console.print(
            f"{len(pods)} pods in namespace {NAMESPACE}; the model and metrics are in the claim "
            f"directory under {home / 'runtime'}."
        )
        console.print(
            f"Explore while it runs: [bold]kubectl --kubeconfig {home / 'kubeconfig'} get pods -n {NAMESPACE}[/]"
            " (use `kflow up` for a server that stays up)."
        )
        if page_url:
            console.print(f"Draw your own digit: [bold]{page_url}[/]")
            if keep:
                _wait_for_ctrl_c(console)
            else:
                console.print("  (`kflow demo --keep` keeps the page and the model up after this)")
    console.rule(
        f"[bold green]done in {time.monotonic() - started:.1f}s[/]" if ok else "[bold red]failed[/]"
    )
    return 0 if ok else 1
