"""The namespace controller: a deleted namespace takes everything in it along.

A Namespace marked for deletion turns `Terminating`; every namespaced object in it is
deleted (pods get their grace period), and once none is left the `kubernetes`
finalizer is dropped so the namespace itself goes. Creating into a terminating
namespace is refused by the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import cast

from kflow.api import meta as m
from kflow.api.errors import Conflict, NotFound
from kflow.api.kinds import Registry, registry
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.store.interface import Store

NAMESPACE_FINALIZER = "kubernetes"


class NamespaceController(Controller):
    name = "namespaces"

    def __init__(self, store: Store, kinds: Registry = registry) -> None:
        self.store = store
        self.kinds = kinds

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec("namespaces")]

    async def reconcile(self, key: Hashable) -> Result:
        _, name = cast(tuple[str, str], key)
        try:
            ns = self.store.get("namespaces", "", name)
        except NotFound:
            return Result()
        terminating = bool(m.meta(ns).get("deletionTimestamp"))
        phase = "Terminating" if terminating else "Active"
        if (ns.get("status") or {}).get("phase") != phase:
            body = m.clone(ns)
            body["status"] = {**(ns.get("status") or {}), "phase": phase}
            m.meta(body).pop("resourceVersion", None)
            ns = self.store.update_status("namespaces", body)
        if not terminating:
            return Result()
        remaining = 0
        for info in self.kinds.all():
            if not info.namespaced:
                continue
            for obj in self.store.list(info.resource, name).items:
                remaining += 1
                if not m.meta(obj).get("deletionTimestamp"):
                    with contextlib.suppress(NotFound):
                        self.store.delete(info.resource, name, m.name_of(obj))
        if remaining:
            return Result(requeue_after=0.5)
        body = m.clone(ns)
        spec = body.setdefault("spec", {})
        spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != NAMESPACE_FINALIZER]
        try:
            self.store.update("namespaces", body)
        except (Conflict, NotFound):
            return Result(requeue_after=0.1)
        return Result()
