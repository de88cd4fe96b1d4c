"""The store port: Kubernetes object semantics over any database.

`Store` is what the server and controllers use. Its contract is Kubernetes': objects
keyed by (resource, namespace, name); one global, increasing `resourceVersion`;
optimistic concurrency (Conflict on a stale version); `status` written through its
own call; `generation` bumped when the spec changes; watch from a resourceVersion
(Gone once compacted); label and field selectors; finalizers and
`deletionTimestamp`. `tests/store/conformance.py` holds the one suite every adapter
must pass.

Most adapters don't implement `Store` directly: they implement the few primitives of
`store.engine.Backend` (rows and an event log) and inherit the semantics from
`store.engine.EngineStore`, so Kubernetes' rules are written once. An adapter over
the real Kubernetes API would implement `Store` itself.
"""

from __future__ import annotations

import abc
import builtins
import dataclasses
import enum
from collections.abc import AsyncIterator
from typing import Any

from kflow.api.selectors import FieldSelector, LabelSelector

Obj = dict[str, Any]


class EventType(str, enum.Enum):
    """What happened to an object, as a watch reports it."""

    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    BOOKMARK = "BOOKMARK"  # no change: the watch has seen everything up to this version


@dataclasses.dataclass(frozen=True)
class WatchEvent:
    """One change, with the object as it is after it (before it, for DELETED)."""

    type: EventType
    resource: str
    object: Obj
    resource_version: int
    previous: Obj | None = None  # the object before a MODIFIED, when known

    def to_wire(self) -> Obj:
        return {"type": self.type.value, "object": self.object}


@dataclasses.dataclass(frozen=True)
class ListResult:
    """A page of a list, in (namespace, name) order."""

    items: list[Obj]
    resource_version: int  # the store's version at the moment of the list
    continue_token: str = ""  # non-empty when more items follow
    remaining: int | None = None  # how many items follow this page


class DeletePropagation(str, enum.Enum):
    """What happens to dependents (objects whose ownerReferences point here)."""

    BACKGROUND = "Background"  # delete the owner now; the garbage collector deletes dependents
    FOREGROUND = "Foreground"  # delete dependents first; the owner waits with a finalizer
    ORPHAN = "Orphan"  # keep dependents, removing their ownerReference


FOREGROUND_FINALIZER = "foregroundDeletion"
ORPHAN_FINALIZER = "orphan"


class Watch(abc.ABC):
    """A stream of changes; iterate it, `close()` it when done."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[WatchEvent]: ...

    @abc.abstractmethod
    def close(self) -> None: ...


class Store(abc.ABC):
    """Kubernetes object semantics. Every method but `watch` is synchronous and quick."""

    @abc.abstractmethod
    def create(self, resource: str, obj: Obj) -> Obj:
        """Insert a new object; fills uid, creationTimestamp, resourceVersion, generation.

        A namespaced object's namespace must exist and not be terminating; objects
        without `metadata.namespace` are cluster-scoped.
        """

    @abc.abstractmethod
    def get(self, resource: str, namespace: str, name: str) -> Obj:
        """The object, or NotFound."""

    @abc.abstractmethod
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
        """Objects of a resource, all namespaces when `namespace` is None."""

    @abc.abstractmethod
    def update(self, resource: str, obj: Obj) -> Obj:
        """Replace everything but `status`; Conflict if metadata.resourceVersion is stale."""

    @abc.abstractmethod
    def update_status(self, resource: str, obj: Obj) -> Obj:
        """Replace only `status`; Conflict if metadata.resourceVersion is stale."""

    @abc.abstractmethod
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
        """Delete, or mark for deletion while finalizers remain; returns the object.

        A marked object gets `deletionTimestamp` and `deletionGracePeriodSeconds`: the
        given grace, else its `spec.terminationGracePeriodSeconds`, else 0.
        """

    @abc.abstractmethod
    def watch(
        self,
        resource: str | None,
        namespace: str | None = None,
        *,
        resource_version: str | None = None,
        labels: LabelSelector | None = None,
        fields: FieldSelector | None = None,
    ) -> Watch:
        """Changes after `resource_version` (unset or "0": current objects as ADDED first).

        `resource=None` watches every resource (controllers such as the garbage
        collector use it). Raises Gone if the version is older than the kept history.
        """

    @abc.abstractmethod
    def dependents(self, owner_uid: str) -> builtins.list[tuple[str, Obj]]:
        """(resource, object) for every object with an ownerReference to `owner_uid`."""

    @abc.abstractmethod
    def resource_version(self) -> int:
        """The newest resourceVersion handed out."""

    @abc.abstractmethod
    def compact(self, keep: int) -> int:
        """Drop all but the newest `keep` changes from the watch history; returns the floor."""

    def close_watches(self) -> None:
        """End every open watch stream (the server is shutting down); writes go on."""
        return None

    def close(self) -> None:
        """Release connections."""
        return None
