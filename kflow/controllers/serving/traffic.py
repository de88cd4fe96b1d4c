"""What the gateway sees of each InferenceService's load, for the autoscaler to read.

In Knative the activator and each pod's queue-proxy count requests and report them
to the autoscaler. Here every request passes the kflow server's gateway, so the
gateway is the one counter: it calls `begin` when a request for an InferenceService
arrives (before it is held or sent) and `end` when its answer has been streamed.
A `Meter` keeps, per second, the time-weighted number of requests in flight and the
number that arrived, so the autoscaler can average concurrency or requests per second
over any window. `activate` is the activator's poke: a request is waiting for a
service with no ready replica, so whoever scales (the InferenceService controller)
looks at it now rather than at its next tick.

Time is a number of seconds from an injectable clock; nothing here sleeps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

Key = tuple[str, str, str]
"""(namespace, name, component) of an InferenceService's predictor or transformer."""
KEPT_SECONDS = 3600
"""Buckets older than the longest window Knative allows (1h) are dropped."""


class Meter:
    """Requests in flight and arrivals for one InferenceService, in one-second buckets."""

    def __init__(self, now: float) -> None:
        self.started = now
        self.in_flight = 0
        self.last_arrival: float | None = None
        self._accounted_to = now  # in_flight is summed into the buckets up to here
        self._load: dict[int, float] = {}  # second -> integral of in_flight over it
        self._arrivals: dict[int, int] = {}  # second -> requests that arrived in it

    def _account(self, now: float) -> None:
        start = self._accounted_to
        if now <= start:
            return
        self._accounted_to = now
        if not self.in_flight:
            return
        start = max(start, now - KEPT_SECONDS)
        while start < now:
            second = math.floor(start)
            end = min(now, second + 1.0)
            self._load[second] = self._load.get(second, 0.0) + self.in_flight * (end - start)
            start = end

    def begin(self, now: float) -> None:
        self._account(now)
        self.in_flight += 1
        self.last_arrival = now
        second = math.floor(now)
        self._arrivals[second] = self._arrivals.get(second, 0) + 1

    def end(self, now: float) -> None:
        self._account(now)
        self.in_flight = max(self.in_flight - 1, 0)

    def averages(self, now: float, window: float) -> tuple[float, float]:
        """(mean requests in flight, requests per second) over the last `window` seconds,
        or over the time since the meter started if that is shorter."""
        self._account(now)
        self._forget(now - KEPT_SECONDS)
        span = min(window, now - self.started)
        if span <= 0:
            return float(self.in_flight), 0.0
        since = now - span
        load = sum(v * _share(s, since) for s, v in self._load.items())
        arrivals = sum(n * _share(s, since) for s, n in self._arrivals.items())
        return load / span, arrivals / span

    def _forget(self, before: float) -> None:
        for buckets in (self._load, self._arrivals):
            for second in [s for s in buckets if s + 1 <= before]:
                del buckets[second]


def _share(second: int, since: float) -> float:
    """How much of bucket `second` lies after `since` (buckets hold no finer detail)."""
    return min(max(second + 1.0 - since, 0.0), 1.0)


class ServingTraffic:
    """The meters of every InferenceService, and who to tell when one is needed."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._meters: dict[Key, Meter] = {}
        self._listeners: list[Callable[[Key], None]] = []

    def meter(self, key: Key) -> Meter:
        found = self._meters.get(key)
        if found is None:
            found = self._meters[key] = Meter(self.clock())
        return found

    def begin(self, key: Key) -> None:
        """A request for `key` arrived."""
        self.meter(key).begin(self.clock())

    def end(self, key: Key) -> None:
        """A request for `key` was answered (or given up)."""
        self.meter(key).end(self.clock())

    def on_activate(self, listener: Callable[[Key], None]) -> None:
        """Call `listener(key)` whenever a request waits for a replica of `key`."""
        self._listeners.append(listener)

    def activate(self, key: Key) -> None:
        for listener in self._listeners:
            listener(key)

    def forget(self, key: Key) -> None:
        """The InferenceService is gone."""
        self._meters.pop(key, None)
