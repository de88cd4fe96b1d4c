"""Trials as the search algorithms and the experiment status see them.

A trial's state comes from its conditions; its final metric values from
`status.observation` under the experiment's `metricStrategies`; its intermediate
values from the observation log. The experiment, suggestion and trial controllers
all read trials through here, so they cannot disagree on what "succeeded" means.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from kflow.api import meta as m
from kflow.api.katib import conditions as cond
from kflow.api.katib.observations import Observation
from kflow.api.katib.registration import metric_value
from kflow.store.observations import ObservationLog
from kflow.tuning.history import TrialRecord, TrialState

Obj = dict[str, Any]

EXPERIMENT_LABEL = "katib.kubeflow.org/experiment"
TRIAL_LABEL = "katib.kubeflow.org/trial"
UNAVAILABLE = "unavailable"
"""Katib's value of a metric that was never observed."""


def state_of(trial: Obj) -> TrialState:
    if cond.is_true(trial, cond.SUCCEEDED):
        return TrialState.SUCCEEDED
    if cond.is_true(trial, cond.EARLY_STOPPED):
        return TrialState.EARLY_STOPPED
    if cond.is_true(trial, cond.METRICS_UNAVAILABLE):
        return TrialState.METRICS_UNAVAILABLE
    if cond.is_true(trial, cond.FAILED) or cond.is_true(trial, cond.KILLED):
        return TrialState.FAILED
    return TrialState.RUNNING


def parameters_of(trial: Obj) -> dict[str, str]:
    assigned = (trial.get("spec") or {}).get("parameterAssignments") or []
    return {str(a.get("name")): str(a.get("value")) for a in assigned}


def _float(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def metric_values(trial: Obj, objective: Obj) -> dict[str, float]:
    """Each observed metric's value under its strategy (the API's one rule: min, max
    or latest as `metricStrategies` say, by the objective's type otherwise)."""
    observation = (trial.get("status") or {}).get("observation") or {}
    values: dict[str, float] = {}
    for metric in observation.get("metrics") or []:
        name = str(metric.get("name"))
        value = _float(metric_value(objective, observation, name))
        if value is not None:
            values[name] = value
    return values


def objective_value(trial: Obj, objective: Obj) -> float | None:
    """The trial's value of the objective metric, or None if it has none."""
    return metric_values(trial, objective).get(str(objective.get("objectiveMetricName")))


def intermediate_values(observations: Sequence[Observation]) -> dict[str, list[tuple[int, float]]]:
    """Each metric's numeric observations in order, as (step, value)."""
    series: dict[str, list[tuple[int, float]]] = {}
    for observation in observations:
        value = _float(observation.value)
        if value is None:
            continue
        points = series.setdefault(observation.metric, [])
        step = observation.step if observation.step is not None else len(points)
        points.append((step, value))
    return series


def summarize(observations: Sequence[Observation], strategies: Sequence[Obj]) -> list[Obj]:
    """Katib's `status.observation.metrics`: min, max and latest of every metric it tracks."""
    out: list[Obj] = []
    for strategy in strategies:
        name = str(strategy.get("name"))
        mine = [o for o in observations if o.metric == name]
        numbers = [(v, o.value) for o in mine if (v := _float(o.value)) is not None]
        if numbers:
            low = min(numbers, key=lambda pair: pair[0])[1]
            high = max(numbers, key=lambda pair: pair[0])[1]
        else:
            low = high = UNAVAILABLE
        latest = mine[-1].value if mine else UNAVAILABLE
        out.append({"name": name, "min": low, "max": high, "latest": latest})
    return out


def record_of(
    trial: Obj,
    objective: Obj,
    log: ObservationLog | None,
    attrs: dict[str, Any] | None = None,
) -> TrialRecord:
    """A `TrialRecord` of a stored trial, with its intermediate values from `log`."""
    state = state_of(trial)
    observations = log.read(m.namespace_of(trial), m.name_of(trial)) if log is not None else []
    return TrialRecord(
        name=m.name_of(trial),
        parameters=parameters_of(trial),
        state=state,
        metrics=metric_values(trial, objective),
        intermediate=intermediate_values(observations),
        attrs=dict(attrs or {}),
        labels=dict((trial.get("spec") or {}).get("labels") or {}),
    )


def pending_record(assignment: Obj) -> TrialRecord:
    """A suggestion whose Trial does not exist yet: running, as far as a sampler knows."""
    return TrialRecord(
        name=str(assignment.get("name")),
        parameters={
            str(a.get("name")): str(a.get("value"))
            for a in assignment.get("parameterAssignments") or []
        },
        state=TrialState.RUNNING,
        attrs=dict(assignment.get("attrs") or {}),
        labels=dict(assignment.get("labels") or {}),
    )
