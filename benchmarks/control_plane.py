"""Control-plane benchmarks: pod start latency, API round-trips, watch latency, idle RSS.

Runs a real `kflow up` (SQLite + local processes) on a free loopback port in a fresh
data directory and drives it over HTTP with kflow's own client, next to the floor it
is compared with (starting the same Python process directly with `subprocess`).

    python benchmarks/control_plane.py [--runs 20] [--objects 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from kflow.sdk import Client, read_server_info

# prints the wall-clock time at which user code first runs, then idles like the pod
SLEEPER = [sys.executable, "-c", "import time; print(time.time(), flush=True); time.sleep(1)"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(values) * 1000, "p95_ms": pct(values, 0.95) * 1000}


class Server:
    """A `kflow up` in a throwaway home."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="kflow-bench-"))
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kflow",
                "up",
                "--port",
                str(self.port),
                "--home",
                str(self.home),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while (info := read_server_info(self.home)) is None or not info.url.endswith(
            f":{self.port}"
        ):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise SystemExit("kflow up did not start")
            time.sleep(0.05)
        self.info = info

    def client(self) -> Client:
        return Client(url=self.info.url, token=self.info.token, ca=self.info.ca)

    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.info.ca)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=30)


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"bench": "start"}},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "containers": [{"name": "c", "image": "python:3.11", "command": SLEEPER}],
        },
    }


def floor_start(runs: int) -> dict[str, list[float]]:
    """The same process started directly with subprocess, nothing in between.

    `to_started`: Popen returns (the process exists); `to_user_code`: until the
    program's first line runs (interpreter start-up included).
    """
    started, user_code = [], []
    for _ in range(runs):
        t0 = time.time()
        proc = subprocess.Popen(SLEEPER, stdout=subprocess.PIPE, text=True)
        started.append(time.time() - t0)
        assert proc.stdout is not None
        user_code.append(float(proc.stdout.readline()) - t0)
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return {"to_started": started, "to_user_code": user_code}


def pod_start(server: Server, batch: int, runs: int) -> dict[str, list[float]]:
    """Per pod, from the create request to (a) the watch reporting phase Running and
    (b) the container's first line of user code running (it prints the wall clock)."""
    times: list[float] = []
    user_code: list[float] = []
    with server.client() as kf:
        for run in range(runs):
            names = [f"start-{batch}-{run}-{i}" for i in range(batch)]
            running: dict[str, float] = {}
            ready = threading.Event()
            rv = kf.list("pods", namespace="default").resource_version

            def watch(
                rv: str = rv,
                names: list[str] = names,
                running: dict[str, float] = running,
                ready: threading.Event = ready,
            ) -> None:
                with server.client() as watcher:
                    for event in watcher.watch(
                        "pods", namespace="default", resource_version=rv, timeout=120
                    ):
                        name = event.object["metadata"]["name"]
                        if (
                            name in names
                            and name not in running
                            and (event.object.get("status") or {}).get("phase") == "Running"
                        ):
                            running[name] = time.perf_counter()
                            if len(running) == len(names):
                                ready.set()
                                return

            thread = threading.Thread(target=watch, daemon=True)
            thread.start()
            time.sleep(0.2)  # let the watch connect before the clock starts
            started, wall = {}, {}
            for name in names:
                started[name] = time.perf_counter()
                wall[name] = time.time()
                kf.create(pod(name))
            if not ready.wait(120):
                raise SystemExit(
                    f"pods did not all reach Running: {sorted(set(names) - set(running))}"
                )
            times += [running[n] - started[n] for n in names]
            for name in names:
                first = next(iter(kf.logs(name, namespace="default", follow=True)))
                user_code.append(float(first) - wall[name])
            for name in names:
                kf.delete("pods", name, namespace="default")
            deadline = time.monotonic() + 60
            while (
                kf.list("pods", namespace="default", labels="bench=start").items
                and time.monotonic() < deadline
            ):
                time.sleep(0.05)
    return {"to_running": times, "to_user_code": user_code}


def api_round_trips(server: Server, objects: int) -> float:
    """create + get + delete of ConfigMaps over HTTP, per second."""
    headers = {"Authorization": f"Bearer {server.info.token}"}
    base = f"{server.info.url}/api/v1/namespaces/default/configmaps"
    with httpx.Client(headers=headers, verify=server.verify()) as http:
        t0 = time.perf_counter()
        for i in range(objects):
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm-{i}"},
                "data": {"k": "v"},
            }
            http.post(base, json=body).raise_for_status()
            http.get(f"{base}/cm-{i}").raise_for_status()
            http.delete(f"{base}/cm-{i}").raise_for_status()
        return objects / (time.perf_counter() - t0)


def watch_latency(server: Server, events: int) -> list[float]:
    """From just before a create to the watch event arriving at another client."""
    headers = {"Authorization": f"Bearer {server.info.token}"}
    base = f"{server.info.url}/api/v1/namespaces/default/configmaps"
    seen: dict[str, float] = {}
    done = threading.Event()
    with httpx.Client(headers=headers, verify=server.verify()) as http:
        rv = http.get(base).json()["metadata"]["resourceVersion"]

        def follow() -> None:
            with (
                httpx.Client(headers=headers, timeout=None, verify=server.verify()) as watcher,
                watcher.stream(
                    "GET", base, params={"watch": "1", "resourceVersion": rv}
                ) as response,
            ):
                for line in response.iter_lines():
                    if line:
                        name = json.loads(line)["object"]["metadata"]["name"]
                        seen.setdefault(name, time.perf_counter())
                        if len(seen) >= events:
                            done.set()
                            return

        threading.Thread(target=follow, daemon=True).start()
        time.sleep(0.3)
        sent = {}
        for i in range(events):
            name = f"w-{i}"
            sent[name] = time.perf_counter()
            http.post(
                base, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
            ).raise_for_status()
            time.sleep(0.005)
        done.wait(60)
    return [seen[n] - sent[n] for n in sent if n in seen]


def idle_rss(server: Server) -> float:
    time.sleep(3)
    proc = psutil.Process(server.proc.pid)
    return proc.memory_info().rss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    server = Server()
    try:
        results["idle_rss_mb"] = idle_rss(server)
        floor = floor_start(args.runs)
        results["floor_subprocess"] = {key: summary(values) for key, values in floor.items()}
        one = pod_start(server, 1, args.runs)
        results["pod_start_1"] = {key: summary(values) for key, values in one.items()}
        results["pod_start_1"]["user_code_overhead_over_floor_ms"] = (
            results["pod_start_1"]["to_user_code"]["median_ms"]
            - results["floor_subprocess"]["to_user_code"]["median_ms"]
        )
        twenty = pod_start(server, 20, max(3, args.runs // 4))
        results["pod_start_20"] = {key: summary(values) for key, values in twenty.items()}
        results["api_create_get_delete_per_s"] = api_round_trips(server, args.objects)
        results["watch_delivery"] = summary(watch_latency(server, 200))
    finally:
        server.stop()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
