"""One conformance suite for every observation log adapter, plus what only SQLite promises:
rows survive a reopen, two processes append to one file, and the object store's file
can hold the log's tables too."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kflow.api.katib.observations import Observation
from kflow.store.memory_observations import MemoryObservationLog
from kflow.store.observations import ObservationLog, timestamp_key
from kflow.store.sqlite import SQLiteStore
from kflow.store.sqlite_observations import SQLiteObservationLog

REPO = Path(__file__).resolve().parents[2]


def obs(
    metric: str, value: str, second: int, step: int | None = None, frac: str = ""
) -> Observation:
    stamp = f"2026-11-25T10:00:{second:02d}{'.' + frac if frac else ''}Z"
    return Observation(metric, value, stamp, step)


class ObservationLogConformance:
    """Subclasses provide `make_log(tmp_path)`."""

    def make_log(self, tmp_path: Path) -> ObservationLog:
        raise NotImplementedError

    @pytest.fixture
    def log(self, tmp_path: Path) -> Iterator[ObservationLog]:
        log = self.make_log(tmp_path)
        yield log
        log.close()

    def test_rows_come_back_in_insertion_order(self, log: ObservationLog) -> None:
        rows = [obs("loss", "0.9", 5, 0), obs("accuracy", "0.5", 1), obs("loss", "0.4", 3, 1)]
        log.append("ns", "t1", rows[:2])
        log.append("ns", "t1", rows[2:])
        assert log.read("ns", "t1") == rows
        assert log.read("ns", "t1", metric="loss") == [rows[0], rows[2]]
        assert log.read("other", "t1") == []
        assert log.read("ns", "t2") == []

    def test_time_filters_are_inclusive_instants(self, log: ObservationLog) -> None:
        # "10:00:02Z" sorts after "10:00:02.5Z" as text; as instants it comes first
        rows = [obs("m", "a", 2), obs("m", "b", 2, frac="5"), obs("m", "c", 3), obs("m", "d", 4)]
        log.append("ns", "t", rows)
        assert log.read("ns", "t", start_time="2026-11-25T10:00:02.1Z") == rows[1:]
        assert log.read("ns", "t", end_time="2026-11-25T10:00:03Z") == rows[:3]
        assert (
            log.read(
                "ns", "t", start_time="2026-11-25T10:00:02.5Z", end_time="2026-11-25T10:00:03Z"
            )
            == rows[1:3]
        )

    def test_cursor_moves_with_the_rows(self, log: ObservationLog) -> None:
        assert log.cursor("ns", "t", "stdout") is None
        log.append("ns", "t", [obs("loss", "1", 1)], source="stdout", cursor="10")
        log.append("ns", "t", [], source="tfevent", cursor='{"files": {}}')
        log.append("ns", "t", [obs("loss", "2", 2)], source="stdout", cursor="20")
        assert log.cursor("ns", "t", "stdout") == "20"
        assert log.cursor("ns", "t", "tfevent") == '{"files": {}}'
        assert log.cursor("ns", "other", "stdout") is None
        assert [o.value for o in log.read("ns", "t")] == ["1", "2"]

    def test_a_bad_row_writes_nothing(self, log: ObservationLog) -> None:
        log.append("ns", "t", [obs("loss", "1", 1)], source="s", cursor="1")
        bad = Observation("loss", "2", "2026-11-25T12:00:00+02:00")
        with pytest.raises(ValueError, match="must be RFC 3339 in UTC"):
            log.append("ns", "t", [obs("loss", "3", 3), bad], source="s", cursor="2")
        assert [o.value for o in log.read("ns", "t")] == ["1"]
        assert log.cursor("ns", "t", "s") == "1"
        with pytest.raises(ValueError, match="needs the source"):
            log.append("ns", "t", [], cursor="3")

    def test_trials_are_found_by_name_across_namespaces(self, log: ObservationLog) -> None:
        log.append("b", "trial", [])
        log.append("a", "trial", [obs("m", "1", 1)])
        log.append("a", "trial-2", [])
        assert log.trials_named("trial") == ["a", "b"]
        assert log.trials_named("nope") == []

    def test_delete_forgets_rows_cursors_and_the_trial(self, log: ObservationLog) -> None:
        log.append("ns", "t", [obs("m", "1", 1)], source="s", cursor="5")
        log.append("ns", "keep", [obs("m", "2", 1)])
        log.delete("ns", "t")
        log.delete("ns", "never-existed")
        assert log.read("ns", "t") == []
        assert log.cursor("ns", "t", "s") is None
        assert log.trials_named("t") == []
        assert [o.value for o in log.read("ns", "keep")] == ["2"]

    def test_concurrent_appends_from_two_threads(self, log: ObservationLog) -> None:
        per_thread = 200

        def writer(name: str) -> None:
            for i in range(per_thread):
                log.append("ns", "t", [obs(name, str(i), i % 60)], source=name, cursor=str(i + 1))

        threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name in ("a", "b"):
            values = [o.value for o in log.read("ns", "t", metric=name)]
            assert values == [str(i) for i in range(per_thread)]
            assert log.cursor("ns", "t", name) == str(per_thread)


class TestMemoryObservationLog(ObservationLogConformance):
    def make_log(self, tmp_path: Path) -> ObservationLog:
        return MemoryObservationLog()


class TestSQLiteObservationLog(ObservationLogConformance):
    def make_log(self, tmp_path: Path) -> ObservationLog:
        return SQLiteObservationLog(tmp_path / "kflow.db")

    def test_rows_and_cursors_survive_a_reopen(self, tmp_path: Path) -> None:
        path = tmp_path / "kflow.db"
        first = SQLiteObservationLog(path)
        first.append("ns", "t", [obs("loss", "0.5", 1, 3)], source="stdout", cursor="42")
        first.close()
        with pytest.raises(RuntimeError, match="closed"):
            first.read("ns", "t")
        second = SQLiteObservationLog(path)
        try:
            assert second.read("ns", "t") == [obs("loss", "0.5", 1, 3)]
            assert second.cursor("ns", "t", "stdout") == "42"
            assert second.trials_named("t") == ["ns"]
        finally:
            second.close()

    def test_shares_the_object_store_file(self, tmp_path: Path) -> None:
        path = tmp_path / "kflow.db"
        store = SQLiteStore(path)
        log = SQLiteObservationLog(path)
        try:
            store.create("namespaces", {"metadata": {"name": "ns"}})
            log.append("ns", "t", [obs("m", "1", 1)])
            assert store.get("namespaces", "", "ns")["metadata"]["name"] == "ns"
            assert [o.value for o in log.read("ns", "t")] == ["1"]
        finally:
            log.close()
            store.close()

    def test_two_processes_append_to_one_file(self, tmp_path: Path) -> None:
        path = tmp_path / "kflow.db"
        SQLiteObservationLog(path).close()  # create the tables before the race
        script = textwrap.dedent(
            """
            import sys
            from kflow.api.katib.observations import Observation
            from kflow.store.sqlite_observations import SQLiteObservationLog

            log = SQLiteObservationLog(sys.argv[1])
            name = sys.argv[2]
            for i in range(100):
                row = Observation(name, str(i), "2026-11-25T10:00:00Z")
                log.append("ns", "t", [row], source=name, cursor=str(i + 1))
            log.close()
            """
        )
        procs = [
            subprocess.Popen([sys.executable, "-c", script, str(path), name], cwd=REPO)
            for name in ("a", "b")
        ]
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
        log = SQLiteObservationLog(path)
        try:
            for name in ("a", "b"):
                assert [o.value for o in log.read("ns", "t", metric=name)] == [
                    str(i) for i in range(100)
                ]
                assert log.cursor("ns", "t", name) == "100"
        finally:
            log.close()


def test_timestamp_key_orders_instants() -> None:
    assert timestamp_key("2026-11-25T10:00:02Z") < timestamp_key("2026-11-25T10:00:02.5Z")
    assert timestamp_key("0001-01-01T00:00:00Z") < timestamp_key("2026-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="RFC 3339 in UTC"):
        timestamp_key("yesterday")
