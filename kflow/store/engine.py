"""Kubernetes object semantics, written once over a few storage primitives.

An adapter (memory, SQLite, PostgreSQL) implements `Backend`: rows keyed by
(resource, namespace, name), a global counter, an append-only event log, and an
exclusive write transaction. `EngineStore` turns that into the `Store` contract:
uids, resourceVersions, optimistic concurrency, generation, status separation,
finalizers, propagation policies and watch. Live watch events fan out through a
`WatchHub` in this process; an adapter whose writers may live in other processes
(PostgreSQL, a second `kflow` on the same SQLite file) feeds the hub from its log
(LISTEN/NOTIFY, or polling `events_after`) — the hub and the replay-from-log logic
don't change.
"""

from __future__ import annotations

import abc
import base64
import builtins
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import orjson

from kflow.api import meta as m
from kflow.api.errors import AlreadyExists, BadRequest, Conflict, Forbidden, Gone, NotFound
from kflow.api.selectors import FieldSelector, LabelSelector
from kflow.store.interface import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    DeletePropagation,
    EventType,
    ListResult,
    Obj,
    Store,
    Watch,
    WatchEvent,
)
from kflow.store.watching import EngineWatch, WatchHub, as_seen, matches

Key = tuple[str, str, str]  # (resource, namespace, name)


class Txn(abc.ABC):
    """An exclusive write transaction: all or nothing, one at a time."""

    @abc.abstractmethod
    def read(self, resource: str, namespace: str, name: str) -> Obj | None: ...

    @abc.abstractmethod
    def next_resource_version(self) -> int: ...

    @abc.abstractmethod
    def write(self, resource: str, obj: Obj) -> None:
        """Insert or replace the row of `obj` (its metadata says where)."""

    @abc.abstractmethod
    def remove(self, resource: str, namespace: str, name: str) -> None: ...

    @abc.abstractmethod
    def log(self, event: WatchEvent) -> None:
        """Append to the event log that watches replay from."""


class Backend(abc.ABC):
    """The storage primitives an adapter provides."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[Txn]: ...

    @abc.abstractmethod
    def read(self, resource: str, namespace: str, name: str) -> Obj | None: ...

    @abc.abstractmethod
    def scan(
        self,
        resource: str,
        namespace: str | None,
        after: tuple[str, str] | None,
        limit: int | None,
    ) -> list[Obj]:
        """Rows of `resource` in (namespace, name) order, strictly after `after`."""

    @abc.abstractmethod
    def current_resource_version(self) -> int: ...

    @abc.abstractmethod
    def events_after(self, resource_version: int, resource: str | None) -> list[WatchEvent]:
        """Logged events newer than `resource_version`, oldest first."""

    @abc.abstractmethod
    def event_floor(self) -> int:
        """Events newer than this are kept; a watch from below it is Gone."""

    @abc.abstractmethod
    def find_dependents(self, owner_uid: str) -> list[tuple[str, Obj]]: ...

    @abc.abstractmethod
    def compact(self, keep: int) -> int: ...

    def close(self) -> None:
        return None


def _encode_continue(rv: int, after: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"rv": rv, "after": list(after)})).decode()


def _decode_continue(token: str) -> tuple[str, str]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        ns, name = data["after"]
        return str(ns), str(name)
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest(
            f'invalid continue token "{token}": use the one the last list returned'
        ) from exc


def _spec_part(obj: Obj) -> Obj:
    """Everything that counts as "spec" for generation: not metadata, not status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def _finalizers(resource: str, obj: Obj) -> list[str]:
    found = list(m.meta(obj).get("finalizers") or [])
    if resource == "namespaces":  # namespaces keep theirs in spec, as in Kubernetes
        found += list((obj.get("spec") or {}).get("finalizers") or [])
    return found


class EngineStore(Store):
    """`Store` semantics over a `Backend`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.hub = WatchHub()
        # Commit and publish under one lock: a watch skips versions at or below the
        # last it saw, so two writers publishing out of commit order would lose events.
        self._write_lock = threading.RLock()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[tuple[Txn, list[WatchEvent]]]:
        events: list[WatchEvent] = []
        with self._write_lock:
            with self.backend.transaction() as txn:
                yield txn, events
                for event in events:
                    txn.log(event)
            self._publish(events)  # only after the commit succeeded

    def _publish(self, events: list[WatchEvent]) -> None:
        """Hand committed events to this process's watches, in commit order."""
        self.hub.publish(events)

    # -- reads -------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> Obj:
        obj = self.backend.read(resource, namespace, name)
        if obj is None:
            raise _not_found(resource, name)
        return obj

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
        limit: int | None = None,
        continue_token: str | None = None,
    ) -> ListResult:
        labels = labels or LabelSelector()
        fields = fields or FieldSelector()
        rv = self.backend.current_resource_version()
        after = _decode_continue(continue_token) if continue_token else None
        if fields.name is not None and namespace is not None and after is None:
            obj = self.backend.read(resource, namespace, fields.name)
            hits = [obj] if obj is not None and matches(obj, namespace, labels, fields) else []
            return ListResult(hits, rv)
        items: list[Obj] = []
        batch = max(limit or 500, 100)
        cursor = after
        while True:
            rows = self.backend.scan(resource, namespace, cursor, batch)
            for row in rows:
                if not matches(row, namespace, labels, fields):
                    continue
                if limit and len(items) == limit:
                    last = (m.namespace_of(items[-1]), m.name_of(items[-1]))
                    return ListResult(items, rv, _encode_continue(rv, last))
                items.append(row)
            if len(rows) < batch:
                return ListResult(items, rv)
            cursor = (m.namespace_of(rows[-1]), m.name_of(rows[-1]))

    def dependents(self, owner_uid: str) -> builtins.list[tuple[str, Obj]]:
        return self.backend.find_dependents(owner_uid)

    def resource_version(self) -> int:
        return self.backend.current_resource_version()

    def compact(self, keep: int) -> int:
        return self.backend.compact(keep)

    # -- writes ------------------------------------------------------------

    def create(self, resource: str, obj: Obj) -> Obj:
        obj = m.clone(obj)
        md = m.meta(obj)
        if not md.get("name") and md.get("generateName"):
            md["name"] = f"{md['generateName']}{m.random_suffix()}"
        name, namespace = m.name_of(obj), m.namespace_of(obj)
        if not name:
            raise BadRequest("metadata.name: Required value: name or generateName is required")
        with self._writing() as (txn, events):
            if txn.read(resource, namespace, name) is not None:
                raise _already_exists(resource, name)
            if namespace and resource != "namespaces":
                ns = txn.read("namespaces", "", namespace)
                if ns is None:
                    raise NotFound(
                        f'namespaces "{namespace}" not found', kind="namespaces", name=namespace
                    )
                if m.meta(ns).get("deletionTimestamp"):
                    raise Forbidden(
                        f'{resource} "{name}" is forbidden: unable to create new content in '
                        f"namespace {namespace} because it is being terminated"
                    )
            rv = txn.next_resource_version()
            for transient in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                md.pop(transient, None)
            md.update(
                uid=m.new_uid(),
                creationTimestamp=m.timestamp(),
                resourceVersion=str(rv),
                generation=1,
            )
            txn.write(resource, obj)
            events.append(WatchEvent(EventType.ADDED, resource, obj, rv))
        return m.clone(obj)

    def _load_for_write(self, txn: Txn, resource: str, obj: Obj) -> Obj:
        name, namespace = m.name_of(obj), m.namespace_of(obj)
        old = txn.read(resource, namespace, name)
        if old is None:
            raise _not_found(resource, name)
        md, old_md = m.meta(obj), m.meta(old)
        if md.get("resourceVersion") and str(md["resourceVersion"]) != str(
            old_md["resourceVersion"]
        ):
            raise _conflict(resource, name)
        if md.get("uid") and md["uid"] != old_md["uid"]:
            raise Conflict(
                f"Precondition failed: UID in precondition: {md['uid']}, UID in object meta: {old_md['uid']}",
                kind=resource,
                name=name,
            )
        return old

    def _commit_change(
        self, txn: Txn, events: builtins.list[WatchEvent], resource: str, new: Obj, old: Obj
    ) -> Obj:
        """Write `new` (or delete it, when its last finalizer went) unless nothing changed."""
        new_md = m.meta(new)
        new_md["resourceVersion"] = m.meta(old)["resourceVersion"]
        if new == old:
            return new  # a no-op write keeps the resourceVersion, as in Kubernetes
        rv = txn.next_resource_version()
        new_md["resourceVersion"] = str(rv)
        if new_md.get("deletionTimestamp") and not _finalizers(resource, new):
            txn.remove(resource, m.namespace_of(new), m.name_of(new))
            events.append(WatchEvent(EventType.DELETED, resource, new, rv, old))
        else:
            txn.write(resource, new)
            events.append(WatchEvent(EventType.MODIFIED, resource, new, rv, old))
        return new

    def update(self, resource: str, obj: Obj) -> Obj:
        new = m.clone(obj)
        with self._writing() as (txn, events):
            old = self._load_for_write(txn, resource, new)
            md, old_md = m.meta(new), m.meta(old)
            for fixed in (
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
            ):
                if fixed in old_md:
                    md[fixed] = old_md[fixed]
                else:
                    md.pop(fixed, None)
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
            generation = int(old_md.get("generation") or 1)
            md["generation"] = generation + (1 if _spec_part(new) != _spec_part(old) else 0)
            saved = self._commit_change(txn, events, resource, new, old)
        return m.clone(saved)

    def update_status(self, resource: str, obj: Obj) -> Obj:
        with self._writing() as (txn, events):
            old = self._load_for_write(txn, resource, obj)
            new = m.clone(old)
            if "status" in obj:
                new["status"] = m.clone(obj["status"])
            else:
                new.pop("status", None)
            saved = self._commit_change(txn, events, resource, new, old)
        return m.clone(saved)

    def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        *,
        propagation: DeletePropagation = DeletePropagation.BACKGROUND,
        uid: str | None = None,
        resource_version: str | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj:
        with self._writing() as (txn, events):
            old = txn.read(resource, namespace, name)
            if old is None:
                raise _not_found(resource, name)
            old_md = m.meta(old)
            if uid and uid != old_md["uid"]:
                raise Conflict(
                    f"Precondition failed: UID in precondition: {uid}, UID in object meta: {old_md['uid']}",
                    kind=resource,
                    name=name,
                )
            if resource_version and resource_version != old_md["resourceVersion"]:
                raise _conflict(resource, name)
            new = m.clone(old)
            md = m.meta(new)
            finalizers = list(md.get("finalizers") or [])
            extra = {
                DeletePropagation.FOREGROUND: FOREGROUND_FINALIZER,
                DeletePropagation.ORPHAN: ORPHAN_FINALIZER,
            }.get(propagation)
            if extra and extra not in finalizers and self.backend.find_dependents(old_md["uid"]):
                finalizers.append(extra)
                md["finalizers"] = finalizers
            if not _finalizers(resource, new):
                rv = txn.next_resource_version()
                md["resourceVersion"] = str(rv)
                md.setdefault("deletionTimestamp", m.timestamp())
                txn.remove(resource, namespace, name)
                events.append(WatchEvent(EventType.DELETED, resource, new, rv, old))
                return m.clone(new)
            md.setdefault("deletionTimestamp", m.timestamp())
            if grace_period_seconds is not None:
                md["deletionGracePeriodSeconds"] = grace_period_seconds
            else:
                spec_grace = (new.get("spec") or {}).get("terminationGracePeriodSeconds")
                md.setdefault("deletionGracePeriodSeconds", int(spec_grace or 0))
            saved = self._commit_change(txn, events, resource, new, old)
        return m.clone(saved)

    # -- watch -------------------------------------------------------------

    def watch(
        self,
        resource: str | None,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
    ) -> Watch:
        labels = labels or LabelSelector()
        fields = fields or FieldSelector()
        sub = self.hub.subscribe(resource)  # first: nothing falls between replay and live
        try:
            initial, after = self._replay(resource, namespace, resource_version, labels, fields)
        except Exception:
            self.hub.unsubscribe(sub)
            raise
        return EngineWatch(self.hub, initial, after, resource, namespace, labels, fields, sub)

    def _replay(
        self,
        resource: str | None,
        namespace: str | None,
        resource_version: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
    ) -> tuple[builtins.list[WatchEvent], int]:
        if not resource_version or resource_version == "0":
            if resource is None:
                return [], self.backend.current_resource_version()
            listed = self.list(resource, namespace, labels=labels, fields=fields)
            events = [
                WatchEvent(EventType.ADDED, resource, obj, int(m.meta(obj)["resourceVersion"]))
                for obj in listed.items
            ]
            return events, listed.resource_version
        try:
            start = int(resource_version)
        except ValueError:
            raise BadRequest(
                f'invalid resourceVersion "{resource_version}": must be an integer'
            ) from None
        floor = self.backend.event_floor()
        if start < floor:
            raise Gone(f"too old resource version: {start} ({floor})")
        replay = []
        for event in self.backend.events_after(start, resource):
            shown = as_seen(event, resource, namespace, labels, fields)
            if shown is not None:
                replay.append(shown)
            start = event.resource_version
        return replay, start

    def close_watches(self) -> None:
        self.hub.close_all()

    def close(self) -> None:
        self.hub.close_all()
        self.backend.close()


def _split(resource: str) -> tuple[str, str]:
    plural, _, group = resource.partition(".")
    return plural, group


def _not_found(resource: str, name: str) -> NotFound:
    plural, group = _split(resource)
    return NotFound.of(plural, name, group)


def _already_exists(resource: str, name: str) -> AlreadyExists:
    plural, group = _split(resource)
    return AlreadyExists.of(plural, name, group)


def _conflict(resource: str, name: str) -> Conflict:
    plural, group = _split(resource)
    return Conflict.stale(plural, name, group)


def encode_object(obj: Any) -> bytes:
    """How adapters serialise bodies: orjson, which keeps key order."""
    return orjson.dumps(obj)
