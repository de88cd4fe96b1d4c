"""Katib's rules for an Experiment's parameters and their feasible spaces."""

from __future__ import annotations

import math
from typing import Any

from kflow.api.errors import Cause
from kflow.api.katib import contracts as c
from kflow.api.katib.causes import (
    FORBIDDEN,
    invalid,
    required,
    show,
    unsupported,
)
from kflow.api.kinds import Obj


def _number(value: Any, field: str, *, integer: bool) -> tuple[float | None, list[Cause]]:
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        what = "an integer" if integer else "a number"
        return None, [invalid(field, value, f"must be {what}")]
    if not math.isfinite(number):
        return None, [invalid(field, value, "must be a finite number")]
    return float(number), []


def _parameter_causes(i: int, parameter: Obj, seen: set[str]) -> list[Cause]:
    at = f"spec.parameters[{i}]"
    causes: list[Cause] = []
    name = parameter.get("name")
    if not name:
        causes.append(required(f"{at}.name"))
    elif name in seen:
        causes.append(Cause(f"{at}.name", f"Duplicate value: {show(name)}", "FieldValueDuplicate"))
    else:
        seen.add(name)
    kind = parameter.get("parameterType")
    if kind not in c.PARAMETER_TYPES:
        causes.append(
            unsupported(f"{at}.parameterType", kind, c.PARAMETER_TYPES)
            if kind
            else required(f"{at}.parameterType")
        )
    space = parameter.get("feasibleSpace")
    at = f"{at}.feasibleSpace"
    if not isinstance(space, dict) or not any(v not in (None, "", []) for v in space.values()):
        return [*causes, required(at, "feasibleSpace must be specified")]
    distribution = space.get("distribution")
    if distribution and distribution not in c.DISTRIBUTIONS:
        causes.append(unsupported(f"{at}.distribution", distribution, c.DISTRIBUTIONS))
    if kind in c.NUMERIC_PARAMETER_TYPES:
        causes += _numeric_space_causes(str(kind), space, at)
    elif kind in c.LIST_PARAMETER_TYPES:
        for key in ("min", "max", "step"):
            if space.get(key) not in (None, ""):
                causes.append(
                    Cause(
                        f"{at}.{key}",
                        f"Forbidden: not supported for parameterType {kind}; use list",
                        FORBIDDEN,
                    )
                )
        values = space.get("list")
        if not values:
            causes.append(required(f"{at}.list", f"must list the values of a {kind} parameter"))
        elif kind == "discrete" and isinstance(values, list):
            for j, value in enumerate(values):
                causes += _number(value, f"{at}.list[{j}]", integer=False)[1]
    return causes


def _numeric_space_causes(kind: str, space: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    integer = kind == "int"
    if space.get("list"):
        causes.append(
            Cause(f"{at}.list", f"Forbidden: not supported for parameterType {kind}", FORBIDDEN)
        )
    bounds: dict[str, float | None] = {}
    for key in ("min", "max"):
        raw = space.get(key)
        if raw in (None, ""):
            causes.append(required(f"{at}.{key}", f"must be set for parameterType {kind}"))
            bounds[key] = None
            continue
        bounds[key], wrong = _number(raw, f"{at}.{key}", integer=integer)
        causes += wrong
    low, high = bounds["min"], bounds["max"]
    if low is not None and high is not None and low >= high:
        causes.append(
            invalid(f"{at}.min", space.get("min"), f"must be less than max ({space.get('max')})")
        )
    if low is not None and low <= 0 and space.get("distribution") in ("logUniform", "logNormal"):
        causes.append(
            invalid(
                f"{at}.min",
                space.get("min"),
                f"must be positive for a {space['distribution']} distribution",
            )
        )
    step = space.get("step")
    if step not in (None, ""):
        value, wrong = _number(step, f"{at}.step", integer=integer)
        causes += wrong
        if value is not None and value <= 0:
            causes.append(invalid(f"{at}.step", step, "must be greater than 0"))
    return causes


def parameters_causes(spec: Obj) -> list[Cause]:
    parameters = spec.get("parameters")
    nas = spec.get("nasConfig")
    if not parameters and nas is None:
        return [required("spec.parameters", "spec.parameters or spec.nasConfig must be specified")]
    if parameters and nas is not None:
        return [
            Cause(
                "spec.nasConfig",
                "Forbidden: only one of spec.parameters and spec.nasConfig may be set",
                FORBIDDEN,
            )
        ]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, parameter in enumerate(parameters or []):
        if isinstance(parameter, dict):
            causes += _parameter_causes(i, parameter, seen)
    return causes
