"""Where a model call runs: on the event loop while it is quick, in a worker thread when not.

A hop to a worker thread costs a queue handoff, two context switches and a GIL handoff
each way: tens of microseconds on an idle core, far more on a busy one. For a model that
answers in a few hundred microseconds (a linear model, a small MLP on one row) that hop
is a large share of the request, so such calls run inline, as KServe and MLServer run a
sync `predict`. A slow model must not stall the event loop — and with it every other
request, health check and version swap — so calls whose expected time is over
`INLINE_BUDGET` go to a thread.

The expected time is learned: a moving average of the model's own call time (measured
where the call runs, so the hop is not counted) scaled by the rows of this call over
the average rows of past calls, so one big batch to a quick model still goes to a
thread. Until the first call has been timed, calls go to a thread. A call's time is
its CPU time unless it blocked (slept, waited for I/O or a lock: a voluntary context
switch), then its wall time: on a busy machine a quick call preempted by other
processes takes long on the clock, but would take no less in a thread.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INLINE_BUDGET = 0.001  # seconds a call may hold the event loop
_WEIGHT = 0.2  # of the newest call in the moving averages


class CallSite:
    """Runs one model's calls, inline or in a thread, by how long they have taken."""

    def __init__(self, budget: float = INLINE_BUDGET) -> None:
        self.budget = budget
        self.seconds: float | None = None  # moving average of a call's duration
        self.rows = 1.0  # moving average of rows per call

    def expected(self, rows: int) -> float | None:
        """Seconds a call of `rows` rows should take; None before any call was timed."""
        if self.seconds is None:
            return None
        return self.seconds * max(1.0, rows / self.rows)

    def observe(self, seconds: float, rows: int) -> None:
        if self.seconds is None:
            self.seconds, self.rows = seconds, float(max(rows, 1))
            return
        self.seconds += _WEIGHT * (seconds - self.seconds)
        self.rows += _WEIGHT * (max(rows, 1) - self.rows)

    async def call(self, fn: Callable[[], T], rows: int = 1) -> T:
        """`fn()`, inline if its expected time fits the budget, else in a worker thread."""
        expected = self.expected(rows)
        if expected is not None and expected <= self.budget:
            return self._timed(fn, rows)
        return await asyncio.to_thread(self._timed, fn, rows)

    def _timed(self, fn: Callable[[], T], rows: int) -> T:
        switches, cpu, wall = _voluntary_switches(), time.thread_time(), time.perf_counter()
        try:
            return fn()
        finally:
            wall = time.perf_counter() - wall
            blocked = switches < 0 or _voluntary_switches() != switches
            self.observe(wall if blocked else time.thread_time() - cpu, rows)


def _voluntary_switches() -> int:
    """This thread's voluntary context switches; -1 where the OS does not count them."""
    if sys.platform != "linux":
        return -1
    import resource

    return resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
