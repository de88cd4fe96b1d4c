"""The in-memory observation log, for tests and demos: nothing survives the process.

One lock serialises appends, so rows and cursor change together as in the SQLite
adapter; reads return new lists of frozen rows, which callers cannot alter.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from kflow.api.katib.observations import Observation
from kflow.store.observations import ObservationLog, check_append, timestamp_key


class MemoryObservationLog(ObservationLog):
    """Rows and cursors in dicts keyed by (namespace, trial)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: dict[tuple[str, str], list[tuple[str, Observation]]] = {}
        self._cursors: dict[tuple[str, str], dict[str, str]] = {}

    def append(
        self,
        namespace: str,
        trial: str,
        observations: Sequence[Observation],
        *,
        source: str | None = None,
        cursor: str | None = None,
    ) -> None:
        keys = check_append(observations, source, cursor)
        with self._lock:
            rows = self._rows.setdefault((namespace, trial), [])
            rows.extend(zip(keys, observations, strict=True))
            if source is not None and cursor is not None:
                self._cursors.setdefault((namespace, trial), {})[source] = cursor

    def cursor(self, namespace: str, trial: str, source: str) -> str | None:
        with self._lock:
            return self._cursors.get((namespace, trial), {}).get(source)

    def read(
        self,
        namespace: str,
        trial: str,
        *,
        metric: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> list[Observation]:
        start = timestamp_key(start_time) if start_time else None
        end = timestamp_key(end_time) if end_time else None
        with self._lock:
            rows = list(self._rows.get((namespace, trial), ()))
        return [
            row
            for key, row in rows
            if (metric is None or row.metric == metric)
            and (start is None or key >= start)
            and (end is None or key <= end)
        ]

    def trials_named(self, name: str) -> list[str]:
        with self._lock:
            return sorted(ns for ns, trial in self._rows if trial == name)

    def delete(self, namespace: str, trial: str) -> None:
        with self._lock:
            self._rows.pop((namespace, trial), None)
            self._cursors.pop((namespace, trial), None)
