"""Adaptive batching: concurrent requests to one model version run as one batch.

Requests queue up; the batcher takes the first, then keeps collecting while requests
keep coming — for at most `max_latency` seconds and until `max_batch_size` rows are in
hand. It stops early when the event loop has turned twice without a new request and
either the previous batch held one request (no one else is waiting: a request alone
at an idle model does not wait) or no request came within twice the usual time
between requests. It concatenates the inputs along the batch dimension, runs the
model once (inline or in a worker thread, `execution.py`) and splits the outputs back
by each request's row count. While a batch runs, the next one fills up by itself, so
batches grow with load and stay at one request when the server is idle. Only requests that agree on input names, dtypes, trailing shapes
and requested outputs are merged; if a merged batch fails, its requests are retried
one by one so that one bad request fails alone.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from kflow.serving.execution import CallSite
from kflow.serving.model import Tensors

Run = Callable[[Tensors, Sequence[str]], Tensors]
Key = tuple[object, ...]

QUIET_TURNS = 2  # event-loop turns without a new request after which a batch stops waiting


@dataclass(frozen=True)
class BatchingConfig:
    """KServe's `batcher`: how big a batch may grow and how long a request may wait."""

    max_batch_size: int = 32  # rows per model call
    max_latency: float = 0.005  # seconds the first request of a batch waits for company


@dataclass
class _Pending:
    inputs: Tensors
    outputs: tuple[str, ...]
    rows: int
    key: Key
    future: asyncio.Future[Tensors] = field(repr=False)


def _key(inputs: Tensors, outputs: tuple[str, ...]) -> Key | None:
    """What must agree for two requests to share a batch; None if not batchable."""
    parts: list[object] = [outputs]
    rows = None
    for name in sorted(inputs):
        array = inputs[name]
        if array.ndim == 0 or (rows is not None and array.shape[0] != rows):
            return None
        rows = array.shape[0]
        parts.append((name, array.dtype.str, array.shape[1:]))
    return tuple(parts) if rows is not None else None


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Batcher:
    """Merges concurrent `predict` calls into batched model calls."""

    def __init__(self, run: Run, config: BatchingConfig, calls: CallSite | None = None) -> None:
        self.run = run
        self.config = config
        self.calls = calls if calls is not None else CallSite()  # inline or threaded calls
        self.batch_sizes: collections.deque[int] = collections.deque(maxlen=10_000)  # rows per call
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._carry: collections.deque[_Pending] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._last_size = 0  # requests in the previous batch: more than one means busy
        self._last_arrival = 0.0  # loop time of the latest request
        self._interval = 0.0  # moving average of the time between requests
        self._arrival: asyncio.Future[None] | None = None  # set by the next request

    async def predict(self, inputs: Tensors, outputs: Sequence[str]) -> Tensors:
        names = tuple(outputs)
        key = _key(inputs, names)
        rows = next(iter(inputs.values())).shape[0] if key is not None else 0
        if key is None or rows >= self.config.max_batch_size:
            self.batch_sizes.append(rows)
            return await self.calls.call(lambda: self.run(inputs, names), rows)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._last_arrival:
            self._interval += 0.2 * (now - self._last_arrival - self._interval)
        self._last_arrival = now
        future: asyncio.Future[Tensors] = loop.create_future()
        self._queue.put_nowait(_Pending(inputs, names, rows, key, future))
        if self._arrival is not None:
            _settle(self._arrival)
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _take(self) -> _Pending | None:
        if self._carry:
            return self._carry.popleft()
        return None if self._queue.empty() else self._queue.get_nowait()

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        limit = self.config.max_batch_size
        while True:
            first = self._take() or await self._queue.get()
            batch, rows = [first], first.rows
            skipped: list[_Pending] = []
            deadline = loop.time() + self.config.max_latency
            quiet = 0  # event-loop turns in a row that brought no request
            while rows < limit and len(skipped) <= limit:
                item = self._take()
                if item is None and quiet < QUIET_TURNS:
                    # a request whose bytes have arrived reaches the queue within a turn
                    # or two of the event loop
                    quiet += 1
                    await asyncio.sleep(0)
                    continue
                if item is None:
                    item = await self._wait(deadline - loop.time())
                    if item is None:
                        break
                quiet = 0
                if item.key != first.key or rows + item.rows > limit:
                    skipped.append(item)
                    continue
                batch.append(item)
                rows += item.rows
            self._carry.extend(skipped)
            self._last_size = len(batch)
            await self._execute(batch, rows)

    async def _wait(self, left: float) -> _Pending | None:
        """The next request if it comes soon enough to be worth waiting for, else None.

        Alone (the previous batch held one request), nobody else is waiting: run now
        rather than wait out max_latency for company that is not coming. Busy, requests
        that arrive one at a time (gRPC hands them over one by one) are waited for, up
        to twice the usual time between requests and never past max_latency.
        """
        wait = min(left, 2 * self._interval)
        if self._last_size <= 1 or wait <= 0:
            return None
        loop = asyncio.get_running_loop()
        self._arrival = arrival = loop.create_future()
        timer = loop.call_later(wait, _settle, arrival)
        try:
            await arrival
        finally:
            timer.cancel()
            self._arrival = None
        return self._take()

    async def _execute(self, batch: list[_Pending], rows: int) -> None:
        live = [p for p in batch if not p.future.done()]  # a client may have gone away
        if not live:
            return
        if len(live) == 1:
            await self._run_one(live[0])
            return
        merged = {name: np.concatenate([p.inputs[name] for p in live]) for name in live[0].inputs}
        total = sum(p.rows for p in live)
        self.batch_sizes.append(total)
        try:
            result = await self.calls.call(lambda: self.run(merged, live[0].outputs), total)
        except Exception:
            result = {}
        if not result or any(v.ndim == 0 or v.shape[0] != total for v in result.values()):
            for pending in live:  # one bad request must not fail the others
                await self._run_one(pending)
            return
        start = 0
        for pending in live:
            end = start + pending.rows
            part = {name: value[start:end] for name, value in result.items()}
            start = end
            if not pending.future.done():
                pending.future.set_result(part)

    async def _run_one(self, pending: _Pending) -> None:
        self.batch_sizes.append(pending.rows)
        try:
            result = await self.calls.call(
                lambda: self.run(pending.inputs, pending.outputs), pending.rows
            )
        except Exception as exc:
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        if not pending.future.done():
            pending.future.set_result(result)
