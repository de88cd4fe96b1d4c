"""A controller-runtime style work queue: deduplicated keys, one worker per key.

A key added while it is queued is not queued twice; a key added while a worker holds
it is processed again after that worker calls `done`, never concurrently. Failed
keys come back after a per-key exponential backoff (`add_rate_limited`), and
`forget` resets it after a success. Time comes from a `Clock`, so tests can drive
delayed requeues without sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections.abc import Hashable
from typing import Protocol


class Clock(Protocol):
    """Where controllers get the time; tests substitute one they can advance."""

    def now(self) -> float: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class WorkQueue:
    """Keys waiting for reconciliation, fair and never processed twice at once."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        base_delay: float = 0.005,
        max_delay: float = 60.0,
    ) -> None:
        self.clock = clock or MonotonicClock()
        self._queue: list[Hashable] = []
        self._queued: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._dirty: set[Hashable] = set()  # added while processing
        self._delayed: list[tuple[float, int, Hashable]] = []
        self._counter = itertools.count()
        self._failures: dict[Hashable, int] = {}
        self._base = base_delay
        self._max = max_delay
        self._wakeup = asyncio.Event()
        self._closed = False

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: Hashable) -> None:
        if self._closed:
            return
        if key in self._processing:
            self._dirty.add(key)
            return
        if key not in self._queued:
            self._queued.add(key)
            self._queue.append(key)
            self._wakeup.set()

    def add_after(self, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        heapq.heappush(self._delayed, (self.clock.now() + delay, next(self._counter), key))
        self._wakeup.set()

    def add_rate_limited(self, key: Hashable) -> None:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, min(self._base * (2**failures), self._max))

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def _promote_due(self) -> float | None:
        """Move due delayed keys into the queue; return seconds until the next one."""
        now = self.clock.now()
        while self._delayed and self._delayed[0][0] <= now:
            _, _, key = heapq.heappop(self._delayed)
            self.add(key)
        return self._delayed[0][0] - now if self._delayed else None

    async def get(self) -> Hashable | None:
        """The next key to work on, or None once the queue is shut down."""
        while True:
            if self._closed:
                return None
            wait = self._promote_due()
            if self._queue:
                key = self._queue.pop(0)
                self._queued.discard(key)
                self._processing.add(key)
                return key
            self._wakeup.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=wait)

    def done(self, key: Hashable) -> None:
        self._processing.discard(key)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def tick(self) -> None:
        """Re-check delayed keys now (after a test advanced the clock)."""
        self._wakeup.set()

    def shutdown(self) -> None:
        self._closed = True
        self._wakeup.set()
