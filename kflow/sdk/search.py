"""Typed search spaces for `kflow.tune`: what a parameter may be, as Python values.

Katib writes a search space as strings (`parameterType: double`, `min: "0.01"`,
`distribution: logUniform`) and hands every trial its values as strings too. Here
each space is a small frozen object that knows both sides: the `ParameterSpec` it
becomes in the Experiment, and how a trial's string turns back into the Python value
the objective receives (a float, an int, or the very object listed in a `choice`)::

    kflow.tune(objective, {
        "lr": kflow.search.loguniform(1e-4, 1e-1),
        "layers": kflow.search.integer(1, 5),
        "optimizer": kflow.search.choice(["adam", "sgd"]),
    })

Spaces are checked when `tune` turns them into parameters, so an error names the
parameter (`parameters['lr']: low must be below high (0.1 >= 0.01)`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

Value = int | float | str | bool | None
"""What a trial's objective receives for one parameter."""

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


class InvalidSearchSpace(ValueError):
    """A parameter's search space is wrong; the message names the parameter."""


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSearchSpace(f"{what} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise InvalidSearchSpace(f"{what} must be finite, not {value!r}")
    return float(value)


def _katib_number(value: float) -> str:
    """A number as Katib strings hold it: ints as `3`, floats as Python's shortest repr."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else repr(value)


@dataclasses.dataclass(frozen=True)
class Space:
    """A parameter's search space; subclasses say what Katib type it becomes."""

    def problems(self) -> list[str]:
        """What is wrong with this space, as phrases (empty when it is fine)."""
        return []

    def katib(self, name: str) -> dict[str, Any]:
        """The Experiment's `spec.parameters[]` entry for this space."""
        raise NotImplementedError

    def typed(self, text: str) -> Value:
        """A trial's value (a Katib string) as the Python value the objective gets."""
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Double(Space):
    """A float between `low` and `high` (Katib `double`)."""

    low: float
    high: float
    distribution: str = "uniform"
    """uniform, logUniform, normal or logNormal, as Katib names them."""
    step: float | None = None
    """Only values low + k * step (grid search needs one)."""

    def problems(self) -> list[str]:
        try:
            low, high = _number(self.low, "low"), _number(self.high, "high")
            step = None if self.step is None else _number(self.step, "step")
        except InvalidSearchSpace as exc:
            return [str(exc)]
        found = []
        if low >= high:
            found.append(f"low must be below high ({self.low!r} >= {self.high!r})")
        if self.distribution in ("logUniform", "logNormal") and low <= 0:
            found.append(f"low must be above 0 for a {self.distribution} space, not {self.low!r}")
        if step is not None and step <= 0:
            found.append(f"step must be above 0, not {self.step!r}")
        return found

    def katib(self, name: str) -> dict[str, Any]:
        space: dict[str, Any] = {
            "min": repr(float(self.low)),
            "max": repr(float(self.high)),
            "distribution": self.distribution,
        }
        if self.step is not None:
            space["step"] = repr(float(self.step))
        return {"name": name, "parameterType": "double", "feasibleSpace": space}

    def typed(self, text: str) -> float:
        return float(text)


@dataclasses.dataclass(frozen=True)
class Integer(Space):
    """An int from `low` to `high`, both included (Katib `int`)."""

    low: int
    high: int
    step: int = 1
    log: bool = False
    """Draw on a log scale (Katib `logUniform`); `low` must then be at least 1."""

    def problems(self) -> list[str]:
        found = []
        for what in ("low", "high", "step"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int):
                found.append(f"{what} must be an int, not {value!r}")
        if found:
            return found
        if self.low >= self.high:
            found.append(f"low must be below high ({self.low} >= {self.high})")
        if self.step < 1:
            found.append(f"step must be at least 1, not {self.step}")
        if self.log and self.low < 1:
            found.append(f"low must be at least 1 on a log scale, not {self.low}")
        return found

    def katib(self, name: str) -> dict[str, Any]:
        space: dict[str, Any] = {
            "min": str(self.low),
            "max": str(self.high),
            "distribution": "logUniform" if self.log else "uniform",
        }
        if self.step != 1:
            space["step"] = str(self.step)
        return {"name": name, "parameterType": "int", "feasibleSpace": space}

    def typed(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            return round(float(text))


@dataclasses.dataclass(frozen=True)
class Choice(Space):
    """One of the listed values: Katib `discrete` for numbers, `categorical` otherwise."""

    values: tuple[Value, ...]

    @property
    def numeric(self) -> bool:
        return all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values)

    def labels(self) -> list[str]:
        """Each value as the Katib string that stands for it."""
        out = []
        for value in self.values:
            if isinstance(value, bool) or value is None:
                out.append({True: "true", False: "false", None: "null"}[value])
            elif isinstance(value, int | float):
                out.append(_katib_number(value))
            else:
                out.append(str(value))
        return out

    def problems(self) -> list[str]:
        if not self.values:
            return ["choice needs at least one value"]
        found = []
        for value in self.values:
            if not isinstance(value, str | int | float | bool) and value is not None:
                found.append(f"choice values must be str, int, float, bool or None, not {value!r}")
            elif isinstance(value, float) and not math.isfinite(value):
                found.append(f"choice values must be finite, not {value!r}")
        if found:
            return found
        labels = self.labels()
        twins = sorted({t for t in labels if labels.count(t) > 1})
        if twins:
            found.append(f"choice values must differ as text, but {twins} appear more than once")
        return found

    def katib(self, name: str) -> dict[str, Any]:
        kind = "discrete" if self.numeric else "categorical"
        return {"name": name, "parameterType": kind, "feasibleSpace": {"list": self.labels()}}

    def typed(self, text: str) -> Value:
        labels = self.labels()
        if text in labels:
            return self.values[labels.index(text)]
        if self.numeric:  # a number written another way ("4.0" for 4)
            for label, value in zip(labels, self.values, strict=True):
                if float(label) == float(text):
                    return value
        raise ValueError(f"{text!r} is not one of {labels}")


def uniform(low: float, high: float, *, step: float | None = None) -> Double:
    """A float drawn uniformly from [low, high]."""
    return Double(low, high, "uniform", step)


def loguniform(low: float, high: float) -> Double:
    """A float whose logarithm is uniform: learning rates, regularisation (low > 0)."""
    return Double(low, high, "logUniform")


def normal(low: float, high: float) -> Double:
    """A float from a normal distribution with low/high at mean -/+ 3 sigma, as Katib's."""
    return Double(low, high, "normal")


def lognormal(low: float, high: float) -> Double:
    """A float whose logarithm is normal, log(low)/log(high) at -/+ 3 sigma (low > 0)."""
    return Double(low, high, "logNormal")


def integer(low: int, high: int, *, step: int = 1, log: bool = False) -> Integer:
    """An int from low to high, both included, every `step`; `log` draws on a log scale."""
    return Integer(low, high, step, log)


def choice(values: Sequence[Value]) -> Choice:
    """One of `values`; the objective receives the listed object itself."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise InvalidSearchSpace(f"choice takes a list of values, not {values!r}")
    return Choice(tuple(values))


def katib_parameters(spaces: Mapping[str, Space]) -> list[dict[str, Any]]:
    """The Experiment's `spec.parameters`; InvalidSearchSpace names the first bad one."""
    if not isinstance(spaces, Mapping) or not spaces:
        raise InvalidSearchSpace("parameters must be a non-empty dict of name -> search space")
    out = []
    for name, space in spaces.items():
        at = f"parameters[{name!r}]"
        if not isinstance(name, str) or not _NAME.match(name):
            raise InvalidSearchSpace(
                f"{at}: a parameter name is letters, digits, '_', '.' or '-' (no spaces)"
            )
        if not isinstance(space, Space):
            raise InvalidSearchSpace(
                f"{at} must be a search space such as kflow.search.uniform(0.01, 0.1) or "
                f"kflow.search.choice(['adam', 'sgd']), not {space!r}"
            )
        problems = space.problems()
        if problems:
            raise InvalidSearchSpace(f"{at}: {'; '.join(problems)}")
        out.append(space.katib(name))
    return out


def typed_assignments(
    spaces: Mapping[str, Space], assignments: Sequence[Mapping[str, Any]]
) -> dict[str, Value]:
    """Katib's `parameterAssignments` ([{name, value}]) as typed values, in space order."""
    given = {str(a.get("name")): str(a.get("value")) for a in assignments}
    return {name: space.typed(given[name]) for name, space in spaces.items() if name in given}
