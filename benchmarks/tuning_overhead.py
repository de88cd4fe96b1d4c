"""Katib overhead on kflow: what running a trial through an Experiment costs over the
trial's own process.

Against a real `kflow up` (the `Server` of `control_plane.py`, SQLite + local
processes) in a fresh data directory, next to its floor measured in the same run:

* **floor**: a no-op trial script (`python -c` that prints `start=<time.time()>` and
  `loss=0.5`) started directly with `subprocess`, Popen to exit, `--runs` times before
  and `--runs` times after the timed experiment, median of both together;
* **timed experiment**: `--trials` trials of that script, `parallelTrialCount: 2`,
  algorithm `random`, a batch Job trial template, the StdOut collector. Wall time from
  `create` to the Succeeded condition arriving on a watch, against the goal
  1.2 x (trials / 2 x floor); trials per second. A watch on the Suggestion records when
  each parameter set first appears in `status.suggestions` and when `spec.requests`
  rises, giving (a) each trial's start after its suggestion (the process's first line
  prints the wall clock, read back from the trial's observation log) and (b) the
  suggestion latency (requests rising -> suggestions growing, both seen on the same
  watch, so the delivery delay cancels);
* **traced experiment**: the same again with watches on the experiment's Trials, Jobs
  and Pods as well, to attribute each trial's cycle to the steps of the chain
  (suggestion -> Trial -> Job -> Pod -> process -> Pod Succeeded -> Job Complete ->
  Trial Succeeded -> next request -> next suggestion). It is separate so that the
  extra watchers do not load the timed run.

    python benchmarks/tuning_overhead.py [--trials 100] [--runs 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from control_plane import Server, pct

NAMESPACE = "default"
EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
TRIAL_LABEL = "katib.kubeflow.org/trial"
PARALLEL = 2
GOAL_FACTOR = 1.2

# the no-op trial: its first line prints the wall clock as a metric the StdOut collector
# keeps (`start`, an additional metric), then the objective
NOOP_CODE = "import time; print(f'start={time.time()!r}', flush=True); print('loss=0.5')"
NOOP = [sys.executable, "-c", NOOP_CODE]

Obj = dict[str, Any]


def floor_process(runs: int) -> list[float]:
    """Popen of the no-op script to its exit, seconds, `runs` times."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([*NOOP, "0.5"], stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return times


def experiment(name: str, trials: int) -> Obj:
    """`trials` no-op trials, two at a time, random search, a batch Job per trial."""
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "objective": {
                "type": "minimize",
                "objectiveMetricName": "loss",
                "additionalMetricNames": ["start"],
            },
            "algorithm": {
                "algorithmName": "random",
                "algorithmSettings": [{"name": "random_state", "value": "1"}],
            },
            "parallelTrialCount": PARALLEL,
            "maxTrialCount": trials,
            "maxFailedTrialCount": 0,
            "metricsCollectorSpec": {"collector": {"kind": "StdOut"}},
            "parameters": [
                {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}
            ],
            "trialTemplate": {
                "primaryContainerName": "trial",
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "spec": {
                        "backoffLimit": 0,
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [
                                    {
                                        "name": "trial",
                                        "image": "python:3.11",
                                        "command": [*NOOP, "${trialParameters.x}"],
                                    }
                                ],
                            }
                        },
                    },
                },
            },
        },
    }


def conditions(obj: Obj) -> dict[str, str]:
    return {
        str(c.get("type")): str(c.get("status"))
        for c in (obj.get("status") or {}).get("conditions") or []
    }


@dataclass
class Trace:
    """Wall times (`time.time()`) at which a watcher first saw each step, per trial name.

    Everything here is written by watch threads and read once the experiment ended."""

    requests: list[float] = field(default_factory=list)
    """requests[k]: when the Suggestion's spec.requests was first seen >= k + 1."""
    suggestions: list[float] = field(default_factory=list)
    """suggestions[k]: when status.suggestions was first seen with >= k + 1 entries."""
    same_event: int = 0
    """Requests first seen in the same event as the suggestion that answers them."""
    suggested: dict[str, float] = field(default_factory=dict)
    """Trial name -> when its parameter set first appeared in status.suggestions."""
    steps: dict[str, dict[str, float]] = field(default_factory=dict)
    """Step ("trial", "job", "pod", "pod_succeeded", ...) -> trial name -> when first seen."""
    ended: float | None = None
    """When the experiment's Succeeded (or Failed) condition was first seen."""
    outcome: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    def mark(self, step: str, trial: str, now: float) -> None:
        self.steps.setdefault(step, {}).setdefault(trial, now)

    def on_suggestion(self, obj: Obj, now: float) -> None:
        requests = int((obj.get("spec") or {}).get("requests") or 0)
        fresh = requests > len(self.requests)
        self.requests += [now] * (requests - len(self.requests))
        made = (obj.get("status") or {}).get("suggestions") or []
        for entry in made:
            self.suggested.setdefault(str(entry.get("name")), now)
        grown = len(made) - len(self.suggestions)
        if grown > 0:
            if fresh:
                self.same_event += grown
            self.suggestions += [now] * grown

    def on_experiment(self, obj: Obj, now: float) -> None:
        state = conditions(obj)
        for outcome in ("Succeeded", "Failed"):
            if state.get(outcome) == "True" and self.ended is None:
                self.ended, self.outcome = now, outcome
                self.done.set()

    def on_trial(self, obj: Obj, now: float) -> None:
        name = str(obj["metadata"]["name"])
        self.mark("trial", name, now)
        state = conditions(obj)
        for end in ("Succeeded", "Failed", "MetricsUnavailable", "EarlyStopped", "Killed"):
            if state.get(end) == "True":
                self.mark("trial_finished", name, now)

    def on_job(self, obj: Obj, now: float) -> None:
        name = str(obj["metadata"]["labels"].get(TRIAL_LABEL) or obj["metadata"]["name"])
        self.mark("job", name, now)
        if conditions(obj).get("Complete") == "True":
            self.mark("job_complete", name, now)

    def on_pod(self, obj: Obj, now: float) -> None:
        trial = (obj["metadata"].get("labels") or {}).get(TRIAL_LABEL)
        if not trial:
            return
        self.mark("pod", trial, now)
        phase = (obj.get("status") or {}).get("phase")
        if phase in ("Running", "Succeeded"):
            self.mark("pod_running", trial, now)
        if phase == "Succeeded":
            self.mark("pod_succeeded", trial, now)


def follow(
    server: Server,
    kind: str,
    handle: Callable[[Obj, float], None],
    stop: threading.Event,
    *,
    name: str | None = None,
    labels: str | None = None,
) -> threading.Thread:
    """Watch `kind` in a thread from the current version on, calling `handle(object,
    arrival wall time)` per event until `stop` is set."""
    with server.client() as kf:
        rv = kf.list(kind, namespace=NAMESPACE, labels=labels).resource_version

    def run() -> None:
        try:
            with server.client() as watcher:
                for event in watcher.watch(
                    kind, name, namespace=NAMESPACE, labels=labels, resource_version=rv
                ):
                    now = time.time()
                    if event.type != "DELETED":
                        handle(event.object, now)
                    if stop.is_set():
                        return
        except Exception:  # the server going away at the end of the run
            if not stop.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def run_experiment(server: Server, name: str, trials: int, *, traced: bool) -> tuple[Trace, float]:
    """Create the experiment and wait for it to end; (trace, the create wall time)."""
    trace = Trace()
    stop = threading.Event()
    follow(server, "suggestions", trace.on_suggestion, stop, name=name)
    follow(server, "experiments", trace.on_experiment, stop, name=name)
    if traced:
        selector = f"{EXPERIMENT_LABEL}={name}"
        follow(server, "trials", trace.on_trial, stop, labels=selector)
        follow(server, "jobs", trace.on_job, stop, labels=selector)
        follow(server, "pods", trace.on_pod, stop, labels=selector)
    time.sleep(0.3)  # let the watches connect before the clock starts
    with server.client() as kf:
        created = time.time()
        kf.create(experiment(name, trials))
        if not trace.done.wait(60 + trials * 5):
            got = kf.get("experiments", name, namespace=NAMESPACE).get("status") or {}
            raise SystemExit(
                f"experiment {name} did not end: {json.dumps(got.get('conditions'))}, "
                f"{got.get('trialsSucceeded')} of {trials} trials succeeded"
            )
        stop.set()
        # the first line of each trial's process: its `start` metric
        for trial in trace.suggested:
            rows = kf.observation_log(trial, namespace=NAMESPACE, metric="start")
            if rows:
                trace.mark("user_code", trial, float(rows[0]["metric"]["value"]))
    return trace, created


def ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {"median_ms": float("nan"), "p95_ms": float("nan"), "n": 0}
    return {
        "median_ms": statistics.median(values) * 1000,
        "p95_ms": pct(values, 0.95) * 1000,
        "n": len(values),
    }


def after_suggestion(trace: Trace) -> list[float]:
    """Per trial: parameter set first seen in the Suggestion -> the trial's first line runs."""
    user = trace.steps.get("user_code", {})
    return [user[t] - seen for t, seen in trace.suggested.items() if t in user]


def suggestion_latency(trace: Trace) -> list[float]:
    """Per request: spec.requests seen rising -> status.suggestions seen growing."""
    return [s - r for r, s in zip(trace.requests, trace.suggestions, strict=False)]


def breakdown(trace: Trace) -> dict[str, dict[str, float]]:
    """Median/p95 of each step of a trial's cycle (the traced run)."""
    chain = [
        ("suggestion -> Trial created", "suggested", "trial"),
        ("Trial -> Job created", "trial", "job"),
        ("Job -> Pod created", "job", "pod"),
        ("Pod created -> user code runs", "pod", "user_code"),
        ("user code -> Pod Succeeded seen", "user_code", "pod_succeeded"),
        ("Pod Succeeded -> Job Complete seen", "pod_succeeded", "job_complete"),
        ("Job Complete -> Trial Succeeded seen", "job_complete", "trial_finished"),
    ]
    steps = {**trace.steps, "suggested": trace.suggested}
    out = {}
    for label, start, end in chain:
        a, b = steps.get(start, {}), steps.get(end, {})
        out[label] = ms([b[t] - a[t] for t in a if t in b])
    # each finished trial frees a slot; the experiment controller raises spec.requests for
    # its successor: pair the finishes in order with the requests after the first PARALLEL
    finished = sorted(steps.get("trial_finished", {}).values())
    later = trace.requests[PARALLEL:]
    out["Trial Succeeded -> next request"] = ms(
        [r - f for f, r in zip(finished, later, strict=False)]
    )
    out["request -> suggestion appended"] = ms(suggestion_latency(trace))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--runs", type=int, default=20, help="floor runs (>= 10)")
    parser.add_argument("--no-trace", action="store_true", help="skip the traced experiment")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "date": date.today().isoformat(),
        "command": " ".join(["python", *sys.argv]),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg(),
        "trials": args.trials,
        "parallel": PARALLEL,
    }
    # the floor before and after the experiments, pooled: the machine's load drifts
    before = floor_process(max(10, args.runs))
    server = Server()
    try:
        trace, created = run_experiment(server, "overhead", args.trials, traced=False)
        after = floor_process(max(10, args.runs))
        floor = before + after
        one = statistics.median(floor)
        results["floor_process"] = {**ms(floor), "before": ms(before), "after": ms(after)}
        assert trace.ended is not None
        wall = trace.ended - created
        ideal = args.trials / PARALLEL * one
        results["timed"] = {
            "outcome": trace.outcome,
            "wall_s": wall,
            "ideal_s": ideal,
            "goal_s": GOAL_FACTOR * ideal,
            "ratio_to_ideal": wall / ideal,
            "meets_goal": wall <= GOAL_FACTOR * ideal,
            "trials_per_s": args.trials / wall,
            "cycle_per_slot_ms": wall / (args.trials / PARALLEL) * 1000,
            "trial_start_after_suggestion": ms(after_suggestion(trace)),
            "suggestion_latency": ms(suggestion_latency(trace)),
            "suggestions_in_same_event_as_request": trace.same_event,
        }
        if not args.no_trace:
            traced, created = run_experiment(server, "overhead-traced", args.trials, traced=True)
            assert traced.ended is not None
            results["traced"] = {
                "outcome": traced.outcome,
                "wall_s": traced.ended - created,
                "cycle_per_slot_ms": (traced.ended - created) / (args.trials / PARALLEL) * 1000,
                "trial_start_after_suggestion": ms(after_suggestion(traced)),
                "steps": breakdown(traced),
            }
    finally:
        server.stop()
    results["load_average_at_end"] = os.getloadavg()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
