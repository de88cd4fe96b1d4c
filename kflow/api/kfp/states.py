"""KFP's enums, spelled as the v2beta1 API writes them, and how Argo phases map to them.

A run's `state` comes from its Argo Workflow: `ARGO_PHASES` is the one table from a
workflow's (or a node's) `phase` to KFP's `RuntimeState`, the same mapping KFP's
persistence agent applies (`Error` is a failure; a node Argo omitted never ran, so
it reads as skipped). A run whose termination was asked for is `CANCELING` until
its workflow stops, then `CANCELED`.
"""

from __future__ import annotations

import enum


class RuntimeState(str, enum.Enum):
    """Where a run or a task is in its life."""

    UNSPECIFIED = "RUNTIME_STATE_UNSPECIFIED"  # no state recorded
    PENDING = "PENDING"  # created, not started
    RUNNING = "RUNNING"  # started, not finished
    SUCCEEDED = "SUCCEEDED"  # finished well
    SKIPPED = "SKIPPED"  # did not run (a condition was false)
    FAILED = "FAILED"  # finished badly
    CANCELING = "CANCELING"  # termination asked for, the workflow still stopping
    CANCELED = "CANCELED"  # terminated
    PAUSED = "PAUSED"  # suspended


FINAL_STATES = frozenset(
    {RuntimeState.SUCCEEDED, RuntimeState.SKIPPED, RuntimeState.FAILED, RuntimeState.CANCELED}
)
"""States a run or task never leaves on its own (a retry starts it again)."""

ACTIVE_STATES = frozenset(
    {RuntimeState.PENDING, RuntimeState.RUNNING, RuntimeState.CANCELING, RuntimeState.PAUSED}
)
"""States that count against a recurring run's `max_concurrency`."""

ARGO_PHASES: dict[str, RuntimeState] = {
    "": RuntimeState.PENDING,  # the controller has not looked at the workflow yet
    "Pending": RuntimeState.PENDING,
    "Running": RuntimeState.RUNNING,
    "Succeeded": RuntimeState.SUCCEEDED,
    "Failed": RuntimeState.FAILED,
    "Error": RuntimeState.FAILED,
    "Skipped": RuntimeState.SKIPPED,
    "Omitted": RuntimeState.SKIPPED,
}


def from_argo_phase(phase: str | None) -> RuntimeState:
    """The KFP state of an Argo workflow or node phase (unknown phases: unspecified)."""
    return ARGO_PHASES.get(phase or "", RuntimeState.UNSPECIFIED)


class StorageState(str, enum.Enum):
    """Whether an experiment or run is in the main lists or archived."""

    UNSPECIFIED = "STORAGE_STATE_UNSPECIFIED"
    AVAILABLE = "AVAILABLE"
    ARCHIVED = "ARCHIVED"


class RecurringRunMode(str, enum.Enum):
    """What a client asks of a recurring run."""

    UNSPECIFIED = "MODE_UNSPECIFIED"
    ENABLE = "ENABLE"
    DISABLE = "DISABLE"


class RecurringRunStatus(str, enum.Enum):
    """What a recurring run is doing."""

    UNSPECIFIED = "STATUS_UNSPECIFIED"
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
