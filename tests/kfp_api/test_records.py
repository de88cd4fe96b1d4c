"""One conformance suite for every KFP record store adapter, plus what only SQLite
promises: records survive a reopen and share the object store's database file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kflow.store.kfp_records import KfpRecordStore, Record, RecordExists, RecordKind
from kflow.store.memory_kfp_records import MemoryKfpRecords
from kflow.store.sqlite import SQLiteStore
from kflow.store.sqlite_kfp_records import SQLiteKfpRecords

RUN = RecordKind.RUN
EXP = RecordKind.EXPERIMENT


class KfpRecordsConformance:
    """Subclasses provide `make_store(tmp_path)`."""

    def make_store(self, tmp_path: Path) -> KfpRecordStore:
        raise NotImplementedError

    @pytest.fixture
    def records(self, tmp_path: Path) -> Iterator[KfpRecordStore]:
        store = self.make_store(tmp_path)
        yield store
        store.close()

    def test_insert_get_list_in_insertion_order(self, records: KfpRecordStore) -> None:
        records.insert(RUN, "b", {"run_id": "b", "n": 1}, parent="e1")
        records.insert(RUN, "a", {"run_id": "a", "n": 2}, parent="e2")
        records.insert(RUN, "c", {"run_id": "c", "nested": {"x": [1, "y"]}}, parent="e1")
        records.insert(EXP, "a", {"experiment_id": "a"})
        assert records.get(RUN, "a") == {"run_id": "a", "n": 2}
        assert records.get(RUN, "zzz") is None
        assert [r["run_id"] for r in records.list(RUN)] == ["b", "a", "c"]
        assert [r["run_id"] for r in records.list(RUN, parent="e1")] == ["b", "c"]
        assert records.list(RUN, parent="none") == []
        assert records.list(EXP) == [{"experiment_id": "a"}]

    def test_ids_and_unique_keys_are_enforced_per_kind(self, records: KfpRecordStore) -> None:
        records.insert(EXP, "1", {"name": "x"}, unique="/x")
        with pytest.raises(RecordExists):
            records.insert(EXP, "1", {"name": "y"}, unique="/y")
        with pytest.raises(RecordExists) as info:
            records.insert(EXP, "2", {"name": "x"}, unique="/x")
        assert info.value.key == "/x"
        records.insert(RecordKind.PIPELINE, "1", {}, unique="/x")  # another kind: no clash
        records.insert(EXP, "3", {}, unique=None)
        records.insert(EXP, "4", {}, unique=None)  # no key: never clashes
        assert records.find(EXP, "/x") == {"name": "x"}
        assert records.find(EXP, "/nope") is None
        assert records.delete(EXP, "1")
        assert not records.delete(EXP, "1")
        records.insert(EXP, "5", {"name": "x again"}, unique="/x")  # the key is free again
        assert records.find(EXP, "/x") == {"name": "x again"}

    def test_update_is_read_modify_write(self, records: KfpRecordStore) -> None:
        records.insert(RUN, "r", {"count": 0})

        def bump(record: Record) -> Record:
            record["count"] += 1
            return record

        assert records.update(RUN, "r", bump) == {"count": 1}
        assert records.update(RUN, "r", lambda r: None) == {"count": 1}  # no change
        assert records.update(RUN, "missing", bump) is None
        threads = [threading.Thread(target=records.update, args=(RUN, "r", bump)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert records.get(RUN, "r") == {"count": 9}

    def test_callers_cannot_alter_stored_records(self, records: KfpRecordStore) -> None:
        original = {"tags": ["a"]}
        records.insert(RUN, "r", original)
        original["tags"].append("b")
        fetched = records.get(RUN, "r")
        assert fetched == {"tags": ["a"]}
        assert fetched is not None
        fetched["tags"].append("c")
        assert records.get(RUN, "r") == {"tags": ["a"]}


class TestMemory(KfpRecordsConformance):
    def make_store(self, tmp_path: Path) -> KfpRecordStore:
        return MemoryKfpRecords()


class TestSQLite(KfpRecordsConformance):
    def make_store(self, tmp_path: Path) -> KfpRecordStore:
        return SQLiteKfpRecords(tmp_path / "kflow.db")


def test_sqlite_records_survive_a_reopen_beside_the_object_store(tmp_path: Path) -> None:
    path = tmp_path / "kflow.db"
    objects = SQLiteStore(path)
    records = SQLiteKfpRecords(path)
    records.insert(RecordKind.PIPELINE, "p", {"name": "p"}, unique="/p")
    records.insert(RUN, "r1", {"run_id": "r1"}, parent="e")
    records.close()
    objects.close()
    reopened = SQLiteKfpRecords(path)
    try:
        assert reopened.find(RecordKind.PIPELINE, "/p") == {"name": "p"}
        reopened.insert(RUN, "r2", {"run_id": "r2"}, parent="e")
        assert [r["run_id"] for r in reopened.list(RUN, parent="e")] == ["r1", "r2"]
        with pytest.raises(RecordExists):
            reopened.insert(RecordKind.PIPELINE, "q", {}, unique="/p")
    finally:
        reopened.close()
