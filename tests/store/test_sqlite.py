"""The conformance suite against the SQLite adapter, plus what only a file can promise:
surviving a restart, surviving SIGKILL mid-write, and watches across processes."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import orjson
import pytest

from kflow.store.interface import EventType, Store, Watch, WatchEvent
from kflow.store.sqlite import SQLiteStore

from .conformance import CM, StoreConformance, cm, rv, take

REPO = Path(__file__).resolve().parents[2]

# A writer in another process: creates, updates and deletes in a loop, printing a
# line after each step so the parent knows how far it got. With count 0 it takes one
# step per line read from stdin, so a test can interleave its writes with ours.
WRITER = textwrap.dedent(
    """
    import sys
    from kflow.store.sqlite import SQLiteStore

    store = SQLiteStore(sys.argv[1], history=int(sys.argv[3]))
    prefix, count = sys.argv[2], int(sys.argv[4])
    i = 0
    while count < 0 or i < count or (count == 0 and sys.stdin.readline()):
        name = f"{prefix}{i}"
        store.create("configmaps", {"metadata": {"name": name, "namespace": "default"}})
        if i % 3 == 1:
            store.update("configmaps", {"metadata": {"name": name, "namespace": "default"}, "data": {"i": str(i)}})
        if i % 5 == 2:
            store.delete("configmaps", "default", name)
        print(i, flush=True)
        i += 1
    store.close()
    """
)


def writer(
    path: Path, prefix: str, *, history: int = 10_000, count: int = -1
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), prefix, str(history), str(count)],
        stdin=subprocess.PIPE if count == 0 else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def open_store(path: Path, **kwargs: int) -> SQLiteStore:
    store = SQLiteStore(path, **kwargs)
    if store.resource_version() == 0:
        store.create("namespaces", {"metadata": {"name": "default"}})
    return store


class TestSQLiteStore(StoreConformance):
    def make_store(self, tmp_path: Path) -> Store:
        return SQLiteStore(tmp_path / "kflow.db")


def test_bodies_are_compact_json(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    store.create(CM, cm("a", data={"k": "v"}))
    store.close()
    with sqlite3.connect(tmp_path / "s.db") as db:
        (body,) = db.execute("SELECT body FROM objects WHERE name = 'a'").fetchone()
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    assert body == orjson.dumps(orjson.loads(body)).decode()
    assert ", " not in body and '": ' not in body
    assert mode == "wal"


def test_rejects_unknown_synchronous(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NORMAL"):
        SQLiteStore(tmp_path / "s.db", synchronous="OFF")  # type: ignore[arg-type]


def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_store(path)
    made = store.create(CM, cm("a", data={"k": "v"}))
    store.update(CM, cm("a", data={"k": "w"}))
    owner_uid = made["metadata"]["uid"]
    store.create(CM, cm("child", metadata={"ownerReferences": [{"uid": owner_uid, "name": "a"}]}))
    before = store.resource_version()
    store.close()

    store = SQLiteStore(path)
    try:
        assert store.resource_version() == before
        assert store.get(CM, "default", "a")["data"] == {"k": "w"}
        assert [o["metadata"]["name"] for _, o in store.dependents(owner_uid)] == ["child"]
        assert rv(store.create(CM, cm("b"))) == before + 1

        async def replay() -> list[WatchEvent]:
            w = store.watch(CM, resource_version=str(rv(made)))
            try:
                return await take(aiter(w), 3)
            finally:
                w.close()

        history = asyncio.run(replay())
        assert [(e.type, e.object["metadata"]["name"]) for e in history] == [
            (EventType.MODIFIED, "a"),
            (EventType.ADDED, "child"),
            (EventType.ADDED, "b"),
        ]
    finally:
        store.close()


def test_history_bound_compacts_automatically(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db", history=5)
    try:
        for i in range(12):
            store.create(CM, cm(f"c{i}"))
        newest = store.resource_version()
        assert store.backend.event_floor() == newest - 5
        assert [e.resource_version for e in store.backend.events_after(newest - 5, None)] == [
            newest - 4,
            newest - 3,
            newest - 2,
            newest - 1,
            newest,
        ]
    finally:
        store.close()


@pytest.mark.slow
def test_sigkill_mid_write_leaves_a_consistent_file(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    open_store(path).close()
    proc = writer(path, "w", history=100)
    assert proc.stdout is not None
    for _ in range(150):  # let it run well past the history bound, then kill it mid-loop
        assert proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        counter, floor = (
            db.execute("SELECT value FROM meta WHERE key = ?", (k,)).fetchone()[0]
            for k in ("resource_version", "event_floor")
        )
        rows = db.execute("SELECT resource_version, body FROM objects").fetchall()
        events = [r[0] for r in db.execute("SELECT rv FROM events ORDER BY rv")]
    db.close()
    assert counter > 150
    for version, body in rows:
        assert version <= counter
        assert int(orjson.loads(body)["metadata"]["resourceVersion"]) == version
    # every committed version has its event, none beyond the counter, none below the floor
    assert events == list(range(floor + 1, counter + 1))

    store = SQLiteStore(path)
    try:
        assert store.resource_version() == counter
        names = {o["metadata"]["name"] for o in store.list(CM).items}
        assert len(names) == len(rows) - 1  # all but the namespace
        assert rv(store.create(CM, cm("after-crash"))) == counter + 1
    finally:
        store.close()


@pytest.mark.slow
def test_follower_streams_other_processes_writes_in_order(tmp_path: Path) -> None:
    """Two processes write at once; a watch here sees every change from both, in order."""
    path = tmp_path / "s.db"
    store = open_store(path)
    store.start_follower(interval=0.005)
    rounds = 200
    start = store.resource_version()

    async def run() -> list[WatchEvent]:
        w = store.watch(CM, resource_version=str(start))
        it = aiter(w)
        try:
            proc = writer(path, "remote-", count=rounds)
            assert proc.stdout is not None
            assert proc.stdout.readline()  # it is writing now
            i = 0
            while proc.poll() is None or i < rounds:  # write here while it writes there
                store.create(CM, cm(f"local-{i}"))
                i += 1
            assert proc.wait() == 0
            proc.stdout.close()
            expected = store.resource_version() - start
            return await take(it, expected)
        finally:
            w.close()

    try:
        events = asyncio.run(run())
    finally:
        store.close()
    versions = [e.resource_version for e in events]
    assert versions == list(range(start + 1, start + 1 + len(events)))
    names = {e.object["metadata"]["name"] for e in events}
    assert {f"local-{i}" for i in range(rounds)} <= names
    assert {f"remote-{i}" for i in range(rounds)} <= names


@pytest.mark.slow
def test_local_writes_publish_other_processes_events_first(tmp_path: Path) -> None:
    """Without the follower, a local commit publishes the foreign versions below it."""
    path = tmp_path / "s.db"
    store = open_store(path)
    rounds = 20
    start = store.resource_version()

    async def run() -> list[WatchEvent]:
        w = store.watch(CM, resource_version=str(start))
        it = aiter(w)
        proc = writer(path, "remote-", count=0)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            for i in range(rounds):  # lockstep: one step there, then one here
                proc.stdin.write("step\n")
                proc.stdin.flush()
                assert proc.stdout.readline()
                store.create(CM, cm(f"local-{i}"))
            proc.stdin.close()
            assert proc.wait() == 0
            proc.stdout.close()
            return await take(it, store.resource_version() - start)
        finally:
            w.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    try:
        events = asyncio.run(run())
    finally:
        store.close()
    assert [e.resource_version for e in events] == list(range(start + 1, start + 1 + len(events)))
    origins = [e.object["metadata"]["name"].split("-")[0] for e in events]
    assert origins.count("local") == rounds
    assert sum(a != b for a, b in itertools.pairwise(origins)) >= 2 * rounds - 1


def test_poll_external_publishes_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    here, there = open_store(path), SQLiteStore(path)

    async def run() -> list[WatchEvent]:
        w = here.watch(CM, resource_version=str(here.resource_version()))
        it = aiter(w)
        try:
            there.create(CM, cm("from-there"))
            assert here.poll_external() == 1
            assert here.poll_external() == 0  # dedup: already published
            here.create(CM, cm("from-here"))
            return await take(it, 2)
        finally:
            w.close()

    try:
        events = asyncio.run(run())
    finally:
        here.close()
        there.close()
    assert [e.object["metadata"]["name"] for e in events] == ["from-there", "from-here"]


def test_follower_closes_watches_when_history_was_lost(tmp_path: Path) -> None:
    """Past the kept history the follower ends watches, as a 410 would: clients re-list."""
    path = tmp_path / "s.db"
    here, there = open_store(path), SQLiteStore(path, history=2)

    async def run() -> list[WatchEvent]:
        w = here.watch(CM, resource_version=str(here.resource_version()))
        try:
            for i in range(5):
                there.create(CM, cm(f"c{i}"))
            assert here.poll_external() == 0
            return await asyncio.wait_for(_drain(w), 5)
        finally:
            w.close()

    try:
        assert asyncio.run(run()) == []
    finally:
        here.close()
        there.close()


async def _drain(w: Watch) -> list[WatchEvent]:
    return [e async for e in w]
