"""The gateway's table of InferenceServices and their ready replicas, kept by watches.

A request to a model must not cost a store query: the gateway answers "does this
InferenceService exist, and where are its ready replicas?" from memory. One list of
InferenceServices and one of their component pods fill the table; a watch of each from the
list's resourceVersion keeps it current, and a watch that ends or expires (410 Gone)
lists again. A replica is an address the InferenceService controller wrote on a
running predictor pod (`serving.kflow.dev/ready-address`) that is not being deleted.

Requests that find no ready replica (a service scaled to zero, or starting) wait on
`wait_change`, which wakes them as soon as the watch brings a change to the service's
replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any

import orjson

from kflow.api import meta as m
from kflow.api.errors import Gone
from kflow.api.kserve import contracts as c
from kflow.api.selectors import parse_label_selector
from kflow.controllers.pods import PORTS_ANNOTATION
from kflow.store.interface import EventType, Store, WatchEvent

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Key = tuple[str, str]
"""(namespace, name) of an InferenceService."""
RELIST_DELAY_SECONDS = 0.5
"""Pause before listing again after a watch failed for another reason than expiry."""


@dataclasses.dataclass(frozen=True)
class Replica:
    """One predictor pod as the gateway sees it."""

    service: Key  # the InferenceService it serves
    component: str  # `predictor` or `transformer`
    revision: str  # `<name>-predictor-00002`
    address: str | None  # `127.0.0.1:<port>` while ready, else None
    grpc_address: str | None = None  # the replica's gRPC port while ready, if it has one


def _replica(pod: Obj) -> Replica | None:
    labels = m.labels_of(pod)
    name = labels.get(c.ISVC_LABEL)
    component = labels.get(c.COMPONENT_LABEL)
    if not name or component not in c.COMPONENTS:
        return None
    address = (m.meta(pod).get("annotations") or {}).get(c.READY_ADDRESS_ANNOTATION)
    usable = (
        address
        and not m.meta(pod).get("deletionTimestamp")
        and (pod.get("status") or {}).get("phase") == "Running"
    )
    grpc = None
    if usable:
        ports = orjson.loads((m.meta(pod).get("annotations") or {}).get(PORTS_ANNOTATION) or "{}")
        host_port = ports.get(str(c.GRPC_CONTAINER_PORT)) if isinstance(ports, dict) else None
        grpc = f"{str(address).rsplit(':', 1)[0]}:{host_port}" if host_port else None
    return Replica(
        (m.namespace_of(pod), name),
        str(component),
        labels.get(c.REVISION_LABEL, ""),
        str(address) if usable else None,
        grpc,
    )


class ReplicaTable:
    """InferenceServices and their ready replica addresses, in memory."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._services: dict[Key, Obj] = {}
        self._pods: dict[Key, Replica] = {}  # (namespace, pod name) -> replica
        self._ready: dict[Key, list[str]] = {}
        self._wakers: dict[Key, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # -- reading (the request path) ------------------------------------------------------

    def service(self, namespace: str, name: str) -> Obj | None:
        """The InferenceService as last seen, or None if the table does not know it."""
        self._ensure_started()
        return self._services.get((namespace, name))

    def ready(self, namespace: str, name: str) -> list[str]:
        """`host:port` of every ready replica of an InferenceService, in a stable order."""
        self._ensure_started()
        return self._ready.get((namespace, name), [])

    def ready_grpc(self, namespace: str, name: str) -> list[str]:
        """`host:port` of the gRPC port of every ready predictor replica serving gRPC."""
        return sorted(
            r.grpc_address
            for r in self.replicas(namespace, name)
            if r.address and r.grpc_address and r.component == c.PREDICTOR
        )

    def named(self, name: str) -> list[Key]:
        """Every InferenceService called `name`, in any namespace."""
        self._ensure_started()
        return sorted(key for key in self._services if key[1] == name)

    def replicas(self, namespace: str, name: str) -> list[Replica]:
        """Every predictor pod of an InferenceService, ready or not."""
        self._ensure_started()
        return [r for r in self._pods.values() if r.service == (namespace, name)]

    async def wait_change(self, namespace: str, name: str, timeout: float) -> bool:
        """Wait until the replicas of an InferenceService change (or `timeout` passes);
        whether they did."""
        waker = self._wakers.setdefault((namespace, name), asyncio.Event())
        try:
            await asyncio.wait_for(waker.wait(), max(timeout, 0.0))
        except TimeoutError:
            return False
        return True

    # -- keeping it current --------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._tasks:
            return
        # made on first use, inside the server's event loop
        services_version = self._list_services()
        pods_version = self._list_pods()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._follow(c.RESOURCE, services_version)),
            loop.create_task(self._follow("pods", pods_version)),
        ]

    def _list_services(self) -> int:
        listed = self.store.list(c.RESOURCE)
        self._services = {(m.namespace_of(o), m.name_of(o)): o for o in listed.items}
        return listed.resource_version

    def _list_pods(self) -> int:
        components = ",".join(c.COMPONENTS)
        selector = parse_label_selector(f"{c.COMPONENT_LABEL} in ({components}),{c.ISVC_LABEL}")
        listed = self.store.list("pods", labels=selector)
        self._pods = {}
        for pod in listed.items:
            replica = _replica(pod)
            if replica is not None:
                self._pods[(m.namespace_of(pod), m.name_of(pod))] = replica
        self._recount(set(self._ready) | {r.service for r in self._pods.values()})
        return listed.resource_version

    async def _follow(self, resource: str, version: int | None) -> None:
        while True:
            if version is None:  # the last watch broke: start from a fresh list
                version = self._list_services() if resource == c.RESOURCE else self._list_pods()
            watch = self.store.watch(resource, resource_version=str(version))
            try:
                async for event in watch:
                    self._apply(event)
                version = None
            except Gone:
                version = None
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("gateway: the watch on %s failed; listing again", resource)
                version = None
                await asyncio.sleep(RELIST_DELAY_SECONDS)
            finally:
                watch.close()

    def _apply(self, event: WatchEvent) -> None:
        if event.type == EventType.BOOKMARK:
            return
        key = (m.namespace_of(event.object), m.name_of(event.object))
        if event.resource == c.RESOURCE:
            if event.type == EventType.DELETED:
                self._services.pop(key, None)
            else:
                self._services[key] = event.object
            return
        before = self._pods.pop(key, None)
        replica = None if event.type == EventType.DELETED else _replica(event.object)
        if replica is not None:
            self._pods[key] = replica
        self._recount({r.service for r in (before, replica) if r is not None})

    def _recount(self, services: set[Key]) -> None:
        for service in services:
            addresses = sorted(
                r.address for r in self._pods.values() if r.service == service and r.address
            )
            if addresses:
                self._ready[service] = addresses
            else:
                self._ready.pop(service, None)
            waker = self._wakers.pop(service, None)
            if waker is not None:
                waker.set()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
