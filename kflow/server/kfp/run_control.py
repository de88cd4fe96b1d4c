"""Stopping and restarting runs: KFP's terminate and retry.

Terminate asks the workflow to stop as `argo terminate` does (`spec.shutdown:
Terminate`); the run reads `CANCELING` until it has, then `CANCELED`. Retry rewrites
a failed workflow so only its failed nodes run again (`workflow_retry.retry`),
after the pods of those nodes are gone, so none of them is taken for a new attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from kflow.api.argo import contracts as c
from kflow.api.errors import Conflict
from kflow.api.errors import NotFound as ObjectNotFound
from kflow.api.kfp.errors import FailedPrecondition
from kflow.api.kfp.states import FINAL_STATES, RuntimeState, StorageState
from kflow.server.kfp.runs import RUN, Runs
from kflow.server.kfp.workflow_retry import retry
from kflow.store.kfp_records import Record

POD_GONE_TIMEOUT = 30.0
PATCH_ATTEMPTS = 10
_FINAL = frozenset(s.value for s in FINAL_STATES)


class RunControl:
    """Terminate and retry, over the runs' records and workflows."""

    def __init__(self, runs: Runs) -> None:
        self.runs = runs

    def terminate(self, run_id: str) -> None:
        record = self.runs.get(run_id)
        if record["state"] in _FINAL:
            raise FailedPrecondition(
                f"Failed to terminate run {run_id}: it has already finished ({record['state']})"
            )
        now = self.runs.backend.now()

        def mark(current: Record) -> Record:
            current["_terminating"] = True
            if current["state"] != RuntimeState.CANCELING.value:
                current["state"] = RuntimeState.CANCELING.value
                current["state_history"] = [
                    *current.get("state_history", []),
                    {"update_time": now, "state": RuntimeState.CANCELING.value},
                ]
            return current

        self.runs.records.update(RUN, run_id, mark)
        self._patch_workflow(
            record, lambda wf: wf.setdefault("spec", {}).update(shutdown="Terminate")
        )
        self.runs.refresh(self.runs.records.get(RUN, run_id) or record)

    def _patch_workflow(self, record: Record, change: Callable[[dict[str, Any]], Any]) -> None:
        for _ in range(PATCH_ATTEMPTS):
            wf = self.runs.workflow(record)
            if wf is None:
                return
            change(wf)
            try:
                self.runs.backend.store.update(c.WORKFLOWS, wf)
                return
            except Conflict:
                continue
        raise FailedPrecondition(
            f"Failed to update the workflow of run {record['run_id']}: it kept changing"
        )

    async def retry(self, run_id: str) -> None:
        record = self.runs.get(run_id)
        if record["storage_state"] == StorageState.ARCHIVED.value:
            raise FailedPrecondition(
                f"Failed to retry run {run_id}: an archived run cannot be retried"
            )
        wf = self.runs.workflow(record)
        if wf is None:
            raise FailedPrecondition(f"Failed to retry run {run_id}: its workflow no longer exists")
        new, pods = retry(wf)
        namespace = record["_namespace"]
        for pod in pods:
            with contextlib.suppress(ObjectNotFound):
                self.runs.backend.store.delete("pods", namespace, pod)
        await self._pods_gone(namespace, pods)
        status = new.pop("status")
        written = self.runs.backend.store.update(c.WORKFLOWS, new)
        written["status"] = status
        self.runs.backend.store.update_status(c.WORKFLOWS, written)
        now = self.runs.backend.now()

        def restart(current: Record) -> Record:
            current.update(
                state=RuntimeState.RUNNING.value,
                finished_at=0,
                error=None,
                _terminating=False,
                state_history=[
                    *current.get("state_history", []),
                    {"update_time": now, "state": RuntimeState.RUNNING.value},
                ],
            )
            return current

        self.runs.records.update(RUN, run_id, restart)

    async def _pods_gone(self, namespace: str, pods: Sequence[str]) -> None:
        """Wait until the failed nodes' pods are gone, so none is mistaken for a new attempt."""
        deadline = time.monotonic() + POD_GONE_TIMEOUT
        for pod in pods:
            while True:
                try:
                    self.runs.backend.store.get("pods", namespace, pod)
                except ObjectNotFound:
                    break
                if time.monotonic() > deadline:
                    raise FailedPrecondition(
                        f"Failed to retry: pod {namespace}/{pod} of a failed task is still being deleted; try again"
                    )
                await asyncio.sleep(0.05)
