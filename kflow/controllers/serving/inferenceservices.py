"""The InferenceService controller: component pods by revision, Services, readiness, status.

Each reconcile converges one InferenceService, component by component (the
predictor, and the transformer when the spec has one): a Service
`<name>-<component>` selecting its pods; a revision per spec change
(`<name>-predictor-00002`, recorded by `revisions.py`); the traffic split KServe's
canary rollout gives (`rollout.py`); pods of every revision that takes, or may
take, traffic, each made from its own revision's spec — as many of the latest
revision as the autoscaler asks for (`scaling.py`: Knative's KPA over what the
gateway counts, from `minReplicas`, 0 for scale to zero, to `maxReplicas`), and
`minReplicas` (default 1) of the others;
pods of other revisions retired once the status routes no request to them. Pods
that ended are deleted and replaced, and a replica whose process dies is restarted
by the runtime (`restartPolicy: Always`). Every running replica is probed over HTTP
(`/v2/health/ready`); the address of one that answers 200 is written on the pod
(`serving.kflow.dev/ready-address`), which with the status' traffic is all the
gateway reads. Status is written as KServe writes it (`status.py`). Probing (and
autoscaling) repeats every two seconds, and at once when the gateway holds a request
for a service at zero.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Hashable
from dataclasses import replace
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
from kflow.controllers.serving.predictor import (
    predictor_pod_spec,
    readiness_path,
    runs_kflow_serve,
    serving_port,
)
from kflow.controllers.serving.revisions import Revisions
from kflow.controllers.serving.rollout import (
    Rollout,
    kept,
    latest_ready,
    remembered,
    settle,
)
from kflow.controllers.serving.scaling import ReplicaScaler
from kflow.controllers.serving.status import Observed, inference_service_status
from kflow.controllers.serving.traffic import ServingTraffic
from kflow.controllers.serving.transformer import transformer_pod_spec
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


def _components(isvc: Obj) -> dict[str, Obj]:
    """The components the spec asks for, by name (a transformer only with a container)."""
    spec = isvc.get("spec") or {}
    components = {c.PREDICTOR: spec.get("predictor") or {}}
    transformer = spec.get("transformer")
    if isinstance(transformer, dict) and transformer.get("containers"):
        components[c.TRANSFORMER] = transformer
    return components


def _component_status(isvc: Obj, component: str) -> Obj:
    components = (isvc.get("status") or {}).get("components") or {}
    found = components.get(component) if isinstance(components, dict) else None
    return found if isinstance(found, dict) else {}


def _tag_routing(isvc: Obj) -> bool:
    annotations = m.meta(isvc).get("annotations") or {}
    return str(annotations.get(c.TAG_ROUTING_ANNOTATION, "")).lower() == "true"


def _canary(spec: Obj) -> int | None:
    value = spec.get("canaryTrafficPercent")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _wanted(spec: Obj) -> int:
    """Replicas a revision needs ready to count as ready, and the replicas of a revision
    the autoscaler does not drive: `minReplicas`, and at least one."""
    return max(int(spec.get("minReplicas") or c.DEFAULT_MIN_REPLICAS), 1)


class InferenceServiceController(Controller):
    """Reconciles `serving.kserve.io/v1beta1` InferenceServices into component pods."""

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
        local_gateway: str | None = None,
        traffic: ServingTraffic | None = None,
    ) -> None:
        """`gateway_url` is the kflow server's base URL (`https://127.0.0.1:8372`);
        `local_gateway` the `host:port` of the cluster-local gateway transformers reach
        their predictor through (it may be set later, once it listens); `traffic` is
        what the gateway counts, which autoscaling reads."""
        self.store = store
        self.local_gateway = local_gateway
        self.revisions = Revisions(store)
        self.gateway_url = gateway_url.rstrip("/")
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)
        self.now = now
        self._http = httpx.AsyncClient(timeout=PROBE_TIMEOUT_SECONDS, transport=transport)
        self.traffic = traffic or ServingTraffic()
        self.scaler = ReplicaScaler(self.traffic)

    async def start(self, queue: WorkQueue) -> None:
        # the gateway holds a request for a component at zero: reconcile it now
        self.traffic.on_activate(lambda key: queue.add(key[:2]))

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec(c.RESOURCE), WatchSpec("pods", owner_keys(c.KIND))]

    async def stop(self) -> None:
        await self._http.aclose()

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            isvc = self.store.get(c.RESOURCE, namespace, name)
        except NotFound:
            self.scaler.forget(namespace, name)
            return Result()
        if m.meta(isvc).get("deletionTimestamp"):
            return Result()  # the garbage collector removes the pods and the Service
        predictor = (isvc.get("spec") or {}).get("predictor") or {}
        if len(predictor_implementations(predictor)) != 1:
            return Result()  # admission rejects these; nothing to run
        components = _components(isvc)
        observed = {
            component: await self._reconcile_component(isvc, component, spec)
            for component, spec in components.items()
        }
        for component in c.COMPONENTS:
            if component not in components:
                self._remove_component(isvc, component)
        self._write_status(isvc, observed)
        for seen in observed.values():
            self._delete(isvc, seen.retired)
        settled = all(seen.ready and not seen.retired for seen in observed.values())
        # faster while requests wait for a replica: they are answered once one is marked
        pending = self.scaler.requeue_after(namespace, name, PENDING_PERIOD_SECONDS)
        return Result(requeue_after=PROBE_PERIOD_SECONDS if settled else pending)

    async def _reconcile_component(self, isvc: Obj, component: str, spec: Obj) -> Observed:
        """Run the component's revisions: replicas for those that take (or may take)
        traffic, the traffic split KServe would write, and what to retire."""
        self._ensure_service(isvc, component)
        created, records = self.revisions.ensure(isvc, component, spec)
        pods = self._replace_ended(isvc, self._pods(isvc, component))
        pods = self._replace_stale(isvc, component, pods)
        ready, failures = await self._probe_all(pods)
        by_revision: dict[str, list[Obj]] = {}
        for pod in pods:
            by_revision.setdefault(m.labels_of(pod).get(c.REVISION_LABEL, ""), []).append(pod)

        def ready_count(revision: str) -> int:
            return sum(m.name_of(p) in ready for p in by_revision.get(revision, []))

        # -- autoscaling: Knative's KPA over what the gateway counts (scaling.py) --
        current = by_revision.get(created, [])
        autoscaled = self.scaler.replicas(
            isvc, component, created, len(current), ready_count(created)
        )
        if autoscaled == 0 and current:
            self.recorder.record(
                isvc, "Normal", "ScaledToZero", f"No requests: scaled {created} to zero replicas"
            )
        ready_revisions = {
            revision
            for revision in by_revision
            if revision in records and ready_count(revision) >= _wanted(records[revision])
        }
        if autoscaled == 0:  # a revision at zero is ready: the gateway holds its requests
            ready_revisions.add(created)
        before = Rollout.from_status(_component_status(isvc, component))
        state = replace(
            before,
            latest_created=created,
            latest_ready=latest_ready(before.latest_ready, created, ready_revisions),
        )
        tag_routing = _tag_routing(isvc)
        state, targets = settle(state, _canary(spec), tag_routing)
        keep = kept(state, targets, tag_routing) & records.keys()
        for revision in sorted(keep):
            spec_of = records[revision]
            wanted = autoscaled if revision == created else _wanted(spec_of)
            self._scale(isvc, component, revision, spec_of, by_revision.get(revision, []), wanted)
        self.revisions.prune(isvc, component, remembered(state, targets))
        return Observed(
            component=component,
            rollout=state,
            traffic=targets,
            wanted=_wanted(spec),
            ready_replicas=ready_count(created),
            serving=any(ready_count(t.revision) for t in targets if t.percent > 0),
            failed=[
                m.name_of(p)
                for p in current
                if (_restarts(p) or m.name_of(p) in failures) and m.name_of(p) not in ready
            ],
            failures=failures,
            retired=[p for p in pods if m.labels_of(p).get(c.REVISION_LABEL) not in keep],
            scaled_to_zero=autoscaled == 0 and not current and keep <= {created},
        )

    def _scale(
        self, isvc: Obj, component: str, revision: str, spec: Obj, pods: list[Obj], wanted: int
    ) -> None:
        """`wanted` pods of one revision, made from that revision's spec."""
        for _ in range(wanted - len(pods)):
            self._create_pod(isvc, component, spec, revision)
        if len(pods) > wanted:
            extra = sorted(pods, key=lambda p: _phase(p) == "Running")[: len(pods) - wanted]
            self._delete(isvc, extra)

    # -- children ----------------------------------------------------------------------

    def _labels(self, name: str, component: str = c.PREDICTOR) -> dict[str, str]:
        return {c.ISVC_LABEL: name, c.COMPONENT_LABEL: component}

    def _pods(self, isvc: Obj, component: str = c.PREDICTOR) -> list[Obj]:
        labels = self._labels(m.name_of(isvc), component)
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

    def _ensure_service(self, isvc: Obj, component: str = c.PREDICTOR) -> None:
        name = c.component_service_name(m.name_of(isvc), component)
        service: Obj = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": name,
                "namespace": m.namespace_of(isvc),
                "labels": self._labels(m.name_of(isvc), component),
                "ownerReferences": [m.owner_reference(isvc)],
            },
            "spec": {
                "selector": self._labels(m.name_of(isvc), component),
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

    def _pod_spec(self, isvc: Obj, component: str, spec: Obj) -> Obj | None:
        """The PodSpec of a replica; None while a transformer has no predictor address yet."""
        if component == c.PREDICTOR:
            return predictor_pod_spec(m.name_of(isvc), spec)
        host = self._predictor_host(isvc)
        return None if host is None else transformer_pod_spec(m.name_of(isvc), spec, host)

    def _create_pod(self, isvc: Obj, component: str, spec: Obj, revision: str) -> Obj | None:
        name = m.name_of(isvc)
        pod_spec = self._pod_spec(isvc, component, spec)
        if pod_spec is None:
            return None
        labels = {**self._labels(name, component), c.REVISION_LABEL: revision}
        labels.update({str(k): str(v) for k, v in (spec.get("labels") or {}).items()})
        annotations = {str(k): str(v) for k, v in (spec.get("annotations") or {}).items()}
        if component == c.TRANSFORMER:
            annotations[c.PREDICTOR_HOST_ANNOTATION] = str(self._predictor_host(isvc))
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{revision}-{m.random_suffix(5)}",
                "namespace": m.namespace_of(isvc),
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [m.owner_reference(isvc)],
            },
            "spec": pod_spec,
        }
        try:
            created = self.store.create("pods", pod)
        except AlreadyExists:
            return None
        self.recorder.record(
            isvc, "Normal", "SuccessfulCreate", f"Created {component} pod: {m.name_of(created)}"
        )
        return created

    def _delete(self, isvc: Obj, pods: list[Obj]) -> None:
        for pod in pods:
            component = m.labels_of(pod).get(c.COMPONENT_LABEL, c.PREDICTOR)
            with contextlib.suppress(NotFound):
                self.store.delete("pods", m.namespace_of(pod), m.name_of(pod))
                self.recorder.record(
                    isvc, "Normal", "SuccessfulDelete", f"Deleted {component} pod: {m.name_of(pod)}"
                )

    def _replace_ended(self, isvc: Obj, pods: list[Obj]) -> list[Obj]:
        """Delete pods that ended (so new ones replace them); the ones still live."""
        ended = [p for p in pods if _phase(p) in TERMINAL]
        if ended:
            self._delete(isvc, ended)
        return [p for p in pods if p not in ended]

    def _replace_stale(self, isvc: Obj, component: str, pods: list[Obj]) -> list[Obj]:
        """Delete transformer pods started for another predictor address (the cluster-local
        gateway moved when kflow restarted); the ones still current."""
        host = self._predictor_host(isvc)
        if component != c.TRANSFORMER or host is None:
            return pods
        stale = [
            p
            for p in pods
            if (m.meta(p).get("annotations") or {}).get(c.PREDICTOR_HOST_ANNOTATION) != host
        ]
        self._delete(isvc, stale)
        return [p for p in pods if p not in stale]

    def _remove_component(self, isvc: Obj, component: str) -> None:
        """A component taken out of the spec: its pods, revisions and Service go."""
        self._delete(isvc, self._pods(isvc, component))
        self.revisions.prune(isvc, component, set())
        with contextlib.suppress(NotFound):
            self.store.delete(
                "services",
                m.namespace_of(isvc),
                c.component_service_name(m.name_of(isvc), component),
            )

    def _predictor_host(self, isvc: Obj) -> str | None:
        """`--predictor_host` for a transformer: the cluster-local gateway's predictor route."""
        if self.local_gateway is None:
            return None
        route = c.component_service_name(m.name_of(isvc), c.PREDICTOR)
        return f"{self.local_gateway}{c.gateway_path(m.namespace_of(isvc), route)}"

    # -- readiness ---------------------------------------------------------------------

    async def _probe(self, pod: Obj) -> tuple[str | None, str | None]:
        """(the address if the replica is ready, why its model failed to load if it did)."""
        address = _host_address(pod)
        if address is None:
            return None, None
        path = readiness_path(pod.get("spec") or {})
        model = m.labels_of(pod).get(c.ISVC_LABEL, "")
        v2_server = path == c.READY_PATH
        if v2_server and runs_kflow_serve(pod.get("spec") or {}):
            # this model's readiness: another server on a reused port is not this one
            path = f"/v2/models/{model}/ready"
        try:
            response = await self._http.get(f"http://{address}{path}")
            if response.status_code == 200:
                return address, None
            if not v2_server:
                return None, None
            # kflow serve reports a version that failed to load in its TF Serving status
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

    def _write_status(self, isvc: Obj, observed: dict[str, Observed]) -> None:
        previous = isvc.get("status") or {}
        stamp = m.timestamp(self.now())
        status = inference_service_status(isvc, observed, self.gateway_url, stamp)
        if status == previous:
            return
        body = m.clone(isvc)
        body["status"] = status
        m.meta(body).pop("resourceVersion", None)  # status has one writer: this loop
        with contextlib.suppress(NotFound):
            self.store.update_status(c.RESOURCE, body)
