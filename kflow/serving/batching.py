"""Adaptive batching: concurrent requests to one model version run as one batch.

Requests queue up; the batcher takes the first, then keeps collecting for at most
`max_latency` seconds or until `max_batch_size` rows are in hand (a request that
arrives alone at an idle model does not wait), concatenates the
inputs along the batch dimension, runs the model once (in a worker thread) and
splits the outputs back by each request's row count. While a batch runs, the next
one fills up by itself, so batches grow with load and stay at one request when the
server is idle. Only requests that agree on input names, dtypes, trailing shapes
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

from kflow.serving.model import Tensors

Run = Callable[[Tensors, Sequence[str]], Tensors]
Key = tuple[object, ...]


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


class Batcher:
    """Merges concurrent `predict` calls into batched model calls."""

    def __init__(self, run: Run, config: BatchingConfig) -> None:
        self.run = run
        self.config = config
        self.batch_sizes: collections.deque[int] = collections.deque(maxlen=10_000)  # rows per call
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._carry: collections.deque[_Pending] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._last_size = 0  # requests in the previous batch: how busy the model is

    async def predict(self, inputs: Tensors, outputs: Sequence[str]) -> Tensors:
        names = tuple(outputs)
        key = _key(inputs, names)
        rows = next(iter(inputs.values())).shape[0] if key is not None else 0
        if key is None or rows >= self.config.max_batch_size:
            self.batch_sizes.append(rows)
            return await asyncio.to_thread(self.run, inputs, names)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())
        future: asyncio.Future[Tensors] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(inputs, names, rows, key, future))
        return await future

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _next(self, timeout: float | None) -> _Pending | None:
        if self._carry:
            return self._carry.popleft()
        if timeout is None:
            return await self._queue.get()
        if not self._queue.empty():
            return self._queue.get_nowait()
        if timeout <= 0:
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self._next(None)
            assert first is not None
            batch, rows = [first], first.rows
            # adaptive: alone on an idle server, a request runs at once; once requests
            # queue up behind a running batch, batches wait up to max_latency to fill
            alone = self._last_size <= 1 and self._queue.empty() and not self._carry
            deadline = loop.time() + (0.0 if alone else self.config.max_latency)
            skipped: list[_Pending] = []
            while rows < self.config.max_batch_size:
                item = await self._next(deadline - loop.time())
                if item is None:
                    break
                if item.key != first.key or rows + item.rows > self.config.max_batch_size:
                    skipped.append(item)
                    if len(skipped) > self.config.max_batch_size:
                        break
                    continue
                batch.append(item)
                rows += item.rows
            self._carry.extend(skipped)
            self._last_size = len(batch)
            await self._execute(batch, rows)

    async def _execute(self, batch: list[_Pending], rows: int) -> None:
        live = [p for p in batch if not p.future.done()]  # a client may have gone away
        if not live:
            return
        if len(live) == 1:
            await self._run_one(live[0])
            return
        merged = {name: np.concatenate([p.inputs[name] for p in live]) for name in live[0].inputs}
        self.batch_sizes.append(sum(p.rows for p in live))
        try:
            result = await asyncio.to_thread(self.run, merged, live[0].outputs)
        except Exception:
            result = {}
        total = sum(p.rows for p in live)
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
            result = await asyncio.to_thread(self.run, pending.inputs, pending.outputs)
        except Exception as exc:
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        if not pending.future.done():
            pending.future.set_result(result)
