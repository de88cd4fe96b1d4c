"""`kflow.tune` without a server: the Experiment it builds, the trial runner, the result.

The trial runner is exercised for real: the script the Experiment's Job would run is
started as a Python subprocess with the arguments Katib would substitute, and its
stdout is read with Katib's default StdOut regex, as the metrics collector reads it.
"""

from __future__ import annotations

import io
import re
import subprocess
from typing import Any

import pytest
from rich.console import Console

import kflow
from kflow.sdk.trialrunner import format_metrics, metrics_of, parse_arguments
from kflow.sdk.tuneresult import result_of, trials_table
from kflow.sdk.tuning import TuneError, experiment_for
from tests.api.katib.katib_support import admitted

search = kflow.search
KATIB_DEFAULT_REGEX = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"
SPACES: dict[str, Any] = {
    "lr": search.loguniform(1e-4, 1e-1),
    "layers": search.integer(1, 5),
    "optimizer": search.choice(["adam", "sgd"]),
    "batch": search.choice([16, 32]),
}


def objective(params: dict[str, Any]) -> dict[str, float]:
    import kflow

    assert isinstance(params["layers"], int) and isinstance(params["batch"], int)
    for step in range(3):
        kflow.report(loss=1.0 / (step + 1))
    return {"score": params["lr"] * params["layers"], "loss": 0.25}


def container_of(experiment: dict[str, Any]) -> dict[str, Any]:
    job = experiment["spec"]["trialTemplate"]["trialSpec"]
    container: dict[str, Any] = job["spec"]["template"]["spec"]["containers"][0]
    return container


def test_the_experiment_is_katibs_and_passes_admission() -> None:
    body = experiment_for(
        objective,
        SPACES,
        name="tune-me",
        namespace="default",
        objective_metric="score",
        objective_type="minimize",
        goal=0.001,
        additional_metrics=["loss"],
        algorithm="tpe",
        algorithm_settings={"n_startup_trials": 3, "random_state": 1},
        early_stopping="medianstop",
        early_stopping_settings={"min_trials_required": 2},
        max_trials=6,
        parallel_trials=2,
        max_failed_trials=1,
        env={"OMP_NUM_THREADS": "1"},
        resources_per_trial={"cpu": 1},
    )
    spec = admitted(body)["spec"]
    assert spec["objective"]["goal"] == 0.001
    assert spec["algorithm"]["algorithmSettings"] == [
        {"name": "n_startup_trials", "value": "3"},
        {"name": "random_state", "value": "1"},
    ]
    assert spec["earlyStopping"]["algorithmName"] == "medianstop"
    assert (spec["maxTrialCount"], spec["parallelTrialCount"], spec["maxFailedTrialCount"]) == (
        6,
        2,
        1,
    )
    assert spec["metricsCollectorSpec"]["collector"]["kind"] == "StdOut"
    assert [p["name"] for p in spec["parameters"]] == ["lr", "layers", "optimizer", "batch"]
    template = spec["trialTemplate"]
    assert template["primaryContainerName"] == "objective"
    assert template["successCondition"].startswith("status.conditions.#(type==")
    container = container_of(body)
    assert container["args"] == [
        "--lr=${trialParameters.lr}",
        "--layers=${trialParameters.layers}",
        "--optimizer=${trialParameters.optimizer}",
        "--batch=${trialParameters.batch}",
    ]
    assert container["env"] == [{"name": "OMP_NUM_THREADS", "value": "1"}]
    assert container["resources"]["limits"] == {"cpu": "1"}
    assert body["spec"]["trialTemplate"]["trialSpec"]["spec"]["backoffLimit"] == 0


def test_a_trial_runs_the_objective_with_typed_values_and_prints_katib_metrics() -> None:
    command = container_of(experiment_for(objective, SPACES, name="t"))["command"]
    args = ["--lr=0.01", "--layers=3", "--optimizer=sgd", "--batch=32"]
    done = subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "{'lr': 0.01, 'layers': 3, 'optimizer': 'sgd', 'batch': 32}" in done.stdout
    seen = [
        (name, float(value))
        for line in done.stdout.splitlines()
        for name, value, *_ in re.findall(KATIB_DEFAULT_REGEX, line)
        if name in ("score", "loss")
    ]
    assert seen == [("loss", 1.0), ("loss", 0.5), ("loss", 1 / 3), ("score", 0.03), ("loss", 0.25)]


def test_a_failing_objective_fails_the_trial() -> None:
    def broken(params: dict[str, Any]) -> float:
        raise RuntimeError(f"no luck with {params['x']}")

    command = container_of(experiment_for(broken, {"x": search.uniform(0, 1)}, name="b"))["command"]
    done = subprocess.run([*command, "--x=0.5"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "RuntimeError: no luck with 0.5" in done.stderr


def test_runner_arguments_and_metrics() -> None:
    spaces = {"lr": search.uniform(0, 1), "lr-decay": search.uniform(0, 1)}
    assert parse_arguments(spaces, ["--lr-decay=0.5", "--lr=0.1"]) == {"lr": 0.1, "lr-decay": 0.5}
    with pytest.raises(SystemExit, match="no value for parameter"):
        parse_arguments(spaces, ["--lr=0.1"])
    with pytest.raises(SystemExit, match="unexpected argument '--other=1'"):
        parse_arguments(spaces, ["--other=1"])
    assert (
        format_metrics({"score": 1e-05, "loss": -2, "acc": 0.5}) == "score=1e-05 loss=-2.0 acc=0.5"
    )
    with pytest.raises(ValueError, match="finite"):
        format_metrics({"score": float("nan")})
    with pytest.raises(ValueError, match="metric name 'my score'"):
        format_metrics({"my score": 1.0})
    assert metrics_of(0.5, "score") == {"score": 0.5}
    with pytest.raises(TypeError, match="return a number"):
        metrics_of(None, "score")


def test_bad_arguments_are_refused_before_anything_is_sent() -> None:
    with pytest.raises(TuneError, match="objective_type"):
        experiment_for(objective, SPACES, name="t", objective_type="best")  # type: ignore[arg-type]
    with pytest.raises(TuneError, match="metric name 'val acc'"):
        experiment_for(objective, SPACES, name="t", objective_metric="val acc")
    with pytest.raises(TuneError, match="defined with `def`"):
        experiment_for(lambda p: 1.0, SPACES, name="t")


def _trial(name: str, state: str, lr: str, score: str | None, created: str) -> dict[str, Any]:
    status: dict[str, Any] = {"conditions": [{"type": state, "status": "True"}]}
    if score is not None:
        status["observation"] = {
            "metrics": [{"name": "score", "min": "0.1", "max": score, "latest": score}]
        }
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "spec": {
            "objective": {"type": "maximize", "objectiveMetricName": "score"},
            "parameterAssignments": [
                {"name": "lr", "value": lr},
                {"name": "optimizer", "value": "sgd"},
            ],
        },
        "status": status,
    }


EXPERIMENT: dict[str, Any] = {
    "metadata": {"name": "e", "namespace": "ns"},
    "spec": {
        "objective": {
            "type": "maximize",
            "objectiveMetricName": "score",
            "metricStrategies": [{"name": "score", "value": "max"}],
        }
    },
    "status": {
        "conditions": [
            {"type": "Created", "status": "True"},
            {"type": "Running", "status": "False"},
            {
                "type": "Succeeded",
                "status": "True",
                "reason": "ExperimentMaxTrialsReached",
                "message": "Experiment has succeeded because max trial count has reached",
            },
        ],
        "trials": 2,
        "trialsSucceeded": 1,
        "trialsFailed": 1,
        "currentOptimalTrial": {
            "bestTrialName": "e-b",
            "parameterAssignments": [
                {"name": "lr", "value": "0.02"},
                {"name": "optimizer", "value": "sgd"},
            ],
            "observation": {
                "metrics": [{"name": "score", "min": "0.5", "max": "0.9", "latest": "0.8"}]
            },
        },
    },
}
TRIALS = [
    _trial("e-b", "Succeeded", "0.02", "0.9", "2026-01-01T00:00:02Z"),
    _trial("e-a", "Failed", "0.05", None, "2026-01-01T00:00:01Z"),
]


def test_the_result_is_typed_and_ordered() -> None:
    spaces = {"lr": search.uniform(0.01, 0.1), "optimizer": search.choice(["sgd", "adam"])}
    result = result_of(EXPERIMENT, TRIALS, spaces)
    assert result.best_parameters == {"lr": 0.02, "optimizer": "sgd"}
    assert result.best_value == 0.9  # the max, by the objective's strategy
    assert (result.best_trial, result.reason, result.failed) == (
        "e-b",
        "ExperimentMaxTrialsReached",
        False,
    )
    assert [(t.name, t.state, t.value) for t in result.trials] == [
        ("e-a", "Failed", None),
        ("e-b", "Succeeded", 0.9),
    ]
    assert result.trials[1].metrics == {"score": 0.9}


def test_the_live_table_shows_every_trial() -> None:
    spaces = {"lr": search.uniform(0.01, 0.1), "optimizer": search.choice(["sgd", "adam"])}
    out = io.StringIO()
    Console(file=out, width=120).print(trials_table(EXPERIMENT, TRIALS, spaces))
    text = out.getvalue()
    assert "experiment e: Succeeded" in text
    assert "trials 1/2, 1 failed; best score 0.9" in text
    assert re.search(r"e-b \*\s+│ Succeeded │\s+0.02 │\s+sgd │\s+0.9 │", text), text
    assert re.search(r"e-a\s+│ Failed\s+│\s+0.05 │\s+sgd │\s+│", text), text
