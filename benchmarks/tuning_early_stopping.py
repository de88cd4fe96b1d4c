"""Compute saved by early stopping: the digits PyTorch tuning example three ways.

Against a real `kflow up` (the `Server` of `control_plane.py`) in a fresh data
directory, the same search — `examples/tuning/train_digits.py` (`--epochs 20` by
default), the example's space (lr, hidden, dropout), algorithm `random` with one seed,
`--trials 20` trials, `parallelTrialCount: 2`, each trial a batch Job asking for one
CPU and saving its model on a claim as the example does — runs one configuration after
the other in the same run:

* `none`: no early stopping;
* `medianstop`: Katib's medianstop (`min_trials_required: 3`, `start_step: 4`);
* `asha`: kflow's `asha` algorithm with its `random` sampler and the same seed (so the
  same parameter sets are proposed in the same order), `min_resource: 2`,
  `reduction_factor: 3`, `bootstrap_count: 2`: rungs at epochs 2, 6 and 18.

Per configuration: trial-seconds (sum over trials of completionTime - startTime from
the Trial status, whole seconds as Kubernetes writes them; and the trials' pods' run
time, from phase Running to Succeeded/deleted as seen on a watch; and the trial
processes' CPU time, sampled with psutil, which the machine's other load disturbs
less than wall time), epochs reported,
wall time from `create` to the Succeeded condition, trials early stopped, the best
accuracy (`status.currentOptimalTrial`, Katib's `max` strategy over epochs) and each
trial's parameters, so the runs can be checked to have tried the same sets.

    python benchmarks/tuning_early_stopping.py [--trials 20] [--epochs 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psutil
from control_plane import Server
from tuning_overhead import EXPERIMENT_LABEL, NAMESPACE, TRIAL_LABEL, conditions, follow

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "examples" / "tuning" / "train_digits.py"
SEED = "7"
CLAIM = "digits-models"

Obj = dict[str, Any]

CONFIGS: dict[str, dict[str, Any]] = {
    "none": {"algorithm": {"algorithmName": "random"}},
    "medianstop": {
        "algorithm": {"algorithmName": "random"},
        "earlyStopping": {
            "algorithmName": "medianstop",
            "algorithmSettings": [
                {"name": "min_trials_required", "value": "3"},
                {"name": "start_step", "value": "4"},
            ],
        },
    },
    "asha": {
        "algorithm": {
            "algorithmName": "asha",
            "algorithmSettings": [
                {"name": "sampler", "value": "random"},
                {"name": "min_resource", "value": "2"},
                {"name": "reduction_factor", "value": "3"},
                {"name": "bootstrap_count", "value": "2"},
            ],
        }
    },
}


def claim() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": CLAIM, "namespace": NAMESPACE},
        "spec": {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def experiment(name: str, config: str, trials: int, epochs: int) -> Obj:
    """The example's experiment (`examples/tuning/digits-tpe.yaml`) with `config`'s search."""
    search = json.loads(json.dumps(CONFIGS[config]))
    search["algorithm"].setdefault("algorithmSettings", []).append(
        {"name": "random_state", "value": SEED}
    )
    command = [
        sys.executable,
        str(TRAIN),
        "--lr=${trialParameters.learningRate}",
        "--hidden=${trialParameters.hidden}",
        "--dropout=${trialParameters.dropout}",
        f"--epochs={epochs}",
        "--model-dir=/models/${trialParameters.trialName}",
    ]
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "objective": {
                "type": "maximize",
                "objectiveMetricName": "accuracy",
                "additionalMetricNames": ["loss"],
            },
            **search,
            "parallelTrialCount": 2,
            "maxTrialCount": trials,
            "maxFailedTrialCount": min(3, trials),
            "parameters": [
                {
                    "name": "lr",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.0005", "max": "0.05", "distribution": "logUniform"},
                },
                {
                    "name": "hidden",
                    "parameterType": "int",
                    "feasibleSpace": {"min": "16", "max": "256", "distribution": "logUniform"},
                },
                {
                    "name": "dropout",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.0", "max": "0.5"},
                },
            ],
            "trialTemplate": {
                "primaryContainerName": "training-container",
                "trialParameters": [
                    {"name": "learningRate", "reference": "lr"},
                    {"name": "hidden", "reference": "hidden"},
                    {"name": "dropout", "reference": "dropout"},
                    {"name": "trialName", "reference": "${trialSpec.Name}"},
                ],
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
                                        "name": "training-container",
                                        "image": "docker.io/pytorch/pytorch:2.4.0-cpu",
                                        "command": command,
                                        "resources": {"requests": {"cpu": "1"}},
                                        "volumeMounts": [
                                            {"name": "models", "mountPath": "/models"}
                                        ],
                                    }
                                ],
                                "volumes": [
                                    {
                                        "name": "models",
                                        "persistentVolumeClaim": {"claimName": CLAIM},
                                    }
                                ],
                            }
                        },
                    },
                },
            },
        },
    }


@dataclass
class PodTimes:
    """Per trial, when a watcher first saw its pod Running and then ended (Succeeded,
    Failed, or deleted — an early-stopped trial's Job is deleted, and its pod with it)."""

    running: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    experiment_ended: float | None = None
    outcome: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    def on_pod(self, obj: Obj, now: float, *, deleted: bool = False) -> None:
        trial = (obj["metadata"].get("labels") or {}).get(TRIAL_LABEL)
        if not trial:
            return
        phase = (obj.get("status") or {}).get("phase")
        if phase in ("Running", "Succeeded", "Failed"):
            self.running.setdefault(trial, now)
        if phase in ("Succeeded", "Failed") or deleted:
            self.ended.setdefault(trial, now)

    def on_experiment(self, obj: Obj, now: float) -> None:
        state = conditions(obj)
        for outcome in ("Succeeded", "Failed"):
            if state.get(outcome) == "True" and self.experiment_ended is None:
                self.experiment_ended, self.outcome = now, outcome
                self.done.set()


def sample_cpu(name: str, cpu: dict[str, float], stop: threading.Event) -> None:
    """Every 0.2 s, the CPU time (user + system) of each of the experiment's trial
    processes, found by their `--model-dir=/models/<trial>` argument; the last sample
    per trial is kept (so up to 0.2 s of each process's last CPU is missed). CPU time
    depends much less than wall time on what else the machine is running."""
    marker = f"--model-dir=/models/{name}-"

    def run() -> None:
        while not stop.is_set():
            for proc in psutil.process_iter(["cmdline"]):
                args = proc.info.get("cmdline") or []
                trial = next(
                    (a[len("--model-dir=/models/") :] for a in args if a.startswith(marker)), None
                )
                if trial is None:
                    continue
                with contextlib.suppress(psutil.Error):
                    times = proc.cpu_times()
                    cpu[trial] = max(cpu.get(trial, 0.0), times.user + times.system)
            time.sleep(0.2)

    threading.Thread(target=run, daemon=True).start()


def watch_pods(server: Server, times: PodTimes, selector: str, stop: threading.Event) -> None:
    """`follow` skips DELETED events; pods need them (an early-stopped trial's pod)."""
    with server.client() as kf:
        rv = kf.list("pods", namespace=NAMESPACE, labels=selector).resource_version

    def run() -> None:
        try:
            with server.client() as watcher:
                for event in watcher.watch(
                    "pods", namespace=NAMESPACE, labels=selector, resource_version=rv
                ):
                    times.on_pod(event.object, time.time(), deleted=event.type == "DELETED")
                    if stop.is_set():
                        return
        except Exception:
            if not stop.is_set():
                raise

    threading.Thread(target=run, daemon=True).start()


def seconds(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    parse = datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def run_config(server: Server, config: str, trials: int, epochs: int) -> Obj:
    name = f"digits-{config}"
    times = PodTimes()
    stop = threading.Event()
    selector = f"{EXPERIMENT_LABEL}={name}"
    watch_pods(server, times, selector, stop)
    cpu: dict[str, float] = {}
    sample_cpu(name, cpu, stop)
    follow(server, "experiments", times.on_experiment, stop, name=name)
    time.sleep(0.3)
    with server.client() as kf:
        created = time.time()
        kf.create(experiment(name, config, trials, epochs))
        if not times.done.wait(120 + trials * 60):
            raise SystemExit(f"experiment {name} did not end")
        # the last early-stopped trial's pod goes after the experiment ends: wait for it
        deadline = time.monotonic() + 30
        while set(times.running) - set(times.ended) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        assert times.experiment_ended is not None
        wall = times.experiment_ended - created
        status = kf.get("experiments", name, namespace=NAMESPACE).get("status") or {}
        rows = []
        for trial in kf.list("trials", namespace=NAMESPACE, labels=selector).items:
            tname = trial["metadata"]["name"]
            tstatus = trial.get("status") or {}
            state = [c["type"] for c in tstatus.get("conditions") or [] if c["status"] == "True"]
            log = kf.observation_log(tname, namespace=NAMESPACE, metric="accuracy")
            values = [float(r["metric"]["value"]) for r in log]
            pod_s = (
                times.ended[tname] - times.running[tname]
                if tname in times.ended and tname in times.running
                else None
            )
            rows.append(
                {
                    "name": tname,
                    "state": state[-1] if state else "",
                    "parameters": {
                        p["name"]: p["value"]
                        for p in trial["spec"].get("parameterAssignments") or []
                    },
                    "trial_s": seconds(tstatus.get("startTime"), tstatus.get("completionTime")),
                    "pod_s": pod_s,
                    "cpu_s": cpu.get(tname),
                    "epochs_reported": len(values),
                    "best_accuracy": max(values) if values else None,
                    "created": trial["metadata"].get("creationTimestamp"),
                }
            )
    rows.sort(key=lambda r: (r["created"] or "", r["name"]))
    optimal = status.get("currentOptimalTrial") or {}
    metrics = (optimal.get("observation") or {}).get("metrics") or []
    best: Obj = next((m for m in metrics if m.get("name") == "accuracy"), {})
    return {
        "experiment": name,
        "outcome": times.outcome,
        "wall_s": wall,
        "trial_seconds": sum(r["trial_s"] or 0 for r in rows),
        "pod_seconds": sum(r["pod_s"] or 0 for r in rows),
        "pods_timed": sum(r["pod_s"] is not None for r in rows),
        "cpu_seconds": sum(r["cpu_s"] or 0 for r in rows),
        "processes_sampled": sum(r["cpu_s"] is not None for r in rows),
        "epochs_reported": sum(r["epochs_reported"] for r in rows),
        "trials": len(rows),
        "early_stopped": int(status.get("trialsEarlyStopped") or 0),
        "succeeded": int(status.get("trialsSucceeded") or 0),
        "best_trial": optimal.get("bestTrialName"),
        "best_accuracy": float(best["max"]) if best.get("max") else None,
        "best_parameters": {
            p["name"]: p["value"] for p in optimal.get("parameterAssignments") or []
        },
        "trials_detail": rows,
    }


def parameter_sets(outcome: Obj) -> list[str]:
    return sorted(json.dumps(r["parameters"], sort_keys=True) for r in outcome["trials_detail"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "date": date.today().isoformat(),
        "command": " ".join(["python", *sys.argv]),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_at_start": os.getloadavg(),
        "trials": args.trials,
        "epochs": args.epochs,
        "configs": {},
    }
    server = Server()
    try:
        with server.client() as kf:
            kf.create(claim())
        for config in args.configs.split(","):
            print(f"running {config} ...", file=sys.stderr, flush=True)
            results["configs"][config] = run_config(server, config, args.trials, args.epochs)
    finally:
        server.stop()
    base = results["configs"].get("none")
    if base:
        for outcome in results["configs"].values():
            for key in ("trial_seconds", "pod_seconds", "cpu_seconds", "epochs_reported"):
                outcome[f"{key}_saved_pct"] = 100 * (1 - outcome[key] / base[key])
            if outcome["best_accuracy"] is not None and base["best_accuracy"] is not None:
                outcome["best_accuracy_delta"] = outcome["best_accuracy"] - base["best_accuracy"]
            outcome["same_parameters_as_none"] = parameter_sets(outcome) == parameter_sets(base)
    results["load_average_at_end"] = os.getloadavg()
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
