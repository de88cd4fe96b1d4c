"""The Katib examples and `kflow.tune`, run for real through a `kflow up`.

The seed's random-example (local command) is applied with the real kubectl and runs
to a finished Experiment that `kflow get` and `kflow describe` report; `kflow.tune`
finds the peak of a parabola with typed values; the PyTorch digits example runs with
TPE and medianstop, and its best trial's model is evaluated and published by
`examples/tuning/hand_on.py`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import kflow
from kflow.sdk import Client
from tests.katib.conftest import kflow_cli
from tests.training.conftest import ROOT, Up

pytestmark = pytest.mark.slow

LABEL = "katib.kubeflow.org/experiment"
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl")


def kubectl(up: Up) -> list[str]:
    return ["kubectl", "--kubeconfig", str(up.home / "kubeconfig")]


def finished(kf: Client, name: str, timeout: float) -> dict[str, Any]:
    """The experiment once Succeeded or Failed; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        experiment = kf.get("experiments", name)
        conditions = (experiment.get("status") or {}).get("conditions") or []
        if any(c["type"] in ("Succeeded", "Failed") and c["status"] == "True" for c in conditions):
            return experiment
        time.sleep(0.5)
    raise AssertionError(f"experiment {name} did not finish in {timeout}s: {experiment}")


def reason(experiment: dict[str, Any]) -> tuple[str, str]:
    last = experiment["status"]["conditions"][-1]
    return last["type"], last["reason"]


@pytest.mark.kubectl
@needs_kubectl
def test_the_seed_random_example_runs_to_the_end(up: Up, kf: Client) -> None:
    path = ROOT / "examples" / "seeds" / "local" / "experiment-random-example.yaml"
    body = yaml.safe_load(path.read_text())
    body["metadata"]["namespace"] = kf.namespace  # the seed's namespace, made per test
    local = Path(up.home) / "random-example.yaml"
    local.write_text(yaml.safe_dump(body))
    started = time.monotonic()
    applied = subprocess.run(
        [*kubectl(up), "apply", "-f", str(local)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert applied.returncode == 0, applied.stderr
    assert "experiment.kubeflow.org/random-example created" in applied.stdout

    experiment = finished(kf, "random-example", timeout=180)
    print(f"random-example: {time.monotonic() - started:.1f}s")
    assert reason(experiment) in (
        ("Succeeded", "ExperimentGoalReached"),
        ("Succeeded", "ExperimentMaxTrialsReached"),
    )
    status = experiment["status"]
    assert status["trialsSucceeded"] >= 6
    optimal = status["currentOptimalTrial"]
    assert {a["name"] for a in optimal["parameterAssignments"]} == {
        "lr",
        "num-layers",
        "optimizer",
    }
    best = {m["name"]: float(m["max"]) for m in optimal["observation"]["metrics"]}
    assert best["Validation-accuracy"] >= 0.9 and "Train-accuracy" in best

    ns = kf.namespace
    listed = kflow_cli(up, "get", "experiments", "-n", ns).splitlines()
    assert listed[0].split() == ["NAME", "STATUS", "BEST", "TRIALS", "AGE"]
    assert listed[1].split()[:3] == [
        "random-example",
        "Succeeded",
        f"{best['Validation-accuracy']:g}",
    ]
    trials = kflow_cli(up, "get", "trials", "-n", ns, "-l", f"{LABEL}=random-example")
    rows = trials.splitlines()
    assert rows[0].split() == ["NAME", "STATUS", "OBJECTIVE", "PARAMETERS", "AGE"]
    assert len(rows) - 1 == status["trials"]
    assert all("optimizer=" in row for row in rows[1:])
    described = kflow_cli(up, "describe", "experiment", "random-example", "-n", ns)
    assert "Objective:       maximize Validation-accuracy (goal 0.99)" in described
    assert f"  Name:        {optimal['bestTrialName']}" in described
    assert f"{optimal['bestTrialName']} *  Succeeded" in described
    assert "Normal  ExperimentCreated" in described


def test_tune_finds_the_peak_with_typed_values(kf: Client) -> None:
    def parabola(params: dict[str, Any]) -> float:
        assert isinstance(params["x"], float) and params["tag"] in ("a", "b")
        return -((params["x"] - 0.3) ** 2)

    started = time.monotonic()
    result = kflow.tune(
        parabola,
        {"x": kflow.search.uniform(0.0, 1.0), "tag": kflow.search.choice(["a", "b"])},
        algorithm="tpe",
        algorithm_settings={"n_startup_trials": 4, "random_state": 3},
        max_trials=12,
        parallel_trials=2,
        client=kf,
        show=False,
        timeout=180,
    )
    print(f"kflow.tune, 12 trials: {time.monotonic() - started:.1f}s")
    assert result.reason == "ExperimentMaxTrialsReached"
    assert len(result.trials) == 12 and all(t.state == "Succeeded" for t in result.trials)
    assert isinstance(result.best_parameters["x"], float)
    assert result.best_parameters["tag"] in ("a", "b")
    assert abs(result.best_parameters["x"] - 0.3) < 0.1
    assert result.best_value == max(t.value for t in result.trials if t.value is not None)
    assert result.best_value == pytest.approx(-((result.best_parameters["x"] - 0.3) ** 2))


def test_tune_reports_a_refused_experiment_clearly(kf: Client) -> None:
    def flat(params: dict[str, Any]) -> float:
        return 1.0

    with pytest.raises(kflow.sdk.tuning.TuneError, match=r"algorithmName.*simulated-annealing"):
        kflow.tune(
            flat,
            {"x": kflow.search.uniform(0, 1)},
            algorithm="simulated-annealing",
            client=kf,
            show=False,
        )


@pytest.mark.kubectl
@needs_kubectl
def test_the_digits_example_tunes_and_hands_the_best_model_on(up: Up, kf: Client) -> None:
    pytest.importorskip("torch")
    docs = list(yaml.safe_load_all((ROOT / "examples" / "tuning" / "digits-tpe.yaml").read_text()))
    experiment = docs[1]
    experiment["spec"]["maxTrialCount"] = 6  # fewer, shorter trials than the example's
    command = experiment["spec"]["trialTemplate"]["trialSpec"]["spec"]["template"]["spec"][
        "containers"
    ][0]["command"]
    command[command.index("--epochs=6")] = "--epochs=4"
    local = Path(up.home) / "digits-tpe.yaml"
    local.write_text(yaml.safe_dump_all(docs))
    started = time.monotonic()
    applied = subprocess.run(
        [*kubectl(up), "-n", kf.namespace, "apply", "-f", str(local)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert applied.returncode == 0, applied.stderr
    done = finished(kf, "digits-tpe", timeout=420)
    print(f"digits-tpe, 6 trials: {time.monotonic() - started:.1f}s")
    assert reason(done) == ("Succeeded", "ExperimentMaxTrialsReached")
    status = done["status"]
    assert status["trialsSucceeded"] + status.get("trialsEarlyStopped", 0) == 6
    best = status["currentOptimalTrial"]["bestTrialName"]

    handed = subprocess.run(
        [
            sys.executable,
            "examples/tuning/hand_on.py",
            "digits-tpe",
            "-n",
            kf.namespace,
            "--timeout=120",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KFLOW_")},
            "KFLOW_HOME": str(up.home),
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert handed.returncode == 0, handed.stdout + handed.stderr
    assert f"best trial of digits-tpe: {best}" in handed.stdout
    assert f"published /models/best/model.pt from {best}" in handed.stdout
    published = up.home / "runtime" / "volumes" / kf.namespace / "digits-models" / "best"
    source = json.loads((published / "source.json").read_text())
    assert source["trial"] == best and source["accuracy"] >= 0.85
    assert (published / "model.pt").stat().st_size > 0
