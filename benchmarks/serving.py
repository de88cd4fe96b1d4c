"""Model serving benchmark: kflow's model server vs KServe's and MLServer's Python servers.

Side by side in one run, on the same machine, with the same models and the same load
generators:

- contenders: `kflow serve MODEL_DIR` (also with adaptive batching), KServe's Python
  model server (`pip install kserve`) and MLServer (`pip install mlserver
  mlserver-sklearn`). KServe and MLServer run from their own virtualenvs under
  `~/.cache/kflow-bench` (they pin protobuf 6; kflow's environment has 7), made on the
  first run with pinned versions (`--setup-only` just makes them).
- models: a LogisticRegression on sklearn's digits (joblib) and a small MLP on the
  same data (64-128-10, TorchScript), one digit per request;
- protocols: KServe V1 REST (`/v1/models/m:predict`), Open Inference Protocol V2 REST
  (`/v2/models/m/infer`) and V2 gRPC (`ModelInfer`); MLServer speaks V2 only;
- load: `wrk` with a Lua body (`serving_helpers/post.lua`) for REST and a closed-loop
  grpc.aio client (`serving_helpers/grpc_load.py`) for gRPC, concurrency 1, 8 and 64,
  15 s each, as 3 rounds of 5 s (each after a 1 s warm-up) spread over the run, the
  median of the rounds reported; every server is pinned to core 0 (its whole process tree,
  `taskset -c 0`), every load generator to core 1;
- also: idle RSS of each server's process tree, cold start (process start to the
  first 200 answer of a V2 infer), and a check that every server answers the same
  digit as the model does in-process.

    python benchmarks/serving.py [--duration 15] [--rounds 3] [--concurrency 1,8,64]
                                 [--quick] [--models sklearn,torch] [--json results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
HELPERS = Path(__file__).resolve().parent / "serving_helpers"
CACHE = Path(os.environ.get("KFLOW_BENCH_CACHE", Path.home() / ".cache" / "kflow-bench"))
SERVER_CORE, CLIENT_CORE = "0", "1"
MODEL = "m"  # the model's name in every URL
GRPC_METHOD = "/inference.GRPCInferenceService/ModelInfer"
# one thread of math per server: it has one core; torch would otherwise start two
SERVER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
BATCHING = {"max_batch_size": 32, "max_latency_ms": 5.0}  # kflow's adaptive batching cells


def _venv_requirements() -> dict[str, list[str]]:
    import sklearn

    # the same scikit-learn everywhere: every server reads the same joblib file
    common = ["torch==2.13.0", f"scikit-learn=={sklearn.__version__}"]
    return {
        "kserve": ["kserve==0.21.0", *common],
        "mlserver": ["mlserver==1.7.1", "mlserver-sklearn==1.7.1", *common],
    }


def ensure_venv(name: str) -> Path:
    """The venv for a peer server, made (once per requirement list) under CACHE."""
    requirements = _venv_requirements()[name]
    venv = CACHE / f"venv-{name}"
    marker = venv / "kflow-bench-requirements.txt"
    if marker.exists() and marker.read_text() == "\n".join(requirements):
        return venv
    print(f"making {venv} ({' '.join(requirements)}) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", *requirements],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text("\n".join(requirements))
    return venv


def package_version(venv: Path | None, package: str) -> str:
    python = str(venv / "bin" / "python") if venv else sys.executable
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    return subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()


# --- models ---------------------------------------------------------------------------


@dataclass
class Model:
    """One benchmark model: its files, its request bodies and the answer it must give."""

    kind: str  # "sklearn" or "torch"
    directory: Path  # holds model.joblib or model.pt
    row: list[float]  # the digit every request sends
    expected: int  # the class the model gives in-process
    bodies: dict[str, Path] = field(default_factory=dict)  # protocol -> request body file


def make_models(work: Path, kinds: list[str]) -> list[Model]:
    import joblib
    import torch
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from kflow.serving.protos import grpc_predict_v2_pb2 as pb

    x, y = load_digits(return_X_y=True)
    row = [float(v) for v in x[-1]]  # any digit will do: every server gets the same one
    models = []
    for kind in kinds:
        directory = work / kind
        directory.mkdir(parents=True)
        if kind == "sklearn":
            estimator = LogisticRegression(max_iter=2000).fit(x, y)
            joblib.dump(estimator, directory / "model.joblib")
            expected = int(estimator.predict(np.asarray([row]))[0])
        else:
            torch.manual_seed(0)
            net = torch.nn.Sequential(
                torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
            )
            optimiser = torch.optim.Adam(net.parameters(), lr=0.01)
            features = torch.tensor(x, dtype=torch.float32)
            labels = torch.tensor(y)
            for _ in range(200):
                optimiser.zero_grad()
                torch.nn.functional.cross_entropy(net(features), labels).backward()
                optimiser.step()
            net.eval()
            scripted = torch.jit.script(net)
            torch.jit.save(scripted, str(directory / "model.pt"))
            with torch.inference_mode():
                expected = int(scripted(torch.tensor([row], dtype=torch.float32)).argmax())
        model = Model(kind, directory, row, expected)
        tensor = {"name": "input-0", "shape": [1, 64], "datatype": "FP32", "data": row}
        bodies = {
            "v1": json.dumps({"instances": [row]}).encode(),
            "v2": json.dumps({"inputs": [tensor]}).encode(),
        }
        request = pb.ModelInferRequest(model_name=MODEL)
        entry = request.inputs.add(name="input-0", datatype="FP32", shape=[1, 64])
        entry.contents.fp32_contents.extend(row)
        bodies["grpc"] = request.SerializeToString()
        for protocol, body in bodies.items():
            path = work / f"{kind}-{protocol}.body"
            path.write_bytes(body)
            model.bodies[protocol] = path
        models.append(model)
    return models


# --- servers --------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Contender:
    """A server under test, how to start it for a model, and the protocols it speaks."""

    name: str
    protocols: tuple[str, ...]
    venv: Path | None = None
    batching: bool = False

    def command(self, model: Model, http: int, grpc: int, work: Path) -> tuple[list[str], Path]:
        """The argv and working directory for serving `model` on these ports."""
        if self.name.startswith("kflow"):
            argv = [sys.executable, "-m", "kflow", "serve", str(model.directory), "--name", MODEL]
            argv += ["--port", str(http), "--grpc-port", str(grpc)]
            if self.batching:
                argv += ["--max-batch-size", str(BATCHING["max_batch_size"])]
                argv += ["--max-latency-ms", str(BATCHING["max_latency_ms"])]
            return argv, ROOT
        assert self.venv is not None
        if self.name == "kserve":
            argv = [str(self.venv / "bin" / "python"), str(HELPERS / "kserve_server.py")]
            argv += ["--model_name", MODEL, "--model_dir", str(model.directory)]
            argv += ["--kind", model.kind, "--http_port", str(http), "--grpc_port", str(grpc)]
            argv += ["--enable_latency_logging", "false", "--enable_docs_url", "false"]
            return argv, HELPERS
        repository = work / f"mlserver-{model.kind}-{http}"
        (repository / MODEL).mkdir(parents=True)
        settings = {
            "http_port": http,
            "grpc_port": grpc,
            "metrics_port": free_port(),
            "debug": False,  # MLServer's access log is on while debug is
            # inference in the server process, as in KServe and kflow: MLServer 1.7.1's
            # default worker pool (parallel_workers: 1) fails to start on this Python
            # ("There is no current event loop in thread 'MainThread'"); see the README
            "parallel_workers": 0,
            "metrics_endpoint": None,  # no Prometheus middleware on the request path
        }
        (repository / "settings.json").write_text(json.dumps(settings))
        if model.kind == "sklearn":
            implementation, uri = "mlserver_sklearn.SKLearnModel", "model.joblib"
        else:
            implementation, uri = "mlserver_torch.TorchScriptModel", "model.pt"
        model_settings = {
            "name": MODEL,
            "implementation": implementation,
            "parameters": {"uri": str(model.directory / uri)},
        }
        (repository / MODEL / "model-settings.json").write_text(json.dumps(model_settings))
        return [str(self.venv / "bin" / "mlserver"), "start", str(repository)], HELPERS


@dataclass
class Running:
    """A started server: its process, ports, and what was measured at start."""

    contender: Contender
    model: Model
    process: subprocess.Popen[bytes]
    http: int
    grpc: int
    log: Path
    cold_start_s: float = 0.0
    idle_rss_mb: float = 0.0
    answers: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)


def _post(port: int, path: str, body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def tree_rss_mb(pid: int) -> float:
    process = psutil.Process(pid)
    total = 0
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += each.memory_info().rss
    return total / 2**20


def start(contender: Contender, model: Model, work: Path, idle: float) -> Running:
    """Start a server on the server core; time it to its first 200; measure idle RSS."""
    http, grpc = free_port(), free_port()
    argv, cwd = contender.command(model, http, grpc, work)
    env = {**os.environ, **SERVER_ENV}
    if contender.name.startswith("kflow"):
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    else:
        env.pop("PYTHONPATH", None)
        env["PYTHONPATH"] = str(HELPERS)
    log = work / f"{contender.name}-{model.kind}.log"
    body = model.bodies["v2"].read_bytes()
    began = time.monotonic()
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, *argv],
        cwd=cwd,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as a whole
    )
    running = Running(contender, model, process, http, grpc, log)
    deadline = began + 180
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{contender.name} exited at start; see {log}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            running.stop()
            raise SystemExit(f"{contender.name} gave no answer in 180 s; see {log}")
        try:
            status, _ = _post(http, f"/v2/models/{MODEL}/infer", body, timeout=2)
        except OSError:
            status = 0
        if status == 200:
            break
        time.sleep(0.01)
    running.cold_start_s = time.monotonic() - began
    time.sleep(idle)  # let start-up work (warm-up, GC, imports in threads) settle
    running.idle_rss_mb = tree_rss_mb(process.pid)
    running.answers = check_answers(running)
    return running


def _argmax(values: list[float]) -> int:
    return int(np.argmax(np.asarray(values)))


def check_answers(running: Running) -> dict[str, Any]:
    """Each protocol's answer for the benchmark digit, and whether it is the model's."""
    model = running.model
    answers: dict[str, Any] = {}
    for protocol in running.contender.protocols:
        if protocol == "grpc":
            got = _grpc_answer(running)
        else:
            path = (
                f"/v1/models/{MODEL}:predict" if protocol == "v1" else f"/v2/models/{MODEL}/infer"
            )
            status, raw = _post(running.http, path, model.bodies[protocol].read_bytes())
            if status != 200:
                answers[protocol] = {"ok": False, "error": f"HTTP {status}: {raw[:200]!r}"}
                continue
            body = json.loads(raw)
            if protocol == "v1":
                value = body["predictions"][0]
            else:
                data = body["outputs"][0]["data"]
                value = data if model.kind == "torch" else data[0]
            got = _argmax(value) if isinstance(value, list) else int(value)
        answers[protocol] = {"ok": got == model.expected, "class": got}
    return answers


def _grpc_answer(running: Running) -> int:
    import grpc

    from kflow.serving.protos import grpc_predict_v2_pb2 as pb

    with grpc.insecure_channel(f"127.0.0.1:{running.grpc}") as channel:
        call = channel.unary_unary(GRPC_METHOD)
        raw = call(running.model.bodies["grpc"].read_bytes(), timeout=10)
    response = pb.ModelInferResponse.FromString(raw)
    output = response.outputs[0]
    if response.raw_output_contents:
        dtype = {"FP32": np.float32, "FP64": np.float64, "INT64": np.int64, "INT32": np.int32}
        values = np.frombuffer(response.raw_output_contents[0], dtype[output.datatype]).tolist()
    else:
        contents = output.contents
        values = list(
            contents.fp32_contents
            or contents.fp64_contents
            or contents.int64_contents
            or contents.int_contents
        )
    return _argmax(values) if running.model.kind == "torch" else int(values[0])


# --- load -----------------------------------------------------------------------------


def _result_line(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("RESULT "):
            parsed: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return parsed
    raise RuntimeError(f"the load generator printed no result:\n{output}")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its descendants so far."""
    total = 0.0
    process = psutil.Process(pid)
    for each in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = each.cpu_times()
            total += times.user + times.system
    return total


def load(
    running: Running, protocol: str, concurrency: int, duration: float, warmup: float
) -> dict[str, Any]:
    """One cell: `concurrency` closed-loop clients for `duration` s on the client core."""
    body = running.model.bodies[protocol]
    pin = ["taskset", "-c", CLIENT_CORE]
    env = {**os.environ, "BODY_FILE": str(body)}

    def generate(seconds: float) -> dict[str, Any]:
        if protocol == "grpc":
            argv = [sys.executable, str(HELPERS / "grpc_load.py")]
            argv += ["--target", f"127.0.0.1:{running.grpc}", "--method", GRPC_METHOD]
            argv += ["--request", str(body), "--concurrency", str(concurrency)]
            argv += ["--duration", str(seconds), "--warmup", "0"]
        else:
            path = (
                f"/v1/models/{MODEL}:predict" if protocol == "v1" else f"/v2/models/{MODEL}/infer"
            )
            argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
            argv += ["--latency", "--timeout", "10s", "-s", str(HELPERS / "post.lua")]
            argv += [f"http://127.0.0.1:{running.http}{path}"]
        done = subprocess.run(
            pin + argv, capture_output=True, text=True, env=env, timeout=seconds + 60
        )
        return _result_line(done.stdout + done.stderr)

    if warmup > 0:
        generate(warmup)
    cpu_before = tree_cpu_seconds(running.process.pid)
    result = generate(duration)
    cpu = tree_cpu_seconds(running.process.pid) - cpu_before
    seconds = result["duration_us"] / 1e6
    errors = result["status_errors"] + result.get("socket_errors", 0) + result.get("timeouts", 0)
    return {
        "server": running.contender.name,
        "protocol": protocol,
        "concurrency": concurrency,
        "requests": result["requests"],
        "errors": errors,
        "rps": round((result["requests"] - errors) / seconds, 1),
        "p50_ms": result["p50_us"] / 1000,
        "p90_ms": result["p90_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "mean_ms": round(result["mean_us"] / 1000, 3),
        # the server's CPU per answer: the load generator's process start and the other
        # cells are outside the window; steadier than requests/s on a shared machine
        "cpu_us_per_request": round(cpu / max(result["requests"], 1) * 1e6, 1),
    }


# --- the run --------------------------------------------------------------------------

PEERS = ("kserve", "mlserver")


def _cell(runs: list[dict[str, Any]], server: str, protocol: str, c: int) -> dict[str, Any] | None:
    for run in runs:
        if (run["server"], run["protocol"], run["concurrency"]) == (server, protocol, c):
            return run
    return None


def median_runs(rounds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per cell: each figure the median over the cell's rounds; errors summed."""
    cells: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for run in rounds:
        cells.setdefault((run["server"], run["protocol"], run["concurrency"]), []).append(run)
    rows = []
    for (server, protocol, c), runs in cells.items():
        row: dict[str, Any] = {"server": server, "protocol": protocol, "concurrency": c}
        for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "cpu_us_per_request"):
            row[key] = statistics.median(run[key] for run in runs)
        row["requests"] = sum(run["requests"] for run in runs)
        row["errors"] = sum(run["errors"] for run in runs)
        row["rounds"] = len(runs)
        rows.append(row)
    return rows


def compare(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """kflow against each peer in each cell: throughput ratio and whether p99 is no worse."""
    rows = []
    for run in runs:
        if not run["server"].startswith("kflow"):
            continue
        for peer in PEERS:
            other = _cell(runs, peer, run["protocol"], run["concurrency"])
            if other is None or not other["rps"]:
                continue
            ratio = run["rps"] / other["rps"]
            goal = 3.0 if run["server"] == "kflow-batching" else 1.5
            rows.append(
                {
                    "server": run["server"],
                    "peer": peer,
                    "protocol": run["protocol"],
                    "concurrency": run["concurrency"],
                    "rps_ratio": round(ratio, 2),
                    "p99_ms": run["p99_ms"],
                    "peer_p99_ms": other["p99_ms"],
                    # how many times the peer's CPU per answer kflow's is
                    "cpu_ratio": round(
                        other["cpu_us_per_request"] / max(run["cpu_us_per_request"], 0.1), 2
                    ),
                    "goal": goal,
                    "met": ratio >= goal and run["p99_ms"] <= other["p99_ms"],
                }
            )
    return rows


def print_model(kind: str, servers: list[Running], runs: list[dict[str, Any]]) -> None:
    print(f"\n== {kind} ==")
    for running in servers:
        print(
            f"{running.contender.name:15} cold start {running.cold_start_s:6.2f} s   "
            f"idle RSS {running.idle_rss_mb:7.1f} MB   answers {running.answers}"
        )
    print(f"{'protocol':8} {'c':>3} " + " ".join(f"{r.contender.name:>28}" for r in servers))
    for protocol in ("v1", "v2", "grpc"):
        for c in sorted({run["concurrency"] for run in runs}):
            cells = [_cell(runs, r.contender.name, protocol, c) for r in servers]
            if not any(cells):
                continue
            text = [
                f"{cell['rps']:9.0f}/s {cell['p50_ms']:6.2f} {cell['p99_ms']:7.2f} ms"
                if cell
                else f"{'—':>28}"
                for cell in cells
            ]
            print(f"{protocol:8} {c:3d} " + " ".join(f"{t:>28}" for t in text))


NAMES = {
    "kflow": "kflow",
    "kflow-batching": "kflow + batching",
    "kserve": "KServe",
    "mlserver": "MLServer",
}


def markdown(report: dict[str, Any]) -> str:
    """The README's tables, from a results file."""
    lines: list[str] = []
    for kind, result in report["models"].items():
        runs = result["runs"]
        servers = list(result["servers"])
        lines += [f"**{kind}** — requests/s (p50 / p99 ms); vs: kflow's requests/s over the"]
        lines += [
            "peer's (and kflow + batching's), ✓ when kflow's p99 is no worse",
            "",
        ]
        head = ["protocol", "c", *(NAMES[s] for s in servers), "vs KServe", "vs MLServer"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for protocol in ("v1", "v2", "grpc"):
            for c in sorted({run["concurrency"] for run in runs}):
                cells = [_cell(runs, server, protocol, c) for server in servers]
                if not any(cells):
                    continue
                row = [protocol.upper() if protocol != "grpc" else "V2 gRPC", str(c)]
                for cell in cells:
                    row.append(
                        f"{cell['rps']:,.0f} ({cell['p50_ms']:.1f} / {cell['p99_ms']:.0f})"
                        if cell
                        else "—"
                    )
                for peer in PEERS:
                    parts = []
                    for server in ("kflow", "kflow-batching"):
                        match = [
                            r
                            for r in result["comparison"]
                            if (r["server"], r["peer"], r["protocol"], r["concurrency"])
                            == (server, peer, protocol, c)
                        ]
                        if match:
                            ok = "✓" if match[0]["p99_ms"] <= match[0]["peer_p99_ms"] else "✗ p99"
                            label = "batching " if server == "kflow-batching" else ""
                            parts.append(f"{label}{match[0]['rps_ratio']:.2f}x {ok}")
                    row.append("; ".join(parts) or "—")
                lines.append("| " + " | ".join(row) + " |")
        lines += ["", f"**{kind}** — server CPU per answer, µs (all cells)", ""]
        head = ["protocol", "c", *(NAMES[s] for s in servers)]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for protocol in ("v1", "v2", "grpc"):
            for c in sorted({run["concurrency"] for run in runs}):
                cells = [_cell(runs, server, protocol, c) for server in servers]
                if not any(cells):
                    continue
                row = [protocol.upper() if protocol != "grpc" else "V2 gRPC", str(c)]
                row += [f"{cell['cpu_us_per_request']:.0f}" if cell else "—" for cell in cells]
                lines.append("| " + " | ".join(row) + " |")
        lines += ["", f"**{kind}** — start", ""]
        lines += ["| server | cold start → first answer | idle RSS |", "|---|---|---|"]
        for server, facts in result["servers"].items():
            lines.append(
                f"| {NAMES[server]} | {facts['cold_start_s']:.2f} s | {facts['idle_rss_mb']:.0f} MB |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per cell")
    parser.add_argument(
        "--rounds", type=int, default=3, help="the cell's seconds are split into this many runs"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each run")
    parser.add_argument("--concurrency", default="1,8,64", help="comma-separated")
    parser.add_argument(
        "--batching-concurrency", default="64", help="cells for kflow with adaptive batching"
    )
    parser.add_argument("--models", default="sklearn,torch")
    parser.add_argument("--servers", default="kflow,kflow-batching,kserve,mlserver")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds before the RSS reading")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s cells, c=1,8")
    parser.add_argument("--setup-only", action="store_true", help="make the peer venvs, exit")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--report", type=Path, help="print a results file's tables, run nothing")
    args = parser.parse_args()
    if args.report:
        print(markdown(json.loads(args.report.read_text())))
        return
    if args.quick:
        args.duration, args.rounds, args.warmup, args.idle = 2.0, 1, 1.0, 1.0
        args.concurrency, args.batching_concurrency = "1,8", "8"
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not on PATH (Debian: apt-get install -y wrk util-linux)")
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("needs 2 cores: one for the servers, one for the load generators")
    wanted = args.servers.split(",")
    venvs = {name: ensure_venv(name) for name in PEERS if name in wanted}
    if args.setup_only:
        return
    contenders = [
        Contender("kflow", ("v1", "v2", "grpc")),
        Contender("kflow-batching", ("v1", "v2", "grpc"), batching=True),
        Contender("kserve", ("v1", "v2", "grpc"), venv=venvs.get("kserve")),
        Contender("mlserver", ("v2", "grpc"), venv=venvs.get("mlserver")),
    ]
    contenders = [c for c in contenders if c.name in wanted]
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    batching_at = {int(c) for c in args.batching_concurrency.split(",")}
    work = Path(tempfile.mkdtemp(prefix="kflow-bench-serving-"))
    report: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "versions": {
            "kflow": package_version(None, "kflow"),
            "kserve": package_version(venvs.get("kserve"), "kserve") if "kserve" in venvs else "",
            "mlserver": package_version(venvs.get("mlserver"), "mlserver")
            if "mlserver" in venvs
            else "",
            "wrk": "4.1.0",
        },
        "settings": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "concurrency": concurrencies,
            "batching": BATCHING,
            "batching_concurrency": sorted(batching_at),
            "server_core": SERVER_CORE,
            "client_core": CLIENT_CORE,
        },
        "models": {},
    }
    try:
        for model in make_models(work / "models", args.models.split(",")):
            servers: list[Running] = []
            try:
                for contender in contenders:  # one at a time: cold starts do not overlap
                    servers.append(start(contender, model, work, args.idle))
                    print(
                        f"{model.kind}: {contender.name} up in {servers[-1].cold_start_s:.2f} s",
                        flush=True,
                    )
                rounds: list[dict[str, Any]] = []
                # cells interleave servers, and each cell's time is split into rounds
                # spread over the run, so a noisy minute on the shared machine touches
                # every server, and no cell rests on one stretch of time
                for number in range(args.rounds):
                    for c in concurrencies:
                        for protocol in ("v1", "v2", "grpc"):
                            for running in servers:
                                if protocol not in running.contender.protocols:
                                    continue
                                if running.contender.batching and c not in batching_at:
                                    continue
                                seconds = args.duration / args.rounds
                                run = load(running, protocol, c, seconds, args.warmup)
                                run["round"] = number
                                rounds.append(run)
                                print(
                                    f"  {model.kind:7} round {number} {protocol:4} c={c:<3}"
                                    f" {running.contender.name:15} {run['rps']:8.0f}/s"
                                    f" p50 {run['p50_ms']:7.2f} ms p99 {run['p99_ms']:8.2f} ms"
                                    f" cpu {run['cpu_us_per_request']:6.0f} us"
                                    f" errors {run['errors']}",
                                    flush=True,
                                )
                runs = median_runs(rounds)
                report["models"][model.kind] = {
                    "expected_class": model.expected,
                    "servers": {
                        r.contender.name: {
                            "cold_start_s": round(r.cold_start_s, 3),
                            "idle_rss_mb": round(r.idle_rss_mb, 1),
                            "answers": r.answers,
                        }
                        for r in servers
                    },
                    "runs": runs,  # per cell, the median of its rounds
                    "rounds": rounds,
                    "comparison": compare(runs),
                }
                print_model(model.kind, servers, runs)
            finally:
                for running in servers:
                    running.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for kind, result in report["models"].items():
        misses = [row for row in result["comparison"] if not row["met"]]
        print(
            f"\n{kind}: goals met in {len(result['comparison']) - len(misses)} of {len(result['comparison'])} comparisons"
        )
        for row in misses:
            print(
                f"  missed: {row['server']} vs {row['peer']} {row['protocol']} c={row['concurrency']}: "
                f"{row['rps_ratio']}x (goal {row['goal']}x), p99 {row['p99_ms']} vs {row['peer_p99_ms']} ms"
            )
    print("\n" + markdown(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
