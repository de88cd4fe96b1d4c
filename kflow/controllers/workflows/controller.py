"""The Workflow controller: reconcile = one `Operator` pass, then write what changed.

It watches Workflows and the pods they own (a pod's change wakes its workflow; its own
writes do not, since the pass that made them has seen everything they hold), and
for each key reads the workflow and its pods fresh, runs a pass in a worker thread
(a pass over a thousand nodes must not stall the event loop), and writes the status
with the resourceVersion it read — a concurrent write (`kflow resume`) makes it try
again, never overwrite. A finished workflow is only looked at for its
`ttlStrategy`. The pass reads main containers' logs through the runtime, bridged
back to the event loop. A deleted workflow's pods and claims go with it (owner
references); its staging files go here.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.errors import Conflict, NotFound
from kflow.artifacts import ArtifactStore, RemoteRoot
from kflow.controllers.events import EventRecorder
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.controllers.workflows.execution import Env
from kflow.controllers.workflows.operator import Operator
from kflow.controllers.workflows.staging import Staging
from kflow.runtime.interface import Runtime
from kflow.store.interface import EventType, Store, WatchEvent

Obj = dict[str, Any]
log = logging.getLogger(__name__)

COMPONENT = "workflow-controller"
CONFLICT_RETRY_SECONDS = 0.05
LOG_READ_TIMEOUT = 30.0
FINISHED = ("Succeeded", "Failed", "Error")


def _pod_workflow(event: WatchEvent) -> list[Hashable]:
    """The pod's workflow, when the change can matter to it: the pod's status or its
    deletion. Its creation (the workflow made it) and the pod controller's finalizer
    and binding do not; after a restart every workflow is looked at anyway."""
    name = m.labels_of(event.object).get(c.LABEL_WORKFLOW)
    if not name or event.type is EventType.ADDED:
        return []
    before = event.previous
    if (
        event.type is EventType.MODIFIED
        and before is not None
        and before.get("status") == event.object.get("status")
        and m.meta(before).get("deletionTimestamp") == m.meta(event.object).get("deletionTimestamp")
    ):
        return []
    return [(m.namespace_of(event.object), name)]


class WorkflowController(Controller):
    """Reconciles Argo Workflows into pods and `status.nodes`."""

    name = COMPONENT
    workers = 4

    def __init__(
        self,
        store: Store,
        runtime: Runtime,
        data_dir: Path,
        recorder: EventRecorder | None = None,
        *,
        now: Callable[[], dt.datetime] = m.now,
        artifact_repository: str | None = None,
    ) -> None:
        """`artifact_repository` is a URL (`s3://...`) every stored artifact is also uploaded to."""
        self.store = store
        self.runtime = runtime
        self.now = now
        self.staging = Staging(Path(data_dir) / "workflows")
        remote = RemoteRoot(artifact_repository) if artifact_repository else None
        self.artifacts = ArtifactStore(Path(data_dir) / "artifacts", remote)
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)
        self._loop: asyncio.AbstractEventLoop | None = None
        # resourceVersions of the workflows' own status and label writes, not yet seen
        self._own_writes: dict[Hashable, set[str]] = {}
        env = Env(store, runtime, self.artifacts, self.staging, self.recorder, self._read_log)
        self.operator = Operator(env)

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec(c.WORKFLOWS, self._changed_workflow), WatchSpec("pods", _pod_workflow)]

    def _changed_workflow(self, event: WatchEvent) -> list[Hashable]:
        """The workflow's key, unless the event is a write of this controller's own: a
        pass already saw everything it holds, so looking again would find nothing new."""
        key = (m.namespace_of(event.object), m.name_of(event.object))
        own = self._own_writes.get(key)
        version = str(m.meta(event.object).get("resourceVersion") or "")
        if own is not None and version in own:
            own.discard(version)
            if not own:
                self._own_writes.pop(key, None)
            return []
        return [key]

    def _wrote(self, written: Obj) -> Obj:
        key = (m.namespace_of(written), m.name_of(written))
        self._own_writes.setdefault(key, set()).add(str(m.meta(written)["resourceVersion"]))
        return written

    async def start(self, queue: Any) -> None:
        self._loop = asyncio.get_running_loop()

    # -- what a pass needs from outside ------------------------------------------------

    def _fetcher(self, namespace: str) -> Callable[[bool, str], Obj | None]:
        """Reads WorkflowTemplates of `namespace`, or ClusterWorkflowTemplates."""

        def fetch(cluster: bool, name: str) -> Obj | None:
            try:
                if cluster:
                    return self.store.get(c.CLUSTER_WORKFLOW_TEMPLATES, "", name)
                return self.store.get(c.WORKFLOW_TEMPLATES, namespace, name)
            except NotFound:
                return None

        return fetch

    def _read_log(self, uid: str, container: str) -> bytes | None:
        """A container's whole log, read on the event loop from a pass's thread."""
        loop = self._loop
        if loop is None:
            return None

        async def read() -> bytes:
            chunks = [chunk async for chunk in self.runtime.logs(uid, container)]
            return b"".join(chunks)

        try:
            return asyncio.run_coroutine_threadsafe(read(), loop).result(LOG_READ_TIMEOUT)
        except Exception as error:  # a log is kept at best: it never fails a workflow
            log.info("log of %s/%s not kept: %s", uid, container, error)
            return None

    def _pods(self, wf: Obj) -> list[Obj]:
        """The workflow's pods: its dependents (an index lookup) that carry its label."""
        name = m.name_of(wf)
        return [
            obj
            for resource, obj in self.store.dependents(str(m.meta(wf).get("uid")))
            if resource == "pods" and m.labels_of(obj).get(c.LABEL_WORKFLOW) == name
        ]

    # -- reconcile ---------------------------------------------------------------------

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            wf = self.store.get(c.WORKFLOWS, namespace, name)
        except NotFound:
            self._own_writes.pop(key, None)
            await asyncio.to_thread(self.staging.remove_workflow, namespace, name)
            return Result()
        if m.meta(wf).get("deletionTimestamp"):
            return Result()
        if (wf.get("status") or {}).get("phase") in FINISHED:
            return self._expire(wf)
        return await asyncio.to_thread(self._pass, wf)

    def _pass(self, wf: Obj) -> Result:
        fetch = self._fetcher(m.namespace_of(wf))
        outcome = self.operator.operate(wf, self._pods(wf), self.now(), fetch)
        if outcome.changed:
            try:
                written = self._wrote(self.store.update_status(c.WORKFLOWS, outcome.workflow))
            except Conflict:
                return Result(requeue_after=CONFLICT_RETRY_SECONDS)
            except NotFound:
                return Result()
            self._label(written)
        if outcome.finished:  # its files go once the final status is out, not before
            self.staging.remove_workflow(m.namespace_of(wf), m.name_of(wf), m.meta(wf)["uid"])
            return self._expire(outcome.workflow)
        return Result(requeue_after=outcome.requeue)

    def _label(self, wf: Obj) -> None:
        """Argo's phase and completed labels on the workflow itself."""
        phase = str((wf.get("status") or {}).get("phase") or "")
        labels = m.labels_of(wf)
        wanted = dict(labels)
        if phase:
            wanted[c.LABEL_PHASE] = phase
        if phase in FINISHED:
            wanted[c.LABEL_COMPLETED] = "true"
        elif phase:
            wanted[c.LABEL_COMPLETED] = "false"
        if wanted == labels:
            return
        body = m.clone(wf)
        m.meta(body)["labels"] = wanted
        with contextlib.suppress(Conflict, NotFound):
            self._wrote(self.store.update(c.WORKFLOWS, body))

    def _expire(self, wf: Obj) -> Result:
        """Argo's `ttlStrategy`: delete a finished workflow once its time has come."""
        status = wf.get("status") or {}
        ttl = (wf.get("spec") or {}).get("ttlStrategy") or {}
        phase = status.get("phase")
        seconds = (
            ttl.get("secondsAfterSuccess")
            if phase == "Succeeded"
            else ttl.get("secondsAfterFailure")
        )
        if seconds is None:
            seconds = ttl.get("secondsAfterCompletion")
        finished = status.get("finishedAt")
        if seconds is None or not finished:
            return Result()
        left = (
            m.parse_timestamp(str(finished)) + dt.timedelta(seconds=int(seconds)) - self.now()
        ).total_seconds()
        if left > 0:
            return Result(requeue_after=left + 0.01)
        with contextlib.suppress(NotFound):
            self.store.delete(c.WORKFLOWS, m.namespace_of(wf), m.name_of(wf))
        return Result()
