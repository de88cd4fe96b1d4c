"""What `kflow.tune` returns and shows: an Experiment and its Trials, read back typed.

Katib reports everything as strings (`parameterAssignments[].value`, metrics' min,
max and latest). `result_of` reads a finished Experiment and its Trials into plain
dataclasses with the values typed by the search spaces the call was given, and the
objective value of each trial picked by the metric's strategy (the same reading the
server's `kubectl get trials` column uses). `trials_table` is the live Rich view.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from kflow.api.katib.registration import (
    best_objective_value,
    condition_type,
    trial_counts,
    trial_objective_value,
)
from kflow.sdk.search import Space, Value, typed_assignments

Obj = dict[str, Any]

_FINISHED = ("Succeeded", "Failed")
_STATE_STYLES = {
    "Succeeded": "green",
    "Failed": "red",
    "Running": "cyan",
    "EarlyStopped": "yellow",
    "MetricsUnavailable": "yellow",
    "Killed": "magenta",
}


@dataclasses.dataclass(frozen=True)
class TrialResult:
    """One trial: its values, how it ended, and what it reported."""

    name: str
    state: str
    """The last condition: Created, Running, Succeeded, Failed, EarlyStopped, ..."""
    parameters: dict[str, Value]
    value: float | None
    """The objective metric, by its strategy (max when maximizing); None if not reported."""
    metrics: dict[str, float]
    """Every metric's latest value."""


@dataclasses.dataclass(frozen=True)
class TuneResult:
    """A finished tune Experiment: the best trial's values and every trial."""

    name: str
    namespace: str
    best_parameters: dict[str, Value]
    """The optimal trial's values, typed; empty when no trial reported the objective."""
    best_value: float | None
    best_trial: str | None
    trials: list[TrialResult]
    reason: str
    """Why it ended: ExperimentGoalReached, ExperimentMaxTrialsReached, ExperimentFailed..."""
    message: str
    experiment: Obj = dataclasses.field(repr=False)
    """The Experiment as the server last returned it."""

    @property
    def failed(self) -> bool:
        return self.reason == "ExperimentFailed" or condition_type(self.experiment) == "Failed"


class TuneFailed(Exception):
    """The Experiment ended Failed (e.g. more failed trials than allowed); `result` is it."""

    def __init__(self, message: str, result: TuneResult) -> None:
        super().__init__(message)
        self.result = result


def _true(obj: Obj) -> list[Obj]:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return [c for c in conditions if isinstance(c, dict) and c.get("status") == "True"]


def experiment_finished(experiment: Obj) -> bool:
    return any(c.get("type") in _FINISHED for c in _true(experiment))


def _state(obj: Obj) -> str:
    true = _true(obj)
    return str(true[-1].get("type")) if true else "Pending"


def _latest(trial: Obj) -> dict[str, float]:
    metrics = ((trial.get("status") or {}).get("observation") or {}).get("metrics") or []
    out = {}
    for metric in metrics:
        try:
            out[str(metric.get("name"))] = float(metric.get("latest"))
        except (TypeError, ValueError):
            continue  # "unavailable"
    return out


def trial_result(trial: Obj, spaces: Mapping[str, Space]) -> TrialResult:
    spec = trial.get("spec") or {}
    return TrialResult(
        name=str((trial.get("metadata") or {}).get("name") or ""),
        state=_state(trial),
        parameters=typed_assignments(spaces, spec.get("parameterAssignments") or []),
        value=trial_objective_value(trial),
        metrics=_latest(trial),
    )


def result_of(experiment: Obj, trials: list[Obj], spaces: Mapping[str, Space]) -> TuneResult:
    """A finished Experiment (and its Trials) as a TuneResult, with typed values."""
    meta = experiment.get("metadata") or {}
    optimal = (experiment.get("status") or {}).get("currentOptimalTrial") or {}
    finishing = [c for c in _true(experiment) if c.get("type") in _FINISHED]
    last = finishing[-1] if finishing else {}
    ordered = sorted(trials, key=lambda t: str((t.get("metadata") or {}).get("creationTimestamp")))
    return TuneResult(
        name=str(meta.get("name") or ""),
        namespace=str(meta.get("namespace") or ""),
        best_parameters=typed_assignments(spaces, optimal.get("parameterAssignments") or []),
        best_value=best_objective_value(experiment),
        best_trial=optimal.get("bestTrialName") or None,
        trials=[trial_result(t, spaces) for t in ordered],
        reason=str(last.get("reason") or ""),
        message=str(last.get("message") or ""),
        experiment=experiment,
    )


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def trials_table(experiment: Obj, trials: list[Obj], spaces: Mapping[str, Space]) -> Table:
    """The live view: one row per trial, the best marked, the counts in the caption."""
    meta = experiment.get("metadata") or {}
    objective = (experiment.get("spec") or {}).get("objective") or {}
    metric = str(objective.get("objectiveMetricName") or "objective")
    best_name = ((experiment.get("status") or {}).get("currentOptimalTrial") or {}).get(
        "bestTrialName"
    )
    table = Table(
        title=f"experiment {meta.get('name')}: {_state(experiment)}",
        caption=f"trials {trial_counts(experiment)}; "
        f"best {metric} {_shown(best_objective_value(experiment)) or '-'}",
        title_justify="left",
    )
    table.add_column("trial")
    table.add_column("state")
    for name in spaces:
        table.add_column(name, justify="right")
    table.add_column(metric, justify="right")
    ordered = sorted(trials, key=lambda t: str((t.get("metadata") or {}).get("creationTimestamp")))
    for trial in ordered:
        row = trial_result(trial, spaces)
        state = row.state
        style = _STATE_STYLES.get(state)
        best = row.name == best_name
        table.add_row(
            f"[bold]{row.name}[/] *" if best else row.name,
            f"[{style}]{state}[/]" if style else state,
            *(_shown(row.parameters.get(name)) for name in spaces),
            _shown(row.value),
        )
    return table
