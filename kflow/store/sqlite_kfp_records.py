"""KFP records in SQLite: one table, possibly in the object store's own file.

`kfp_records(kind, id, parent, unique_key, seq, doc)`: the record as JSON text, its
primary key (kind, id), a UNIQUE (kind, unique_key) the database enforces (NULLs
never clash), an index on (kind, parent) for a pipeline's versions or an
experiment's runs, and `seq` from a counter row for insertion order. Opened like the
object store (WAL, `synchronous=NORMAL`, a busy timeout), so `kflow up` and its
tools can share the file; `update` runs inside `BEGIN IMMEDIATE`, so a concurrent
writer waits instead of being overwritten.
"""

from __future__ import annotations

import sqlite3
from os import PathLike

import orjson

from kflow.store._sqlite_file import LockedConnection
from kflow.store.kfp_records import Change, KfpRecordStore, Record, RecordExists, RecordKind

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS kfp_records (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        parent TEXT NOT NULL DEFAULT '',
        unique_key TEXT,
        seq INTEGER NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (kind, id),
        UNIQUE (kind, unique_key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS kfp_records_by_parent ON kfp_records (kind, parent, seq)",
    "CREATE INDEX IF NOT EXISTS kfp_records_by_seq ON kfp_records (kind, seq)",
    "CREATE TABLE IF NOT EXISTS kfp_record_seq (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER)",
    "INSERT OR IGNORE INTO kfp_record_seq VALUES (1, 0)",
)


def _load(doc: str) -> Record:
    record: Record = orjson.loads(doc)
    return record


class SQLiteKfpRecords(KfpRecordStore):
    """KFP records in a SQLite file (WAL mode); safe across threads and processes."""

    def __init__(self, path: str | PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self._file = LockedConnection(
            self.path, busy_timeout=busy_timeout, schema=_SCHEMA, what="the KFP record store"
        )

    def insert(
        self,
        kind: RecordKind,
        record_id: str,
        record: Record,
        *,
        parent: str = "",
        unique: str | None = None,
    ) -> None:
        doc = orjson.dumps(record).decode()
        with self._file.write() as conn:
            (seq,) = conn.execute(
                "UPDATE kfp_record_seq SET seq = seq + 1 WHERE id = 1 RETURNING seq"
            ).fetchone()
            try:
                conn.execute(
                    "INSERT INTO kfp_records (kind, id, parent, unique_key, seq, doc) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (kind.value, record_id, parent, unique, seq, doc),
                )
            except sqlite3.IntegrityError:
                taken = conn.execute(
                    "SELECT 1 FROM kfp_records WHERE kind = ? AND id = ?", (kind.value, record_id)
                ).fetchone()
                raise RecordExists(kind, record_id if taken else str(unique)) from None

    def _read_one(self, query: str, params: tuple[str, ...]) -> Record | None:
        with self._file.read() as conn:
            row = conn.execute(query, params).fetchone()
        return _load(row[0]) if row else None

    def get(self, kind: RecordKind, record_id: str) -> Record | None:
        return self._read_one(
            "SELECT doc FROM kfp_records WHERE kind = ? AND id = ?", (kind.value, record_id)
        )

    def find(self, kind: RecordKind, unique: str) -> Record | None:
        return self._read_one(
            "SELECT doc FROM kfp_records WHERE kind = ? AND unique_key = ?", (kind.value, unique)
        )

    def list(self, kind: RecordKind, *, parent: str | None = None) -> list[Record]:
        query = "SELECT doc FROM kfp_records WHERE kind = ?"
        params: tuple[str, ...] = (kind.value,)
        if parent is not None:
            query += " AND parent = ?"
            params += (parent,)
        with self._file.read() as conn:
            rows = conn.execute(query + " ORDER BY seq", params).fetchall()
        return [_load(row[0]) for row in rows]

    def update(self, kind: RecordKind, record_id: str, change: Change) -> Record | None:
        with self._file.write() as conn:
            row = conn.execute(
                "SELECT doc FROM kfp_records WHERE kind = ? AND id = ?", (kind.value, record_id)
            ).fetchone()
            if row is None:
                return None
            new = change(_load(row[0]))
            if new is None:
                return _load(row[0])
            doc = orjson.dumps(new).decode()
            conn.execute(
                "UPDATE kfp_records SET doc = ? WHERE kind = ? AND id = ?",
                (doc, kind.value, record_id),
            )
            return _load(doc)

    def delete(self, kind: RecordKind, record_id: str) -> bool:
        with self._file.write() as conn:
            cursor = conn.execute(
                "DELETE FROM kfp_records WHERE kind = ? AND id = ?", (kind.value, record_id)
            )
            return cursor.rowcount > 0

    def close(self) -> None:
        self._file.close()
