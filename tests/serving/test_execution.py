"""Where model calls run (inline or in a thread), how batches form, and the GC freeze."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from kflow.serving import BatchingConfig, ModelConfig
from kflow.serving.batching import Batcher
from kflow.serving.execution import INLINE_BUDGET, CallSite
from kflow.serving.model import Tensors

from .conftest import Digits, running_server, save_sklearn


def _where(site: CallSite, fn: object = None, rows: int = 1) -> str:
    """Run one call through `site`; say whether it ran on the loop's thread."""

    async def scenario() -> str:
        loop_thread = threading.get_ident()

        def call() -> str:
            if callable(fn):
                fn()
            return "inline" if threading.get_ident() == loop_thread else "thread"

        return await site.call(call, rows)

    return asyncio.run(scenario())


def test_an_untimed_call_goes_to_a_thread_and_quick_ones_then_run_inline() -> None:
    site = CallSite()
    assert _where(site) == "thread"  # nothing known yet: the loop is not risked
    assert site.seconds is not None and site.seconds < INLINE_BUDGET
    assert _where(site) == "inline"


def test_a_call_that_blocks_moves_to_a_thread() -> None:
    site = CallSite()
    site.observe(0.0001, rows=1)
    assert _where(site, lambda: time.sleep(INLINE_BUDGET * 5)) == "inline"
    # the sleep counted at its wall time (it blocked), so the next calls stay off the loop
    assert site.seconds is not None and site.seconds > INLINE_BUDGET
    assert _where(site) == "thread"


def test_a_big_batch_to_a_quick_model_goes_to_a_thread() -> None:
    site = CallSite()
    site.observe(INLINE_BUDGET / 4, rows=1)
    assert _where(site, rows=2) == "inline"
    assert _where(site, rows=64) == "thread"  # 64 rows are expected to take 16 budgets


def _echo(seen: list[int]) -> object:
    def run(inputs: Tensors, names: object) -> Tensors:
        seen.append(inputs["x"].shape[0])
        return {"y": inputs["x"]}

    return run


def test_a_lone_request_does_not_wait_for_company() -> None:
    seen: list[int] = []
    config = BatchingConfig(max_batch_size=32, max_latency=0.5)

    async def scenario() -> float:
        batcher = Batcher(_echo(seen), config)  # type: ignore[arg-type]
        started = time.perf_counter()
        for _ in range(3):
            await batcher.predict({"x": np.ones((1, 2))}, ("y",))
        took = time.perf_counter() - started
        await batcher.close()
        return took

    assert asyncio.run(scenario()) < config.max_latency  # three in a row, none waited
    assert seen == [1, 1, 1]


def test_requests_arriving_one_by_one_merge_while_the_model_is_busy() -> None:
    """gRPC hands requests over one at a time: a busy batcher waits a little for them."""
    seen: list[int] = []
    config = BatchingConfig(max_batch_size=8, max_latency=0.05)

    async def scenario() -> list[Tensors]:
        batcher = Batcher(_echo(seen), config)  # type: ignore[arg-type]
        calls = []
        for index in range(64):
            # one request per event-loop turn, and now and then two at once (as under
            # load), which is what tells the batcher that it is busy
            together = 2 if index % 16 == 0 else 1
            for _ in range(together):
                x = np.full((1, 2), index)
                calls.append(asyncio.ensure_future(batcher.predict({"x": x}, ("y",))))
            await asyncio.sleep(0.0005)
        results = await asyncio.gather(*calls)
        await batcher.close()
        return results

    results = asyncio.run(scenario())
    assert len(results) == 68 and sum(seen) == 68 and max(seen) <= 8
    expected = [i for i in range(64) for _ in range(2 if i % 16 == 0 else 1)]
    assert [int(r["y"][0, 0]) for r in results] == expected  # each row back to its request
    assert len(seen) <= 34, seen  # merged: at most half as many model calls as requests


def test_a_model_server_process_freezes_its_startup_objects(
    tmp_path: Path, digits: Digits, sklearn_model: LogisticRegression
) -> None:
    save_sklearn(sklearn_model, tmp_path)
    assert gc.get_freeze_count() == 0
    try:
        with running_server([ModelConfig("digits", str(tmp_path))], freeze_gc=True) as server:
            assert server.repository.get("digits").resolve()
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
