"""The observation log: every metric value each trial reported, and where its reader is.

Katib keeps observations in its own database behind the DB manager, apart from the
Kubernetes objects; kflow does the same, so a trial's thousands of metric rows never
bloat its object or its watch events. One `ObservationLog` is shared by the trial
controller (which appends what the metrics parsers read), the DB manager gRPC API
(`report_metrics` pushes, `get_trial_metrics` reads) and the REST view.

Exactly once: a reader of a growing source (a log file, a tfevent directory) passes
its new position with the rows it read, `append(..., source="stdout", cursor="1234")`;
rows and cursor commit together, so after a crash the reader resumes from the last
committed cursor and neither loses nor repeats a row.

Trials are named by (namespace, name); Katib's gRPC API names them by name only, so
`trials_named` finds the namespaces. A trial is known to the log from its first
`append`, even an empty one, until `delete`.

Timestamps must be RFC 3339 in UTC (`...Z`, as `kflow.tuning.metrics.timestamps`
normalises them); `timestamp_key` makes them comparable for the time filters.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Sequence

from kflow.api.katib.observations import Observation

_UTC = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z")


def timestamp_key(timestamp: str) -> str:
    """A string that sorts as the instant does: the fraction padded to nanoseconds."""
    match = _UTC.fullmatch(timestamp)
    if match is None:
        raise ValueError(
            f'observation timestamp "{timestamp}" must be RFC 3339 in UTC, '
            'like "2026-11-25T10:00:00Z" or "2026-11-25T10:00:00.25Z"'
        )
    return f"{match.group(1)}.{(match.group(2) or '').ljust(9, '0')}"


def check_append(
    observations: Sequence[Observation], source: str | None, cursor: str | None
) -> list[str]:
    """The rows' time keys, after checking the arguments every adapter shares."""
    if cursor is not None and not source:
        raise ValueError("a cursor needs the source it belongs to")
    return [timestamp_key(o.timestamp) for o in observations]


class ObservationLog(abc.ABC):
    """Append-only metric rows per trial, plus each reader's cursor."""

    @abc.abstractmethod
    def append(
        self,
        namespace: str,
        trial: str,
        observations: Sequence[Observation],
        *,
        source: str | None = None,
        cursor: str | None = None,
    ) -> None:
        """Add rows (in order) and set `source`'s cursor, all in one transaction.

        An empty `observations` still registers the trial (and moves the cursor).
        """

    @abc.abstractmethod
    def cursor(self, namespace: str, trial: str, source: str) -> str | None:
        """Where the reader of `source` got to, or None before its first append."""

    @abc.abstractmethod
    def read(
        self,
        namespace: str,
        trial: str,
        *,
        metric: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> list[Observation]:
        """The trial's rows in insertion order; times filter inclusively (UTC RFC 3339)."""

    @abc.abstractmethod
    def trials_named(self, name: str) -> list[str]:
        """The namespaces (sorted) in which the log knows a trial called `name`."""

    @abc.abstractmethod
    def delete(self, namespace: str, trial: str) -> None:
        """Forget the trial's rows and cursors (nothing happens if it has none)."""

    def close(self) -> None:
        """Release connections."""
        return None
