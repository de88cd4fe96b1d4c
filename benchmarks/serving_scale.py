"""Serving scale benchmarks: scale from zero, held requests under a burst, the gateway's cost.

Runs a real `kflow up` on a free loopback port in a fresh data directory, trains a
scikit-learn classifier on the digits data, serves it as an InferenceService with
`minReplicas: 0` and Knative's shortest stable window (6 s), and measures:

- scale from zero: a service at zero gets one request; the time to its answer, next
  to the floor — `kflow serve` started by hand until it answers the same request;
- a burst at zero: many requests at once to a service at zero; all must be held and
  answered (time to the first and the last answer);
- the gateway on the hot path: requests/s, latency and the kflow server's CPU time
  per request through the gateway at a fixed concurrency, next to the same load sent
  straight to the replica (`--hot-path-only` runs just this, against any kflow).

    python benchmarks/serving_scale.py [--runs 5] [--burst 32] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
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
import joblib
import psutil
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from kflow.sdk import Client, read_server_info

KFLOW = [sys.executable, "-m", "kflow"]
READY = "serving.kflow.dev/ready-address"
WINDOW = "6s"  # Knative's shortest stable window: a service idles to zero in ~6 s
BODY = {"instances": (load_digits().data[:1] / 16.0).tolist()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def seconds(values: list[float]) -> dict[str, float]:
    return {
        "median_s": statistics.median(values),
        "min_s": min(values),
        "max_s": max(values),
        "runs": len(values),
    }


class Server:
    """A `kflow up` in a throwaway home."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="kflow-bench-serving-"))
        self.port = free_port()
        self.proc = subprocess.Popen(
            [*KFLOW, "up", "--port", str(self.port), "--home", str(self.home)],
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
        self.raw = json.loads((self.home / "server.json").read_text())

    def client(self) -> Client:
        return Client(home=self.home)

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.raw["url"],
            verify=ssl.create_default_context(cafile=self.raw["ca"]),
            headers={"Authorization": f"Bearer {self.raw['token']}"},
            timeout=120,
            limits=httpx.Limits(max_connections=256),
        )

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def train(directory: Path) -> None:
    x, y = load_digits(return_X_y=True)
    directory.mkdir(parents=True)
    joblib.dump(LogisticRegression(max_iter=300).fit(x / 16.0, y), directory / "model.joblib")


def isvc(name: str, model: Path, **predictor: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": name,
            "annotations": {
                "autoscaling.knative.dev/window": WINDOW,
                "autoscaling.knative.dev/initial-scale": "0",
            },
        },
        "spec": {"predictor": {"sklearn": {"storageUri": f"file://{model}"}, **predictor}},
    }


def pods(kf: Client, name: str, terminating: bool = False) -> list[dict[str, Any]]:
    return [
        p
        for p in kf.list("pods", labels=f"serving.kserve.io/inferenceservice={name}").items
        if terminating or not p["metadata"].get("deletionTimestamp")
    ]


class PodTimeline:
    """When the first replica of `name` was created, ran and was marked ready, seen by a
    watch, relative to `start()`."""

    def __init__(self, server: Server, name: str) -> None:
        self.server, self.name = server, name
        self.marks: dict[str, float] = {}
        self.t0 = time.monotonic()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.marks.clear()

    def _watch(self) -> None:
        with self.server.client() as kf:
            self.ready.set()
            for event in kf.watch("pods", timeout=600):
                pod = event.object
                labels = pod["metadata"].get("labels") or {}
                if labels.get("serving.kserve.io/inferenceservice") != self.name:
                    continue
                now = time.monotonic() - self.t0
                if event.type == "ADDED":
                    self.marks.setdefault("created_s", now)
                if (pod.get("status") or {}).get("phase") == "Running":
                    self.marks.setdefault("running_s", now)
                if (pod["metadata"].get("annotations") or {}).get(READY):
                    self.marks.setdefault("marked_ready_s", now)


def wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


async def predict(http: httpx.AsyncClient, path: str) -> tuple[int, float]:
    start = time.monotonic()
    answer = await http.post(path, json=BODY)
    return answer.status_code, time.monotonic() - start


def floor_cold_start(model: Path) -> float:
    """`kflow serve` started by hand until it answers one prediction."""
    port, grpc = free_port(), free_port()
    start = time.monotonic()
    ports = ["--port", str(port), "--grpc-port", str(grpc)]
    proc = subprocess.Popen(
        [*KFLOW, "serve", str(model), "--name", "digits", *ports],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while True:
                try:
                    if http.post("/v1/models/digits:predict", json=BODY).status_code == 200:
                        return time.monotonic() - start
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
    finally:
        proc.terminate()
        proc.wait()


def scale_from_zero(
    server: Server, model: Path, runs: int, breakdown: list[dict[str, float]]
) -> list[float]:
    """One request to a service at zero, `runs` times, going back to zero in between."""
    took = []
    timeline = PodTimeline(server, "cold")
    with server.client() as kf:
        kf.create(isvc("cold", model, minReplicas=0))
        try:
            for _ in range(runs):
                # at zero, the last replica's process gone too
                wait(lambda: not pods(kf, "cold", True), 120, "the service to go to zero")
                timeline.start()

                async def one() -> tuple[int, float]:
                    async with server.http() as http:
                        return await predict(http, "/serving/default/cold/v1/models/cold:predict")

                status, seconds_ = asyncio.run(one())
                assert status == 200, status
                took.append(seconds_)
                print(f"scale from zero: {seconds_:.2f}s", dict(timeline.marks), file=sys.stderr)
                breakdown.append(dict(timeline.marks))
        finally:
            kf.delete("inferenceservices", "cold")
            wait(lambda: not pods(kf, "cold"), 60, "the replicas to go")
    return took


def burst_at_zero(server: Server, model: Path, size: int) -> dict[str, Any]:
    """`size` requests at once to a service at zero: all held, all answered."""
    with server.client() as kf:
        kf.create(isvc("burst", model, minReplicas=0))
        try:

            async def burst() -> list[tuple[int, float]]:
                async with server.http() as http:
                    path = "/serving/default/burst/v1/models/burst:predict"
                    return list(await asyncio.gather(*(predict(http, path) for _ in range(size))))

            answers = asyncio.run(burst())
            replicas = len(pods(kf, "burst"))
        finally:
            kf.delete("inferenceservices", "burst")
            wait(lambda: not pods(kf, "burst"), 60, "the replicas to go")
    times = [t for _, t in answers]
    return {
        "requests": size,
        "answered_200": sum(1 for s, _ in answers if s == 200),
        "first_answer_s": min(times),
        "last_answer_s": max(times),
        "replicas_after": replicas,
    }


async def closed_loop(http: httpx.AsyncClient, path: str, clients: int, seconds_: float) -> Any:
    latencies: list[float] = []
    failures = 0
    stop = time.monotonic() + seconds_

    async def client() -> None:
        nonlocal failures
        while time.monotonic() < stop:
            status, took = await predict(http, path)
            if status == 200:
                latencies.append(took)
            else:
                failures += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return {
        "requests_per_s": len(latencies) / seconds_,
        "p50_ms": pct(latencies, 0.5) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "failures": failures,
    }


def hot_path(server: Server, model: Path, clients: int, seconds_: float) -> dict[str, Any]:
    """The same load through the gateway and straight to the replica."""
    with server.client() as kf:
        kf.create(isvc("hot", model, minReplicas=1, maxReplicas=1))
        try:
            kf.wait_for("isvc", "hot", "condition=Ready", timeout=120)
            [pod] = pods(kf, "hot")
            address = pod["metadata"]["annotations"]["serving.kflow.dev/ready-address"]

            async def both() -> dict[str, Any]:
                async with server.http() as http:
                    path = "/serving/default/hot/v1/models/hot:predict"
                    await closed_loop(http, path, clients, 1.0)  # warm up
                    # CPU the kflow server spends per request: what the hot path costs,
                    # whatever else the machine is doing
                    cpu = psutil.Process(server.proc.pid).cpu_times()
                    gateway = await closed_loop(http, path, clients, seconds_)
                    after = psutil.Process(server.proc.pid).cpu_times()
                    used = (after.user + after.system) - (cpu.user + cpu.system)
                    served = gateway["requests_per_s"] * seconds_
                    gateway["server_cpu_ms_per_request"] = used / max(served, 1) * 1000
                async with httpx.AsyncClient(base_url=f"http://{address}", timeout=60) as direct:
                    direct_ = await closed_loop(direct, "/v1/models/hot:predict", clients, seconds_)
                return {"through_gateway_https": gateway, "direct_to_replica_http": direct_}

            return asyncio.run(both())
        finally:
            kf.delete("inferenceservices", "hot")
            wait(lambda: not pods(kf, "hot"), 60, "the replicas to go")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="scale-from-zero runs")
    parser.add_argument("--burst", type=int, default=32, help="requests in the burst at zero")
    parser.add_argument("--clients", type=int, default=8, help="hot-path concurrency")
    parser.add_argument("--seconds", type=float, default=10.0, help="hot-path duration")
    parser.add_argument(
        "--hot-path-only",
        action="store_true",
        help="measure only the gateway's hot path (also runs against older kflow versions)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kflow-bench-model-"))
    model = workdir / "digits"
    train(model)
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg()[0],
    }
    if not args.hot_path_only:  # before kflow up starts, so nothing else competes
        floor_cold_start(model)  # warm the disk cache: every later start finds it warm
        results["floor_kflow_serve_start_to_answer"] = seconds(
            [floor_cold_start(model) for _ in range(args.runs)]
        )
    server = Server()
    try:
        if args.hot_path_only:
            results["hot_path"] = {"clients": args.clients, "seconds": args.seconds} | hot_path(
                server, model, args.clients, args.seconds
            )
            return finish(results, args.json)
        breakdown: list[dict[str, float]] = []
        results["scale_from_zero_first_answer"] = seconds(
            scale_from_zero(server, model, args.runs, breakdown)
        )
        results["scale_from_zero_first_answer"]["median_pod_timeline_s"] = {
            mark: statistics.median(b[mark] for b in breakdown if mark in b)
            for mark in ("created_s", "running_s", "marked_ready_s")
        }
        results["burst_at_zero"] = burst_at_zero(server, model, args.burst)
        results["hot_path"] = {"clients": args.clients, "seconds": args.seconds} | hot_path(
            server, model, args.clients, args.seconds
        )
    finally:
        server.stop()
    finish(results, args.json)


def finish(results: dict[str, Any], path: Path | None) -> None:
    results["load_average_at_end"] = os.getloadavg()[0]
    text = json.dumps(results, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n")


if __name__ == "__main__":
    main()
