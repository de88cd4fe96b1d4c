"""What a search algorithm is told about past trials, and what it hands back.

The experiment controllers build a `TrialRecord` per trial from the store (the
Trial's assignments and conditions, its observation log, and the `attrs` the
algorithm asked to keep when it proposed the trial) and persist every `Assignment`
before its Trial exists, so a restart neither loses nor repeats a suggestion.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class TrialState(enum.Enum):
    """Where a trial stands, as the search algorithms need to know it."""

    RUNNING = "Running"
    """Proposed and not finished (created, pending or running)."""
    SUCCEEDED = "Succeeded"
    """Finished with its objective metric observed."""
    FAILED = "Failed"
    """Its workload failed (or it was killed)."""
    EARLY_STOPPED = "EarlyStopped"
    """Stopped by early stopping; its intermediate values say how far it got."""
    METRICS_UNAVAILABLE = "MetricsUnavailable"
    """Its workload succeeded but never reported the objective metric."""


@dataclass(frozen=True)
class TrialRecord:
    """One past or running trial, as a search algorithm sees it."""

    name: str
    parameters: dict[str, str]
    """Katib's parameter assignments: name -> value as a string (`"0.01"`, `"adam"`)."""
    state: TrialState
    metrics: dict[str, float] = field(default_factory=dict)
    """Final value of each metric after its `metricStrategies` (min/max/latest)."""
    intermediate: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    """Each metric's observations in order, as (step, value); step is the report's
    own step (TFEvent, JSON `step`/`epoch`) or its 0-based ordinal."""
    attrs: dict[str, Any] = field(default_factory=dict)
    """What the algorithm asked to keep when it proposed this trial (JSON-safe)."""
    labels: dict[str, str] = field(default_factory=dict)
    """The labels the algorithm put on this trial (`Assignment.labels`)."""


@dataclass(frozen=True)
class Assignment:
    """One new trial proposed by an algorithm."""

    parameters: dict[str, str]
    """Name -> value as Katib writes it (a string) for `parameterAssignments`."""
    attrs: dict[str, Any] = field(default_factory=dict)
    """JSON-safe state to hand back in this trial's `TrialRecord.attrs`."""
    labels: dict[str, str] = field(default_factory=dict)
    """Labels for the Trial (PBT's generation and parent, hyperband's bracket...)."""


@dataclass(frozen=True)
class Suggested:
    """The answer to one request for new trials."""

    assignments: list[Assignment]
    exhausted: bool = False
    """True when the search space or the algorithm's schedule has nothing more to give
    (grid done, hyperband finished): the experiment ends as SuggestionEndReached."""
