"""The SQLite store adapter: kflow's durable store on one machine, stdlib `sqlite3` only.

It implements the `Backend` primitives and inherits every Kubernetes rule from
`EngineStore`. One file holds four tables:

- `objects(resource, namespace, name, uid, resource_version, body)`, keyed by
  (resource, namespace, name), so a namespace's objects and a paged list are
  primary-key range scans;
- `owners(resource, namespace, name, owner_uid)`, one row per ownerReference, indexed
  by `owner_uid`, so `find_dependents` is an index lookup and not a scan of every body;
- `meta(key, value)`: the global `resource_version` counter and the `event_floor`;
- `events(rv, type, resource, body, previous)`: the log watches replay from, trimmed
  to the newest `history` versions in the same transaction that appends.

Bodies are compact JSON (orjson). Each write is one `BEGIN IMMEDIATE` transaction on
a single writer connection, behind a lock: row, owner rows, counter and event commit
together or not at all, so a process killed at any point leaves a consistent file
and a reopened store continues the counter. Reads use a small pool of connections;
WAL lets them run while a write is in progress.

Several processes may open the same file (SQLite serialises their writes with its
file lock, and `busy_timeout` makes a writer wait its turn). A watch replays from
the shared log, so it sees everything written before it started; to also see other
processes' *live* writes promptly, call `SQLiteStore.start_follower()` (or drive
`poll_external()` yourself): it publishes events from the log that this process
has not published yet, in resourceVersion order. Local commits and polls advance
one watermark under the engine's write lock, and a local commit that finds versions
below its own unpublished (another process wrote them) publishes those first, so
each watch receives one gap-free, ordered stream whoever wrote. Without the
follower, other processes' events still arrive, but only with this process's next
write. If the gap was already compacted away, open watches are ended, as a 410
would end them, and clients re-list.

A PostgreSQL adapter keeps this `Backend` contract and replaces polling with
LISTEN/NOTIFY. Writers serialise on the counter row (`UPDATE meta SET value =
value + 1 ... RETURNING value` holds its row lock until commit; a SEQUENCE would not
do, as versions could then commit out of order and a watch following "newer than
the last version" would skip one), and `pg_notify('kflow_events', rv)` in the same
transaction, which PostgreSQL delivers only on commit, in commit order. Each process
keeps one connection `LISTEN`ing; a notification runs the same step as
`poll_external()`: read `events_after(watermark)`, publish into the `WatchHub`,
advance the watermark (dedup by rv). A missed notification costs latency, never an
event, because the log is the source and the notification only a wake-up.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from os import PathLike

import orjson

from kflow.api import meta as m
from kflow.api.errors import Gone
from kflow.store._sqlite_file import Synchronous, connect, immediate
from kflow.store.engine import Backend, EngineStore, Txn
from kflow.store.interface import EventType, Obj, WatchEvent

log = logging.getLogger(__name__)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS objects (
        resource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS owners (
        resource TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        owner_uid TEXT NOT NULL,
        PRIMARY KEY (resource, namespace, name, owner_uid)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS owners_by_owner ON owners (owner_uid)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS events (
        rv INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        resource TEXT NOT NULL,
        body TEXT NOT NULL,
        previous TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS events_by_resource ON events (resource, rv)",
    "INSERT OR IGNORE INTO meta VALUES ('resource_version', 0), ('event_floor', 0)",
)


def _dump(obj: Obj) -> str:
    return orjson.dumps(obj).decode()


def _event(row: tuple[int, str, str, str, str | None]) -> WatchEvent:
    rv, type_, resource, body, previous = row
    return WatchEvent(
        EventType(type_),
        resource,
        orjson.loads(body),
        rv,
        orjson.loads(previous) if previous is not None else None,
    )


class _SQLiteTxn(Txn):
    """Stages nothing itself: statements run inside the open BEGIN IMMEDIATE."""

    def __init__(self, conn: sqlite3.Connection, rv: int) -> None:
        self._conn = conn
        self.rv = rv

    def read(self, resource: str, namespace: str, name: str) -> Obj | None:
        row = self._conn.execute(
            "SELECT body FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
            (resource, namespace, name),
        ).fetchone()
        return orjson.loads(row[0]) if row is not None else None

    def next_resource_version(self) -> int:
        self.rv += 1
        return self.rv

    def write(self, resource: str, obj: Obj) -> None:
        md = m.meta(obj)
        key = (resource, m.namespace_of(obj), m.name_of(obj))
        self._conn.execute(
            "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (resource, namespace, name) DO UPDATE SET "
            "uid = excluded.uid, resource_version = excluded.resource_version, "
            "body = excluded.body",
            (*key, md["uid"], int(md["resourceVersion"]), _dump(obj)),
        )
        self._conn.execute(
            "DELETE FROM owners WHERE resource = ? AND namespace = ? AND name = ?", key
        )
        owner_uids = {ref["uid"] for ref in md.get("ownerReferences") or [] if ref.get("uid")}
        self._conn.executemany(
            "INSERT INTO owners VALUES (?, ?, ?, ?)", [(*key, uid) for uid in owner_uids]
        )

    def remove(self, resource: str, namespace: str, name: str) -> None:
        key = (resource, namespace, name)
        where = "WHERE resource = ? AND namespace = ? AND name = ?"
        self._conn.execute(f"DELETE FROM objects {where}", key)
        self._conn.execute(f"DELETE FROM owners {where}", key)

    def log(self, event: WatchEvent) -> None:
        self._conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
            (
                event.resource_version,
                event.type.value,
                event.resource,
                _dump(event.object),
                _dump(event.previous) if event.previous is not None else None,
            ),
        )


class SQLiteBackend(Backend):
    """Rows, owner index, counter and event log in one SQLite file (WAL mode)."""

    def __init__(
        self,
        path: str | PathLike[str],
        *,
        history: int = 10_000,
        synchronous: Synchronous = "NORMAL",
        busy_timeout: float = 30.0,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f'synchronous must be "NORMAL" or "FULL", not "{synchronous}"')
        self.path = str(path)
        self.history = history
        self._synchronous = synchronous
        self._busy_timeout = busy_timeout
        self._lock = threading.RLock()  # one write transaction at a time in this process
        self._pool: list[sqlite3.Connection] = []  # idle read connections
        self._all: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self._writer = self._connect()
        with self._lock, immediate(self._writer) as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        conn = connect(self.path, busy_timeout=self._busy_timeout, synchronous=self._synchronous)
        with self._pool_lock:
            self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            if self._closed:
                raise RuntimeError(f"the SQLite store at {self.path} is closed")
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            with self._pool_lock:
                self._pool.append(conn)

    # -- writes ------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Txn]:
        with self._lock, immediate(self._writer) as conn:
            counters = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            start = int(counters["resource_version"])
            txn = _SQLiteTxn(conn, start)
            yield txn
            if txn.rv != start:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'resource_version'", (txn.rv,))
                floor = int(counters["event_floor"])
                if txn.rv - floor > self.history:
                    self._drop_events(conn, txn.rv - self.history)

    @staticmethod
    def _drop_events(conn: sqlite3.Connection, upto: int) -> None:
        conn.execute("DELETE FROM events WHERE rv <= ?", (upto,))
        conn.execute(
            "UPDATE meta SET value = max(value, ?) WHERE key = 'event_floor'",
            (upto,),
        )

    def compact(self, keep: int) -> int:
        with self._lock, immediate(self._writer) as conn:
            row = conn.execute(
                "SELECT rv FROM events ORDER BY rv DESC LIMIT 1 OFFSET ?", (max(keep, 0),)
            ).fetchone()
            if row is not None:
                self._drop_events(conn, int(row[0]))
            floor = conn.execute("SELECT value FROM meta WHERE key = 'event_floor'").fetchone()
        return int(floor[0])

    # -- reads -------------------------------------------------------------

    def read(self, resource: str, namespace: str, name: str) -> Obj | None:
        with self._reader() as conn:
            row = conn.execute(
                "SELECT body FROM objects WHERE resource = ? AND namespace = ? AND name = ?",
                (resource, namespace, name),
            ).fetchone()
        return orjson.loads(row[0]) if row is not None else None

    def scan(
        self, resource: str, namespace: str | None, after: tuple[str, str] | None, limit: int | None
    ) -> list[Obj]:
        sql = "SELECT body FROM objects WHERE resource = ?"
        args: list[object] = [resource]
        if namespace is not None:
            sql += " AND namespace = ?"
            args.append(namespace)
        if after is not None:
            sql += " AND (namespace, name) > (?, ?)"
            args.extend(after)
        sql += " ORDER BY namespace, name"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._reader() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [orjson.loads(body) for (body,) in rows]

    def current_resource_version(self) -> int:
        with self._reader() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'resource_version'").fetchone()
        return int(row[0])

    def event_floor(self) -> int:
        with self._reader() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'event_floor'").fetchone()
        return int(row[0])

    def events_after(self, resource_version: int, resource: str | None) -> list[WatchEvent]:
        sql = "SELECT rv, type, resource, body, previous FROM events WHERE rv > ?"
        args: list[object] = [resource_version]
        if resource is not None:
            sql += " AND resource = ?"
            args.append(resource)
        with self._reader() as conn:
            # one snapshot for the floor and the rows, so a concurrent compaction can't
            # silently cut the middle out of a replay
            conn.execute("BEGIN")
            try:
                floor = int(
                    conn.execute("SELECT value FROM meta WHERE key = 'event_floor'").fetchone()[0]
                )
                rows = conn.execute(sql + " ORDER BY rv", args).fetchall()
            finally:
                conn.execute("COMMIT")
        if resource_version < floor:
            raise Gone(f"too old resource version: {resource_version} ({floor})")
        return [_event(row) for row in rows]

    def find_dependents(self, owner_uid: str) -> list[tuple[str, Obj]]:
        with self._reader() as conn:
            rows = conn.execute(
                "SELECT o.resource, o.body FROM owners AS w JOIN objects AS o "
                "ON o.resource = w.resource AND o.namespace = w.namespace AND o.name = w.name "
                "WHERE w.owner_uid = ? ORDER BY o.resource, o.namespace, o.name",
                (owner_uid,),
            ).fetchall()
        return [(resource, orjson.loads(body)) for resource, body in rows]

    def close(self) -> None:
        with self._lock, self._pool_lock:
            if self._closed:
                return
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()
            self._pool.clear()


class SQLiteStore(EngineStore):
    """A `Store` in one SQLite file that survives restarts and can be shared by processes."""

    backend: SQLiteBackend

    def __init__(
        self,
        path: str | PathLike[str],
        history: int = 10_000,
        *,
        synchronous: Synchronous = "NORMAL",
    ) -> None:
        super().__init__(SQLiteBackend(path, history=history, synchronous=synchronous))
        self._published = self.backend.current_resource_version()  # newest rv handed to the hub
        self._follower: threading.Thread | None = None
        self._stop_following = threading.Event()

    def _publish(self, events: list[WatchEvent]) -> None:
        if not events:
            return
        if events[0].resource_version > self._published + 1:
            # another process committed since our last publish: hand out its events
            # first, so watches get one ordered stream and drop nothing as "already seen"
            try:
                events = self.backend.events_after(self._published, None)
            except Gone:
                self.hub.close_all()  # history lost: watchers must re-list, as after a 410
        self._published = max(self._published, events[-1].resource_version)
        self.hub.publish(events)

    def poll_external(self) -> int:
        """Publish events other processes committed that this one hasn't; returns how many.

        One step of the follower, safe to call from any thread.
        """
        if self.backend.current_resource_version() <= self._published:
            return 0
        with self._write_lock:
            try:
                events = self.backend.events_after(self._published, None)
            except Gone:
                self.hub.close_all()
                self._published = self.backend.current_resource_version()
                return 0
            if events:
                self._published = events[-1].resource_version
                self.hub.publish(events)
            return len(events)

    def start_follower(self, interval: float = 0.05) -> None:
        """Poll the shared log every `interval` seconds in a daemon thread."""
        if self._follower is not None:
            return
        self._stop_following.clear()
        self._follower = threading.Thread(
            target=self._follow, args=(interval,), name=f"kflow-sqlite-follower:{self.backend.path}"
        )
        self._follower.daemon = True
        self._follower.start()

    def _follow(self, interval: float) -> None:
        while not self._stop_following.wait(interval):
            try:
                self.poll_external()
            except Exception:  # keep following: a locked or busy file is usually brief
                log.exception("polling %s for other processes' events failed", self.backend.path)

    def stop_follower(self) -> None:
        follower, self._follower = self._follower, None
        if follower is not None:
            self._stop_following.set()
            follower.join()

    def close(self) -> None:
        self.stop_follower()
        super().close()
