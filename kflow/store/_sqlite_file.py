"""How kflow's SQLite adapters open a database file and write to it, written once.

The object store, the observation log and the KFP records may share one file with
each other and with other kflow processes, so each opens it alike: WAL (readers never
wait for a writer), `synchronous=NORMAL` by default, a busy timeout (a writer waits
its turn for the file lock instead of failing), and `isolation_level=None`, so Python
starts no implicit transaction and every write is one explicit `BEGIN IMMEDIATE` ...
`COMMIT`. This module knows no table and is not an adapter: the adapters use it, and
stay independent of one another.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from typing import Literal

# synchronous=NORMAL: in WAL mode a commit is written to the WAL before COMMIT
# returns, and only the fsync is deferred to checkpoints. A crashed or killed kflow
# process therefore never loses a committed record (the OS holds the written pages);
# only a power loss or kernel panic can roll back the last few commits, and even then
# the file stays consistent. FULL would fsync on every commit and cap writes at the
# disk's fsync rate (a few hundred per second on many laptops) for protection against
# an event that also kills every workload kflow runs on this machine. Pass
# synchronous="FULL" where the machine, not only kflow, must survive.
Synchronous = Literal["NORMAL", "FULL"]


def connect(
    path: str, *, busy_timeout: float, synchronous: Synchronous = "NORMAL"
) -> sqlite3.Connection:
    """A connection in WAL mode that any thread may use (callers serialise it)."""
    # isolation_level=None: no implicit transactions, we issue BEGIN/COMMIT ourselves
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: commits if the block returns, rolls back if it raises."""
    conn.execute("BEGIN IMMEDIATE")  # take the file's write lock now, not at first write
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class LockedConnection:
    """One connection for the whole process behind a lock, for adapters of short calls.

    `what` names the adapter in the error a call after `close()` raises.
    """

    def __init__(self, path: str, *, busy_timeout: float, schema: Sequence[str], what: str) -> None:
        self.path = path
        self._what = what
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = connect(path, busy_timeout=busy_timeout)
        try:
            with self.write() as conn:
                for statement in schema:
                    conn.execute(statement)
        except BaseException:
            self.close()
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"{self._what} at {self.path} is closed")
        return self._conn

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, held alone for the block; no transaction is opened."""
        with self._lock:
            yield self._connection()

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one `BEGIN IMMEDIATE` transaction, held alone."""
        with self._lock, immediate(self._connection()) as conn:
            yield conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
