"""The Trial controller: runs a trial's workload, collects its metrics, judges it.

Each reconcile creates the workload (the trial's `runSpec`, admitted like any other
object, plus Katib's pod additions from `templates.workload_for`) if it does not
exist, reads new metric observations into the observation log (`collection.py` —
kflow reads logs, files and endpoints itself instead of injecting a sidecar), writes
`status.observation`, and judges the workload by the trial's `successCondition` /
`failureCondition`: Succeeded, MetricsUnavailable (succeeded without the objective
metric) or Failed. While it runs, early stopping (`kflow.tuning.should_stop`) may
stop it: the workload is deleted (or suspended, when the template says `retain`)
and the trial becomes EarlyStopped. A Killed trial (its experiment ended) is stopped
the same way. Observations go to the log before the status that reflects them, and
the log keeps each reader's position in the same transaction, so a crash neither
loses nor repeats an observation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.errors import AlreadyExists, ApiError, Conflict, NotFound
from kflow.api.katib import conditions as cond
from kflow.api.katib import gjson
from kflow.api.kinds import KindInfo, registry
from kflow.controllers.events import EventRecorder
from kflow.controllers.katib.collection import MetricsCollector
from kflow.controllers.katib.records import (
    EXPERIMENT_LABEL,
    TRIAL_LABEL,
    UNAVAILABLE,
    record_of,
    summarize,
)
from kflow.controllers.katib.suggestions import EXPERIMENTS, TRIALS, trials_of
from kflow.controllers.katib.templates import workload_for
from kflow.controllers.manager import Controller, Result, WatchSpec, owner_keys
from kflow.runtime.interface import Runtime
from kflow.store.interface import Store, WatchEvent
from kflow.store.observations import ObservationLog
from kflow.tuning import should_stop

Obj = dict[str, Any]
log = logging.getLogger(__name__)

COMPONENT = "trial-controller"
POLL_SECONDS = 0.5
"""How often a running trial's metrics are read (pushed metrics wake it at once): the
early-stopping rules see a trial's reports at most this late."""
WORKLOAD_RESOURCES = (
    "jobs.batch",
    "tfjobs.kubeflow.org",
    "pytorchjobs.kubeflow.org",
    "mpijobs.kubeflow.org",
    "xgboostjobs.kubeflow.org",
    "jaxjobs.kubeflow.org",
    "paddlejobs.kubeflow.org",
)


def _pod_trial(event: WatchEvent) -> list[Hashable]:
    trial = m.labels_of(event.object).get(TRIAL_LABEL)
    return [(m.namespace_of(event.object), trial)] if trial else []


def _with_job(what: cond.Reason, job_condition: Obj) -> cond.Reason:
    """Katib's wording: the trial's reason and message extended by the workload's own."""
    reason, message = what.reason, what.message
    if job_condition.get("message"):
        message = f"{message}. Job message: {job_condition['message']}"
    if job_condition.get("reason"):
        reason = f"{reason}. Job reason: {job_condition['reason']}"
    return cond.Reason(what.type, reason, message)


class TrialController(Controller):
    """Reconciles Trials into workloads and observations."""

    name = COMPONENT
    workers = 4

    def __init__(
        self,
        store: Store,
        runtime: Runtime,
        observations: ObservationLog,
        recorder: EventRecorder | None = None,
        *,
        db_manager_ip: str | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.observations = observations
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)
        self.collector = MetricsCollector(store, runtime, observations, self.recorder)
        self.db_manager_ip = db_manager_ip
        self.poll_seconds = poll_seconds

    def watches(self) -> list[WatchSpec]:
        return [
            WatchSpec(TRIALS),
            WatchSpec("pods", _pod_trial),
            *(WatchSpec(r, owner_keys("Trial")) for r in WORKLOAD_RESOURCES),
        ]

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            trial = self.store.get(TRIALS, namespace, name)
        except NotFound:
            # Katib's clean-metrics-in-db: the log goes with the trial
            await asyncio.to_thread(self.observations.delete, namespace, name)
            return Result()
        if m.meta(trial).get("deletionTimestamp"):
            return Result()
        status = m.clone(trial.get("status") or {})
        if not status.get("startTime"):
            status["startTime"] = m.timestamp()
            cond.set_condition(status, cond.TRIAL_CREATED)
        spec = trial.get("spec") or {}
        try:
            info, version = registry.for_object(spec.get("runSpec") or {})
        except NotFound as err:
            return self._fail(trial, status, f"Trial has failed: runSpec: {err}")
        workload = self._workload(info, trial)
        if cond.finished(trial):
            self._stop_workload(trial, info, workload)
            return self._write(trial, status)
        if workload is None:
            return self._create(trial, status, info, version)

        failure = gjson.matched(workload, str(spec.get("failureCondition") or ""))
        success = (
            None
            if failure is not None
            else gjson.matched(workload, str(spec.get("successCondition") or ""))
        )
        failed, succeeded = failure is not None, success is not None
        fresh = await self.collector.collect(trial, final=failed or succeeded)
        observations = await asyncio.to_thread(self.observations.read, namespace, name)
        strategies = (spec.get("objective") or {}).get("metricStrategies") or []
        status["observation"] = {"metrics": summarize(observations, strategies)}
        if failure is not None:
            cond.set_condition(status, _with_job(cond.TRIAL_FAILED, failure))
            status["completionTime"] = m.timestamp()
            self.recorder.record(
                trial,
                "Normal",
                "JobFailed",
                f"Job {name} has failed. Job message: {failure.get('message', '')}, "
                f"reason: {failure.get('reason', '')}",
            )
        elif success is not None:
            objective = str((spec.get("objective") or {}).get("objectiveMetricName"))
            latest = next(
                (x["latest"] for x in status["observation"]["metrics"] if x["name"] == objective),
                UNAVAILABLE,
            )
            if latest == UNAVAILABLE:
                cond.set_condition(status, _with_job(cond.TRIAL_METRICS_UNAVAILABLE, success))
                self.recorder.record(
                    trial,
                    "Warning",
                    "JobMetricsUnavailable",
                    f"Metrics are not available for Job {name}",
                )
            else:
                cond.set_condition(status, _with_job(cond.TRIAL_SUCCEEDED, success))
                self.recorder.record(trial, "Normal", "JobSucceeded", f"Job {name} has succeeded")
            status["completionTime"] = m.timestamp()
        else:
            # Katib: a deployed workload that has neither succeeded nor failed is running
            cond.set_condition(status, cond.TRIAL_RUNNING)
            if fresh and not self._primary_done(trial):
                await self._maybe_stop_early(trial, status)
        result = self._write(trial, status)
        if cond.finished({"status": status}):
            return result
        return Result(requeue_after=self.poll_seconds)

    # --- the workload -----------------------------------------------------------------

    def _workload(self, info: KindInfo, trial: Obj) -> Obj | None:
        try:
            workload = self.store.get(info.resource, m.namespace_of(trial), m.name_of(trial))
        except NotFound:
            return None
        uid = m.meta(trial).get("uid")
        owned = any(r.get("uid") == uid for r in m.meta(workload).get("ownerReferences") or [])
        return workload if owned else None

    def _create(self, trial: Obj, status: Obj, info: KindInfo, version: str) -> Result:
        if status.get("completionTime"):
            return self._write(trial, status)
        body = workload_for(trial, self.db_manager_ip)
        try:
            admitted = admit(info, body, None, operation="CREATE", version=version)
            self.store.create(info.resource, admitted)
        except AlreadyExists:
            return Result(requeue_after=0.05)
        except ApiError as err:
            return self._fail(trial, status, f"Trial has failed: the workload was refused: {err}")
        self.recorder.record(
            trial, "Normal", "JobCreated", f"Job {m.name_of(trial)} of kind {info.kind} is created"
        )
        return self._write(trial, status)

    def _stop_workload(self, trial: Obj, info: KindInfo, workload: Obj | None) -> None:
        """Katib deletes a finished trial's workload unless the template retains it."""
        if workload is None:
            return
        retain = bool((trial.get("spec") or {}).get("retainRun"))
        stopped_early = cond.is_true(trial, cond.EARLY_STOPPED) or cond.is_true(trial, cond.KILLED)
        if not retain:
            with contextlib.suppress(NotFound):
                self.store.delete(info.resource, m.namespace_of(workload), m.name_of(workload))
            return
        if stopped_early:
            self._suspend(info, workload)

    def _suspend(self, info: KindInfo, workload: Obj) -> None:
        """Stop a retained workload's pods and keep the object (Job or training job)."""
        body = m.clone(workload)
        spec = body.setdefault("spec", {})
        if info.resource == "jobs.batch":
            if spec.get("suspend"):
                return
            spec["suspend"] = True
        else:
            policy = spec.setdefault("runPolicy", {})
            if policy.get("suspend"):
                return
            policy["suspend"] = True
        with contextlib.suppress(Conflict, NotFound):
            self.store.update(info.resource, body)

    # --- early stopping ----------------------------------------------------------------

    def _primary_done(self, trial: Obj) -> bool:
        """The training process has already ended: stopping it now would save nothing and
        would call a finished trial stopped."""
        pods = self.collector.primary_pods(trial)
        return bool(pods) and all(
            (p.get("status") or {}).get("phase") in ("Succeeded", "Failed") for p in pods
        )

    async def _maybe_stop_early(self, trial: Obj, status: Obj) -> None:
        experiment_name = m.labels_of(trial).get(EXPERIMENT_LABEL)
        if not experiment_name:
            return
        try:
            experiment = self.store.get(EXPERIMENTS, m.namespace_of(trial), experiment_name)
        except NotFound:
            return
        spec = experiment.get("spec") or {}
        objective = spec.get("objective") or {}
        current = {**trial, "status": status}

        def decide() -> str | None:
            others = [
                record_of(t, objective, self.observations)
                for t in trials_of(self.store, experiment)
                if m.name_of(t) != m.name_of(trial)
            ]
            return should_stop(spec, record_of(current, objective, self.observations), others)

        reason = await asyncio.to_thread(decide)
        if reason:
            cond.set_condition(
                status, cond.TRIAL_EARLY_STOPPED, message=f"Trial is early stopped: {reason}"
            )
            status["completionTime"] = m.timestamp()
            self.recorder.record(trial, "Normal", "TrialEarlyStopped", reason)

    # --- status -----------------------------------------------------------------------

    def _fail(self, trial: Obj, status: Obj, message: str) -> Result:
        cond.set_condition(status, cond.TRIAL_FAILED, message=message)
        status.setdefault("completionTime", m.timestamp())
        self.recorder.record(trial, "Warning", "TrialFailed", message)
        return self._write(trial, status)

    def _write(self, trial: Obj, status: Obj) -> Result:
        before = dict(trial.get("status") or {})
        before.pop("lastReconcileTime", None)
        status.pop("lastReconcileTime", None)
        if status == before:
            return Result()
        status["lastReconcileTime"] = m.timestamp()
        body = m.clone(trial)
        body["status"] = status
        try:
            self.store.update_status(TRIALS, body)
        except Conflict:
            return Result(requeue_after=0.05)
        except NotFound:
            pass
        return Result()
