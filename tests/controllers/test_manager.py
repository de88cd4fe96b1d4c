"""The manager: workers leave room for everything else on the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

from kflow.controllers.manager import Controller, Manager, Result, WatchSpec
from kflow.controllers.workqueue import WorkQueue
from kflow.store.memory import MemoryStore


class Busy(Controller):
    """A controller whose reconciles never wait for anything, like the pod controller's."""

    name = "busy"

    def __init__(self, keys: int) -> None:
        self.keys = keys
        self.done: list[Hashable] = []

    def watches(self) -> list[WatchSpec]:
        return []

    async def start(self, queue: WorkQueue) -> None:
        for i in range(self.keys):
            queue.add(i)

    async def reconcile(self, key: Hashable) -> Result:
        self.done.append(key)
        return Result()


def test_a_long_queue_does_not_keep_the_event_loop_from_other_work() -> None:
    async def main() -> None:
        busy = Busy(500)
        manager = Manager(MemoryStore())
        manager.add(busy)
        await manager.start()
        await asyncio.sleep(0)  # a request handler, a watch: anything that awaits
        seen_at = len(busy.done)
        try:
            while len(busy.done) < busy.keys:
                await asyncio.sleep(0.001)
        finally:
            await manager.stop()
        assert seen_at < busy.keys, "the workers ran every key before anything else ran"

    asyncio.run(main())
