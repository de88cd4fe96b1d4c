"""Watch fan-out for engine-backed stores: live events to every open watch, in order.

A `WatchHub` holds the watches open in this process; the engine publishes each
committed write's events to it (under the write lock, so in commit order), and an
adapter with writers in other processes publishes their events too. An
`EngineWatch` first replays history or the current state, then follows the hub,
dropping what it already replayed and showing each event the way a watch with its
selectors sees it (an object that leaves the selection is DELETED to it).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

from kflow.api import meta as m
from kflow.api.selectors import FieldSelector, LabelSelector
from kflow.store.interface import EventType, Obj, Watch, WatchEvent


class Subscriber:
    """A watch's inbox, fed from any thread, drained on its event loop.

    It takes only its watch's resource (every resource when None), and a commit's
    events arrive in one hand-over: waking an event loop from another thread costs a
    system call, and a store with twenty watches open makes every write wake them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, resource: str | None = None) -> None:
        self.loop = loop
        self.resource = resource
        self.queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()

    def push(self, event: WatchEvent | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody listens
            self.loop.call_soon_threadsafe(self.queue.put_nowait, event)

    def push_all(self, events: list[WatchEvent]) -> None:
        wanted = [e for e in events if self.resource is None or e.resource == self.resource]
        if wanted:
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._put_all, wanted)

    def _put_all(self, events: list[WatchEvent]) -> None:
        for event in events:
            self.queue.put_nowait(event)


class WatchHub:
    """Fans committed events out to the watches open in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()

    def subscribe(self, resource: str | None = None) -> Subscriber:
        sub = Subscriber(asyncio.get_running_loop(), resource)
        with self._lock:
            self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def publish(self, events: list[WatchEvent]) -> None:
        with self._lock:
            subs = list(self._subscribers)
        for sub in subs:
            sub.push_all(events)

    def close_all(self) -> None:
        with self._lock:
            subs = list(self._subscribers)
        for sub in subs:
            sub.push(None)


def matches(obj: Obj, namespace: str | None, labels: LabelSelector, fields: FieldSelector) -> bool:
    if namespace is not None and m.namespace_of(obj) != namespace:
        return False
    return labels.matches(m.labels_of(obj)) and fields.matches(obj)


def as_seen(
    event: WatchEvent,
    resource: str | None,
    namespace: str | None,
    labels: LabelSelector,
    fields: FieldSelector,
) -> WatchEvent | None:
    """The event as a watch with these filters sees it, or None if it doesn't."""
    if resource is not None and event.resource != resource:
        return None
    now = matches(event.object, namespace, labels, fields)
    before = event.previous is not None and matches(event.previous, namespace, labels, fields)
    if event.type is EventType.MODIFIED and before and not now:
        # it left the selection: to this watcher it is gone
        return WatchEvent(EventType.DELETED, event.resource, event.object, event.resource_version)
    if event.type is EventType.MODIFIED and now and event.previous is not None and not before:
        return WatchEvent(EventType.ADDED, event.resource, event.object, event.resource_version)
    if event.type is EventType.DELETED and before:
        # as in Kubernetes, a deletion is judged by the object before it: the update
        # that drops the last finalizer may change labels too
        return event
    return event if now else None


class EngineWatch(Watch):
    """Replays history (or the current state), then follows live events, in order."""

    def __init__(
        self,
        hub: WatchHub,
        initial: list[WatchEvent],
        after: int,
        resource: str | None,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        subscriber: Subscriber,
    ) -> None:
        self._hub = hub
        self._initial = initial
        self._last = after
        self._resource = resource
        self._namespace = namespace
        self._labels = labels
        self._fields = fields
        self._sub = subscriber
        self._closed = False

    async def _events(self) -> AsyncIterator[WatchEvent]:
        try:
            for replayed in self._initial:
                yield replayed
            self._initial = []
            while not self._closed:
                event = await self._sub.queue.get()
                if event is None:
                    return
                if event.resource_version <= self._last:
                    continue  # already replayed from the log
                self._last = event.resource_version
                shown = as_seen(event, self._resource, self._namespace, self._labels, self._fields)
                if shown is not None:
                    yield shown
        finally:
            self.close()

    def __aiter__(self) -> AsyncIterator[WatchEvent]:
        return self._events()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._hub.unsubscribe(self._sub)
            self._sub.push(None)
