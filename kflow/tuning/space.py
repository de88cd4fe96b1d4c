"""The search space of an Experiment: Katib's parameter strings <-> what a sampler draws.

Katib writes every value as a string (`"0.01"`, `"3"`, `"adam"`), and a sampler draws
numbers from a distribution. A `Parameter` maps one to the other both ways, so the
history can be replayed into a sampler and its proposals written back as Katib
strings: ints as `"3"`, doubles as Python's shortest `repr` (`"0.1"`, `"1e-05"`),
discrete and categorical values exactly as listed.

Optuna has no normal or log-normal distribution, so those are drawn in a transformed
space, as Katib's hyperopt service defines them: mu = (min + max) / 2 and sigma =
(max - min) / 6 (on log(min), log(max) for logNormal), so [min, max] is mu ± 3 sigma.
The sampler draws u = Phi((x - mu) / sigma) uniformly in [Phi(-3), Phi(3)] and x is
mapped back; that is the normal truncated to [min, max] (hyperopt's is unbounded and
Katib then clips it). A `step` snaps the result to min + k * step, in decimal
arithmetic so `0.1 + 2 * 0.1` is written `"0.3"`.

Discrete lists whose values are all numbers are drawn as an ordered index (so TPE,
CMA-ES and GP see that 16 lies between 8 and 32); categorical lists as categories.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from statistics import NormalDist
from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from kflow.tuning.errors import InvalidSearch

_STD = NormalDist()
_U_LOW, _U_HIGH = _STD.cdf(-3.0), _STD.cdf(3.0)
_TOLERANCE = 1e-9

Value = int | float | str


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_double(value: float) -> str:
    """A double as Katib strings hold it: Python's shortest round-tripping repr."""
    return repr(float(value))


@dataclass(frozen=True)
class Parameter:
    """One entry of `spec.parameters`, parsed."""

    name: str
    type: str
    """double, int, discrete or categorical."""
    distribution: str = "uniform"
    low: Decimal = Decimal(0)
    high: Decimal = Decimal(0)
    step: Decimal | None = None
    choices: tuple[str, ...] = ()
    """The listed values of a discrete or categorical parameter, in spec order."""

    @property
    def numeric(self) -> bool:
        return self.type in ("double", "int")

    @cached_property
    def ordinal(self) -> bool:
        """A list of numbers, drawn as an index into the sorted values."""
        return self.type == "discrete" and all(_decimal(c) is not None for c in self.choices)

    @cached_property
    def _sorted_choices(self) -> list[str]:
        return sorted(self.choices, key=lambda c: _decimal(c) or Decimal(0))

    def _log(self) -> bool:
        return self.distribution in ("logUniform", "logNormal")

    @cached_property
    def _normal(self) -> tuple[float, float]:
        """mu and sigma of a normal or logNormal parameter, in its (log) space."""
        lo, hi = float(self.low), float(self.high)
        if self._log():
            lo, hi = math.log(lo), math.log(hi)
        return (lo + hi) / 2, (hi - lo) / 6

    @cached_property
    def _step_count(self) -> int:
        assert self.step is not None
        return int((self.high - self.low) / self.step + Decimal("1e-9"))

    def sampler_distribution(self) -> BaseDistribution:
        """What the sampler draws for this parameter (see `decode` for the way back)."""
        return self._distribution

    # The replay encodes every value of every trial on every call: cache what it reads.
    @cached_property
    def _distribution(self) -> BaseDistribution:
        if not self.numeric:
            if self.ordinal:
                return IntDistribution(0, len(self.choices) - 1)
            return CategoricalDistribution(self.choices)
        lo, hi = float(self.low), float(self.high)
        if lo == hi:
            return FloatDistribution(lo, hi)
        if self.distribution in ("normal", "logNormal"):
            return FloatDistribution(_U_LOW, _U_HIGH)
        if self.distribution == "logUniform":
            if self.type == "int" and (self.step is None or self.step == 1):
                return IntDistribution(int(lo), int(hi), log=True)
            return FloatDistribution(lo, hi, log=True)
        if self.step is None:
            return (
                FloatDistribution(lo, hi)
                if self.type == "double"
                else IntDistribution(int(lo), int(hi))
            )
        # Optuna warns and trims a range the step does not divide; trim it ourselves.
        top = self.low + self._step_count * self.step
        if self.type == "int":
            return IntDistribution(int(lo), int(top), step=int(self.step))
        return FloatDistribution(lo, float(top), step=float(self.step))

    def decode(self, drawn: Any) -> str:
        """The Katib string for what the sampler drew."""
        if not self.numeric:
            if self.ordinal:
                return self._sorted_choices[int(drawn)]
            return str(drawn)
        x = float(drawn)
        if self.distribution in ("normal", "logNormal") and self.low != self.high:
            mu, sigma = self._normal
            x = mu + sigma * _STD.inv_cdf(min(max(x, _U_LOW), _U_HIGH))
            x = math.exp(x) if self._log() else x
        return self.snap(x)

    def snap(self, x: float) -> str:
        """Clip `x` to [min, max], round it to the step (or to an int), write it as Katib does."""
        lo, hi = float(self.low), float(self.high)
        x = min(max(x, lo), hi)
        if self.step is not None:
            k = min(max(round((x - lo) / float(self.step)), 0), self._step_count)
            exact = self.low + k * self.step
            return str(int(exact)) if self.type == "int" else format_double(float(exact))
        if self.type == "int":
            return str(min(max(round(x), int(self.low)), int(self.high)))
        return format_double(x)

    def encode(self, text: str) -> Any:
        """What the sampler would have drawn to produce `text`; ValueError if outside the space."""
        if not self.numeric:
            if self.ordinal:
                number = _decimal(text)
                for index, choice in enumerate(self._sorted_choices):
                    if number is not None and _decimal(choice) == number:
                        return index
            elif text in self.choices:
                return text
            raise ValueError(f"{text!r} is not one of {list(self.choices)}")
        try:
            x = float(text)
        except (TypeError, ValueError):
            raise ValueError(f"{text!r} is not a number") from None
        lo, hi = self._bounds
        if not lo - _TOLERANCE * max(1.0, abs(lo)) <= x <= hi + _TOLERANCE * max(1.0, abs(hi)):
            raise ValueError(f"{text} is outside [{self.low}, {self.high}]")
        x = min(max(x, lo), hi)
        if self.step is not None:  # float arithmetic is enough: Optuna checks steps to 1e-8
            step = float(self.step)
            x = lo + min(max(round((x - lo) / step), 0), self._step_count) * step
        if self.distribution in ("normal", "logNormal") and lo != hi:
            mu, sigma = self._normal
            z = ((math.log(x) if self._log() else x) - mu) / sigma
            return min(max(_STD.cdf(z), _U_LOW), _U_HIGH)
        if isinstance(self._distribution, IntDistribution):
            return round(x)
        return x

    @cached_property
    def _bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)

    def grid(self) -> list[str]:
        """Every value a grid search tries (doubles need a step; ints default to step 1)."""
        return list(self._grid)

    @cached_property
    def _grid(self) -> tuple[str, ...]:
        if not self.numeric:
            return self.choices
        step = self.step if self.step is not None else Decimal(1)
        if self.type == "double" and self.step is None:
            raise ValueError("a double needs feasibleSpace.step for grid search")
        count = int((self.high - self.low) / step + Decimal("1e-9"))
        values = (self.low + k * step for k in range(count + 1))
        return tuple(str(int(v)) if self.type == "int" else format_double(float(v)) for v in values)

    def sample(self, rng: np.random.Generator) -> str:
        """A random value, drawn as the random sampler would (for hyperband and PBT)."""
        d = self._distribution
        if isinstance(d, CategoricalDistribution):
            return self.decode(d.choices[int(rng.integers(len(d.choices)))])
        if isinstance(d, IntDistribution) and not d.log:
            return self.decode(d.low + d.step * int(rng.integers((d.high - d.low) // d.step + 1)))
        assert isinstance(d, FloatDistribution | IntDistribution)
        if d.log:
            return self.decode(math.exp(rng.uniform(math.log(d.low), math.log(d.high))))
        if isinstance(d, FloatDistribution) and d.step is not None:
            return self.decode(
                d.low + d.step * int(rng.integers(round((d.high - d.low) / d.step) + 1))
            )
        return self.decode(rng.uniform(d.low, d.high))

    def typed(self, text: str) -> Value:
        """A Katib string as the value a training program would parse from it."""
        if self.type == "int":
            return int(text)
        if self.type == "double":
            return float(text)
        return text


def _parameter(index: int, raw: Any) -> tuple[Parameter | None, list[tuple[str, str]]]:
    at = f"spec.parameters[{index}]"
    if not isinstance(raw, dict) or not raw.get("name"):
        return None, [(f"{at}.name", "every parameter needs a name")]
    kind = raw.get("parameterType")
    space = raw.get("feasibleSpace") or {}
    distribution = space.get("distribution") or "uniform"
    if kind in ("discrete", "categorical"):
        choices = tuple(str(v) for v in space.get("list") or ())
        if not choices:
            return None, [(f"{at}.feasibleSpace.list", f"a {kind} parameter needs a list")]
        return Parameter(raw["name"], kind, distribution, choices=choices), []
    if kind not in ("double", "int"):
        return None, [(f"{at}.parameterType", "must be one of double, int, discrete, categorical")]
    low, high = _decimal(space.get("min", "")), _decimal(space.get("max", ""))
    step = _decimal(space["step"]) if space.get("step") not in (None, "") else None
    causes = []
    if low is None or high is None:
        causes.append((f"{at}.feasibleSpace", "min and max must be numbers"))
    elif low > high:
        causes.append((f"{at}.feasibleSpace.max", "must not be less than min"))
    elif distribution in ("logUniform", "logNormal") and low <= 0:
        causes.append((f"{at}.feasibleSpace.min", f"must be > 0 for {distribution}"))
    if space.get("step") not in (None, "") and (step is None or step <= 0):
        causes.append((f"{at}.feasibleSpace.step", "must be a number > 0"))
    if (
        kind == "int"
        and not causes
        and any(v is not None and v != v.to_integral_value() for v in (low, high, step))
    ):
        causes.append((f"{at}.feasibleSpace", "min, max and step of an int must be integers"))
    if causes:
        return None, causes
    assert low is not None and high is not None
    return Parameter(raw["name"], kind, distribution, low, high, step), []


def parse_space(spec: dict[str, Any]) -> list[Parameter]:
    """The parameters of an (already defaulted) Experiment spec, or InvalidSearch."""
    parameters, causes = parse_space_causes(spec)
    if causes:
        raise InvalidSearch(causes)
    return parameters


def parse_space_causes(spec: dict[str, Any]) -> tuple[list[Parameter], list[tuple[str, str]]]:
    """`parse_space` that returns the problems instead of raising."""
    raw = spec.get("parameters")
    if not isinstance(raw, list) or not raw:
        return [], [("spec.parameters", "at least one parameter is required")]
    parameters: list[Parameter] = []
    causes: list[tuple[str, str]] = []
    for index, item in enumerate(raw):
        parameter, problems = _parameter(index, item)
        causes += problems
        if parameter is not None:
            parameters.append(parameter)
    return parameters, causes


def typed_assignment(parameters: Sequence[Parameter], values: dict[str, str]) -> dict[str, Value]:
    """Katib strings -> typed values, for callers (and tests) that want numbers."""
    return {p.name: p.typed(values[p.name]) for p in parameters if p.name in values}
