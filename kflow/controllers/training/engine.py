"""The replicated-job engine: one reconcile loop that every training kind plugs into.

A training job is a map of replica types (Master, Worker, PS, Launcher, ...) to a
pod template and a count. The engine turns it into one Pod and one headless Service
per replica (`<job>-<type>-<index>`, owned by the job), writes the kind's env
contract into each pod with addresses that are reachable on the runtime, restarts
or recreates replicas by restartPolicy, and applies runPolicy (cleanPodPolicy,
ttlSecondsAfterFinished, activeDeadlineSeconds, backoffLimit, suspend,
schedulingPolicy) — all as `kubeflow/training-operator` does. What differs per kind
(env vars, which replica decides success, extra objects like MPI's hostfile) is a
`Framework` plug-in (`tensorflow.py`, `pytorch.py`, ...).

Ordering instead of init containers: a replica that others connect to (the master,
the chief, JAX's coordinator, MPI's workers for the launcher) is created first, and
the others only once it runs and its port accepts connections (bounded by
`leader_wait_seconds`), so no worker starts before its master can answer. Host ports
are reserved on the runtime before any pod exists (`Runtime.reserve_port`) and put
in each pod's `hostPort`, so every replica's env names the others' real addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable, Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.errors import AlreadyExists, NotFound
from kflow.api.selectors import parse_label_selector
from kflow.api.training import contracts as c
from kflow.controllers.events import EventRecorder
from kflow.controllers.manager import Controller, Result, WatchSpec, owner_keys
from kflow.controllers.pods import MIN_AVAILABLE_ANNOTATION, POD_GROUP_LABEL
from kflow.controllers.training import status as st
from kflow.runtime.interface import Runtime
from kflow.store.interface import DeletePropagation, Store

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Key = tuple[str, str]
TERMINAL = ("Succeeded", "Failed")
LEADER_WAIT_SECONDS = 30.0  # how long followers wait for the leader's port before starting anyway
POLL_SECONDS = 0.1  # how soon to look again while waiting for the leader's port
WAIT_CONTAINER = "kflow-wait-for-leader"
_WAIT_SCRIPT = (
    "import socket,sys,time\n"
    "end=time.monotonic()+float(sys.argv[3])\n"
    "while time.monotonic()<end:\n"
    "    try:\n"
    "        socket.create_connection((sys.argv[1],int(sys.argv[2])),1).close();break\n"
    "    except OSError:\n"
    "        time.sleep(0.05)\n"
)


@dataclasses.dataclass(frozen=True, order=True)
class Replica:
    """One replica of a job: its canonical type (`Worker`) and index."""

    rtype: str
    index: int

    @property
    def role(self) -> str:
        return self.rtype.lower()


FINISH_GRACE_SECONDS = 5.0
"""After a job succeeds, how long replicas still running may take to exit on their own."""


class Topology:
    """A job's replica layout and the reachable address of every replica's port."""

    def __init__(
        self,
        job: Obj,
        framework: Framework,
        reserve: Callable[[str, int], tuple[str, int]],
    ) -> None:
        self.job = job
        self.framework = framework
        self.contract = framework.contract
        self.name = m.name_of(job)
        self.namespace = m.namespace_of(job)
        spec = job.get("spec") or {}
        raw = spec.get(self.contract.replica_specs_field) or {}
        self.specs: dict[str, Obj] = {}
        for key, value in raw.items():
            rtype = self.contract.canonical_type(key) or key
            self.specs[rtype] = value or {}
        self.run_policy: Obj = spec.get("runPolicy") or {}
        self._reserve = reserve

    def replicas(self, rtype: str) -> int:
        spec = self.specs.get(rtype)
        if spec is None:
            return 0
        value = spec.get("replicas")
        return self.contract.default_replicas_for(rtype) if value is None else int(value)

    def total(self) -> int:
        return sum(self.replicas(t) for t in self.specs)

    def all(self) -> list[Replica]:
        return [
            Replica(t, i)
            for t in self.contract.replica_types
            if t in self.specs
            for i in range(self.replicas(t))
        ]

    def restart_policy(self, rtype: str) -> str:
        return str(self.specs[rtype].get("restartPolicy") or self.contract.default_restart_policy)

    def pod_name(self, replica: Replica) -> str:
        return self.framework.pod_name(self.name, replica)

    def container(self, rtype: str) -> Obj | None:
        """The kind's default container in `rtype`'s template (else the first)."""
        containers = ((self.specs[rtype].get("template") or {}).get("spec") or {}).get(
            "containers"
        ) or []
        for cont in containers:
            if cont.get("name") == self.contract.default_container_name:
                return cast(Obj, cont)
        return cast(Obj, containers[0]) if containers else None

    def port(self, rtype: str) -> int | None:
        """The declared port named as the kind's default port, or None."""
        cont = self.container(rtype) if rtype in self.specs else None
        for port in (cont or {}).get("ports") or []:
            if port.get("name") == self.contract.default_port_name:
                return int(port["containerPort"])
        return None

    def address(self, replica: Replica, port: int | None = None) -> tuple[str, int]:
        """(host, port) where `replica`'s port is reachable; reserved on first ask."""
        declared = port if port is not None else self.port(replica.rtype)
        if declared is None:
            declared = self.contract.default_port
        return self._reserve(self.pod_name(replica), declared)

    def hostport(self, replica: Replica, port: int | None = None) -> str:
        host, number = self.address(replica, port)
        return f"{host}:{number}"


class Framework:
    """What one kind adds to the engine; the defaults are upstream's common behaviour."""

    contract: c.TrainingKind
    creates_services = True
    """A headless Service per replica (MPIJob v1 makes none)."""
    env_in_all_containers = True
    """Env goes into every container (TFJob: only the default container)."""
    leader_listens = True
    """Followers wait for the leaders' port too, not only for them to run."""

    def pod_name(self, job_name: str, replica: Replica) -> str:
        return f"{job_name}-{replica.role}-{replica.index}".replace("/", "-")

    def leaders(self, topo: Topology) -> list[Replica]:
        """Replicas created first; the rest once these run (empty: all at once)."""
        for rtype in self.contract.master_types:
            if rtype in topo.specs and topo.replicas(rtype):
                return [Replica(rtype, i) for i in range(topo.replicas(rtype))]
        return []

    def env(self, topo: Topology, replica: Replica) -> list[tuple[str, str]]:
        return []

    def customize(self, topo: Topology, replica: Replica, pod: Obj) -> None:
        """Last changes to a replica's pod (volumes, mounts) before it is created."""

    def extra_objects(self, topo: Topology) -> list[tuple[str, Obj]]:
        """(resource, object) the job needs besides pods and services (MPI's ConfigMap)."""
        return []

    def decide(
        self, topo: Topology, counts: dict[str, st.Counts], pods: dict[Replica, Obj]
    ) -> str | None:
        """Running, Succeeded or None, by upstream's rule for this kind.

        The default: with a master type (Master, Chief, Launcher) its replica decides;
        without one, all workers must succeed.
        """
        for rtype in self.contract.master_types:
            if rtype in topo.specs:
                if counts[rtype].succeeded >= topo.replicas(rtype) > 0:
                    return c.CONDITION_SUCCEEDED
                return c.CONDITION_RUNNING if counts[rtype].active else None
        workers = counts.get("Worker", st.Counts())
        if topo.replicas("Worker") and workers.succeeded >= topo.replicas("Worker"):
            return c.CONDITION_SUCCEEDED
        return c.CONDITION_RUNNING if workers.active else None


def _is_owned(obj: Obj, job: Obj) -> bool:
    uid = m.meta(job).get("uid")
    return any(
        ref.get("controller") and ref.get("uid") == uid
        for ref in m.meta(obj).get("ownerReferences") or []
    )


def _exit_code(pod: Obj, container: str) -> int | None:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for cs in statuses:
        if cs.get("name") == container:
            term = (cs.get("state") or {}).get("terminated")
            return int(term["exitCode"]) if term else None
    return None


def _restart_count(pod: Obj) -> int:
    status = pod.get("status") or {}
    every = (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])
    return sum(int(cs.get("restartCount") or 0) for cs in every)


def _replica_of(pod: Obj) -> Replica | None:
    labels = m.labels_of(pod)
    try:
        return Replica(labels[c.REPLICA_TYPE_LABEL], int(labels[c.REPLICA_INDEX_LABEL]))
    except (KeyError, ValueError):
        return None


class JobController(Controller):
    """Reconciles one training kind's jobs into pods and services on the runtime."""

    workers = 2

    def __init__(
        self,
        store: Store,
        runtime: Runtime,
        framework: Framework,
        recorder: EventRecorder | None = None,
        *,
        leader_wait_seconds: float = LEADER_WAIT_SECONDS,
        now: Callable[[], dt.datetime] = m.now,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.framework = framework
        self.contract = framework.contract
        self.recorder = recorder or EventRecorder(store, component=self.contract.operator_name)
        self.leader_wait_seconds = leader_wait_seconds
        self.now = now
        self.name = self.contract.operator_name
        self._reserved: dict[Key, set[str]] = {}  # job -> services with reserved ports
        self._leader_seen: dict[
            Key, dict[str, float]
        ] = {}  # job -> leader pod uid -> running since
        self._retries: dict[str, int] = {}  # job uid -> pods recreated after a failure
        self._stopping: dict[str, asyncio.Task[None]] = {}

    @property
    def resource(self) -> str:
        return self.contract.resource

    def watches(self) -> list[WatchSpec]:
        mapper = owner_keys(self.contract.kind)
        return [WatchSpec(self.resource), WatchSpec("pods", mapper), WatchSpec("services", mapper)]

    async def stop(self) -> None:
        for task in self._stopping.values():
            task.cancel()

    # -- helpers ---------------------------------------------------------------------
    def _reserve(self, key: Key) -> Callable[[str, int], tuple[str, int]]:
        namespace = key[0]

        def reserve(service: str, port: int) -> tuple[str, int]:
            self._reserved.setdefault(key, set()).add(service)
            self.runtime.reserve_port(namespace, service, port)
            host, _, number = self.runtime.address(namespace, service, port, None).rpartition(":")
            return host, int(number)

        return reserve

    def _release(self, key: Key) -> None:
        """Forget what a finished or deleted job held: port reservations, leader times."""
        self._leader_seen.pop(key, None)
        for service in self._reserved.pop(key, set()):
            self.runtime.release_ports(key[0], service)

    def _event(self, job: Obj, type_: str, reason: str, message: str) -> None:
        self.recorder.record(job, type_, reason, message)

    def _owned(self, resource: str, job: Obj) -> list[Obj]:
        selector = parse_label_selector(f"{c.JOB_NAME_LABEL}={m.name_of(job)}")
        items = self.store.list(resource, m.namespace_of(job), labels=selector).items
        return [obj for obj in items if _is_owned(obj, job)]

    def _delete(self, job: Obj, resource: str, obj: Obj) -> None:
        if m.meta(obj).get("deletionTimestamp"):
            return
        try:
            self.store.delete(resource, m.namespace_of(obj), m.name_of(obj))
        except NotFound:
            return
        what = "Pod" if resource == "pods" else "Service"
        self._event(
            job, "Normal", f"SuccessfulDelete{what}", f"Deleted {what.lower()}: {m.name_of(obj)}"
        )

    def _stop_running(self, job: Obj, pod: Obj) -> None:
        """Stop a pod's processes but keep the object (cleanPodPolicy None)."""
        uid = str(m.meta(pod).get("uid"))
        if uid in self._stopping or (pod.get("status") or {}).get("phase") in TERMINAL:
            return
        grace = float((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
        self._stopping[uid] = asyncio.ensure_future(self.runtime.stop_pod(uid, grace))
        self._stopping[uid].add_done_callback(lambda _t: self._stopping.pop(uid, None))
        self._event(
            job,
            "Normal",
            "StoppedReplica",
            f"Stopped pod {m.name_of(pod)}: the job has finished and nothing of it keeps running "
            "(cleanPodPolicy None keeps the pod object and its logs)",
        )

    def _write_status(self, job: Obj, status: Obj) -> None:
        if status == (job.get("status") or {}):
            return
        body = m.clone(job)
        status["lastReconcileTime"] = m.timestamp(self.now())
        body["status"] = status
        m.meta(body).pop("resourceVersion", None)  # a job's status has one writer: this loop
        try:
            self.store.update_status(self.resource, body)
        except NotFound:
            return

    # -- reconcile -------------------------------------------------------------------
    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(Key, key)
        try:
            job = self.store.get(self.resource, namespace, name)
        except NotFound:
            self._release((namespace, name))
            return Result()
        if m.meta(job).get("deletionTimestamp"):
            return Result()
        return await self._sync(job, (namespace, name))

    async def _sync(self, job: Obj, key: Key) -> Result:
        kind, name = self.contract.kind, m.name_of(job)
        topo = Topology(job, self.framework, self._reserve(key))
        status = m.clone(job.get("status") or {})
        pods = self._owned("pods", job)
        services = self._owned("services", job)
        if not st.has(status, c.CONDITION_CREATED):
            st.set_condition(
                status,
                c.CONDITION_CREATED,
                self.contract.reason(c.REASON_CREATED),
                f"{kind} {name} is created.",
            )
        if st.finished(status):
            return self._finished(job, topo, status, pods, services)
        if topo.run_policy.get("suspend"):
            return self._suspend(job, status, pods, services)
        if st.has(status, c.CONDITION_SUSPENDED):
            msg = f"{kind} {name} is resumed."
            st.set_condition(
                status, c.CONDITION_SUSPENDED, self.contract.reason(c.REASON_RESUMED), msg, "False"
            )
            status["startTime"] = m.timestamp(self.now())
            self._event(job, "Normal", self.contract.reason(c.REASON_RESUMED), msg)
        if not status.get("startTime"):
            status["startTime"] = m.timestamp(self.now())

        failure = self._past_limits(job, topo, status, pods)
        if failure:
            return self._fail_now(job, topo, status, pods, services, failure)

        by_replica: dict[Replica, Obj] = {}
        for pod in pods:
            replica = _replica_of(pod)
            if replica is None:
                continue
            canonical = self.contract.canonical_type(replica.rtype) or replica.rtype
            replica = Replica(canonical, replica.index)
            if replica.index >= topo.replicas(canonical):
                self._delete(job, "pods", pod)  # scaled down
                continue
            by_replica[replica] = pod
        requeue: float | None = None
        counts = {rtype: st.Counts() for rtype in topo.specs}
        for replica in topo.all():
            current = by_replica.get(replica)
            if current is None or m.meta(current).get("deletionTimestamp"):
                continue
            self._judge_pod(job, topo, status, replica, current, counts[replica.rtype])
        if not st.finished(status):
            wait = await self._create_missing(job, topo, status, by_replica, services)
            requeue = wait
        self._replica_statuses(topo, status, counts)
        if not st.finished(status):
            self._decide(job, topo, status, counts, by_replica)
        if st.finished(status):
            status.setdefault("completionTime", m.timestamp(self.now()))
            self._write_status(job, status)
            return Result(requeue_after=0.0)
        self._write_status(job, status)
        deadline = topo.run_policy.get("activeDeadlineSeconds")
        if deadline is not None and status.get("startTime"):
            left = (
                m.parse_timestamp(status["startTime"]) + dt.timedelta(seconds=int(deadline))
            ) - self.now()
            left_s = max(left.total_seconds(), 0.0) + 0.01
            requeue = left_s if requeue is None else min(requeue, left_s)
        return Result(requeue_after=requeue)

    # -- pods -------------------------------------------------------------------------
    def _judge_pod(
        self, job: Obj, topo: Topology, status: Obj, replica: Replica, pod: Obj, counts: st.Counts
    ) -> None:
        """Count the pod; recreate a retryable failure, fail the job on a permanent one."""
        kind, name, ns = self.contract.kind, m.name_of(job), m.namespace_of(job)
        phase = (pod.get("status") or {}).get("phase")
        if phase == "Running":
            counts.active += 1
        elif phase == "Succeeded":
            counts.succeeded += 1
        if phase != "Failed":
            return
        policy = topo.restart_policy(replica.rtype)
        container = (topo.container(replica.rtype) or {}).get("name", "")
        code = _exit_code(pod, str(container))
        if code is not None:
            self._event(
                job,
                "Normal",
                "ExitedWithCode",
                f"Pod: {ns}.{m.name_of(pod)} exited with code {code}",
            )
        retryable = policy in ("OnFailure", "Always") or (
            policy == "ExitCode" and code is not None and code >= 128
        )
        if retryable:
            uid = str(m.meta(job)["uid"])
            limit = topo.run_policy.get("backoffLimit")
            if limit is not None and self._retries.get(uid, 0) >= int(limit):
                msg = f"Job {name} has failed because it has reached the specified backoff limit"
                st.set_condition(
                    status, c.CONDITION_FAILED, self.contract.reason(c.REASON_FAILED), msg
                )
                self._event(job, "Normal", self.contract.reason(c.REASON_FAILED), msg)
                counts.failed += 1
                return
            self._retries[uid] = self._retries.get(uid, 0) + 1
            self._delete(job, "pods", pod)
            msg = f"{kind} {ns}/{name} is restarting because 1 {replica.rtype} replica(s) failed."
            st.set_condition(
                status, c.CONDITION_RESTARTING, self.contract.reason(c.REASON_RESTARTING), msg
            )
            self._event(job, "Warning", self.contract.reason(c.REASON_RESTARTING), msg)
            return
        counts.failed += 1
        if policy == "ExitCode":
            msg = f'job "{name}" is failing because "{replica.rtype}" replica(s) failed.'
            st.set_condition(status, c.CONDITION_FAILED, self.contract.reason(c.REASON_FAILED), msg)
            self._event(job, "Warning", self.contract.reason(c.REASON_FAILED), msg)

    async def _create_missing(
        self, job: Obj, topo: Topology, status: Obj, pods: dict[Replica, Obj], services: list[Obj]
    ) -> float | None:
        """Create absent replicas, leaders first; the requeue delay while waiting."""
        gang = self._gang(topo)
        missing = [r for r in topo.all() if r not in pods]
        if not missing:
            return None
        for obj_resource, obj in self.framework.extra_objects(topo):
            self._create(job, obj_resource, obj)
        leaders = self.framework.leaders(topo)
        followers_ok = True
        requeue: float | None = None
        if leaders and not gang:
            followers_ok, requeue = await self._leaders_ready(job, topo, leaders, pods)
        have_services = {m.name_of(s) for s in services}
        for replica in missing:
            if replica not in leaders and not followers_ok:
                continue
            pod_name = topo.pod_name(replica)
            if self.framework.creates_services and pod_name not in have_services:
                self._create(job, "services", self._service(job, topo, replica))
            self._create(job, "pods", self._pod(job, topo, replica, gang, leaders))
        return requeue

    async def _leaders_ready(
        self, job: Obj, topo: Topology, leaders: list[Replica], pods: dict[Replica, Obj]
    ) -> tuple[bool, float | None]:
        """Whether followers may be created: every leader runs and accepts connections."""
        for leader in leaders:
            pod = pods.get(leader)
            if pod is None or (pod.get("status") or {}).get("phase") != "Running":
                return False, None  # its status change wakes us
            seen = self._leader_seen.setdefault(
                (m.namespace_of(job), m.name_of(job)), {}
            ).setdefault(str(m.meta(pod)["uid"]), time.monotonic())
            if not self.framework.leader_listens or topo.port(leader.rtype) is None:
                continue
            host, port = topo.address(leader)
            if await _accepts(host, port):
                continue
            if time.monotonic() - seen < self.leader_wait_seconds:
                return False, POLL_SECONDS
            self._event(
                job,
                "Warning",
                "LeaderNotListening",
                f"pod {m.name_of(pod)} runs but {host}:{port} did not accept connections within "
                f"{self.leader_wait_seconds:g}s; creating the other replicas anyway",
            )
        names = ", ".join(topo.pod_name(r) for r in leaders)
        self._event(
            job,
            "Normal",
            "LeaderReady",
            f"{names} running and reachable; creating the other replicas",
        )
        return True, None

    def _gang(self, topo: Topology) -> int | None:
        policy = topo.run_policy.get("schedulingPolicy") or {}
        value = policy.get("minAvailable")
        return int(value) if value is not None else None

    def _create(self, job: Obj, resource: str, obj: Obj) -> None:
        try:
            self.store.create(resource, obj)
        except AlreadyExists:
            return
        what = {"pods": "Pod", "services": "Service"}.get(resource)
        if what:
            self._event(
                job,
                "Normal",
                f"SuccessfulCreate{what}",
                f"Created {what.lower()}: {m.name_of(obj)}",
            )

    def _labels(self, topo: Topology, replica: Replica) -> dict[str, str]:
        labels = st.selector_labels(self.contract, topo.name, replica.rtype)
        labels[c.REPLICA_INDEX_LABEL] = str(replica.index)
        if c.is_master_role(self.contract, replica.rtype, replica.index, topo.specs):
            labels[c.JOB_ROLE_LABEL] = c.JOB_ROLE_MASTER
        return labels

    def _service(self, job: Obj, topo: Topology, replica: Replica) -> Obj:
        port = topo.port(replica.rtype) or self.contract.default_port
        labels = self._labels(topo, replica)
        selector = {k: v for k, v in labels.items() if k != c.JOB_ROLE_LABEL}
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": topo.pod_name(replica),
                "namespace": topo.namespace,
                "labels": labels,
                "ownerReferences": [m.owner_reference(job)],
            },
            "spec": {
                "clusterIP": "None",
                "selector": selector,
                "ports": [
                    {"name": self.contract.default_port_name, "port": port, "targetPort": port}
                ],
            },
        }

    def _pod(
        self, job: Obj, topo: Topology, replica: Replica, gang: int | None, leaders: list[Replica]
    ) -> Obj:
        template = m.clone(topo.specs[replica.rtype].get("template") or {})
        meta = template.get("metadata") or {}
        spec = template.get("spec") or {}
        labels = {**(meta.get("labels") or {}), **self._labels(topo, replica)}
        annotations = dict(meta.get("annotations") or {})
        if gang is not None:
            labels[POD_GROUP_LABEL] = topo.name
            annotations[MIN_AVAILABLE_ANNOTATION] = str(gang)
        policy = topo.restart_policy(replica.rtype)
        spec["restartPolicy"] = "Never" if policy == "ExitCode" else policy
        declared = topo.port(replica.rtype)
        env = self.framework.env(topo, replica)
        default = topo.container(replica.rtype)
        for cont in spec.get("containers") or []:
            is_default = cont is default or cont.get("name") == self.contract.default_container_name
            if is_default and declared is not None:
                _, host_port = topo.address(replica)
                for port in cont.get("ports") or []:
                    if port.get("name") == self.contract.default_port_name:
                        port["hostPort"] = host_port
            if env and (self.framework.env_in_all_containers or is_default):
                cont["env"] = [*(cont.get("env") or []), *({"name": k, "value": v} for k, v in env)]
        if (
            gang is not None
            and leaders
            and replica not in leaders
            and self.framework.leader_listens
        ):
            # all replicas start together under gang admission: followers wait for the leader here
            host, port = topo.address(leaders[0])
            wait = {
                "name": WAIT_CONTAINER,
                "image": "kflow/wait",
                "command": [
                    sys.executable,
                    "-c",
                    _WAIT_SCRIPT,
                    host,
                    str(port),
                    str(self.leader_wait_seconds),
                ],
            }
            spec["initContainers"] = [wait, *(spec.get("initContainers") or [])]
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                **{
                    k: v
                    for k, v in meta.items()
                    if k not in ("name", "namespace", "labels", "annotations")
                },
                "name": topo.pod_name(replica),
                "namespace": topo.namespace,
                "labels": labels,
                "ownerReferences": [m.owner_reference(job)],
            },
            "spec": spec,
        }
        if annotations:
            pod["metadata"]["annotations"] = annotations
        self.framework.customize(topo, replica, pod)
        return pod

    # -- status ------------------------------------------------------------------------
    def _replica_statuses(self, topo: Topology, status: Obj, counts: dict[str, st.Counts]) -> None:
        status["replicaStatuses"] = {
            rtype: st.replica_status(self.contract, topo.name, rtype, counts[rtype])
            for rtype in topo.specs
        }

    def _decide(
        self,
        job: Obj,
        topo: Topology,
        status: Obj,
        counts: dict[str, st.Counts],
        pods: dict[Replica, Obj],
    ) -> None:
        kind, name, ns = self.contract.kind, m.name_of(job), m.namespace_of(job)
        verdict = self.framework.decide(topo, counts, pods)
        if verdict == c.CONDITION_SUCCEEDED:
            msg = f"{kind} {ns}/{name} successfully completed."
            st.set_condition(
                status, c.CONDITION_SUCCEEDED, self.contract.reason(c.REASON_SUCCEEDED), msg
            )
            self._event(job, "Normal", self.contract.reason(c.REASON_SUCCEEDED), msg)
            return
        if verdict == c.CONDITION_RUNNING:
            st.set_condition(
                status,
                c.CONDITION_RUNNING,
                self.contract.reason(c.REASON_RUNNING),
                f"{kind} {ns}/{name} is running.",
            )
        for rtype, count in counts.items():
            short = topo.replicas(rtype) > count.succeeded + count.active
            if count.failed and short and topo.restart_policy(rtype) == "Never":
                msg = f"{kind} {ns}/{name} has failed because {count.failed} {rtype} replica(s) failed."
                st.set_condition(
                    status, c.CONDITION_FAILED, self.contract.reason(c.REASON_FAILED), msg
                )
                self._event(job, "Normal", self.contract.reason(c.REASON_FAILED), msg)
                return

    def _past_limits(self, job: Obj, topo: Topology, status: Obj, pods: list[Obj]) -> str | None:
        name = m.name_of(job)
        limit = topo.run_policy.get("backoffLimit")
        if limit is not None:
            restarts = 0
            for pod in pods:
                replica = _replica_of(pod)
                rtype = self.contract.canonical_type(replica.rtype) if replica else None
                counted = rtype in topo.specs and topo.restart_policy(rtype) in (
                    "OnFailure",
                    "Always",
                )
                if counted and (pod.get("status") or {}).get("phase") == "Running":
                    restarts += _restart_count(pod)
            if (restarts > 0) if int(limit) == 0 else (restarts >= int(limit)):
                return f"Job {name} has failed because it has reached the specified backoff limit"
        deadline = topo.run_policy.get("activeDeadlineSeconds")
        if deadline is not None and status.get("startTime"):
            started = m.parse_timestamp(status["startTime"])
            if self.now() >= started + dt.timedelta(seconds=int(deadline)):
                return f"Job {name} has failed because it was active longer than specified deadline"
        return None

    def _fail_now(
        self, job: Obj, topo: Topology, status: Obj, pods: list[Obj], services: list[Obj], msg: str
    ) -> Result:
        """Backoff limit or deadline: delete every replica, then mark the job Failed."""
        for pod in pods:
            self._delete(job, "pods", pod)
        for service in services:
            self._delete(job, "services", service)
        reason = "DeadlineExceeded" if "deadline" in msg else self.contract.reason(c.REASON_FAILED)
        status.setdefault("completionTime", m.timestamp(self.now()))
        st.set_condition(status, c.CONDITION_FAILED, reason, msg)
        self._event(job, "Normal", reason, msg)
        self._write_status(job, status)
        return Result(requeue_after=0.0)

    # -- finished and suspended jobs -----------------------------------------------------
    def _finished(
        self, job: Obj, topo: Topology, status: Obj, pods: list[Obj], services: list[Obj]
    ) -> Result:
        policy = topo.run_policy.get("cleanPodPolicy") or self.contract.default_clean_pod_policy
        succeeded = st.has(status, c.CONDITION_SUCCEEDED)
        status.setdefault("completionTime", m.timestamp(self.now()))
        finished_for = (self.now() - m.parse_timestamp(status["completionTime"])).total_seconds()
        # after a success, replicas about to exit on their own (workers a moment behind
        # the master) get a short grace instead of a SIGTERM that would mark them Error
        grace_left = FINISH_GRACE_SECONDS - finished_for if succeeded else 0.0
        waiting = False
        for pod in pods:
            phase = (pod.get("status") or {}).get("phase")
            if policy == "All" or (
                policy == "Running" and phase not in TERMINAL and grace_left <= 0
            ):
                self._delete(job, "pods", pod)
                self._delete_service(job, services, m.name_of(pod))
            elif phase not in TERMINAL and not m.meta(pod).get("deletionTimestamp"):
                if phase == "Pending" and not (pod.get("status") or {}).get("startTime"):
                    self._delete(job, "pods", pod)  # never started: nothing to keep
                elif grace_left > 0:
                    waiting = True
                else:
                    self._stop_running(job, pod)
        if succeeded:
            for entry in (status.get("replicaStatuses") or {}).values():
                if entry.get("active"):
                    entry["succeeded"] = int(entry.get("succeeded") or 0) + entry.pop("active")
        self._write_status(job, status)
        if waiting:
            return Result(requeue_after=grace_left)
        self._release((m.namespace_of(job), m.name_of(job)))
        ttl = topo.run_policy.get("ttlSecondsAfterFinished")
        if ttl is None:
            return Result()
        expires = m.parse_timestamp(status["completionTime"]) + dt.timedelta(seconds=int(ttl))
        left = (expires - self.now()).total_seconds()
        if left > 0:
            return Result(requeue_after=left)
        with contextlib.suppress(NotFound):
            self.store.delete(
                self.resource,
                m.namespace_of(job),
                m.name_of(job),
                propagation=DeletePropagation.BACKGROUND,
            )
        return Result()

    def _delete_service(self, job: Obj, services: list[Obj], name: str) -> None:
        for service in services:
            if m.name_of(service) == name:
                self._delete(job, "services", service)

    def _suspend(self, job: Obj, status: Obj, pods: list[Obj], services: list[Obj]) -> Result:
        kind, name = self.contract.kind, m.name_of(job)
        for pod in pods:
            self._delete(job, "pods", pod)
        for service in services:
            self._delete(job, "services", service)
        for entry in (status.get("replicaStatuses") or {}).values():
            entry.pop("active", None)
        msg = f"{kind} {name} is suspended."
        reason = self.contract.reason(c.REASON_SUSPENDED)
        if st.has(status, c.CONDITION_RUNNING):
            st.set_condition(status, c.CONDITION_RUNNING, reason, msg, "False")
        if not st.has(status, c.CONDITION_SUSPENDED):
            st.set_condition(status, c.CONDITION_SUSPENDED, reason, msg)
            self._event(job, "Normal", reason, msg)
        self._write_status(job, status)
        return Result()


async def _accepts(host: str, port: int) -> bool:
    """Whether something listens at host:port (the connection is closed at once)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 0.5)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True
