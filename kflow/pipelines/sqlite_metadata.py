"""Pipeline metadata in SQLite: its own tables in the kflow database file.

- `pipeline_executions(id, run, run_name, pipeline, task, state, created, cache_key,
  cached_from, inputs, outputs, namespace)`, inputs/outputs as JSON (`namespace` added
  to older databases when opened); indexed by run and by
  (cache_key, state, created) for the cache lookup;
- `pipeline_artifact_links(digest, execution, direction)`: one row per artifact an
  execution read (`in`) or wrote (`out`), so lineage is an index lookup.

An execution and its links commit in one `BEGIN IMMEDIATE` transaction. The file is
opened like the object store opens it (WAL, `synchronous=NORMAL`, a busy timeout),
so every task's launcher — one process each — can write to it at once; the tables
are created only when they are missing, so opening takes no write lock.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from os import PathLike
from typing import Any

from kflow.pipelines.metadata import (
    Execution,
    ExecutionState,
    PipelineMetadata,
    artifact_digests,
)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS pipeline_executions (
        id TEXT PRIMARY KEY,
        run TEXT NOT NULL,
        run_name TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        task TEXT NOT NULL,
        state TEXT NOT NULL,
        created REAL NOT NULL,
        cache_key TEXT NOT NULL,
        cached_from TEXT NOT NULL,
        inputs TEXT NOT NULL,
        outputs TEXT NOT NULL,
        namespace TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS pipeline_executions_by_run ON pipeline_executions (run, created)",
    "CREATE INDEX IF NOT EXISTS pipeline_executions_by_key "
    "ON pipeline_executions (cache_key, state, created)",
    """CREATE TABLE IF NOT EXISTS pipeline_artifact_links (
        digest TEXT NOT NULL,
        execution TEXT NOT NULL,
        direction TEXT NOT NULL,
        PRIMARY KEY (digest, direction, execution)
    ) WITHOUT ROWID""",
)
_SCHEMA_NAMES = tuple(re.findall(r"IF NOT EXISTS (\w+)", " ".join(_SCHEMA)))
_COLUMNS = (
    "id, run, run_name, pipeline, task, state, created, cache_key, cached_from, inputs, outputs,"
    " namespace"
)


def _row(row: tuple[Any, ...]) -> Execution:
    return Execution(
        id=row[0],
        run=row[1],
        run_name=row[2],
        pipeline=row[3],
        task=row[4],
        state=ExecutionState(row[5]),
        created=float(row[6]),
        cache_key=row[7],
        cached_from=row[8],
        inputs=json.loads(row[9]),
        outputs=json.loads(row[10]),
        namespace=row[11],
    )


class SQLitePipelineMetadata(PipelineMetadata):
    def __init__(self, path: str | PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            if not self._has_schema():  # read first: every task opens this database
                with self._write() as conn:
                    for statement in _SCHEMA:
                        conn.execute(statement)
            columns = {r[1] for r in self._conn.execute("PRAGMA table_info(pipeline_executions)")}
            if "namespace" not in columns:  # a database from before runs had namespaces
                with self._write() as conn:
                    conn.execute(
                        "ALTER TABLE pipeline_executions ADD COLUMN namespace TEXT NOT NULL DEFAULT ''"
                    )
        except BaseException:
            self.close()
            raise

    def _has_schema(self) -> bool:
        names = _SCHEMA_NAMES
        row = (
            self._connection()
            .execute(
                f"SELECT count(*) FROM sqlite_master WHERE name IN ({','.join('?' * len(names))})",
                names,
            )
            .fetchone()
        )
        return bool(row[0] == len(names))

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"the pipeline metadata at {self.path} is closed")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[Execution]:
        with self._lock:
            rows = self._connection().execute(sql, params).fetchall()
        return [_row(r) for r in rows]

    def record(self, execution: Execution) -> None:
        e = execution
        links = [(d, e.id, "in") for d in artifact_digests(e.inputs)]
        if e.state is not ExecutionState.FAILED:
            links += [(d, e.id, "out") for d in artifact_digests(e.outputs)]
        with self._write() as conn:
            try:
                conn.execute(
                    f"INSERT INTO pipeline_executions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        e.id,
                        e.run,
                        e.run_name,
                        e.pipeline,
                        e.task,
                        e.state.value,
                        e.created,
                        e.cache_key,
                        e.cached_from,
                        json.dumps(e.inputs, sort_keys=True),
                        json.dumps(e.outputs, sort_keys=True),
                        e.namespace,
                    ),
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"execution {e.id} is already recorded") from None
            conn.executemany("INSERT OR IGNORE INTO pipeline_artifact_links VALUES (?,?,?)", links)

    def get(self, execution_id: str) -> Execution | None:
        found = self._query(
            f"SELECT {_COLUMNS} FROM pipeline_executions WHERE id = ?", (execution_id,)
        )
        return found[0] if found else None

    def run_executions(self, run: str) -> list[Execution]:
        return self._query(
            f"SELECT {_COLUMNS} FROM pipeline_executions WHERE run = ? ORDER BY created, rowid",
            (run,),
        )

    def cached(self, cache_key: str, *, since: float | None = None) -> Execution | None:
        found = self._query(
            f"SELECT {_COLUMNS} FROM pipeline_executions "
            "WHERE cache_key = ? AND state = ? AND created >= ? ORDER BY created DESC LIMIT 1",
            (cache_key, ExecutionState.SUCCEEDED.value, since if since is not None else -1.0),
        )
        return found[0] if found else None

    def _linked(self, digest: str, direction: str) -> list[Execution]:
        return self._query(
            f"SELECT {', '.join('e.' + c.strip() for c in _COLUMNS.split(','))} "
            "FROM pipeline_artifact_links l JOIN pipeline_executions e ON e.id = l.execution "
            "WHERE l.digest = ? AND l.direction = ? ORDER BY e.created, e.rowid",
            (digest, direction),
        )

    def producers(self, digest: str) -> list[Execution]:
        return self._linked(digest, "out")

    def consumers(self, digest: str) -> list[Execution]:
        return self._linked(digest, "in")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
