"""What a metrics parser hands back, and Katib's `unavailable` rule.

Parsers are called again and again on a growing source, so each result says how
far it got: a byte count for a log or file (`Parsed.consumed`), an opaque JSON
cursor for a tfevent directory or a Prometheus endpoint (`Collected.cursor`). The
controller stores that position in the same transaction as the observations
(`ObservationLog.append(..., source=, cursor=)`), so a crash between the two can
neither lose nor repeat an observation. Lines a parser could not read do not stop
it: they are reported in `problems` for the controller to show as Events.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kflow.api.katib.observations import Observation
from kflow.tuning.metrics import timestamps

UNAVAILABLE = "unavailable"
"""The value Katib records for an objective metric a trial never reported."""


@dataclass(frozen=True)
class Parsed:
    """Observations read from a byte chunk of a log or metrics file."""

    observations: list[Observation]
    consumed: int
    """Bytes of the chunk read: the next call starts at `offset + consumed`. Only
    complete lines count, unless the caller said the source is final."""
    problems: list[str] = field(default_factory=list)
    """Lines that could not be read (not JSON, ...), each saying where."""


@dataclass(frozen=True)
class Collected:
    """Observations read from a directory or an endpoint since `cursor`."""

    observations: list[Observation]
    cursor: str
    """JSON text to pass back on the next call (and to store with the observations)."""
    problems: list[str] = field(default_factory=list)


def unavailable(objective: str, timestamp: str = timestamps.ZERO_TIME) -> Observation:
    """The observation Katib records when `objective` was never reported.

    Katib's collectors check once, at the end of a trial: no observation of the
    objective metric (the first metric name) means a single `unavailable` row, at
    Go's zero time (File, StdOut; the TensorFlowEvent collector uses the current
    time), and the trial ends as `MetricsUnavailable`. The controller appends this
    once, when the workload has finished and the log holds no row for the objective.
    """
    return Observation(metric=objective, value=UNAVAILABLE, timestamp=timestamp)


def objective_reported(observations: Sequence[Observation], objective: str) -> bool:
    """Whether any row is of the objective metric (Katib's test before `unavailable`).

    An `unavailable` row counts too, so a second end-of-trial check adds no second one;
    whether the trial has a real value is `value != UNAVAILABLE`.
    """
    return any(o.metric == objective for o in observations)
