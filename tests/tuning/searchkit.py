"""Specs, objective functions and a tiny experiment loop for the search-algorithm tests.

`run` plays the controller: it asks `suggest` for trials (several at once when
`parallel` > 1, with the outstanding ones passed as RUNNING records, as the real
controller does), evaluates them and records them with the `attrs` and labels the
algorithm returned.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from kflow.tuning import Assignment, TrialRecord, TrialState, suggest


def parameter(name: str, kind: str, **space: Any) -> dict[str, Any]:
    feasible = {k: v if isinstance(v, list) else str(v) for k, v in space.items()}
    feasible.setdefault("distribution", "uniform")
    return {"name": name, "parameterType": kind, "feasibleSpace": feasible}


def experiment(
    algorithm: str,
    parameters: list[dict[str, Any]],
    *,
    settings: dict[str, str] | None = None,
    objective: str = "minimize",
    additional: list[str] | None = None,
    early_stopping: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An Experiment spec as the defaulter leaves it (only what the algorithms read)."""
    spec: dict[str, Any] = {
        "parameters": copy.deepcopy(parameters),
        "objective": {
            "type": objective,
            "objectiveMetricName": "loss",
            "additionalMetricNames": additional or [],
        },
        "algorithm": {
            "algorithmName": algorithm,
            "algorithmSettings": [{"name": k, "value": v} for k, v in (settings or {}).items()],
        },
    }
    if early_stopping is not None:
        spec["earlyStopping"] = early_stopping
    return spec


MIXED = [
    parameter("lr", "double", min="0.0001", max="0.1", distribution="logUniform"),
    parameter("momentum", "double", min="0.5", max="0.9", step="0.1"),
    parameter("layers", "int", min=1, max=8),
    parameter("width", "int", min=16, max=256, step=16),
    parameter("dropout", "double", min="0", max="0.5", distribution="normal"),
    parameter("wd", "double", min="0.00001", max="0.01", distribution="logNormal"),
    parameter("batch", "discrete", list=["64", "16", "32"]),
    parameter("optimizer", "categorical", list=["sgd", "adam", "rmsprop"]),
]
SQUARE = [
    parameter("x", "double", min="-5", max="10"),
    parameter("y", "double", min="0", max="15"),
]


def record(name: str, assignment: Assignment, state: TrialState, **metrics: float) -> TrialRecord:
    return TrialRecord(
        name=name,
        parameters=assignment.parameters,
        state=state,
        metrics=dict(metrics),
        attrs=assignment.attrs,
        labels=assignment.labels,
    )


Evaluate = Callable[[dict[str, str]], dict[str, float] | None]


def run(
    spec: dict[str, Any],
    evaluate: Evaluate,
    trials: int,
    *,
    seed: int = 0,
    parallel: int = 1,
    history: list[TrialRecord] | None = None,
) -> list[TrialRecord]:
    """Run `trials` trials, `parallel` at a time; `evaluate` returns metrics or None (failed)."""
    history = list(history or [])
    while len(history) < trials:
        batch = suggest(spec, history, min(parallel, trials - len(history)), seed=seed)
        if not batch.assignments:
            break
        names = [f"t{len(history) + i}" for i in range(len(batch.assignments))]
        running = [
            record(n, a, TrialState.RUNNING) for n, a in zip(names, batch.assignments, strict=True)
        ]
        for index, assignment in enumerate(batch.assignments):
            metrics = evaluate(assignment.parameters)
            state = TrialState.FAILED if metrics is None else TrialState.SUCCEEDED
            running[index] = record(names[index], assignment, state, **(metrics or {}))
        history += running
    return history


def shifted_square(values: dict[str, str]) -> dict[str, float]:
    x, y = float(values["x"]), float(values["y"])
    return {"loss": (x - 1.0) ** 2 + (y - 2.0) ** 2}
