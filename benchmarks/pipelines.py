"""Pipelines benchmark: kflow against kfp.local and Metaflow on the same two pipelines.

Two pipelines of trivial Python steps, written once with the kfp v2 DSL below — a
10-step linear chain and a 20-wide fan-out/fan-in (`ParallelFor` + `Collected`) —
run side by side in one run by:

1. kflow: `kflow.run_pipeline` against a `kflow up` this script starts;
2. `kfp.local` with `SubprocessRunner(use_venv=False)`, and with its default
   `use_venv=True` (a fresh virtualenv and a pip install of kfp per task);
3. Metaflow local runs of the same flows (`pipelines_metaflow_*.py`,
   `python flow.py run`), their datastore in a temporary directory.

Per contender and pipeline: wall time, per-step overhead ((wall - the steps' own
work) / steps), and CPU time over wall with the share of each core (a cpuacct
cgroup per contender, so pods and tasks that detach are counted too). Then a traced
kflow chain (watches on its pods and workflow) splits a step into phases, and a
1,000-node Argo Workflow (`withSequence` over `true`) runs while its status is
read with `kubectl get wf -o json` and the API, with the RSS of `kflow up`.

    python benchmarks/pipelines.py --runs 3 --venv-runs 1 --json benchmarks/results-pipelines.json

(No `from __future__ import annotations` here: kfp reads the components' annotations
as types.)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kfp import dsl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pipelines_support import (
    CpuGroup,
    Server,
    quiet_console,
    trace_chain,
    wide_workflow,
)

CHAIN_STEPS = 10
WIDTH = 20
HERE = Path(__file__).resolve().parent
SCRATCH = "/var/tmp"
RESULT_MARK = "BENCH-RESULT "  # the child's answer, among kfp.local's own log lines  # a pod's /tmp is its own: data directories live outside it


@dsl.component(base_image="python:3.11")
def step(x: int) -> int:
    return x + 1


@dsl.component(base_image="python:3.11")
def work(i: int) -> int:
    return i * i


@dsl.component(base_image="python:3.11")
def gather(values: list[int]) -> int:
    return int(sum(values))  # kfp.local hands collected ints over as floats


@dsl.pipeline
def chain(x: int = 1) -> int:
    task = step(x=x)
    for _ in range(CHAIN_STEPS - 1):
        task = step(x=task.output)
    return task.output


@dsl.pipeline
def fanout() -> int:
    with dsl.ParallelFor(items=list(range(WIDTH))) as item:
        squared = work(i=item)
    return gather(values=dsl.Collected(squared.output)).output


PIPELINES = {"chain": chain, "fanout": fanout}
EXPECTED = {"chain": 1 + CHAIN_STEPS, "fanout": sum(i * i for i in range(WIDTH))}
STEPS = {  # tasks that run user code, per contender
    "chain": {"kflow": CHAIN_STEPS, "kfp.local": CHAIN_STEPS, "metaflow": CHAIN_STEPS},
    "fanout": {"kflow": WIDTH + 1, "kfp.local": WIDTH + 1, "metaflow": WIDTH + 3},
}
METAFLOW_FLOWS = {
    "chain": HERE / "pipelines_metaflow_chain.py",
    "fanout": HERE / "pipelines_metaflow_fanout.py",
}


def own_work_per_step() -> float:
    """Seconds the steps' own code takes (the function bodies), per step."""
    calls = 10_000
    t0 = time.perf_counter()
    for i in range(calls):
        step.python_func(i)
        work.python_func(i)
    return (time.perf_counter() - t0) / (2 * calls)


def measured(group: CpuGroup | None, run: Any) -> dict[str, Any]:
    """Wall, CPU and per-core CPU of `run()` (CPU from the contender's cgroup)."""
    before = group.usage() if group else None
    t0 = time.perf_counter()
    output = run()
    wall = time.perf_counter() - t0
    out: dict[str, Any] = {"wall_s": wall, "output": output}
    if group is not None and before is not None:
        after = group.usage()
        out["cpu_s"] = after[0] - before[0]
        out["percpu_s"] = [b - a for a, b in zip(before[1], after[1], strict=True)]
    return out


# -- contenders ---------------------------------------------------------------------


def run_kflow(server: Server, shape: str) -> dict[str, Any]:
    import kflow

    def run() -> Any:
        with server.client() as kf:
            result = kflow.run_pipeline(
                PIPELINES[shape], client=kf, enable_caching=False, console=quiet_console()
            )
        return result.outputs["Output"]

    return measured(server.group, run)


def run_kfp_local(shape: str, venv: bool, scratch: Path) -> dict[str, Any]:
    """kfp.local in a child interpreter of its own cgroup, timed inside the child."""
    group = CpuGroup.make(f"kfp-local-{'venv' if venv else 'novenv'}")
    root = Path(tempfile.mkdtemp(prefix="kfp-local-", dir=scratch))
    argv = [sys.executable, __file__, "--child-kfp-local", shape, "--root", str(root)]
    argv += ["--venv"] if venv else []
    argv += ["--cgroup", str(group.path)] if group else []
    try:
        proc = subprocess.run(
            group.wrap(argv) if group else argv, capture_output=True, text=True, check=False
        )
        # kfp.local may leave its indenting log wrapper on stdout: the mark can be indented
        lines = [
            ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith(RESULT_MARK)
        ]
        if proc.returncode != 0 or not lines:
            return {"error": (proc.stderr or proc.stdout)[-2000:]}
        result: dict[str, Any] = json.loads(lines[-1].removeprefix(RESULT_MARK))
        return result
    finally:
        if group:
            group.remove()


def child_kfp_local(shape: str, venv: bool, root: str, cgroup: str | None) -> None:
    from kfp import local

    local.init(runner=local.SubprocessRunner(use_venv=venv), pipeline_root=root)
    group = CpuGroup(Path(cgroup)) if cgroup else None
    result = measured(group, lambda: PIPELINES[shape]().output)
    print(RESULT_MARK + json.dumps(result), flush=True)


def run_metaflow(shape: str, scratch: Path) -> dict[str, Any]:
    """`python flow.py run`, wall from start to exit as a user sees it."""
    group = CpuGroup.make(f"metaflow-{shape}")
    store = Path(tempfile.mkdtemp(prefix="metaflow-", dir=scratch))
    env = dict(
        os.environ,
        METAFLOW_DEFAULT_DATASTORE="local",
        METAFLOW_DEFAULT_METADATA="local",
        METAFLOW_DATASTORE_SYSROOT_LOCAL=str(store),
        METAFLOW_USER="bench",
    )
    argv = [sys.executable, str(METAFLOW_FLOWS[shape]), "run"]
    holder: dict[str, subprocess.CompletedProcess[str]] = {}

    def run() -> int | None:
        holder["proc"] = proc = subprocess.run(
            group.wrap(argv) if group else argv,
            capture_output=True,
            text=True,
            env=env,
            cwd=store,
            check=False,
        )
        found = [line for line in proc.stdout.splitlines() + proc.stderr.splitlines()]
        values = [line.rsplit("RESULT ", 1)[1] for line in found if "RESULT " in line]
        return int(values[-1]) if values else None

    try:
        result = measured(group, run)
        if holder["proc"].returncode != 0:
            result["error"] = holder["proc"].stderr[-2000:]
        return result
    finally:
        if group:
            group.remove()


# -- summaries ----------------------------------------------------------------------


def summarise(runs: list[dict[str, Any]], steps: int, work: float) -> dict[str, Any]:
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"runs": runs, "error": runs[-1].get("error") if runs else "no runs"}
    wall = statistics.median(r["wall_s"] for r in good)
    out: dict[str, Any] = {
        "runs": runs,
        "steps": steps,
        "wall_s": wall,
        "per_step_overhead_s": (wall - steps * work) / steps,
    }
    with_cpu = [r for r in good if "cpu_s" in r]
    if with_cpu:
        out["cpu_over_wall"] = statistics.median(r["cpu_s"] / r["wall_s"] for r in with_cpu)
        cores = len(with_cpu[0]["percpu_s"])
        out["core_busy_share"] = [
            statistics.median(r["percpu_s"][c] / r["wall_s"] for r in with_cpu)
            for c in range(cores)
        ]
    return out


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    """Each peer's per-step overhead and wall over kflow's (how many times kflow's)."""
    out: dict[str, Any] = {}
    for shape in PIPELINES:
        ours = results["kflow"].get(shape) or {}
        if "wall_s" not in ours:
            continue
        for peer, shapes in results.items():
            theirs = shapes.get(shape) or {}
            if peer == "kflow" or "wall_s" not in theirs:
                continue
            out.setdefault(shape, {})[peer] = {
                "wall": theirs["wall_s"] / ours["wall_s"],
                "per_step_overhead": theirs["per_step_overhead_s"] / ours["per_step_overhead_s"],
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per contender")
    parser.add_argument("--venv-runs", type=int, default=1, help="kfp.local use_venv=True runs")
    parser.add_argument("--nodes", type=int, default=1000, help="the wide workflow's size")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--only", choices=["kflow", "kfp.local", "metaflow"], help="run one contender"
    )
    parser.add_argument("--child-kfp-local", choices=sorted(PIPELINES))
    parser.add_argument("--venv", action="store_true")
    parser.add_argument("--root")
    parser.add_argument("--cgroup")
    args = parser.parse_args()
    if args.child_kfp_local:
        child_kfp_local(args.child_kfp_local, args.venv, args.root, args.cgroup)
        return
    scratch = Path(tempfile.mkdtemp(prefix="kflow-pipelines-bench-", dir=SCRATCH))
    work = own_work_per_step()
    results: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_start": os.getloadavg(),
        "own_work_per_step_s": work,
    }
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def record(contender: str, shape: str, result: dict[str, Any]) -> None:
        expected = EXPECTED[shape]
        if "error" not in result and result.get("output") != expected:
            result["error"] = f"output {result.get('output')!r}, expected {expected}"
        runs.setdefault(contender, {}).setdefault(shape, []).append(result)
        shown = result.get("error") or f"{result['wall_s']:.2f} s"
        print(f"{contender:18} {shape:7} {shown}", file=sys.stderr, flush=True)

    server = Server(scratch)
    try:
        for shape in PIPELINES:  # a warm-up: the first run pays the imports and caches
            run_kflow(server, shape)

        def wanted(contender: str) -> bool:
            return args.only is None or args.only == contender

        for _ in range(args.runs):
            for shape in PIPELINES:
                if wanted("kflow"):
                    record("kflow", shape, run_kflow(server, shape))
                if wanted("kfp.local"):
                    record("kfp.local", shape, run_kfp_local(shape, False, scratch))
                if wanted("metaflow"):
                    record("metaflow", shape, run_metaflow(shape, scratch))
        for _ in range(args.venv_runs if wanted("kfp.local") else 0):
            for shape in PIPELINES:
                record("kfp.local venv", shape, run_kfp_local(shape, True, scratch))
        if wanted("kflow"):
            results["kflow_phases"] = trace_chain(server, chain)
            results["wide_workflow"] = wide_workflow(server, args.nodes) if args.nodes else {}
    finally:
        server.stop()
    table: dict[str, Any] = {}
    for contender, shapes in runs.items():
        peer = contender.split()[0]
        table[contender] = {
            shape: summarise(shape_runs, STEPS[shape][peer], work)
            for shape, shape_runs in shapes.items()
        }
    results["results"] = table
    results["ratios_vs_kflow"] = ratios(table) if "kflow" in table else {}
    results["load_average_end"] = os.getloadavg()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
