"""The controller manager: watches feed work queues, workers call `reconcile`.

Every controller follows the controller-runtime contract: it names the resources it
watches and how an event maps to keys; `reconcile(key)` reads fresh state from the
store (never trusting the event payload), converges, writes status, and returns a
`Result` saying whether and when to look again. An exception requeues the key with
backoff. A watch that breaks or expires (410 Gone) re-lists, so nothing is missed
across compaction or a restart.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Coroutine, Hashable, Iterable
from typing import Any

from kflow.api import meta as m
from kflow.api.errors import Gone
from kflow.controllers.workqueue import Clock, MonotonicClock, WorkQueue
from kflow.store.interface import Store, Watch, WatchEvent

log = logging.getLogger(__name__)

KeyMapper = Callable[[WatchEvent], Iterable[Hashable]]


def object_key(event: WatchEvent) -> list[Hashable]:
    """The default mapping: the (namespace, name) of the changed object."""
    return [(m.namespace_of(event.object), m.name_of(event.object))]


def owner_keys(kind: str) -> KeyMapper:
    """Map an event on a dependent to the key of its controlling owner of `kind`."""

    def mapper(event: WatchEvent) -> list[Hashable]:
        refs = m.meta(event.object).get("ownerReferences") or []
        return [
            (m.namespace_of(event.object), ref["name"])
            for ref in refs
            if ref.get("kind") == kind and ref.get("controller")
        ]

    return mapper


@dataclasses.dataclass(frozen=True)
class Result:
    """What a reconcile asks for next."""

    requeue_after: float | None = None  # seconds; None: only when something changes


@dataclasses.dataclass(frozen=True)
class WatchSpec:
    """A resource a controller watches (`None`: every resource) and its key mapping."""

    resource: str | None
    mapper: KeyMapper = object_key


class Controller(abc.ABC):
    """A level-based reconciler of one kind."""

    name: str = "controller"
    workers: int = 1

    @abc.abstractmethod
    def watches(self) -> list[WatchSpec]: ...

    @abc.abstractmethod
    async def reconcile(self, key: Hashable) -> Result: ...

    async def start(self, queue: WorkQueue) -> None:
        """Called once before watches start; a controller may keep `queue` to enqueue."""
        return None

    async def stop(self) -> None:
        return None


class Manager:
    """Runs controllers against a store until stopped."""

    def __init__(self, store: Store, clock: Clock | None = None) -> None:
        self.store = store
        self.clock = clock or MonotonicClock()
        self._controllers: list[tuple[Controller, WorkQueue]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.started = asyncio.Event()

    def add(self, controller: Controller) -> WorkQueue:
        queue = WorkQueue(self.clock)
        self._controllers.append((controller, queue))
        return queue

    def queue_of(self, name: str) -> WorkQueue:
        for controller, queue in self._controllers:
            if controller.name == name:
                return queue
        raise KeyError(name)

    async def start(self) -> None:
        for controller, queue in self._controllers:
            await controller.start(queue)
            for spec in controller.watches():
                # subscribe now, so nothing written after start() returns is missed
                first = self.store.watch(spec.resource)
                self._spawn(self._watch_loop(controller, queue, spec, first))
            for _ in range(controller.workers):
                self._spawn(self._worker(controller, queue))
        self.started.set()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.append(task)

    async def stop(self) -> None:
        for controller, queue in self._controllers:
            queue.shutdown()
            await controller.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _watch_loop(
        self, controller: Controller, queue: WorkQueue, spec: WatchSpec, first: Watch
    ) -> None:
        version: str | None = None
        watch: Watch | None = first
        while True:
            try:
                if watch is None:
                    watch = self.store.watch(spec.resource, resource_version=version)
                async for event in watch:
                    version = str(event.resource_version)
                    for key in spec.mapper(event):
                        queue.add(key)
                version = None  # the stream ended: re-list
            except Gone:
                version = None
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: watch on %s failed; re-listing", controller.name, spec.resource)
                version = None
                await asyncio.sleep(0.5)
            finally:
                if watch is not None:
                    watch.close()
                watch = None

    async def _worker(self, controller: Controller, queue: WorkQueue) -> None:
        while True:
            key = await queue.get()
            if key is None:
                return
            try:
                result = await controller.reconcile(key)
            except asyncio.CancelledError:
                queue.done(key)
                raise
            except Exception:
                log.exception(
                    "%s: reconcile %s failed; retrying with backoff", controller.name, key
                )
                queue.done(key)
                queue.add_rate_limited(key)
                continue
            queue.done(key)
            queue.forget(key)
            if result.requeue_after is not None:
                queue.add_after(key, result.requeue_after)
            # a queue that is never empty never suspends `get`: yield, so requests and
            # watch events are served between reconciles (a thousand new pods at once)
            await asyncio.sleep(0)
