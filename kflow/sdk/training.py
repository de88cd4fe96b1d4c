"""`kflow.train`: run a Python function as a distributed PyTorchJob and watch it train.

What Kubeflow Fairing and the Trainer SDK's CustomTrainer do: the function's source
and a call to it become the container command of every replica, so nothing needs
packaging. The job is an ordinary PyTorchJob (1 master + `num_workers - 1` workers),
so the controller gives each replica MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK
and the function initialises `torch.distributed` the usual way::

    def fn(epochs: int) -> None:
        import torch.distributed as dist
        dist.init_process_group("gloo")
        ...

    job = kflow.train(fn, num_workers=2, parameters={"epochs": 3})

While it runs, the merged log of every replica streams (`[master-0] ...`) under a
progress line with the job's state, and the finished job is returned.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kflow.api.training.contracts import PYTORCHJOB
from kflow.sdk.client import Client
from kflow.sdk.joblogs import is_finished, job_logs
from kflow.sdk.waiting import WaitTimeout

Obj = dict[str, Any]

DEFAULT_IMAGE = "docker.io/pytorch/pytorch:2.4.0-cpu"
"""Recorded on the pods, not pulled: the local runtime runs the command on this machine."""
FUNCTION_LABEL = "kflow.dev/train-function"
"""Names the function a `train` job runs, so `kflow get pytorchjobs -l` can find it."""


class TrainFailed(Exception):
    """The job ended Failed; `job` is its last state."""

    def __init__(self, message: str, job: Obj) -> None:
        super().__init__(message)
        self.job = job


def function_script(func: Callable[..., Any], parameters: Mapping[str, Any] | None) -> str:
    """Python source that defines `func` and calls it with `parameters` (JSON-encoded)."""
    if not inspect.isfunction(func) or func.__name__ == "<lambda>":
        raise TypeError("train() needs a function defined with `def` (its source is shipped)")
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except OSError as exc:
        raise TypeError(f"cannot read the source of {func.__name__}: {exc}") from None
    # decorators would run again (or be undefined) in the replica: ship the bare def
    source = source[source.index("def ") :] if not source.startswith("def ") else source
    encoded = json.dumps(dict(parameters or {}))
    return f"{source}\n\nimport json as _json\n{func.__name__}(**_json.loads({encoded!r}))\n"


def _job_name(func: Callable[..., Any]) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", func.__name__.lower()).strip("-")[:40] or "train"
    return f"{base}-{uuid.uuid4().hex[:5]}"


def pytorchjob_for(
    func: Callable[..., Any],
    *,
    name: str,
    num_workers: int = 1,
    parameters: Mapping[str, Any] | None = None,
    resources_per_worker: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    namespace: str | None = None,
    image: str = DEFAULT_IMAGE,
    python: str | None = None,
) -> Obj:
    """The PyTorchJob `train` submits: `num_workers` replicas in all, the first the master."""
    if num_workers < 1:
        raise ValueError(f"num_workers must be >= 1, not {num_workers}")
    container: Obj = {
        "name": PYTORCHJOB.default_container_name,
        "image": image,
        "command": [python or sys.executable, "-u", "-c", function_script(func, parameters)],
    }
    if env:
        container["env"] = [{"name": k, "value": str(v)} for k, v in env.items()]
    if resources_per_worker:
        amounts = {k: str(v) for k, v in resources_per_worker.items()}
        container["resources"] = {"requests": amounts, "limits": dict(amounts)}

    def replicas(count: int) -> Obj:
        # a Python exception is not transient: fail at once instead of restarting
        return {
            "replicas": count,
            "restartPolicy": "Never",
            "template": {"spec": {"containers": [json.loads(json.dumps(container))]}},
        }

    specs = {"Master": replicas(1)}
    if num_workers > 1:
        specs["Worker"] = replicas(num_workers - 1)
    metadata: Obj = {"name": name, "labels": {FUNCTION_LABEL: func.__name__[:63]}}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": PYTORCHJOB.api_version,
        "kind": PYTORCHJOB.kind,
        "metadata": metadata,
        "spec": {"runPolicy": {"cleanPodPolicy": "None"}, "pytorchReplicaSpecs": specs},
    }


def _state(job: Obj) -> str:
    """The latest true condition (`Running`), with replica counts when there are any."""
    status = job.get("status") or {}
    true = [c for c in status.get("conditions") or [] if c.get("status") == "True"]
    state = str(true[-1].get("type")) if true else "Pending"
    counts = []
    for role, replica in sorted((status.get("replicaStatuses") or {}).items()):
        active, done = int(replica.get("active") or 0), int(replica.get("succeeded") or 0)
        counts.append(f"{role.lower()} {active} active/{done} done")
    return f"{state} ({', '.join(counts)})" if counts else state


def train(
    func: Callable[..., Any],
    num_workers: int = 1,
    resources_per_worker: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    namespace: str | None = None,
    name: str | None = None,
    follow: bool = True,
    *,
    parameters: Mapping[str, Any] | None = None,
    image: str = DEFAULT_IMAGE,
    client: Client | None = None,
    timeout: float | None = None,
    console: Console | None = None,
) -> Obj:
    """Submit `func` as a PyTorchJob with `num_workers` replicas; return the job.

    With `follow` (the default) the merged log of every replica streams to `console`
    under a progress line, and the call returns once the job has finished — raising
    TrainFailed if it failed. Without it, the created job returns at once.
    `parameters` are passed to `func` as keyword arguments (JSON-encodable);
    `resources_per_worker` (`{"cpu": 1, "memory": "1Gi"}`) become each replica's
    requests and limits; `client` defaults to the server `kflow up` started.
    """
    own = client is None
    kf = client or Client()
    try:
        body = pytorchjob_for(
            func,
            name=name or _job_name(func),
            num_workers=num_workers,
            parameters=parameters,
            resources_per_worker=resources_per_worker,
            env=env,
            namespace=namespace,
            image=image,
        )
        job = kf.create(body, namespace=namespace)
        if not follow:
            return job
        job_name = str(job["metadata"]["name"])
        ns = str(job["metadata"].get("namespace") or namespace or kf.namespace)
        return _follow(kf, job_name, ns, console or Console(), timeout)
    finally:
        if own:
            kf.close()


def _follow(kf: Client, name: str, namespace: str, console: Console, timeout: float | None) -> Obj:
    kind = PYTORCHJOB.resource
    latest: Obj = kf.get(kind, name, namespace=namespace)
    done = threading.Event()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task(f"pytorchjob/{name}: {_state(latest)}")

    def watch_state() -> None:
        nonlocal latest
        while not done.wait(0.5):
            try:
                latest = kf.get(kind, name, namespace=namespace)
            except Exception:  # the display must never end the training
                continue
            progress.update(task, description=f"pytorchjob/{name}: {escape(_state(latest))}")

    watcher = threading.Thread(target=watch_state, name=f"train-{name}", daemon=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    with progress:
        watcher.start()
        try:
            for line in job_logs(
                kf, name, kind=kind, namespace=namespace, follow=True, timeout=timeout
            ):
                progress.console.print(
                    f"[cyan]\\[{line.replica}][/] {escape(line.text)}", highlight=False
                )
        finally:
            done.set()
            watcher.join(timeout=5)
    latest = kf.get(kind, name, namespace=namespace)
    # logs can drain a moment before the controller writes the final condition
    while not is_finished(latest) and (deadline is None or time.monotonic() < deadline):
        try:
            kf.wait_for(kind, name, "condition=Succeeded", namespace=namespace, timeout=1)
        except WaitTimeout:
            pass
        finally:
            latest = kf.get(kind, name, namespace=namespace)
    console.print(f"pytorchjob/{name}: {escape(_state(latest))}", highlight=False)
    conditions = (latest.get("status") or {}).get("conditions") or []
    if any(c.get("type") == "Failed" and c.get("status") == "True" for c in conditions):
        message = next((str(c.get("message")) for c in conditions if c.get("type") == "Failed"), "")
        raise TrainFailed(f"pytorchjob/{name} failed: {message}", latest)
    return latest
