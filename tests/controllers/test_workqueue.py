"""The work queue: dedupe, one worker per key, delayed and rate-limited requeue on a driven clock."""

from __future__ import annotations

import asyncio

from kflow.controllers.workqueue import WorkQueue


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t


def test_keys_are_deduplicated_while_queued() -> None:
    async def main() -> None:
        q = WorkQueue()
        q.add("a")
        q.add("a")
        q.add("b")
        assert len(q) == 2
        assert await q.get() == "a"
        assert await q.get() == "b"

    asyncio.run(main())


def test_a_key_added_while_processing_comes_back_after_done_not_before() -> None:
    async def main() -> None:
        q = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")  # while a worker holds it
        assert len(q) == 0
        q.done(key)
        assert len(q) == 1
        assert await q.get() == "a"

    asyncio.run(main())


def test_delayed_keys_wait_for_the_clock() -> None:
    async def main() -> None:
        clock = FakeClock()
        q = WorkQueue(clock)
        q.add_after("later", 30)
        getter = asyncio.ensure_future(q.get())
        await asyncio.sleep(0)
        assert not getter.done()
        clock.t += 31
        q.tick()
        assert await asyncio.wait_for(getter, 5) == "later"

    asyncio.run(main())


def test_rate_limited_requeue_backs_off_exponentially_and_forget_resets() -> None:
    async def main() -> None:
        clock = FakeClock()
        q = WorkQueue(clock, base_delay=1.0, max_delay=8.0)
        delays = []
        for _ in range(5):
            q.add_rate_limited("k")
            delays.append(q._delayed[-1][0] - clock.t)
            q._delayed.clear()
        assert delays == [1.0, 2.0, 4.0, 8.0, 8.0]
        q.forget("k")
        q.add_rate_limited("k")
        assert q._delayed[-1][0] - clock.t == 1.0

    asyncio.run(main())


def test_shutdown_releases_waiting_workers() -> None:
    async def main() -> None:
        q = WorkQueue()
        getter = asyncio.ensure_future(q.get())
        await asyncio.sleep(0)
        q.shutdown()
        assert await asyncio.wait_for(getter, 5) is None

    asyncio.run(main())
