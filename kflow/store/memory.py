"""The in-memory store adapter: dicts and a bounded event log, for tests and demos.

Nothing survives the process. Writes are serialised by one lock; reads copy, so a
caller can never mutate what the store holds.
"""

from __future__ import annotations

import bisect
import collections
import contextlib
import threading
from collections.abc import Iterator

from kflow.api import meta as m
from kflow.store.engine import Backend, EngineStore, Txn
from kflow.store.interface import Obj, WatchEvent


class _MemoryTxn(Txn):
    def __init__(self, backend: MemoryBackend) -> None:
        self._b = backend
        self._rows: dict[tuple[str, str, str], Obj | None] = {}  # staged: None = removed
        self._events: list[WatchEvent] = []
        self._rv = backend.rv

    def read(self, resource: str, namespace: str, name: str) -> Obj | None:
        key = (resource, namespace, name)
        if key in self._rows:
            row = self._rows[key]
            return m.clone(row) if row is not None else None
        return self._b.read(resource, namespace, name)

    def next_resource_version(self) -> int:
        self._rv += 1
        return self._rv

    def write(self, resource: str, obj: Obj) -> None:
        self._rows[(resource, m.namespace_of(obj), m.name_of(obj))] = m.clone(obj)

    def remove(self, resource: str, namespace: str, name: str) -> None:
        self._rows[(resource, namespace, name)] = None

    def log(self, event: WatchEvent) -> None:
        self._events.append(event)

    def commit(self) -> None:
        b = self._b
        for (resource, namespace, name), row in self._rows.items():
            table = b.tables.setdefault(resource, {})
            keys = b.sorted_keys.setdefault(resource, [])
            if row is None:
                if table.pop((namespace, name), None) is not None:
                    keys.pop(bisect.bisect_left(keys, (namespace, name)))
            else:
                if (namespace, name) not in table:
                    bisect.insort(keys, (namespace, name))
                table[(namespace, name)] = row
        b.events.extend(self._events)
        b.rv = self._rv


class MemoryBackend(Backend):
    """Rows in dicts, keys kept sorted for paging, events in a bounded deque."""

    def __init__(self, history: int = 10_000) -> None:
        self.lock = threading.RLock()
        self.tables: dict[str, dict[tuple[str, str], Obj]] = {}
        self.sorted_keys: dict[str, list[tuple[str, str]]] = {}
        self.events: collections.deque[WatchEvent] = collections.deque()
        self.history = history
        self.floor = 0
        self.rv = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Txn]:
        with self.lock:
            txn = _MemoryTxn(self)
            yield txn
            txn.commit()
            if len(self.events) > self.history:
                self.compact(self.history)

    def read(self, resource: str, namespace: str, name: str) -> Obj | None:
        with self.lock:
            row = self.tables.get(resource, {}).get((namespace, name))
            return m.clone(row) if row is not None else None

    def scan(
        self, resource: str, namespace: str | None, after: tuple[str, str] | None, limit: int | None
    ) -> list[Obj]:
        with self.lock:
            keys = self.sorted_keys.get(resource, [])
            table = self.tables.get(resource, {})
            start = bisect.bisect_right(keys, after) if after else 0
            if namespace is not None:
                start = max(start, bisect.bisect_left(keys, (namespace, "")))
            out: list[Obj] = []
            for key in keys[start:]:
                if namespace is not None and key[0] != namespace:
                    break
                out.append(m.clone(table[key]))
                if limit is not None and len(out) >= limit:
                    break
            return out

    def current_resource_version(self) -> int:
        return self.rv

    def events_after(self, resource_version: int, resource: str | None) -> list[WatchEvent]:
        with self.lock:
            return [
                e
                for e in self.events
                if e.resource_version > resource_version
                and (resource is None or e.resource == resource)
            ]

    def event_floor(self) -> int:
        return self.floor

    def find_dependents(self, owner_uid: str) -> list[tuple[str, Obj]]:
        with self.lock:
            return [
                (resource, m.clone(obj))
                for resource, table in self.tables.items()
                for obj in table.values()
                if any(
                    ref.get("uid") == owner_uid for ref in m.meta(obj).get("ownerReferences") or []
                )
            ]

    def compact(self, keep: int) -> int:
        with self.lock:
            while len(self.events) > keep:
                self.floor = self.events.popleft().resource_version
            return self.floor


class MemoryStore(EngineStore):
    """A `Store` that lives and dies with the process."""

    def __init__(self, history: int = 10_000) -> None:
        super().__init__(MemoryBackend(history))
