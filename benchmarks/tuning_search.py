"""Search quality and suggestion latency of kflow's algorithms, next to what Katib runs.

Quality: on Branin-2D, Hartmann-6D, Ackley-5D and Rosenbrock-4D, the best value found
after N = 50 and N = 100 trials, as normalized regret: 0 is the function's known
optimum, 1 the median best that random search (hyperopt's `rand.suggest`, Katib's
`random`) finds at the same N. Median over the seeds. Compared in the same run:

* kflow `tpe` and `random` through `kflow.tuning.suggest`, sequential and with 4
  trials in parallel (ask 4 with the outstanding ones passed as RUNNING, tell 4);
* hyperopt `tpe.suggest` and `rand.suggest` (what Katib's `tpe` and `random` run);
* Optuna's TPESampler with its defaults, used directly (ask/tell).

Latency: the time of one `suggest` call for one trial with 10, 50 and 100 trials of
history (median of repeated calls), per algorithm.

    python benchmarks/tuning_search.py --json benchmarks/results-tuning-search.json
    python benchmarks/tuning_search.py --quick
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kflow.tuning import Assignment, TrialRecord, TrialState, suggest

Function = Callable[[np.ndarray], float]

_HARTMANN_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_HARTMANN_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def branin(x: np.ndarray) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return float((x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10)


def hartmann6(x: np.ndarray) -> float:
    return float(
        -np.sum(_HARTMANN_ALPHA * np.exp(-np.sum(_HARTMANN_A * (x - _HARTMANN_P) ** 2, axis=1)))
    )


def ackley(x: np.ndarray) -> float:
    d = len(x)
    return float(
        -20 * math.exp(-0.2 * math.sqrt(np.sum(x**2) / d))
        - math.exp(np.sum(np.cos(2 * math.pi * x)) / d)
        + 20
        + math.e
    )


def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


# name: (function, bounds per dimension, known optimum)
FUNCTIONS: dict[str, tuple[Function, list[tuple[float, float]], float]] = {
    "branin-2d": (branin, [(-5, 10), (0, 15)], 0.397887),
    "hartmann-6d": (hartmann6, [(0, 1)] * 6, -3.32237),
    "ackley-5d": (ackley, [(-32.768, 32.768)] * 5, 0.0),
    "rosenbrock-4d": (rosenbrock, [(-5, 10)] * 4, 0.0),
}


def _spec(
    algorithm: str, bounds: list[tuple[float, float]], settings: dict[str, str]
) -> dict[str, Any]:
    return {
        "parameters": [
            {
                "name": f"x{i}",
                "parameterType": "double",
                "feasibleSpace": {"min": str(lo), "max": str(hi), "distribution": "uniform"},
            }
            for i, (lo, hi) in enumerate(bounds)
        ],
        "objective": {"type": "minimize", "objectiveMetricName": "y"},
        "algorithm": {
            "algorithmName": algorithm,
            "algorithmSettings": [{"name": k, "value": v} for k, v in settings.items()],
        },
    }


def run_kflow(
    algorithm: str,
    fn: Function,
    bounds: list[tuple[float, float]],
    n: int,
    seed: int,
    parallel: int,
    settings: dict[str, str],
) -> list[float]:
    spec = _spec(algorithm, bounds, settings)
    history: list[TrialRecord] = []
    ys: list[float] = []
    while len(history) < n:
        batch: list[Assignment] = suggest(
            spec, history, min(parallel, n - len(history)), seed=seed
        ).assignments
        for a in batch:
            y = fn(np.array([float(a.parameters[f"x{i}"]) for i in range(len(bounds))]))
            ys.append(y)
            history.append(
                TrialRecord(
                    f"t{len(history)}", a.parameters, TrialState.SUCCEEDED, {"y": y}, attrs=a.attrs
                )
            )
    return ys


def run_hyperopt(
    algorithm: str, fn: Function, bounds: list[tuple[float, float]], n: int, seed: int
) -> list[float]:
    import hyperopt

    space = [hyperopt.hp.uniform(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)]
    trials = hyperopt.Trials()
    algo = hyperopt.tpe.suggest if algorithm == "tpe" else hyperopt.rand.suggest
    hyperopt.fmin(
        lambda x: fn(np.array(x)),
        space,
        algo=algo,
        max_evals=n,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return [float(t["result"]["loss"]) for t in trials.trials]


def run_optuna(fn: Function, bounds: list[tuple[float, float]], n: int, seed: int) -> list[float]:
    import optuna

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(
        lambda t: fn(
            np.array([t.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(bounds)])
        ),
        n_trials=n,
    )
    return [float(t.value) for t in study.trials if t.value is not None]


METHODS = {
    "kflow tpe": lambda fn, b, n, s: run_kflow("tpe", fn, b, n, s, 1, {}),
    "kflow tpe x4 parallel": lambda fn, b, n, s: run_kflow("tpe", fn, b, n, s, 4, {}),
    "kflow random": lambda fn, b, n, s: run_kflow("random", fn, b, n, s, 1, {}),
    "hyperopt tpe (Katib tpe)": lambda fn, b, n, s: run_hyperopt("tpe", fn, b, n, s),
    "hyperopt random (Katib random)": lambda fn, b, n, s: run_hyperopt("random", fn, b, n, s),
    "optuna TPESampler default": lambda fn, b, n, s: run_optuna(fn, b, n, s),
}


def _job(job: tuple[str, str, int, int]) -> tuple[str, str, int, list[float]]:
    method, function, n, seed = job
    logging.getLogger("optuna").setLevel(logging.WARNING)
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    fn, bounds, _ = FUNCTIONS[function]
    return method, function, seed, METHODS[method](fn, bounds, n, seed)


def quality(seeds: int, n_max: int, checkpoints: list[int], workers: int) -> dict[str, Any]:
    jobs = [(m, f, n_max, s) for f in FUNCTIONS for m in METHODS for s in range(seeds)]
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        results = pool.map(_job, jobs, chunksize=1)
    best: dict[tuple[str, str, int], list[float]] = {}
    for method, function, _, ys in results:
        for n in checkpoints:
            best.setdefault((method, function, n), []).append(min(ys[:n]))
    table: dict[str, Any] = {}
    for function, (_, _, optimum) in FUNCTIONS.items():
        for n in checkpoints:
            scale = (
                statistics.median(best[("hyperopt random (Katib random)", function, n)]) - optimum
            )
            for method in METHODS:
                regrets = [(b - optimum) / scale for b in best[(method, function, n)]]
                table.setdefault(method, {}).setdefault(function, {})[str(n)] = round(
                    statistics.median(regrets), 3
                )
    for method in METHODS:
        for n in checkpoints:
            table[method].setdefault("median of functions", {})[str(n)] = round(
                statistics.median(table[method][f][str(n)] for f in FUNCTIONS), 3
            )
    return table


def latency(sizes: list[int], repeats: int) -> dict[str, dict[str, float]]:
    """Median ms of one `suggest(count=1)` over a history the algorithm itself produced."""
    fn, bounds, _ = FUNCTIONS["hartmann-6d"]
    out: dict[str, dict[str, float]] = {}
    for algorithm in (
        "random",
        "tpe",
        "multivariate-tpe",
        "cmaes",
        "sobol",
        "bayesianoptimization",
    ):
        spec = _spec(algorithm, bounds, {})
        history: list[TrialRecord] = []
        while len(history) < max(sizes):
            a = suggest(spec, history, 1, seed=0).assignments[0]
            y = fn(np.array([float(a.parameters[f"x{i}"]) for i in range(len(bounds))]))
            history.append(
                TrialRecord(
                    f"t{len(history)}", a.parameters, TrialState.SUCCEEDED, {"y": y}, attrs=a.attrs
                )
            )
        out[algorithm] = {}
        for size in sizes:
            times = []
            for r in range(repeats):
                start = time.perf_counter()
                suggest(spec, history[:size], 1, seed=r)
                times.append(time.perf_counter() - start)
            out[algorithm][str(size)] = round(statistics.median(times) * 1000, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3 seeds, N up to 30: a smoke run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    seeds, n_max, checkpoints = (3, 30, [30]) if args.quick else (args.seeds, 100, [50, 100])
    started = time.perf_counter()
    results = {
        "date": date.today().isoformat(),
        "command": " ".join(["python", *sys.argv]),
        "machine": f"{multiprocessing.cpu_count()} cores, Python {platform.python_version()}",
        "seeds": seeds,
        "normalized_regret_median": quality(seeds, n_max, checkpoints, args.workers),
        "suggest_latency_ms": latency(
            [10, 50, 100] if not args.quick else [10, 30], 5 if args.quick else 15
        ),
    }
    results["seconds"] = round(time.perf_counter() - started, 1)
    _print(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def _print(results: dict[str, Any]) -> None:
    table = results["normalized_regret_median"]
    columns = [
        (f, n) for f in [*FUNCTIONS, "median of functions"] for n in next(iter(table.values()))[f]
    ]
    print("normalized regret (median over seeds; 0 = optimum, 1 = random search's median best)")
    print(f"{'method':32s}" + "".join(f"{f[:12]:>14s}@{n:<4s}" for f, n in columns))
    for method, row in table.items():
        print(f"{method:32s}" + "".join(f"{row[f][n]:>19.3f}" for f, n in columns))
    print("suggest latency, ms per call of one trial, by history size")
    for algorithm, row in results["suggest_latency_ms"].items():
        print(f"{algorithm:32s}" + "".join(f"{size:>6s}: {ms:<8.2f}" for size, ms in row.items()))
    print(f"{results['seconds']} s")


if __name__ == "__main__":
    main()
