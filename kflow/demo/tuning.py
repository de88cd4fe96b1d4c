"""The demo's tuning step: a Katib Experiment searches the digit classifier's settings.

TPE over the learning rate (log scale) and the hidden layer's width, median stopping
for trials that fall behind, two trials at a time; each trial is a batch Job running
the same training program as step 2, printing `accuracy=` and `loss=` per epoch for
Katib's StdOut collector and saving its model under the shared claim, so the best
trial's model can be handed on (`models/trials/<trial>`). Progress is the count of
finished trials and the best accuracy so far, read from the Experiment's status.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kflow.sdk import Client

NAME = "mnist-tune"
MAX_TRIALS = 8
PARALLEL = 2
EPOCHS = 12
MODEL_ROOT = "/mnt/kflow-demo/model"
TIMEOUT_SECONDS = 300


def experiment(namespace: str) -> dict[str, Any]:
    """The Experiment, as a user would write it in YAML."""
    container = {
        "name": "training-container",
        "image": "python:3.11",
        "command": [sys.executable, "-m", "kflow.demos.mnist_train"],
        "args": [
            f"--epochs={EPOCHS}",
            "--lr=${trialParameters.learningRate}",
            "--hidden=${trialParameters.hidden}",
            f"--model-dir={MODEL_ROOT}/trials/${{trialParameters.trialName}}",
        ],
        "resources": {"requests": {"cpu": "500m", "memory": "256Mi"}},
        "volumeMounts": [{"name": "model", "mountPath": MODEL_ROOT}],
    }
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": NAME, "namespace": namespace},
        "spec": {
            "objective": {
                "type": "maximize",
                "objectiveMetricName": "accuracy",
                "additionalMetricNames": ["loss"],
                # the model a trial saves is its last epoch's: judge trials by that one
                "metricStrategies": [
                    {"name": "accuracy", "value": "latest"},
                    {"name": "loss", "value": "latest"},
                ],
            },
            "algorithm": {"algorithmName": "tpe"},
            "earlyStopping": {
                "algorithmName": "medianstop",
                "algorithmSettings": [
                    {"name": "min_trials_required", "value": "2"},
                    {"name": "start_step", "value": "4"},
                ],
            },
            "parallelTrialCount": PARALLEL,
            "maxTrialCount": MAX_TRIALS,
            "parameters": [
                {
                    "name": "lr",
                    "parameterType": "double",
                    "feasibleSpace": {"min": "0.005", "max": "0.5", "distribution": "logUniform"},
                },
                {
                    "name": "hidden",
                    "parameterType": "int",
                    "feasibleSpace": {"min": "8", "max": "128"},
                },
            ],
            "trialTemplate": {
                "primaryContainerName": "training-container",
                "trialParameters": [
                    {"name": "learningRate", "reference": "lr"},
                    {"name": "hidden", "reference": "hidden"},
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
                                "containers": [container],
                                "volumes": [
                                    {
                                        "name": "model",
                                        "persistentVolumeClaim": {"claimName": "mnist-model"},
                                    }
                                ],
                            }
                        },
                    },
                },
            },
        },
    }


def _finished(status: dict[str, Any]) -> str:
    for cond in status.get("conditions") or []:
        if cond["type"] in ("Succeeded", "Failed") and cond["status"] == "True":
            return f"{cond['type']} ({cond['reason']})"
    return ""


def _short(value: str) -> str:
    """`0.44001002990782867` as `0.44`; ints and words as they are."""
    try:
        return value if value.lstrip("-").isdigit() else f"{float(value):.3g}"
    except ValueError:
        return value


def _best(status: dict[str, Any]) -> tuple[str, dict[str, str]]:
    optimal = status.get("currentOptimalTrial") or {}
    metrics = (optimal.get("observation") or {}).get("metrics") or []
    accuracy = next((m.get("latest") for m in metrics if m.get("name") == "accuracy"), None)
    values = {p["name"]: _short(p["value"]) for p in optimal.get("parameterAssignments") or []}
    return (accuracy or "n/a"), values


def tune(client: Client, namespace: str, console: Console) -> tuple[str, bool, str]:
    """Run the Experiment to its end with a progress bar; returns (summary, succeeded,
    the best trial's model directory on the claim)."""
    client.apply(experiment(namespace))
    deadline = time.monotonic() + TIMEOUT_SECONDS
    status: dict[str, Any] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]tuning[/]"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} trials"),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("tune", total=MAX_TRIALS, best="")
        while not _finished(status):
            if time.monotonic() > deadline:
                return f"timed out: kflow describe experiment {NAME} -n {namespace}", False, ""
            time.sleep(0.2)
            status = client.get("experiments", NAME).get("status") or {}
            done = sum(
                int(status.get(k) or 0)
                for k in (
                    "trialsSucceeded",
                    "trialsFailed",
                    "trialsEarlyStopped",
                    "trialsKilled",
                    "trialMetricsUnavailable",
                )
            )
            accuracy, values = _best(status)
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            progress.update(task, completed=done, best=f"best accuracy {accuracy} ({shown})")
    accuracy, values = _best(status)
    best_trial = (status.get("currentOptimalTrial") or {}).get("bestTrialName") or "none"
    stopped = int(status.get("trialsEarlyStopped") or 0)
    console.print(
        f"  best trial [bold]{best_trial}[/]: accuracy {accuracy}, "
        + ", ".join(f"{k}={v}" for k, v in values.items())
        + f"; its model is in the claim at trials/{best_trial}"
    )
    state = _finished(status)
    summary = f"{state}, best accuracy {accuracy}, {status.get('trials', 0)} trials" + (
        f", {stopped} stopped early" if stopped else ""
    )
    return summary, state.startswith("Succeeded"), f"trials/{best_trial}"
