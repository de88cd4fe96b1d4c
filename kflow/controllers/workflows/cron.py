"""The CronWorkflow controller: a Workflow for every schedule time, as Argo's cron controller.

Each reconcile reads the CronWorkflow and the workflows it started (labelled
`workflows.argoproj.io/cron-workflow=<name>`, owned by it), then:

- notes which runs are still active, counts finished ones, and deletes the oldest
  beyond `successfulJobsHistoryLimit` (3) and `failedJobsHistoryLimit` (1);
- unless `suspend`, finds the latest schedule time (in `timezone`) after
  `status.lastScheduledTime` that is due; a time missed by more than
  `startingDeadlineSeconds` (10 s when unset: kflow was not running then) is skipped;
- applies `concurrencyPolicy` — Allow starts it anyway, Forbid skips it while a run is
  active, Replace deletes the active runs first — and creates the workflow
  `<name>-<unix time>` from `workflowSpec` and `workflowMetadata`, a name fixed by the
  schedule time so a retried reconcile never starts a run twice;
- writes `status` (`active`, `lastScheduledTime`, `succeeded`, `failed`, `phase`,
  a `SubmissionError` condition when a run could not be created) and asks to be
  woken at the next schedule time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.argo import contracts as c
from kflow.api.argo.schedule import ScheduleError, last_due, next_after
from kflow.api.errors import AlreadyExists, ApiError, Conflict, NotFound
from kflow.api.kinds import registry
from kflow.api.selectors import parse_label_selector
from kflow.controllers.events import EventRecorder
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.store.interface import Store, WatchEvent

Obj = dict[str, Any]
COMPONENT = "cron-workflow-controller"
DEFAULT_STARTING_DEADLINE = 10.0
"""Seconds a schedule time may be late and still run when no deadline is set."""
SUCCESSFUL_HISTORY = 3
FAILED_HISTORY = 1
FINISHED = ("Succeeded", "Failed", "Error")


def _owner(event: WatchEvent) -> list[Hashable]:
    name = m.labels_of(event.object).get(c.LABEL_CRON_WORKFLOW)
    return [(m.namespace_of(event.object), name)] if name else []


def run_name(cron: str, when: dt.datetime) -> str:
    """The workflow a schedule time becomes (Argo's `<cron workflow>-<unix time>`)."""
    return f"{cron}-{int(when.timestamp())}"


class CronWorkflowController(Controller):
    """Starts workflows on their CronWorkflows' schedules."""

    name = COMPONENT

    def __init__(
        self,
        store: Store,
        recorder: EventRecorder | None = None,
        *,
        now: Callable[[], dt.datetime] = m.now,
    ) -> None:
        self.store = store
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)
        self.now = now

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec(c.CRON_WORKFLOWS), WatchSpec(c.WORKFLOWS, _owner)]

    def _runs(self, cron: Obj) -> list[Obj]:
        selector = parse_label_selector(f"{c.LABEL_CRON_WORKFLOW}={m.name_of(cron)}")
        uid = m.meta(cron).get("uid")
        runs = [
            wf
            for wf in self.store.list(c.WORKFLOWS, m.namespace_of(cron), labels=selector).items
            if any(r.get("uid") == uid for r in m.meta(wf).get("ownerReferences") or [])
        ]
        return sorted(runs, key=lambda wf: str(m.meta(wf).get("creationTimestamp")))

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            cron = self.store.get(c.CRON_WORKFLOWS, namespace, name)
        except NotFound:
            return Result()
        if m.meta(cron).get("deletionTimestamp"):
            return Result()
        return self._sync(cron)

    def _sync(self, cron: Obj) -> Result:
        spec = cron.get("spec") or {}
        status = m.clone(cron.get("status") or {})
        now = self.now()
        runs = self._runs(cron)
        active = [wf for wf in runs if (wf.get("status") or {}).get("phase") not in FINISHED]
        self._trim_history(cron, runs)
        requeue: float | None = None
        if spec.get("suspend"):
            status["phase"] = "Stopped"
        else:
            status["phase"] = "Active"
            try:
                requeue, started = self._schedule(cron, spec, status, active, now)
            except ScheduleError as error:
                self._condition(status, "SpecError", str(error), now)
                started = None
            if started is not None:
                active.append(started)
        status["active"] = [
            {
                "apiVersion": c.API_VERSION,
                "kind": "Workflow",
                "name": m.name_of(wf),
                "namespace": m.namespace_of(wf),
                "uid": m.meta(wf).get("uid"),
            }
            for wf in active
        ]
        if not status["active"]:
            status.pop("active")
        self._count(cron, status, runs)
        if status != (cron.get("status") or {}):
            body = m.clone(cron)
            body["status"] = status
            try:
                self.store.update_status(c.CRON_WORKFLOWS, body)
            except Conflict:
                return Result(requeue_after=0.05)
            except NotFound:
                return Result()
        return Result(requeue_after=requeue)

    def _count(self, cron: Obj, status: Obj, runs: list[Obj]) -> None:
        """Runs that were active and have finished since add to `succeeded`/`failed`."""
        was_active = {a.get("uid") for a in (cron.get("status") or {}).get("active") or []}
        for wf in runs:
            phase = (wf.get("status") or {}).get("phase")
            if m.meta(wf).get("uid") in was_active and phase in FINISHED:
                field = "succeeded" if phase == "Succeeded" else "failed"
                status[field] = int(status.get(field) or 0) + 1

    def _schedule(
        self, cron: Obj, spec: Obj, status: Obj, active: list[Obj], now: dt.datetime
    ) -> tuple[float | None, Obj | None]:
        """Start the run that is due, if any; (seconds to the next time, the run started)."""
        last = status.get("lastScheduledTime") or m.meta(cron).get("creationTimestamp")
        after = m.parse_timestamp(str(last)) if last else now - dt.timedelta(seconds=1)
        due = last_due(spec, after, now)
        started = None
        if due is not None:
            status["lastScheduledTime"] = m.timestamp(due)
            deadline = spec.get("startingDeadlineSeconds")
            late = (now - due).total_seconds()
            limit = float(deadline) if deadline is not None else DEFAULT_STARTING_DEADLINE
            policy = spec.get("concurrencyPolicy") or c.ConcurrencyPolicy.ALLOW.value
            if late > limit:
                self.recorder.record(
                    cron, "Warning", "MissedSchedule", f"Missed schedule {m.timestamp(due)}"
                )
            elif active and policy == c.ConcurrencyPolicy.FORBID.value:
                self.recorder.record(
                    cron, "Normal", "ConcurrencyPolicy", "Skipped a run: one is still active"
                )
            else:
                if policy == c.ConcurrencyPolicy.REPLACE.value:
                    for wf in active:
                        with contextlib.suppress(NotFound):
                            self.store.delete(c.WORKFLOWS, m.namespace_of(wf), m.name_of(wf))
                    active.clear()
                started = self._submit(cron, spec, status, due, now)
        following = next_after(spec, now)
        wait = None if following is None else (following - now).total_seconds() + 0.01
        return wait, started

    def _submit(
        self, cron: Obj, spec: Obj, status: Obj, when: dt.datetime, now: dt.datetime
    ) -> Obj | None:
        meta = json.loads(json.dumps(spec.get("workflowMetadata") or {}))
        labels = dict(meta.get("labels") or {})
        labels[c.LABEL_CRON_WORKFLOW] = m.name_of(cron)
        annotations = dict(meta.get("annotations") or {})
        annotations[c.ANNOTATION_SCHEDULED_TIME] = m.timestamp(when)
        body = {
            "apiVersion": c.API_VERSION,
            "kind": "Workflow",
            "metadata": {
                "name": run_name(m.name_of(cron), when),
                "namespace": m.namespace_of(cron),
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [m.owner_reference(cron)],
            },
            "spec": json.loads(json.dumps(spec.get("workflowSpec") or {})),
        }
        info = registry.by_resource(c.WORKFLOWS)
        try:
            created = self.store.create(
                c.WORKFLOWS, admit(info, body, None, operation="CREATE", version=c.VERSION)
            )
        except AlreadyExists:
            return None
        except ApiError as error:
            self._condition(status, "SubmissionError", f"Failed to submit Workflow: {error}", now)
            return None
        status["conditions"] = [
            x for x in status.get("conditions") or [] if x.get("type") != "SubmissionError"
        ]
        if not status["conditions"]:
            status.pop("conditions")
        self.recorder.record(
            cron, "Normal", "WorkflowCreated", f"Created workflow {m.name_of(created)}"
        )
        return created

    def _condition(self, status: Obj, kind: str, message: str, now: dt.datetime) -> None:
        conditions = [x for x in status.get("conditions") or [] if x.get("type") != kind]
        conditions.append(
            {
                "type": kind,
                "status": "True",
                "message": message,
                "lastTransitionTime": m.timestamp(now),
            }
        )
        status["conditions"] = conditions

    def _trim_history(self, cron: Obj, runs: list[Obj]) -> None:
        """Delete the oldest finished runs beyond the history limits."""
        spec = cron.get("spec") or {}
        succeeded = spec.get("successfulJobsHistoryLimit")
        failed = spec.get("failedJobsHistoryLimit")
        limits = (
            (("Succeeded",), SUCCESSFUL_HISTORY if succeeded is None else int(succeeded)),
            (("Failed", "Error"), FAILED_HISTORY if failed is None else int(failed)),
        )
        for phases, limit in limits:
            finished = [wf for wf in runs if (wf.get("status") or {}).get("phase") in phases]
            for wf in finished[: max(len(finished) - limit, 0)]:
                with contextlib.suppress(NotFound):
                    self.store.delete(c.WORKFLOWS, m.namespace_of(wf), m.name_of(wf))
