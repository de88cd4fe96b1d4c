"""The pod controller: kflow's kubelet loop between the store and the runtime.

For every Pod it converges the runtime to the object: a new pod is resolved into a
`PodLaunch`, admitted against capacity (a pod group all-or-nothing), started, and
its status is written back whenever the runtime reports a change. A pod marked for
deletion is stopped within its grace period and only then released (the
`kflow.dev/process` finalizer holds the object until its processes are gone, which
is also what makes `kubectl delete` wait). A pod the runtime no longer knows after a
restart of kflow is marked Failed, never started twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable
from typing import Any, cast

import orjson

from kflow.api import meta as m
from kflow.api.errors import Conflict, NotFound
from kflow.api.selectors import parse_label_selector
from kflow.controllers.events import EventRecorder
from kflow.controllers.launches import LaunchError, build_launch
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.controllers.workqueue import WorkQueue
from kflow.runtime.interface import AdmissionResult, PodLaunch, Runtime, RuntimeEvent
from kflow.store.interface import Store

log = logging.getLogger(__name__)

FINALIZER = "kflow.dev/process"
POD_GROUP_LABEL = "scheduling.x-k8s.io/pod-group"
"""Pods sharing this label value are admitted together (gang scheduling)."""
MIN_AVAILABLE_ANNOTATION = "scheduling.kflow.dev/min-available"
"""How many pods of a group must exist before any starts (default: all that exist)."""
PORTS_ANNOTATION = "kflow.dev/ports"
"""Declared containerPort -> host port on 127.0.0.1, as JSON, written once a pod runs."""
NODE_NAME = "kflow-local"
TERMINAL = ("Succeeded", "Failed")
WAIT_RETRY_SECONDS = 0.5  # how soon a pod that did not fit asks again
NEVER_FITS_RETRY_SECONDS = 30.0

Key = tuple[str, str]


class PodController(Controller):
    name = "pods"
    workers = 4

    def __init__(
        self, store: Store, runtime: Runtime, recorder: EventRecorder | None = None
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.recorder = recorder or EventRecorder(store)
        self._keys: dict[str, Key] = {}  # pod uid -> (namespace, name)
        self._pods: dict[str, dict[str, Any]] = {}  # uid -> last seen object, for events
        self._stopping: dict[str, asyncio.Task[None]] = {}
        self._queue: WorkQueue | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec("pods")]

    async def start(self, queue: WorkQueue) -> None:
        self._queue = queue
        self._loop = asyncio.get_running_loop()
        for pod in self.store.list("pods").items:
            self._remember(pod)
        await self.runtime.start(self._on_change, self._on_event)
        # processes whose pod object is gone (deleted while kflow was down) are stopped
        for uid in self.runtime.known_pods():
            if uid not in self._keys:
                self._stopping[uid] = asyncio.ensure_future(self._stop_and_remove(uid, 0))

    async def stop(self) -> None:
        for task in self._stopping.values():
            task.cancel()
        await self.runtime.close()

    # -- runtime callbacks (may arrive from any thread) ---------------------

    def _on_change(self, uid: str) -> None:
        key = self._keys.get(uid)
        if key is not None and self._queue is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._queue.add, key)

    def _on_event(self, event: RuntimeEvent) -> None:
        pod = self._pods.get(event.pod_uid)
        if pod is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(
                    self.recorder.record, pod, event.type, event.reason, event.message
                )

    def _remember(self, pod: dict[str, Any]) -> None:
        uid = m.meta(pod)["uid"]
        self._keys[uid] = (m.namespace_of(pod), m.name_of(pod))
        self._pods[uid] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {k: m.meta(pod).get(k) for k in ("name", "namespace", "uid")},
        }

    def _forget(self, uid: str) -> None:
        self._keys.pop(uid, None)
        self._pods.pop(uid, None)
        self.recorder.forget(uid)

    # -- reconcile ------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(Key, key)
        try:
            pod = self.store.get("pods", namespace, name)
        except NotFound:
            pod = None
        current_uid = m.meta(pod)["uid"] if pod else None
        for uid, other in list(self._keys.items()):
            if other == (namespace, name) and uid != current_uid:
                await self._stop_and_remove(uid, 0)  # gone, or replaced by a new pod
        if pod is None:
            return Result()
        uid = m.meta(pod)["uid"]
        self._remember(pod)
        if m.meta(pod).get("deletionTimestamp"):
            return await self._delete(pod)
        status = self.runtime.pod_status(uid)
        if status is not None:
            self._write_status(pod, status)
            return Result()
        phase = (pod.get("status") or {}).get("phase")
        if phase in TERMINAL:
            return Result()
        if (pod.get("status") or {}).get("startTime"):
            self._write_status(
                pod,
                {
                    "phase": "Failed",
                    "reason": "ProcessLost",
                    "message": "kflow no longer has this pod's processes (its runtime state "
                    "is gone); it is not started again so it never runs twice",
                },
            )
            return Result()
        return self._schedule(pod)

    def _schedule(self, pod: dict[str, Any]) -> Result:
        group = m.labels_of(pod).get(POD_GROUP_LABEL)
        members = self._group_members(pod, group) if group else [pod]
        if group:
            wanted = int(
                m.meta(pod).get("annotations", {}).get(MIN_AVAILABLE_ANNOTATION) or len(members)
            )
            if len(members) < wanted:
                return self._pending(
                    pod,
                    "Unschedulable",
                    f'pod group "{group}" has {len(members)} of the {wanted} pods it needs to start',
                    WAIT_RETRY_SECONDS,
                )
        launches: list[tuple[dict[str, Any], PodLaunch]] = []
        for member in members:
            try:
                launches.append((member, build_launch(self.store, member)))
            except LaunchError as exc:
                return self._pending(member, exc.reason, exc.message, 2.0, warning_reason="Failed")
        verdict, why = self.runtime.admit([launch for _, launch in launches])
        if verdict is not AdmissionResult.ADMITTED:
            retry = (
                WAIT_RETRY_SECONDS
                if verdict is AdmissionResult.WAITING
                else NEVER_FITS_RETRY_SECONDS
            )
            return self._pending(
                pod, "Unschedulable", why, retry, warning_reason="FailedScheduling"
            )
        for member, launch in launches:
            member = self._add_finalizer(member)
            self._remember(member)
            self.recorder.record(
                member,
                "Normal",
                "Scheduled",
                f"Successfully assigned {launch.namespace}/{launch.name} to {NODE_NAME}",
            )
            self.runtime.run_pod(launch)
            status = self.runtime.pod_status(launch.uid)
            if status is not None:
                self._write_status(member, status)
        return Result()

    def _group_members(self, pod: dict[str, Any], group: str) -> list[dict[str, Any]]:
        """Pods of the group that still need to start (this one included)."""
        selector = parse_label_selector(f"{POD_GROUP_LABEL}={group}")
        listed = self.store.list("pods", m.namespace_of(pod), labels=selector).items
        return [
            p
            for p in listed
            if not m.meta(p).get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in TERMINAL
            and self.runtime.pod_status(m.meta(p)["uid"]) is None
        ]

    def _pending(
        self,
        pod: dict[str, Any],
        reason: str,
        message: str,
        retry: float,
        *,
        warning_reason: str = "FailedScheduling",
    ) -> Result:
        status = dict(pod.get("status") or {})
        status["phase"] = "Pending"
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "reason": reason,
            "message": message,
            "lastTransitionTime": m.timestamp(),
        }
        old = m.condition(pod, "PodScheduled")
        if old and old.get("message") == message:
            condition["lastTransitionTime"] = old.get(
                "lastTransitionTime", condition["lastTransitionTime"]
            )
        status["conditions"] = [
            c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"
        ]
        status["conditions"].append(condition)
        self._write_status(pod, status, replace=True)
        self.recorder.record(pod, "Warning", warning_reason, message)
        return Result(requeue_after=retry)

    def _add_finalizer(self, pod: dict[str, Any]) -> dict[str, Any]:
        """Hold the pod until its processes are gone, and bind it to this node."""
        for _ in range(5):
            finalizers = list(m.meta(pod).get("finalizers") or [])
            if FINALIZER in finalizers:
                return pod
            updated = m.clone(pod)
            m.meta(updated)["finalizers"] = [*finalizers, FINALIZER]
            updated.setdefault("spec", {}).setdefault("nodeName", NODE_NAME)  # the binding
            try:
                return self.store.update("pods", updated)
            except Conflict:
                pod = self.store.get("pods", m.namespace_of(pod), m.name_of(pod))
        raise Conflict(f'pods "{m.name_of(pod)}": could not add finalizer {FINALIZER}')

    def _write_status(
        self, pod: dict[str, Any], status: dict[str, Any], *, replace: bool = False
    ) -> None:
        merged = dict(status) if replace else {**(pod.get("status") or {}), **status}
        uid = m.meta(pod)["uid"]
        ports = self.runtime.port_map(uid) if not replace else {}
        annotations = m.meta(pod).get("annotations") or {}
        if ports and PORTS_ANNOTATION not in annotations:
            updated = m.clone(pod)
            m.meta(updated).setdefault("annotations", {})[PORTS_ANNOTATION] = orjson.dumps(
                {str(k): v for k, v in sorted(ports.items())}
            ).decode()
            m.meta(updated).pop("resourceVersion", None)
            with contextlib.suppress(NotFound):
                pod = self.store.update("pods", updated)
        if merged == pod.get("status"):
            return
        body = m.clone(pod)
        body["status"] = merged
        m.meta(body).pop("resourceVersion", None)  # pods' status has one writer: this loop
        with contextlib.suppress(NotFound):
            self.store.update_status("pods", body)

    async def _delete(self, pod: dict[str, Any]) -> Result:
        uid = m.meta(pod)["uid"]
        status = self.runtime.pod_status(uid)
        if status is not None and status.get("phase") not in TERMINAL:
            if uid not in self._stopping:
                grace = m.meta(pod).get("deletionGracePeriodSeconds")
                if grace is None:
                    grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                self._stopping[uid] = asyncio.ensure_future(
                    self.runtime.stop_pod(uid, float(grace))
                )
                self._stopping[uid].add_done_callback(lambda _t: self._on_change(uid))
            return Result(requeue_after=1.0)
        if status is not None:
            self._write_status(pod, status)
        self._stopping.pop(uid, None)
        if uid in self.runtime.known_pods():
            self.runtime.remove_pod(uid)
        self._release(pod)
        self._forget(uid)
        return Result()

    def _release(self, pod: dict[str, Any]) -> None:
        """Drop our finalizer so the store can finish deleting the pod."""
        for _ in range(5):
            finalizers = list(m.meta(pod).get("finalizers") or [])
            if FINALIZER not in finalizers:
                return
            updated = m.clone(pod)
            m.meta(updated)["finalizers"] = [f for f in finalizers if f != FINALIZER]
            try:
                self.store.update("pods", updated)
                return
            except Conflict:
                pod = self.store.get("pods", m.namespace_of(pod), m.name_of(pod))
            except NotFound:
                return

    async def _stop_and_remove(self, uid: str, grace: float) -> None:
        try:
            status = self.runtime.pod_status(uid)
            if status is not None and status.get("phase") not in TERMINAL:
                await self.runtime.stop_pod(uid, grace)
            if uid in self.runtime.known_pods():
                self.runtime.remove_pod(uid)
        except Exception:  # never let one pod's cleanup stop the loop; say so
            log.exception("could not stop and remove the processes of pod %s", uid)
        self._stopping.pop(uid, None)
        self._forget(uid)
