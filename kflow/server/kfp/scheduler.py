"""The recurring-run scheduler: KFP's ScheduledWorkflow controller, one step at a time.

`tick(now)` looks at every enabled recurring run once: it counts its active runs
(refreshed from their workflows), asks `schedules.next_time` when the next run is
due, and while one is due and fewer than `max_concurrency` run, starts it with
KFP's macros (`[[ScheduledTime]]` the time it stands for, `[[Index]]` its number).
The time is a parameter, so tests drive it; `run()` is the loop `kflow up` runs,
ticking every second on the backend's clock.

A run that cannot be created (its pipeline was deleted, say) is recorded as the
recurring run's `error` and its time is passed over, so one bad trigger does not
fire again every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from kflow.api.kfp import schedules
from kflow.api.kfp.errors import KfpError
from kflow.api.kfp.states import ACTIVE_STATES, RecurringRunMode
from kflow.server.kfp.recurring import RECURRING, RecurringRuns, trigger_of
from kflow.server.kfp.runs import Runs
from kflow.store.kfp_records import Record

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
MAX_RUNS_PER_TICK = 100  # a long catch-up proceeds over several ticks
_ACTIVE = frozenset(s.value for s in ACTIVE_STATES)


class Scheduler:
    """Starts recurring runs' runs when they are due."""

    def __init__(self, recurring: RecurringRuns, runs: Runs) -> None:
        self.recurring = recurring
        self.runs = runs
        self.records = recurring.records
        self._task: asyncio.Task[None] | None = None

    def tick(self, now: int) -> list[Record]:
        """Start every run due at `now`; the runs started."""
        started: list[Record] = []
        for record in self.records.list(RECURRING):
            if record.get("mode") == RecurringRunMode.ENABLE.value:
                started += self._trigger(record["recurring_run_id"], now)
        return started

    def active_runs(self, record: Record) -> int:
        runs = self.runs.list(experiment_id=record["experiment_id"])
        return sum(
            1
            for r in runs
            if r.get("recurring_run_id") == record["recurring_run_id"] and r["state"] in _ACTIVE
        )

    def due(self, record: Record, now: int) -> int | None:
        """The scheduled time of the next run if it is due at `now`, else None."""
        trigger = trigger_of(record)
        last = record.get("_last_triggered")
        if trigger is None:  # a one-off recurring run: once, at its creation
            return int(record["created_at"]) if last is None else None
        at = schedules.next_time(
            trigger,
            last=last,
            created=int(record["created_at"]),
            now=now,
            catchup=not record.get("no_catchup"),
        )
        return at if at is not None and at <= now else None

    def _trigger(self, recurring_run_id: str, now: int) -> list[Record]:
        started: list[Record] = []
        active: int | None = None  # counted once: from then on, every run started is active
        for _ in range(MAX_RUNS_PER_TICK):
            record = self.records.get(RECURRING, recurring_run_id)
            if record is None or record.get("mode") != RecurringRunMode.ENABLE.value:
                break
            at = self.due(record, now)
            if at is None:
                break
            if active is None:
                active = self.active_runs(record)
            if active >= int(record["max_concurrency"]):
                break
            index = int(record.get("_last_index") or 0) + 1
            error = None
            try:
                body = self.recurring.run_body(record, index)
                started.append(
                    self.runs.create(
                        body, recurring_run_id=recurring_run_id, scheduled_at=at, index=index
                    )
                )
                active += 1
            except KfpError as exc:
                log.warning("recurring run %s could not start a run: %s", recurring_run_id, exc)
                error = exc.rpc_status()

            def advance(
                current: Record, at: int = at, index: int = index, error: object = error
            ) -> Record:
                current["_last_triggered"] = at
                current["_last_index"] = index
                current["error"] = error
                return current

            self.records.update(RECURRING, recurring_run_id, advance)
        return started

    # -- the loop `kflow up` runs ----------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.ensure_future(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run(self) -> None:
        clock = self.runs.backend.clock
        while True:
            try:
                await asyncio.to_thread(self.tick, int(clock()))
            except Exception:  # a bad tick must not end scheduling for good
                log.exception("the recurring-run scheduler failed a tick")
            await asyncio.sleep(TICK_SECONDS)
