"""The InferenceService controller: predictor pods, their Service, readiness, status.

Each reconcile converges one InferenceService: a Service `<name>-predictor`
selecting its predictor pods; as many pods of the current revision as the
autoscaler asks for (`scaling.py`: Knative's KPA over the gateway's counts, from
`minReplicas` — default 1, or 0 for scale to zero — to `maxReplicas`); the current
revision is `<name>-predictor-<generation>` (a spec change is a new revision); pods
that ended are deleted and replaced, and a replica whose process dies is restarted
by the runtime (`restartPolicy: Always`). Every running replica is probed over HTTP
(`/v2/health/ready`); the address of one that answers 200 is written on the pod
(`serving.kflow.dev/ready-address`), which is all the gateway reads. Pods of older
revisions go once the current one is fully ready, so a spec change does not drop
traffic. Status is written as KServe writes it: `url` (the gateway), `address`,
the `PredictorReady`/`IngressReady`/`Ready` conditions, `components.predictor`
(revisions, traffic) and `modelStatus`. Probing (and autoscaling) repeats every
two seconds, and at once when the gateway holds a request for a service at zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Hashable
from typing import Any, cast

import httpx
import orjson

from kflow.api import meta as m
from kflow.api.errors import AlreadyExists, Conflict, NotFound
from kflow.api.kserve import contracts as c
from kflow.api.kserve.admission import predictor_implementations
from kflow.api.selectors import parse_label_selector
from kflow.controllers.events import EventRecorder
from kflow.controllers.manager import Controller, Result, WatchSpec, owner_keys
from kflow.controllers.pods import PORTS_ANNOTATION
from kflow.controllers.serving.predictor import predictor_pod_spec, readiness_path, serving_port
from kflow.controllers.serving.scaling import ReplicaScaler, scaled_to_zero_status
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.controllers.workqueue import WorkQueue
from kflow.store.interface import Store

log = logging.getLogger(__name__)

Obj = dict[str, Any]
COMPONENT = "inferenceservice-controller"
PROBE_TIMEOUT_SECONDS = 1.0
PROBE_PERIOD_SECONDS = 2.0
"""How often ready replicas are probed again."""
PENDING_PERIOD_SECONDS = 0.25
"""How soon an InferenceService with replicas not yet ready is looked at again."""
TERMINAL = ("Succeeded", "Failed")


def _phase(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("phase") or "")


def _restarts(pod: Obj) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(cs.get("restartCount") or 0) for cs in statuses)


def _host_address(pod: Obj) -> str | None:
    """`127.0.0.1:<host port>` of the pod's serving port, once the pod runs."""
    raw = (m.meta(pod).get("annotations") or {}).get(PORTS_ANNOTATION)
    if not raw or _phase(pod) != "Running":
        return None
    ports = orjson.loads(raw)
    host = ports.get(str(serving_port(pod.get("spec") or {})))
    return f"127.0.0.1:{host}" if host else None


def _ready_address(pod: Obj) -> str | None:
    return (m.meta(pod).get("annotations") or {}).get(c.READY_ADDRESS_ANNOTATION)


def _condition(ctype: str, ready: bool, now: str, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"type": ctype, "status": "True" if ready else "False", "lastTransitionTime": now}
    if not ready:
        cond["reason"] = reason
        cond["message"] = message
    return cond


class InferenceServiceController(Controller):
    """Reconciles `serving.kserve.io/v1beta1` InferenceServices into predictor pods."""

    name = COMPONENT
    workers = 2

    def __init__(
        self,
        store: Store,
        *,
        gateway_url: str,
        recorder: EventRecorder | None = None,
        now: Callable[[], dt.datetime] = m.now,
        transport: httpx.AsyncBaseTransport | None = None,
        traffic: ServingTraffic | None = None,
    ) -> None:
        """`gateway_url` is the kflow server's base URL (`https://127.0.0.1:8372`);
        `traffic` is what the gateway counts, which autoscaling reads."""
        self.store = store
        self.gateway_url = gateway_url.rstrip("/")
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)
        self.now = now
        self._http = httpx.AsyncClient(timeout=PROBE_TIMEOUT_SECONDS, transport=transport)
        self.traffic = traffic or ServingTraffic()
        self.scaler = ReplicaScaler(self.traffic)

    async def start(self, queue: WorkQueue) -> None:
        # the gateway holds a request for a service at zero: reconcile it now
        self.traffic.on_activate(queue.add)

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec(c.RESOURCE), WatchSpec("pods", owner_keys(c.KIND))]

    async def stop(self) -> None:
        await self._http.aclose()

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            isvc = self.store.get(c.RESOURCE, namespace, name)
        except NotFound:
            self.scaler.forget((namespace, name))
            return Result()
        if m.meta(isvc).get("deletionTimestamp"):
            return Result()  # the garbage collector removes the pods and the Service
        predictor = (isvc.get("spec") or {}).get("predictor") or {}
        if len(predictor_implementations(predictor)) != 1:
            return Result()  # admission rejects these; nothing to run
        self._ensure_service(isvc)
        revision = c.revision_name(name, int(m.meta(isvc).get("generation") or 1))
        pods = self._pods(isvc)
        pods = self._replace_ended(isvc, pods)
        current = [p for p in pods if m.labels_of(p).get(c.REVISION_LABEL) == revision]
        # -- autoscaling: Knative's KPA over what the gateway counts (scaling.py) --
        marked = [p for p in current if _ready_address(p)]
        wanted = self.scaler.replicas(isvc, revision, len(current), len(marked))
        if wanted == 0 and current:
            self.recorder.record(
                isvc, "Normal", "ScaledToZero", f"No requests: scaled {revision} to zero replicas"
            )
        for _ in range(wanted - len(current)):
            created = self._create_pod(isvc, predictor, revision)
            if created is not None:
                current.append(created)
        if len(current) > wanted:
            extra = sorted(current, key=lambda p: _phase(p) == "Running")[: len(current) - wanted]
            self._delete(isvc, extra)
            current = [p for p in current if p not in extra]
        old = [p for p in pods if m.labels_of(p).get(c.REVISION_LABEL) != revision]
        ready, failures = await self._probe_all([*current, *old])
        ready_current = [p for p in current if m.name_of(p) in ready]
        if old and len(ready_current) >= wanted:
            self._delete(isvc, old)
            old = []
        at_zero = wanted == 0 and not current and not old
        self._write_status(
            isvc, revision, current, ready_current, old, ready, failures, scaled_to_zero=at_zero
        )
        settled = len(ready_current) >= wanted and not old
        pending = self.scaler.requeue_after((namespace, name), PENDING_PERIOD_SECONDS)
        return Result(requeue_after=PROBE_PERIOD_SECONDS if settled else pending)

    # -- children ----------------------------------------------------------------------

    def _labels(self, name: str) -> dict[str, str]:
        return {c.ISVC_LABEL: name, c.COMPONENT_LABEL: c.PREDICTOR}

    def _pods(self, isvc: Obj) -> list[Obj]:
        labels = self._labels(m.name_of(isvc))
        selector = parse_label_selector(",".join(f"{k}={v}" for k, v in labels.items()))
        uid = m.meta(isvc).get("uid")
        return [
            pod
            for pod in self.store.list("pods", m.namespace_of(isvc), labels=selector).items
            if not m.meta(pod).get("deletionTimestamp")
            and any(
                ref.get("controller") and ref.get("uid") == uid
                for ref in m.meta(pod).get("ownerReferences") or []
            )
        ]

    def _ensure_service(self, isvc: Obj) -> None:
        name = c.predictor_service_name(m.name_of(isvc))
        service: Obj = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": m.namespace_of(isvc),
                "labels": self._labels(m.name_of(isvc)),
                "ownerReferences": [m.owner_reference(isvc)],
            },
            "spec": {
                "selector": self._labels(m.name_of(isvc)),
                "ports": [
                    {"name": "http", "port": 80, "targetPort": c.CONTAINER_PORT, "protocol": "TCP"}
                ],
            },
        }
        with contextlib.suppress(NotFound):
            self.store.get("services", m.namespace_of(isvc), name)
            return
        with contextlib.suppress(AlreadyExists):
            self.store.create("services", service)

    def _create_pod(self, isvc: Obj, predictor: Obj, revision: str) -> Obj | None:
        name = m.name_of(isvc)
        labels = {**self._labels(name), c.REVISION_LABEL: revision}
        labels.update({str(k): str(v) for k, v in (predictor.get("labels") or {}).items()})
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{revision}-{m.random_suffix(5)}",
                "namespace": m.namespace_of(isvc),
                "labels": labels,
                "annotations": dict(predictor.get("annotations") or {}),
                "ownerReferences": [m.owner_reference(isvc)],
            },
            "spec": predictor_pod_spec(name, predictor),
        }
        try:
            created = self.store.create("pods", pod)
        except AlreadyExists:
            return None
        self.recorder.record(
            isvc, "Normal", "SuccessfulCreate", f"Created predictor pod: {m.name_of(created)}"
        )
        return created

    def _delete(self, isvc: Obj, pods: list[Obj]) -> None:
        for pod in pods:
            with contextlib.suppress(NotFound):
                self.store.delete("pods", m.namespace_of(pod), m.name_of(pod))
                self.recorder.record(
                    isvc, "Normal", "SuccessfulDelete", f"Deleted predictor pod: {m.name_of(pod)}"
                )

    def _replace_ended(self, isvc: Obj, pods: list[Obj]) -> list[Obj]:
        """Delete pods that ended (so new ones replace them); the ones still live."""
        ended = [p for p in pods if _phase(p) in TERMINAL]
        if ended:
            self._delete(isvc, ended)
        return [p for p in pods if p not in ended]

    # -- readiness ---------------------------------------------------------------------

    async def _probe(self, pod: Obj) -> tuple[str | None, str | None]:
        """(the address if the replica is ready, why its model failed to load if it did)."""
        address = _host_address(pod)
        if address is None:
            return None, None
        path = readiness_path(pod.get("spec") or {})
        try:
            response = await self._http.get(f"http://{address}{path}")
            if response.status_code == 200:
                return address, None
            if path != c.READY_PATH:
                return None, None
            # kflow serve reports a version that failed to load in its TF Serving status
            model = m.labels_of(pod).get(c.ISVC_LABEL, "")
            status = await self._http.get(f"http://{address}/v1/models/{model}")
            versions = status.json().get("model_version_status") or []
        except (httpx.HTTPError, ValueError, AttributeError):
            return None, None
        for version in versions if isinstance(versions, list) else []:
            error = ((version or {}).get("status") or {}).get("error_message")
            if (version or {}).get("state") == "END" and error:
                return None, str(error)
        return None, None

    async def _probe_all(self, pods: list[Obj]) -> tuple[dict[str, str], dict[str, str]]:
        """Probe every pod at once, and mark them: pod name -> address of those ready, and
        pod name -> why the model failed to load on those where it did."""
        results = await asyncio.gather(*(self._probe(p) for p in pods))
        ready: dict[str, str] = {}
        failures: dict[str, str] = {}
        for pod, (address, failure) in zip(pods, results, strict=True):
            if address is not None:
                ready[m.name_of(pod)] = address
            if failure is not None:
                failures[m.name_of(pod)] = failure
            self._mark(pod, address)
        return ready, failures

    def _mark(self, pod: Obj, address: str | None) -> None:
        annotations = m.meta(pod).get("annotations") or {}
        if annotations.get(c.READY_ADDRESS_ANNOTATION) == address:
            return
        updated = m.clone(pod)
        marks = m.meta(updated).setdefault("annotations", {})
        if address is None:
            marks.pop(c.READY_ADDRESS_ANNOTATION, None)
        else:
            marks[c.READY_ADDRESS_ANNOTATION] = address
        # a conflict means the pod changed meanwhile: the next probe marks it again
        with contextlib.suppress(NotFound, Conflict):
            self.store.update("pods", updated)

    # -- status ------------------------------------------------------------------------

    def _write_status(
        self,
        isvc: Obj,
        revision: str,
        current: list[Obj],
        ready_current: list[Obj],
        old: list[Obj],
        ready: dict[str, str],
        failures: dict[str, str],
        *,
        scaled_to_zero: bool = False,
    ) -> None:
        name, namespace = m.name_of(isvc), m.namespace_of(isvc)
        stamp = m.timestamp(self.now())
        previous = m.clone(isvc.get("status") or {})
        before = previous.get("components", {}).get(c.PREDICTOR, {})
        url = f"{self.gateway_url}{c.gateway_path(namespace, name)}"
        predictor_ready = bool(ready_current) or any(m.name_of(p) in ready for p in old)
        latest_ready = revision if ready_current else before.get("latestReadyRevision")
        component: Obj = {"url": url, "latestCreatedRevision": revision}
        if latest_ready:
            component["latestReadyRevision"] = latest_ready
            component["latestRolledoutRevision"] = latest_ready
            component["traffic"] = [
                {"revisionName": latest_ready, "percent": 100, "latestRevision": True}
            ]
        if before.get("latestRolledoutRevision") not in (None, latest_ready):
            component["previousRolledoutRevision"] = before["latestRolledoutRevision"]
        elif before.get("previousRolledoutRevision"):
            component["previousRolledoutRevision"] = before["previousRolledoutRevision"]
        failed = [
            p
            for p in current
            if (_restarts(p) or m.name_of(p) in failures) and m.name_of(p) not in ready
        ]
        message = (
            f"{len(ready_current)} of {len(current)} replicas of revision {revision} ready"
            + (f"; {len(failed)} failed" if failed else "")
            + (
                f": {failures[m.name_of(failed[0])]}"
                if failed and m.name_of(failed[0]) in failures
                else ""
            )
        )
        conditions = [
            _condition(c.CONDITION_INGRESS_READY, True, stamp),
            _condition(
                c.CONDITION_PREDICTOR_READY, predictor_ready, stamp, "PredictorNotReady", message
            ),
            _condition(c.CONDITION_READY, predictor_ready, stamp, "PredictorNotReady", message),
        ]
        for cond in conditions:  # keep transition times of conditions that did not change
            was = next(
                (x for x in previous.get("conditions") or [] if x.get("type") == cond["type"]), None
            )
            if was and was.get("status") == cond["status"]:
                cond["lastTransitionTime"] = was.get("lastTransitionTime", stamp)
        # active: what serves now (an older revision may); target: the latest revision
        waiting = "FailedToLoad" if failed else "Pending"
        model_status: Obj = {
            "states": {
                "activeModelState": "Loaded" if predictor_ready else waiting,
                "targetModelState": "Loaded" if ready_current else waiting,
            },
            "transitionStatus": "UpToDate"
            if ready_current
            else ("BlockedByFailedLoad" if failed else "InProgress"),
            "copies": {"totalCopies": len(ready_current), "failedCopies": len(failed)},
        }
        if failed:
            pod = m.name_of(failed[0])
            model_status["lastFailureInfo"] = {
                "location": pod,
                "reason": "ModelLoadFailed",
                "message": failures.get(pod)
                or f"the model server exited and is restarting (kflow logs {pod} -n {namespace})",
                "modelRevisionName": revision,
            }
        status: Obj = {
            "url": url,
            "address": {
                "url": f"http://{c.predictor_service_name(name)}.{namespace}.svc.cluster.local"
            },
            "conditions": conditions,
            "components": {c.PREDICTOR: component},
            "modelStatus": model_status,
            "observedGeneration": int(m.meta(isvc).get("generation") or 1),
        }
        if scaled_to_zero:
            status = scaled_to_zero_status(status, previous, revision)
        if status == previous:
            return
        body = m.clone(isvc)
        body["status"] = status
        m.meta(body).pop("resourceVersion", None)  # status has one writer: this loop
        with contextlib.suppress(NotFound):
            self.store.update_status(c.RESOURCE, body)
