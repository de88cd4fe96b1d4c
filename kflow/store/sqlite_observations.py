"""The SQLite observation log: its own tables, possibly in the object store's file.

Three tables, prefixed so they sit beside `SQLiteStore`'s in one kflow database:

- `observation_rows(seq, namespace, trial, metric, value, timestamp, time_key, step)`,
  `seq` an AUTOINCREMENT key, so insertion order survives deletes and restarts;
  indexed by (namespace, trial, seq);
- `observation_trials(trial, namespace)`: the trials the log knows, keyed by name
  first, so Katib's name-only lookups are an index range;
- `observation_cursors(namespace, trial, source, cursor)`.

An append is one `BEGIN IMMEDIATE` transaction (rows, trial, cursor), so a process
killed mid-append leaves all of it or none. The file is opened as the object store
opens it: WAL (readers never wait for a writer), `synchronous=NORMAL` (a killed
process loses nothing committed) and a busy timeout, so several processes may append
to one file. Within a process one connection serves every call, behind a lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

from kflow.api.katib.observations import Observation
from kflow.store._sqlite_file import LockedConnection
from kflow.store.observations import ObservationLog, check_append, timestamp_key

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS observation_rows (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        namespace TEXT NOT NULL,
        trial TEXT NOT NULL,
        metric TEXT NOT NULL,
        value TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        time_key TEXT NOT NULL,
        step INTEGER
    )""",
    "CREATE INDEX IF NOT EXISTS observation_rows_by_trial "
    "ON observation_rows (namespace, trial, seq)",
    """CREATE TABLE IF NOT EXISTS observation_trials (
        trial TEXT NOT NULL,
        namespace TEXT NOT NULL,
        PRIMARY KEY (trial, namespace)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS observation_cursors (
        namespace TEXT NOT NULL,
        trial TEXT NOT NULL,
        source TEXT NOT NULL,
        cursor TEXT NOT NULL,
        PRIMARY KEY (namespace, trial, source)
    ) WITHOUT ROWID""",
)


class SQLiteObservationLog(ObservationLog):
    """Observation rows in a SQLite file (WAL mode); safe across threads and processes."""

    def __init__(self, path: str | PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._file = LockedConnection(
            self.path, busy_timeout=busy_timeout, schema=_SCHEMA, what="the observation log"
        )

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
        with self._file.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO observation_trials VALUES (?, ?)", (trial, namespace)
            )
            conn.executemany(
                "INSERT INTO observation_rows "
                "(namespace, trial, metric, value, timestamp, time_key, step) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (namespace, trial, o.metric, o.value, o.timestamp, key, o.step)
                    for o, key in zip(observations, keys, strict=True)
                ],
            )
            if source is not None and cursor is not None:
                conn.execute(
                    "INSERT INTO observation_cursors VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (namespace, trial, source) DO UPDATE SET cursor = excluded.cursor",
                    (namespace, trial, source, cursor),
                )

    def cursor(self, namespace: str, trial: str, source: str) -> str | None:
        with self._file.read() as conn:
            row = conn.execute(
                "SELECT cursor FROM observation_cursors "
                "WHERE namespace = ? AND trial = ? AND source = ?",
                (namespace, trial, source),
            ).fetchone()
        return str(row[0]) if row is not None else None

    def read(
        self,
        namespace: str,
        trial: str,
        *,
        metric: str | None = None,
        start_time: str | None = None,
        end_time: str | None = None,
    ) -> list[Observation]:
        query = (
            "SELECT metric, value, timestamp, step FROM observation_rows "
            "WHERE namespace = ? AND trial = ?"
        )
        params: list[str] = [namespace, trial]
        if metric is not None:
            query += " AND metric = ?"
            params.append(metric)
        if start_time:
            query += " AND time_key >= ?"
            params.append(timestamp_key(start_time))
        if end_time:
            query += " AND time_key <= ?"
            params.append(timestamp_key(end_time))
        with self._file.read() as conn:
            rows = conn.execute(query + " ORDER BY seq", params).fetchall()
        return [Observation(m, v, t, s) for m, v, t, s in rows]

    def trials_named(self, name: str) -> list[str]:
        with self._file.read() as conn:
            rows = conn.execute(
                "SELECT namespace FROM observation_trials WHERE trial = ? ORDER BY namespace",
                (name,),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def delete(self, namespace: str, trial: str) -> None:
        key = (namespace, trial)
        with self._file.write() as conn:
            conn.execute("DELETE FROM observation_rows WHERE namespace = ? AND trial = ?", key)
            conn.execute("DELETE FROM observation_cursors WHERE namespace = ? AND trial = ?", key)
            conn.execute("DELETE FROM observation_trials WHERE namespace = ? AND trial = ?", key)

    def close(self) -> None:
        self._file.close()
