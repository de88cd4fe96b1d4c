"""The Job controller: a `batch/v1` Job becomes pods until enough of them succeed.

As Kubernetes' job controller does, each reconcile counts the job's pods (selected by
its selector and owned by it), creates pods `<job>-<random>` from the template while
fewer than `parallelism` are active and fewer than `completions` have succeeded, and
writes `active`/`succeeded`/`failed`/`ready` and the `Complete`/`Failed`/`Suspended`
conditions. Failures (failed pods, and container restarts under `OnFailure`) count
against `backoffLimit`; `activeDeadlineSeconds`, `suspend` and
`ttlSecondsAfterFinished` apply. Pods stay after the job finishes, so their logs do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.batch import jobs as j
from kflow.api.errors import AlreadyExists, NotFound
from kflow.api.selectors import parse_label_selector
from kflow.controllers.events import EventRecorder
from kflow.controllers.manager import Controller, Result, WatchSpec, owner_keys
from kflow.store.interface import Store

Obj = dict[str, Any]
RESOURCE = "jobs.batch"
COMPONENT = "job-controller"
TERMINAL = ("Succeeded", "Failed")


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _ready(pod: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _restarts(pod: Obj) -> int:
    status = pod.get("status") or {}
    every = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    return sum(int(cs.get("restartCount") or 0) for cs in every)


def _index(pod: Obj) -> int | None:
    value = (m.meta(pod).get("annotations") or {}).get(j.COMPLETION_INDEX_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _true(status: Obj, ctype: str) -> bool:
    return any(
        c.get("type") == ctype and c.get("status") == "True" for c in status.get("conditions") or []
    )


def _set_condition(
    status: Obj, ctype: str, reason: str, message: str, now: str, value: str = "True"
) -> None:
    conditions = status.setdefault("conditions", [])
    for cond in conditions:
        if cond.get("type") == ctype:
            if cond.get("status") != value:
                cond["lastTransitionTime"] = now
            cond.update(status=value, reason=reason, message=message, lastProbeTime=now)
            return
    conditions.append(
        {
            "type": ctype,
            "status": value,
            "lastProbeTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
    )


class JobController(Controller):
    """Reconciles `batch/v1` Jobs into pods."""

    name = COMPONENT
    workers = 2

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
        return [WatchSpec(RESOURCE), WatchSpec("pods", owner_keys("Job"))]

    def _pods(self, job: Obj) -> list[Obj]:
        labels = ((job.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        selector = parse_label_selector(",".join(f"{k}={v}" for k, v in labels.items()))
        uid = m.meta(job).get("uid")
        return [
            pod
            for pod in self.store.list("pods", m.namespace_of(job), labels=selector).items
            if any(
                ref.get("controller") and ref.get("uid") == uid
                for ref in m.meta(pod).get("ownerReferences") or []
            )
        ]

    def _delete_pods(self, job: Obj, pods: list[Obj]) -> None:
        for pod in pods:
            try:
                self.store.delete("pods", m.namespace_of(pod), m.name_of(pod))
            except NotFound:
                continue
            self.recorder.record(
                job, "Normal", "SuccessfulDelete", f"Deleted pod: {m.name_of(pod)}"
            )

    def _create_pod(self, job: Obj, index: int | None) -> bool:
        template = m.clone((job.get("spec") or {}).get("template") or {})
        md = template.get("metadata") or {}
        middle = f"-{index}" if index is not None else ""
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{m.name_of(job)}{middle}-{m.random_suffix(5)}",
                "namespace": m.namespace_of(job),
                "labels": dict(md.get("labels") or {}),
                "annotations": dict(md.get("annotations") or {}),
                "ownerReferences": [m.owner_reference(job)],
            },
            "spec": template.get("spec") or {},
        }
        if index is not None:
            pod["metadata"]["annotations"][j.COMPLETION_INDEX_ANNOTATION] = str(index)
            pod["metadata"]["labels"][j.COMPLETION_INDEX_ANNOTATION] = str(index)
            for container in pod["spec"].get("containers") or []:
                env = container.setdefault("env", [])
                env.append({"name": j.COMPLETION_INDEX_ENV, "value": str(index)})
        try:
            created = self.store.create("pods", pod)
        except AlreadyExists:
            return False
        self.recorder.record(
            job, "Normal", "SuccessfulCreate", f"Created pod: {m.name_of(created)}"
        )
        return True

    def _write_status(self, job: Obj, status: Obj) -> None:
        if status == (job.get("status") or {}):
            return
        body = m.clone(job)
        body["status"] = status
        m.meta(body).pop("resourceVersion", None)  # a job's status has one writer: this loop
        try:
            self.store.update_status(RESOURCE, body)
        except NotFound:
            return

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            job = self.store.get(RESOURCE, namespace, name)
        except NotFound:
            return Result()
        if m.meta(job).get("deletionTimestamp"):
            return Result()
        return self._sync(job)

    def _sync(self, job: Obj) -> Result:
        spec = job.get("spec") or {}
        status = m.clone(job.get("status") or {})
        now = self.now()
        stamp = m.timestamp(now)
        pods = self._pods(job)
        live = [p for p in pods if not m.meta(p).get("deletionTimestamp")]
        active = [p for p in live if _phase(p) not in TERMINAL]
        if _true(status, j.CONDITION_COMPLETE) or _true(status, j.CONDITION_FAILED):
            self._delete_pods(job, active)
            return self._expire(job, status, now)

        if spec.get("suspend"):
            self._delete_pods(job, active)
            if not _true(status, j.CONDITION_SUSPENDED):
                _set_condition(
                    status,
                    j.CONDITION_SUSPENDED,
                    j.REASON_JOB_SUSPENDED,
                    j.MESSAGE_SUSPENDED,
                    stamp,
                )
                self.recorder.record(job, "Normal", "Suspended", j.MESSAGE_SUSPENDED)
            status.pop("startTime", None)
            status.pop("active", None)
            status["ready"] = 0
            self._write_status(job, status)
            return Result()
        if _true(status, j.CONDITION_SUSPENDED):
            _set_condition(
                status,
                j.CONDITION_SUSPENDED,
                j.REASON_JOB_RESUMED,
                j.MESSAGE_RESUMED,
                stamp,
                "False",
            )
            self.recorder.record(job, "Normal", "Resumed", j.MESSAGE_RESUMED)
        status.setdefault("startTime", stamp)

        indexed = spec.get("completionMode") == "Indexed"
        succeeded_pods = [p for p in pods if _phase(p) == "Succeeded"]
        done_indexes = {_index(p) for p in succeeded_pods} - {None}
        succeeded = len(done_indexes) if indexed else len(succeeded_pods)
        failed = sum(1 for p in pods if _phase(p) == "Failed")
        if (spec.get("template") or {}).get("spec", {}).get("restartPolicy") == "OnFailure":
            failed += sum(_restarts(p) for p in pods)
        completions = spec.get("completions")

        finish: tuple[str, str, str] | None = None
        deadline = spec.get("activeDeadlineSeconds")
        left: float | None = None
        if deadline is not None:
            ends = m.parse_timestamp(status["startTime"]) + dt.timedelta(seconds=int(deadline))
            left = (ends - now).total_seconds()
        if failed > int(spec.get("backoffLimit") or 0):
            finish = (j.REASON_BACKOFF_LIMIT_EXCEEDED, j.MESSAGE_BACKOFF_LIMIT_EXCEEDED, "Warning")
        elif left is not None and left <= 0:
            finish = (j.REASON_DEADLINE_EXCEEDED, j.MESSAGE_DEADLINE_EXCEEDED, "Warning")
        if finish is not None:
            reason, message, kind = finish
            self._delete_pods(job, active)
            active = []
            _set_condition(status, j.CONDITION_FAILED, reason, message, stamp)
            self.recorder.record(job, kind, reason, message)
        elif (completions is not None and succeeded >= int(completions)) or (
            completions is None and succeeded > 0 and not active
        ):
            status["completionTime"] = stamp
            _set_condition(
                status,
                j.CONDITION_COMPLETE,
                j.REASON_COMPLETIONS_REACHED,
                j.MESSAGE_COMPLETIONS_REACHED,
                stamp,
            )
            self.recorder.record(job, "Normal", "Completed", "Job completed")
        else:
            active = self._scale(job, active, succeeded, done_indexes, indexed)

        for field, value in (("active", len(active)), ("succeeded", succeeded), ("failed", failed)):
            if value:
                status[field] = value
            else:
                status.pop(field, None)
        status["ready"] = sum(1 for p in active if _ready(p))
        self._write_status(job, status)
        if finish is not None or j.CONDITION_COMPLETE in {
            c.get("type") for c in status.get("conditions") or []
        }:
            return self._expire(job, status, now)
        return Result(requeue_after=None if left is None else max(left, 0.0) + 0.01)

    def _scale(
        self,
        job: Obj,
        active: list[Obj],
        succeeded: int,
        done_indexes: set[int | None],
        indexed: bool,
    ) -> list[Obj]:
        """Create or delete pods so `parallelism` run and no more than still needed."""
        spec = job.get("spec") or {}
        completions = spec.get("completions")
        parallelism = int(spec.get("parallelism") or 0)
        if completions is None:  # a work queue: no new pods once one has succeeded
            wanted = 0 if succeeded else parallelism
        else:
            wanted = max(min(parallelism, int(completions) - succeeded), 0)
        if len(active) > wanted:
            extra = sorted(active, key=lambda p: _phase(p) == "Running")[: len(active) - wanted]
            self._delete_pods(job, extra)
            return [p for p in active if p not in extra]
        running = {_index(p) for p in active}
        free = [
            i for i in range(int(completions or 0)) if i not in done_indexes and i not in running
        ]
        made = 0
        for n in range(wanted - len(active)):
            if indexed and n >= len(free):
                break
            made += self._create_pod(job, free[n] if indexed else None)
        return active + [{} for _ in range(made)]  # just created: active, not yet ready

    def _expire(self, job: Obj, status: Obj, now: dt.datetime) -> Result:
        """Delete a finished job once `ttlSecondsAfterFinished` has passed."""
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        finished = [
            c.get("lastTransitionTime")
            for c in status.get("conditions") or []
            if c.get("type") in (j.CONDITION_COMPLETE, j.CONDITION_FAILED)
            and c.get("status") == "True"
        ]
        if ttl is None or not finished:
            return Result()
        left = (
            m.parse_timestamp(str(finished[0])) + dt.timedelta(seconds=int(ttl)) - now
        ).total_seconds()
        if left > 0:
            return Result(requeue_after=left + 0.01)
        with contextlib.suppress(NotFound):
            self.store.delete(RESOURCE, m.namespace_of(job), m.name_of(job))
        return Result()
