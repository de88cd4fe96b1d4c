"""The garbage collector: ownerReferences decide what outlives what.

Background deletion: when an owner is gone, its dependents are deleted (and theirs,
in turn). Foreground: an owner marked with the `foregroundDeletion` finalizer waits
while its dependents are deleted, then is released. Orphan: dependents lose their
reference to the owner, then the owner is released. A dependent whose owner
vanished while kflow was down is found by a sweep at start-up.

Keys are `(role, resource, namespace, name)` with role "dependent" (check that the
owners still exist) or "owner" (drive a foreground/orphan deletion).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.errors import ApiError, Conflict, NotFound
from kflow.api.kinds import Registry, registry
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.controllers.workqueue import WorkQueue
from kflow.store.interface import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    DeletePropagation,
    EventType,
    Store,
    WatchEvent,
)

log = logging.getLogger(__name__)

DEPENDENT, OWNER = "dependent", "owner"
_PROPAGATION_FINALIZERS = (FOREGROUND_FINALIZER, ORPHAN_FINALIZER)


class GarbageCollector(Controller):
    name = "garbage-collector"
    workers = 2

    def __init__(self, store: Store, kinds: Registry = registry) -> None:
        self.store = store
        self.kinds = kinds
        # (resource, namespace, name) -> uid of every object this watch has seen: an
        # owner is known to exist without reading it (a workflow's body can be a megabyte,
        # and each of its thousand pods asks); an owner not seen yet is read from the store
        self._uids: dict[tuple[str, str, str], str] = {}

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec(None, self._keys_for)]

    async def start(self, queue: WorkQueue) -> None:
        for info in self.kinds.all():
            for obj in self.store.list(info.resource).items:
                for key in self._keys_for_object(info.resource, obj, deleted=False):
                    queue.add(key)

    def _keys_for(self, event: WatchEvent) -> list[Hashable]:
        deleted = event.type is EventType.DELETED
        seen = (event.resource, m.namespace_of(event.object), m.name_of(event.object))
        if deleted:
            self._uids.pop(seen, None)
        else:
            self._uids[seen] = str(m.meta(event.object).get("uid") or "")
        keys = self._keys_for_object(event.resource, event.object, deleted=deleted)
        before = event.previous
        if (  # owners are checked when references change; a gone owner wakes its dependents
            event.type is EventType.MODIFIED
            and before is not None
            and m.meta(before).get("ownerReferences") == m.meta(event.object).get("ownerReferences")
        ):
            keys = [k for k in keys if cast(tuple[str, ...], k)[0] != DEPENDENT]
        if deleted:
            uid = m.meta(event.object).get("uid", "")
            keys += [
                (DEPENDENT, resource, m.namespace_of(dep), m.name_of(dep))
                for resource, dep in self.store.dependents(uid)
            ]
        return keys

    def _keys_for_object(
        self, resource: str, obj: dict[str, Any], *, deleted: bool
    ) -> list[Hashable]:
        md = m.meta(obj)
        keys: list[Hashable] = []
        refs = md.get("ownerReferences") or []
        if refs and not deleted:
            keys.append((DEPENDENT, resource, m.namespace_of(obj), m.name_of(obj)))
        if deleted:
            # an owner waiting in the foreground may now be free
            for ref in refs:
                owner = self._owner_resource(ref)
                if owner is not None:
                    ns = m.namespace_of(obj) if owner[1] else ""
                    keys.append((OWNER, owner[0], ns, ref.get("name", "")))
        if md.get("deletionTimestamp") and set(md.get("finalizers") or []) & set(
            _PROPAGATION_FINALIZERS
        ):
            keys.append((OWNER, resource, m.namespace_of(obj), m.name_of(obj)))
        return keys

    def _owner_resource(self, ref: dict[str, Any]) -> tuple[str, bool] | None:
        try:
            info, _ = self.kinds.for_object(
                {"apiVersion": ref.get("apiVersion"), "kind": ref.get("kind")}
            )
        except NotFound:
            return None
        return info.resource, info.namespaced

    async def reconcile(self, key: Hashable) -> Result:
        role, resource, namespace, name = cast(tuple[str, str, str, str], key)
        try:
            obj = self.store.get(resource, namespace, name)
        except NotFound:
            return Result()
        if role == OWNER:
            return self._drive_owner(resource, obj)
        return self._check_dependent(resource, obj)

    def _owner_alive(self, ref: dict[str, Any], namespace: str) -> bool:
        owner = self._owner_resource(ref)
        if owner is None:
            return True  # a kind we don't serve: never judge it
        resource, namespaced = owner
        key = (resource, namespace if namespaced else "", str(ref.get("name", "")))
        uid = self._uids.get(key)
        if uid is None:
            try:
                uid = str(m.meta(self.store.get(*key)).get("uid") or "")
            except NotFound:
                return False
        return uid == ref.get("uid")

    def _check_dependent(self, resource: str, obj: dict[str, Any]) -> Result:
        md = m.meta(obj)
        refs = md.get("ownerReferences") or []
        alive = [ref for ref in refs if self._owner_alive(ref, m.namespace_of(obj))]
        if len(alive) == len(refs):
            return Result()
        if not alive:
            if not md.get("deletionTimestamp"):
                log.info(
                    "deleting %s %s/%s: its owners are gone",
                    resource,
                    m.namespace_of(obj),
                    m.name_of(obj),
                )
                self._delete(resource, obj, DeletePropagation.BACKGROUND)
            return Result()
        updated = m.clone(obj)
        m.meta(updated)["ownerReferences"] = alive
        try:
            self.store.update(resource, updated)
        except Conflict:
            return Result(requeue_after=0.05)
        return Result()

    def _drive_owner(self, resource: str, obj: dict[str, Any]) -> Result:
        md = m.meta(obj)
        finalizers = list(md.get("finalizers") or [])
        uid = md["uid"]
        dependents = self.store.dependents(uid)
        if FOREGROUND_FINALIZER in finalizers:
            for dep_resource, dep in dependents:
                if not m.meta(dep).get("deletionTimestamp"):
                    self._delete(dep_resource, dep, DeletePropagation.FOREGROUND)
            if dependents:
                return Result(requeue_after=1.0)  # dependents' DELETED events wake us sooner
            return self._drop_finalizer(resource, obj, FOREGROUND_FINALIZER)
        if ORPHAN_FINALIZER in finalizers:
            for dep_resource, dep in dependents:
                updated = m.clone(dep)
                refs = m.meta(updated).get("ownerReferences") or []
                m.meta(updated)["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                try:
                    self.store.update(dep_resource, updated)
                except (Conflict, NotFound):
                    return Result(requeue_after=0.05)
            return self._drop_finalizer(resource, obj, ORPHAN_FINALIZER)
        return Result()

    def _drop_finalizer(self, resource: str, obj: dict[str, Any], finalizer: str) -> Result:
        updated = m.clone(obj)
        m.meta(updated)["finalizers"] = [
            f for f in m.meta(obj).get("finalizers") or [] if f != finalizer
        ]
        try:
            self.store.update(resource, updated)
        except Conflict:
            return Result(requeue_after=0.05)
        except NotFound:
            pass
        return Result()

    def _delete(self, resource: str, obj: dict[str, Any], propagation: DeletePropagation) -> None:
        try:
            self.store.delete(
                resource,
                m.namespace_of(obj),
                m.name_of(obj),
                propagation=propagation,
                uid=m.meta(obj).get("uid"),
            )
        except NotFound:
            pass
        except ApiError as exc:
            log.warning("could not delete %s %s: %s", resource, m.name_of(obj), exc)
