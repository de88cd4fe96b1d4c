"""What `kflow get` / `kubectl get` and `kflow describe` show of experiments and trials.

The columns are the kinds' server-side Table columns, read here through `to_table`
as the server renders them; the describer is fed hand-written objects.
"""

from __future__ import annotations

import copy
from typing import Any

from kflow.api.kinds import registry
from kflow.api.tables import to_table
from kflow.cli.describe_experiment import describe_experiment
from tests.katib.test_tune_units import EXPERIMENT, TRIALS


def table(kind: str, objs: list[dict[str, Any]], wide: bool = False) -> list[dict[str, Any]]:
    rendered = to_table(registry.resolve(kind), objs, wide=wide)
    names = [c["name"] for c in rendered["columnDefinitions"]]
    return [dict(zip(names, row["cells"], strict=True)) for row in rendered["rows"]]


def test_experiment_columns() -> None:
    running = copy.deepcopy(EXPERIMENT)
    running["status"]["conditions"] = [
        {"type": "Created", "status": "True"},
        {"type": "Running", "status": "True"},
    ]
    running["status"].update(trials=5, trialsSucceeded=2, trialsRunning=2, trialsEarlyStopped=1)
    running["spec"]["algorithm"] = {"algorithmName": "tpe"}
    rows = table("experiments", [EXPERIMENT, running])
    assert list(rows[0]) == ["NAME", "STATUS", "BEST", "TRIALS", "AGE"]
    assert [(r["STATUS"], r["BEST"], r["TRIALS"]) for r in rows] == [
        ("Succeeded", 0.9, "1/2, 1 failed"),
        ("Running", 0.9, "2/5, 2 running, 1 failed, 1 early stopped"),
    ]
    wide = table("experiments", [running], wide=True)[0]
    assert (wide["ALGORITHM"], wide["OPTIMAL TRIAL"]) == ("tpe", "e-b")


def test_best_follows_the_metric_strategy() -> None:
    latest = copy.deepcopy(EXPERIMENT)
    latest["spec"]["objective"]["metricStrategies"] = [{"name": "score", "value": "latest"}]
    minimize = copy.deepcopy(EXPERIMENT)
    minimize["spec"]["objective"] = {"type": "minimize", "objectiveMetricName": "score"}
    fresh = {"metadata": {"name": "new"}, "spec": {}}
    assert [r["BEST"] for r in table("experiments", [latest, minimize, fresh])] == [0.8, 0.5, None]
    assert table("experiments", [fresh])[0]["TRIALS"] == "0/0"


def test_trial_columns() -> None:
    rows = table("trials", TRIALS)
    assert list(rows[0]) == ["NAME", "STATUS", "OBJECTIVE", "PARAMETERS", "AGE"]
    assert [(r["NAME"], r["STATUS"], r["OBJECTIVE"], r["PARAMETERS"]) for r in rows] == [
        ("e-b", "Succeeded", 0.9, "lr=0.02, optimizer=sgd"),
        ("e-a", "Failed", None, "lr=0.05, optimizer=sgd"),
    ]
    assert table("trials", TRIALS[:1], wide=True)[0]["METRICS"] == "score=0.9"


def test_describe_experiment_reads_as_a_tuning_report() -> None:
    experiment = copy.deepcopy(EXPERIMENT)
    experiment["apiVersion"], experiment["kind"] = "kubeflow.org/v1beta1", "Experiment"
    experiment["spec"].update(
        algorithm={
            "algorithmName": "tpe",
            "algorithmSettings": [{"name": "random_state", "value": "1"}],
        },
        earlyStopping={"algorithmName": "medianstop"},
        parameters=[{"name": "lr"}, {"name": "optimizer"}],
        maxTrialCount=2,
        parallelTrialCount=1,
    )
    events = [{"type": "Normal", "reason": "ExperimentCreated", "message": "Experiment is created"}]
    text = describe_experiment(experiment, TRIALS, events)
    lines = text.splitlines()
    assert (
        "Status:          Succeeded (ExperimentMaxTrialsReached: Experiment has succeeded " in text
    )
    assert "Objective:       maximize score" in lines
    assert "Algorithm:       tpe (random_state=1)" in lines
    assert "Early Stopping:  medianstop" in lines
    assert "Trial Limits:    max 2, parallel 1" in lines
    assert "Trial Counts:    1/2, 1 failed" in lines
    best = lines.index("Best Trial:")
    assert lines[best + 1 : best + 4] == [
        "  Name:        e-b",
        "  Objective:   0.9",
        "  Parameters:  lr=0.02, optimizer=sgd",
    ]
    assert lines[best + 5].split() == ["Name", "Min", "Max", "Latest"]
    assert lines[best + 6].split() == ["score", "0.5", "0.9", "0.8"]
    trials = lines.index("Trials:")
    assert [line.split() for line in lines[trials + 1 : trials + 4]] == [
        ["Name", "Status", "lr", "optimizer", "score"],
        ["e-a", "Failed", "0.05", "sgd", "<none>"],
        ["e-b", "*", "Succeeded", "0.02", "sgd", "0.9"],
    ]
    assert "Succeeded  True    ExperimentMaxTrialsReached" in text
    assert lines[-1].split()[:2] == ["Normal", "ExperimentCreated"]


def test_describe_a_new_experiment() -> None:
    text = describe_experiment(
        {"metadata": {"name": "e"}, "spec": {"objective": {"type": "minimize"}}}, [], None
    )
    assert "Status:          Pending" in text
    assert "Best Trial:      <none>" in text
    assert "Trials:          <none>" in text
    assert "Events:" not in text
