"""What `pipelines.py` measures with: CPU accounting, the server, the traced chain, the
1,000-node workflow.

CPU time comes from a cpuacct cgroup (v1) per contender: everything a contender
starts stays in its group even when it detaches (kflow's pods run in their own
sessions, reparented away from `kflow up`), so `cpuacct.usage` and
`cpuacct.usage_percpu` count all of it, per core. Where cgroups cannot be made (not
root, no cpuacct hierarchy) CPU figures are left out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console

from kflow.sdk import Client, read_server_info
from kflow.sdk.config import ServerUnavailable

CPUACCT = Path("/sys/fs/cgroup/cpuacct")
Obj = dict[str, Any]


class CpuGroup:
    """A cpuacct cgroup: put a command in it, read its CPU time (total and per core)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def make(cls, name: str) -> CpuGroup | None:
        path = CPUACCT / f"kflow-bench-{name}-{os.getpid()}"
        try:
            path.mkdir(exist_ok=True)
            (path / "cpuacct.usage").read_text()
        except OSError:
            return None
        return cls(path)

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` started inside the group (the shell joins it, then execs)."""
        procs = str(self.path / "cgroup.procs")
        return ["sh", "-c", f'echo $$ > {procs} && exec "$@"', "sh", *argv]

    def usage(self) -> tuple[float, list[float]]:
        total = int((self.path / "cpuacct.usage").read_text()) / 1e9
        per = [int(v) / 1e9 for v in (self.path / "cpuacct.usage_percpu").read_text().split()]
        return total, per

    def remove(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # processes may take a moment to leave
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def quiet_console() -> Console:
    return Console(file=open(os.devnull, "w"))


class Server:
    """A `kflow up` in a fresh data directory (outside /tmp), in a cgroup of its own."""

    def __init__(self, scratch: Path) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="kflow-", dir=scratch))
        self.group = CpuGroup.make("kflow")
        port = _free_port()
        argv = [sys.executable, "-m", "kflow", "up", "--port", str(port), "--home", str(self.home)]
        env = dict(os.environ, KFLOW_HOME=str(self.home))
        self.log = open(self.home / "up.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.group.wrap(argv) if self.group else argv,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while (info := read_server_info(self.home)) is None:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit(f"kflow up did not start; see {self.home / 'up.log'}")
            time.sleep(0.05)
        self.info = info
        self.kubeconfig = self.home / "kubeconfig"

    def client(self) -> Client:
        return Client(url=self.info.url, token=self.info.token, ca=self.info.ca)

    def rss_mb(self) -> float:
        return float(psutil.Process(self.proc.pid).memory_info().rss) / 2**20

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if self.group:
            self.group.remove()
        shutil.rmtree(self.home, ignore_errors=True)


# -- where a chain step's time goes -------------------------------------------------


class _Recorder:
    """Watches pods and workflows, noting (wall clock) when each change arrives."""

    def __init__(self, server: Server) -> None:
        self.events: list[tuple[float, str, str, str, Obj]] = []  # (time, kind, name, what, obj)
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._watch, args=(server, kind), daemon=True)
            for kind in ("pods", "workflows")
        ]
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)  # the watches connect before the clock starts

    def _watch(self, server: Server, kind: str) -> None:
        with server.client() as kf, contextlib.suppress(ServerUnavailable):  # it stopped
            rv = kf.list(kind, namespace="default").resource_version
            for event in kf.watch(kind, namespace="default", resource_version=rv, timeout=600):
                at = time.time()
                obj = event.object
                phase = str((obj.get("status") or {}).get("phase") or "")
                self.events.append(
                    (at, kind, obj["metadata"]["name"], f"{event.type}:{phase}", obj)
                )
                if self.stop.is_set():
                    return

    def first(self, kind: str, name: str, test: Callable[[str, Obj], bool]) -> float | None:
        for at, k, n, what, obj in self.events:
            if k == kind and n == name and test(what, obj):
                return at
        return None


def _is(state: str) -> Callable[[str, Obj], bool]:
    return lambda what, obj: state in what.split(":")


def _bound(what: str, obj: Obj) -> bool:
    return "kflow.dev/process" in (obj["metadata"].get("finalizers") or [])


def _accepted(what: str, obj: Obj) -> bool:
    statuses = (obj.get("status") or {}).get("containerStatuses") or []
    return bool(statuses)


def _executor_times(kf: Client, pod: str) -> tuple[float, float] | None:
    """When kfp's executor logged its first and last line (its own clock, ms)."""
    stamps = []
    for line in kf.logs(pod, "main", namespace="default"):
        if line.startswith("[KFP Executor "):
            stamp = line[len("[KFP Executor ") :][:23]  # 2026-11-26 03:01:43,507
            when = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f")
            stamps.append(when.timestamp())
    return (stamps[0], stamps[-1]) if stamps else None


PHASES = {
    "schedule": "previous pod Succeeded (or the run created) -> this pod created: the workflow controller's pass",
    "bind": "pod created -> finalizer and node set: the pod controller picks it up",
    "hand_off": "bound -> first status (containers waiting): launch built, runtime handed it over",
    "container_start": "handed over -> Running: the shim and the warm container's process start",
    "to_executor": "Running -> kfp executor's first log line: the launcher's start, arguments, metadata",
    "executor": "executor's first -> last log line: kfp's executor runs the component",
    "to_succeeded": "executor's last line -> Succeeded seen: outputs, lineage record, exit, status",
}


def trace_chain(server: Server, pipeline: Any) -> dict[str, Any]:
    """One chain run with watches on its pods and workflow: the median of each phase."""
    import kflow

    recorder = _Recorder(server)
    with server.client() as kf:
        t0 = time.time()
        run = kflow.run_pipeline(pipeline, client=kf, enable_caching=False, console=quiet_console())
        returned = time.time()
        time.sleep(0.5)
        recorder.stop.set()
        wf_added = recorder.first("workflows", run.name, _is("ADDED")) or t0
        pods = sorted(
            {n for _, k, n, _, _ in recorder.events if k == "pods" and n.startswith(run.name)},
            key=lambda n: recorder.first("pods", n, _is("ADDED")) or 0.0,
        )
        phases: dict[str, list[float]] = {k: [] for k in PHASES}
        previous_end = wf_added
        for name in pods:
            marks = [
                recorder.first("pods", name, _is("ADDED")),
                recorder.first("pods", name, _bound),
                recorder.first("pods", name, _accepted),
                recorder.first("pods", name, _is("Running")),
            ]
            done = recorder.first("pods", name, _is("Succeeded"))
            executor = _executor_times(kf, name)
            if None in marks or done is None or executor is None:
                continue
            added, bound, accepted, running = (float(m) for m in marks if m is not None)
            points = [previous_end, added, bound, accepted, running, *executor, done]
            for key, (a, b) in zip(PHASES, itertools.pairwise(points), strict=True):
                phases[key].append(b - a)
            previous_end = done
    wf_done = recorder.first("workflows", run.name, _is("Succeeded")) or returned
    steps = len(phases["schedule"])
    return {
        "wall_s": returned - t0,
        "steps": steps,
        "submit_s": wf_added - t0,
        "finish_s": wf_done - previous_end,
        "return_s": returned - wf_done,
        "phases": PHASES,
        "per_step_median_ms": {k: statistics.median(v) * 1000 for k, v in phases.items() if v},
        "per_step_mean_ms": {k: statistics.mean(v) * 1000 for k, v in phases.items() if v},
    }


# -- a 1,000-node workflow -------------------------------------------------------------


def _wide_body(nodes: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"generateName": "wide-", "namespace": "default"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [{"name": "n", "template": "noop", "withSequence": {"count": str(nodes)}}]
                    ],
                },
                {"name": "noop", "container": {"image": "busybox", "command": ["true"]}},
            ],
        },
    }


def _timed_reads(server: Server, kf: Client, name: str) -> dict[str, float]:
    """One `kubectl get wf NAME -o json` and one API GET of the workflow, timed."""
    t0 = time.perf_counter()
    out = subprocess.run(
        ["kubectl", "--kubeconfig", str(server.kubeconfig), "get", "wf", name, "-o", "json"],
        capture_output=True,
        check=True,
    ).stdout
    t1 = time.perf_counter()
    kf.get("workflows", name, namespace="default")
    t2 = time.perf_counter()
    return {"kubectl_s": t1 - t0, "api_get_s": t2 - t1, "bytes": float(len(out))}


def _median_reads(reads: list[dict[str, float]]) -> dict[str, float]:
    if not reads:
        return {}
    out = {k: statistics.median(r[k] for r in reads) for k in reads[0]}
    out["max_kubectl_s"] = max(r["kubectl_s"] for r in reads)
    out["max_api_get_s"] = max(r["api_get_s"] for r in reads)
    out["count"] = float(len(reads))
    return out


def wide_workflow(server: Server, nodes: int) -> dict[str, Any]:
    """A `withSequence` of `nodes` pods running `true`: wall, reads during/after, RSS."""
    if not shutil.which("kubectl"):
        return {"error": "kubectl is not on PATH"}
    with server.client() as kf:  # kubectl's discovery cache is filled before the clock starts
        kf.create(_wide_body(1))
    subprocess.run(
        ["kubectl", "--kubeconfig", str(server.kubeconfig), "get", "wf"],
        check=True,
        capture_output=True,
    )
    time.sleep(2)
    rss_before = server.rss_mb()
    samples: list[float] = []
    during: list[dict[str, float]] = []
    done = threading.Event()
    with server.client() as kf:
        t0 = time.perf_counter()
        name = str(kf.create(_wide_body(nodes))["metadata"]["name"])

        def sample() -> None:
            while not done.is_set():
                with contextlib.suppress(psutil.Error):
                    samples.append(server.rss_mb())
                time.sleep(0.2)

        def read() -> None:
            with server.client() as reader:
                while not done.is_set():
                    with contextlib.suppress(subprocess.CalledProcessError):
                        during.append(_timed_reads(server, reader, name))
                    time.sleep(0.5)

        threads = [threading.Thread(target=f, daemon=True) for f in (sample, read)]
        for thread in threads:
            thread.start()
        phase = ""
        for event in kf.watch("workflows", name, namespace="default", timeout=1800):
            phase = str((event.object.get("status") or {}).get("phase") or "")
            if phase in ("Succeeded", "Failed", "Error"):
                break
        wall = time.perf_counter() - t0
        done.set()
        for thread in threads:
            thread.join()
        final = kf.get("workflows", name, namespace="default")
        after = [_timed_reads(server, kf, name) for _ in range(5)]
        time.sleep(3)
        rss_after = server.rss_mb()
    status = final.get("status") or {}
    return {
        "nodes_requested": nodes,
        "phase": phase,
        "progress": status.get("progress"),
        "status_nodes": len(status.get("nodes") or {}),
        "wall_s": wall,
        "pods_per_s": nodes / wall,
        "reads_during": _median_reads(during),
        "reads_after": _median_reads(after),
        "rss_mb": {
            "before": rss_before,
            "during_max": max(samples, default=rss_before),
            "during_median": statistics.median(samples) if samples else rss_before,
            "after": rss_after,
        },
    }
