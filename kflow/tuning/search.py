"""Reading an Experiment spec into what the algorithms need, and saying what is wrong with it.

`resolve` turns `spec` into a `Search` (parameters, objective with directions, typed
algorithm and early-stopping settings) or raises `InvalidSearch`; `validate_search`
returns the same problems as `(field, message)` pairs, Katib's
`ValidateAlgorithmSettings` done in-process: unknown settings, bad numbers, a grid over
a double without a step, a hyperband resource that is not a parameter, multi-objective
directions that do not match the metrics, NAS algorithms kflow does not implement.
The generic shape of the spec (names, types, min < max) is `kflow.api`'s to check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kflow.tuning.errors import InvalidSearch
from kflow.tuning.history import TrialRecord
from kflow.tuning.settings import (
    ALGORITHM_SETTINGS,
    EARLY_STOPPING_SETTINGS,
    MULTI_OBJECTIVE,
    NOT_IMPLEMENTED,
    parse_settings,
)
from kflow.tuning.space import Parameter, parse_space_causes

Causes = list[tuple[str, str]]


@dataclass(frozen=True)
class Objective:
    """The metrics a search optimizes, the objective metric first, with their directions."""

    metrics: tuple[str, ...]
    directions: tuple[str, ...]
    """minimize or maximize, one per metric."""

    @property
    def metric(self) -> str:
        return self.metrics[0]

    @property
    def maximize(self) -> bool:
        return self.directions[0] == "maximize"

    def values(self, record: TrialRecord) -> list[float] | None:
        """The trial's final value of each metric, or None if one is missing or not finite."""
        values = [record.metrics.get(name) for name in self.metrics]
        if any(v is None or not math.isfinite(v) for v in values):
            return None
        return [float(v) for v in values if v is not None]


@dataclass(frozen=True)
class Search:
    """An Experiment's search, parsed and checked."""

    algorithm: str
    settings: dict[str, Any]
    parameters: list[Parameter]
    objective: Objective
    early_stopping: str | None = None
    early_stopping_settings: dict[str, Any] = field(default_factory=dict)

    def seed(self, seed: int) -> int:
        """`random_state` when the experiment sets one, else the controller's seed."""
        chosen = self.settings.get("random_state")
        return int(seed if chosen is None else chosen)


def _objective(
    spec: dict[str, Any], algorithm: str, settings: dict[str, Any]
) -> tuple[Objective | None, Causes]:
    raw = spec.get("objective") if isinstance(spec.get("objective"), dict) else {}
    assert isinstance(raw, dict)
    metric, kind = raw.get("objectiveMetricName"), raw.get("type")
    if not metric or kind not in ("minimize", "maximize"):
        return None, [
            ("spec.objective", "needs objectiveMetricName and a type of minimize or maximize")
        ]
    if algorithm not in MULTI_OBJECTIVE:
        return Objective((metric,), (kind,)), []
    directions = settings.get("directions")
    if not directions:
        return None, []  # parse_settings already reported the missing setting
    extra = [m for m in raw.get("additionalMetricNames") or [] if m != metric]
    at = "spec.algorithm.algorithmSettings"
    if len(directions) > 1 + len(extra):
        message = f"{len(directions)} directions but only {1 + len(extra)} metrics (objectiveMetricName, then additionalMetricNames)"
        return None, [(at, message)]
    if directions[0] != kind:
        return None, [
            (at, f"the first direction is for {metric} and must match spec.objective.type ({kind})")
        ]
    return Objective((metric, *extra[: len(directions) - 1]), tuple(directions)), []


def _algorithm_causes(name: str, settings: dict[str, Any], parameters: list[Parameter]) -> Causes:
    """Checks that need both the settings and the parameters."""
    at = "spec.algorithm.algorithmSettings"
    causes: Causes = []
    if name == "grid":
        for index, p in enumerate(parameters):
            if p.type == "double" and p.step is None:
                causes.append(
                    (
                        f"spec.parameters[{index}].feasibleSpace.step",
                        f"grid needs a step for the double parameter {p.name}",
                    )
                )
    elif name == "cmaes" and sum(p.numeric for p in parameters) < 2:
        causes.append(("spec.parameters", "cmaes needs at least two int or double parameters"))
    elif name == "hyperband" and settings.get("resource_name") is not None:
        resource = next((p for p in parameters if p.name == settings["resource_name"]), None)
        if resource is None or not resource.numeric:
            names = ", ".join(p.name for p in parameters if p.numeric) or "none"
            causes.append(
                (
                    at,
                    f"resource_name {settings['resource_name']!r} must name an int or double parameter ({names})",
                )
            )
    return causes


def _read(spec: dict[str, Any]) -> tuple[Search | None, Causes]:
    algorithm = spec.get("algorithm") if isinstance(spec.get("algorithm"), dict) else {}
    assert isinstance(algorithm, dict)
    name = algorithm.get("algorithmName")
    if name in NOT_IMPLEMENTED:
        return None, [("spec.algorithm.algorithmName", NOT_IMPLEMENTED[name])]
    if name not in ALGORITHM_SETTINGS:
        allowed = ", ".join(ALGORITHM_SETTINGS)
        return None, [
            ("spec.algorithm.algorithmName", f"unknown algorithm {name!r}; kflow runs {allowed}")
        ]
    parameters, causes = parse_space_causes(spec)
    settings, problems = parse_settings(
        algorithm.get("algorithmSettings"),
        ALGORITHM_SETTINGS[name],
        name,
        "spec.algorithm.algorithmSettings",
    )
    causes += problems + _algorithm_causes(name, settings, parameters)
    objective, problems = _objective(spec, name, settings)
    causes += problems
    stopping = spec.get("earlyStopping") if isinstance(spec.get("earlyStopping"), dict) else None
    stopping_name: str | None = None
    stopping_settings: dict[str, Any] = {}
    if stopping is not None and stopping.get("algorithmName"):
        stopping_name = stopping["algorithmName"]
        if stopping_name not in EARLY_STOPPING_SETTINGS:
            allowed = ", ".join(EARLY_STOPPING_SETTINGS)
            causes.append(
                (
                    "spec.earlyStopping.algorithmName",
                    f"unknown early stopping {stopping_name!r}; kflow runs {allowed}",
                )
            )
        else:
            stopping_settings, problems = parse_settings(
                stopping.get("algorithmSettings"),
                EARLY_STOPPING_SETTINGS[stopping_name],
                stopping_name,
                "spec.earlyStopping.algorithmSettings",
            )
            causes += problems
    if causes or objective is None:
        return None, causes
    return Search(name, settings, parameters, objective, stopping_name, stopping_settings), []


def validate_search(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with the spec's search (algorithm, settings, parameters for it); [] if fine."""
    return _read(spec)[1]


def resolve(spec: dict[str, Any]) -> Search:
    """The spec's search, or InvalidSearch naming every problem."""
    search, causes = _read(spec)
    if search is None:
        raise InvalidSearch(causes or [("spec", "not a valid search")])
    return search


def stops_early(spec: dict[str, Any]) -> bool:
    """Whether the controller should ask `should_stop` about running trials of this spec."""
    stopping = spec.get("earlyStopping")
    named = isinstance(stopping, dict) and bool(stopping.get("algorithmName"))
    algorithm = spec.get("algorithm")
    return named or (isinstance(algorithm, dict) and algorithm.get("algorithmName") == "asha")
