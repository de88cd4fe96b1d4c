"""KFP records in memory, for tests: one lock makes every call a transaction.

Records are copied through JSON on the way in and out, as a database would, so a
caller can neither alter a stored record nor store what JSON cannot hold.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from typing import Any

import orjson

from kflow.store.kfp_records import Change, KfpRecordStore, Record, RecordExists, RecordKind


@dataclasses.dataclass
class _Row:
    seq: int
    parent: str
    unique: str | None
    doc: bytes


def _load(doc: bytes) -> Record:
    record: Record = orjson.loads(doc)
    return record


class MemoryKfpRecords(KfpRecordStore):
    """Rows in dicts keyed by (kind, id) and (kind, unique key)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._rows: dict[tuple[RecordKind, str], _Row] = {}
        self._unique: dict[tuple[RecordKind, str], str] = {}

    def insert(
        self,
        kind: RecordKind,
        record_id: str,
        record: Record,
        *,
        parent: str = "",
        unique: str | None = None,
    ) -> None:
        doc = orjson.dumps(record)
        with self._lock:
            if (kind, record_id) in self._rows:
                raise RecordExists(kind, record_id)
            if unique is not None and (kind, unique) in self._unique:
                raise RecordExists(kind, unique)
            self._rows[(kind, record_id)] = _Row(next(self._seq), parent, unique, doc)
            if unique is not None:
                self._unique[(kind, unique)] = record_id

    def get(self, kind: RecordKind, record_id: str) -> Record | None:
        with self._lock:
            row = self._rows.get((kind, record_id))
        return _load(row.doc) if row else None

    def find(self, kind: RecordKind, unique: str) -> Record | None:
        with self._lock:
            record_id = self._unique.get((kind, unique))
            row = self._rows.get((kind, record_id)) if record_id is not None else None
        return _load(row.doc) if row else None

    def list(self, kind: RecordKind, *, parent: str | None = None) -> list[Record]:
        with self._lock:
            rows = sorted(
                (
                    row
                    for (k, _), row in self._rows.items()
                    if k == kind and (parent is None or row.parent == parent)
                ),
                key=lambda row: row.seq,
            )
        return [_load(row.doc) for row in rows]

    def update(self, kind: RecordKind, record_id: str, change: Change) -> Record | None:
        with self._lock:
            row = self._rows.get((kind, record_id))
            if row is None:
                return None
            new: Any = change(_load(row.doc))
            if new is not None:
                row.doc = orjson.dumps(new)
            return _load(row.doc)

    def delete(self, kind: RecordKind, record_id: str) -> bool:
        with self._lock:
            row = self._rows.pop((kind, record_id), None)
            if row is not None and row.unique is not None:
                self._unique.pop((kind, row.unique), None)
            return row is not None
