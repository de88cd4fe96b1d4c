"""One observed metric value: a row of a trial's observation log (Katib's `MetricLog`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Observation:
    """A metric value a trial reported, when, and at which step."""

    metric: str
    value: str
    """As reported (Katib keeps strings; `"unavailable"` marks a missing metric)."""
    timestamp: str
    """RFC 3339, UTC (`2026-11-25T10:00:00Z`, fractional seconds allowed)."""
    step: int | None = None
    """The report's own step (TFEvent, JSON `step`/`epoch`), or None: then the
    observation's ordinal among this metric's observations is its step."""
