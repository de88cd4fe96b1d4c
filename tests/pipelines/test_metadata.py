"""One conformance suite for the pipeline metadata adapters (memory and SQLite)."""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kflow.pipelines.memory_metadata import MemoryPipelineMetadata
from kflow.pipelines.metadata import Execution, ExecutionState, PipelineMetadata
from kflow.pipelines.sqlite_metadata import SQLitePipelineMetadata


def ref(digest: str) -> dict[str, str]:
    return {"uri": f"/store/{digest}", "digest": digest}


def execution(id_: str, created: float, **fields: object) -> Execution:
    base: dict[str, object] = {
        "id": id_,
        "run": "run-uid",
        "run_name": "run",
        "pipeline": "p",
        "task": "train",
        "state": ExecutionState.SUCCEEDED,
        "created": created,
        "cache_key": "k",
    }
    base.update(fields)
    return Execution(**base)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "sqlite"])
def meta(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PipelineMetadata]:
    adapter: PipelineMetadata = (
        MemoryPipelineMetadata()
        if request.param == "memory"
        else SQLitePipelineMetadata(tmp_path / "kflow.db")
    )
    yield adapter
    adapter.close()


def test_executions_come_back_by_id_and_run_in_order(meta: PipelineMetadata) -> None:
    a = execution("a", 1.0, inputs={"parameters": {"lr": 0.1}, "artifacts": {}})
    b = execution("b", 2.0, task="eval", outputs={"parameters": {"acc": 0.9}})
    meta.record(a)
    meta.record(b)
    meta.record(execution("c", 3.0, run="other"))
    assert meta.get("a") == a
    assert meta.get("missing") is None
    assert [e.id for e in meta.run_executions("run-uid")] == ["a", "b"]
    assert meta.get("b") == b
    with pytest.raises(ValueError, match="already recorded"):
        meta.record(a)


def test_the_cache_returns_the_newest_success_within_the_bound(meta: PipelineMetadata) -> None:
    meta.record(execution("old", 10.0))
    meta.record(execution("new", 20.0))
    meta.record(execution("failed", 30.0, state=ExecutionState.FAILED))
    meta.record(execution("reused", 40.0, state=ExecutionState.CACHED, cached_from="new"))
    meta.record(execution("other-key", 50.0, cache_key="k2"))
    hit = meta.cached("k")
    assert hit is not None and hit.id == "new"
    assert meta.cached("k", since=15.0) is not None
    assert meta.cached("k", since=25.0) is None
    assert meta.cached("nothing") is None


def test_lineage_links_artifacts_to_their_producers_and_consumers(meta: PipelineMetadata) -> None:
    made = execution("make", 1.0, outputs={"artifacts": {"data": ref("sha256:d")}})
    used = execution(
        "train",
        2.0,
        inputs={"artifacts": {"data": [ref("sha256:d")]}},
        outputs={"artifacts": {"model": ref("sha256:m")}},
    )
    again = execution("again", 3.0, state=ExecutionState.CACHED, outputs=made.outputs)
    broken = execution(
        "broken", 4.0, state=ExecutionState.FAILED, outputs={"artifacts": {"x": ref("sha256:d")}}
    )
    for e in (made, used, again, broken):
        meta.record(e)
    assert [e.id for e in meta.producers("sha256:d")] == ["make", "again"]
    assert [e.id for e in meta.consumers("sha256:d")] == ["train"]
    (producer,) = meta.producers("sha256:m")
    assert producer.input_artifacts()["data"][0]["digest"] == "sha256:d"
    assert meta.producers("sha256:none") == []


def _record_many(path: str, prefix: str) -> None:
    meta = SQLitePipelineMetadata(path)
    for i in range(20):
        meta.record(execution(f"{prefix}{i}", float(i)))
    meta.close()


def test_sqlite_takes_writes_from_several_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "kflow.db")
    SQLitePipelineMetadata(path).close()
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_record_many, args=(path, p)) for p in "xyz"]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    meta = SQLitePipelineMetadata(path)
    assert len(meta.run_executions("run-uid")) == 60
    meta.close()


def test_sqlite_opens_an_existing_database_while_another_process_writes(tmp_path: Path) -> None:
    """Every task opens the database: when the tables exist that takes no write lock."""
    path = str(tmp_path / "kflow.db")
    SQLitePipelineMetadata(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # kflow's store in the middle of a write
    try:
        meta = SQLitePipelineMetadata(path, busy_timeout=0.05)
        assert meta.run_executions("run-uid") == []
        meta.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
