"""One log for a whole training job: every replica's lines, each with its `[role-index]`.

A Kubeflow job is many pods (`mnist-master-0`, `mnist-worker-0`, ...), all labelled
`training.kubeflow.org/job-name=<job>`. Reading them one by one is how a person loses
the line that explains a failure, so `job_logs` merges them: without `follow` it prints
each replica's log in role order (master, chief, launcher first); with `follow` it
streams every replica at once, lets replicas that appear later (a restart, a
rescheduled worker) join, and ends once the job has finished and every stream has
drained. It is built on `Client.list` and `Client.logs` only, so it works against any
Kubernetes-compatible server.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from kflow.api.errors import ApiError, BadRequest, NotFound
from kflow.api.training.contracts import (
    CONDITION_FAILED,
    CONDITION_SUCCEEDED,
    JOB_NAME_LABEL,
    REPLICA_INDEX_LABEL,
    REPLICA_TYPE_LABEL,
    TRAINING_KINDS,
)
from kflow.sdk.client import Client, KindRef

Obj = dict[str, Any]

# the container each kind's controller configures, when a pod has several
DEFAULT_CONTAINERS = tuple(k.default_container_name for k in TRAINING_KINDS.values())
# who leads a job comes first in a non-following read
_ROLE_ORDER = {"master": 0, "chief": 0, "launcher": 0, "worker": 1, "ps": 2, "evaluator": 3}
_FINISHED = (CONDITION_SUCCEEDED, CONDITION_FAILED)

POLL_INTERVAL = 0.25
"""Seconds between looks at the job's pods while following (new replicas, restarts)."""


@dataclasses.dataclass(frozen=True)
class LogLine:
    """One line of one replica's output."""

    replica: str  # `master-0`, `worker-1`: the replica type lowercased, then its index
    pod: str  # the pod's name
    text: str  # the line, without its newline


def replica_name(pod: Obj) -> str:
    """`worker-1` for a job's pod, from its labels; the pod name when they are missing."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    role = labels.get(REPLICA_TYPE_LABEL)
    index = labels.get(REPLICA_INDEX_LABEL)
    if role is None or index is None:
        return str(meta.get("name") or "")
    return f"{str(role).lower()}-{index}"


def _order(pod: Obj) -> tuple[int, str, int, str]:
    labels = (pod.get("metadata") or {}).get("labels") or {}
    role = str(labels.get(REPLICA_TYPE_LABEL) or "").lower()
    try:
        index = int(labels.get(REPLICA_INDEX_LABEL) or 0)
    except ValueError:
        index = 0
    return (_ROLE_ORDER.get(role, 4), role, index, str(pod["metadata"].get("name") or ""))


def job_container(pod: Obj, requested: str | None = None) -> str | None:
    """The container to read: the one asked for, the kind's default one, else the first."""
    if requested:
        return requested
    names = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
    if len(names) <= 1:
        return None  # the server picks the only container
    return next((n for n in names if n in DEFAULT_CONTAINERS), names[0])


def job_pods(client: Client, job: str, *, namespace: str | None = None) -> list[Obj]:
    """The pods of a job, masters first, then by role and index."""
    pods = client.list("pods", namespace=namespace, labels=f"{JOB_NAME_LABEL}={job}").items
    return sorted(pods, key=_order)


def is_finished(job: Obj | None) -> bool:
    """Whether a job has a true Succeeded or Failed condition."""
    conditions = ((job or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") in _FINISHED and c.get("status") == "True" for c in conditions)


def _restarts(pod: Obj) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount") or 0) for s in statuses)


def _started(pod: Obj) -> bool:
    """Whether a container of the pod has run, so there is a log to read."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Running", "Succeeded", "Failed"):
        return True
    return any(
        "waiting" not in (s.get("state") or {"waiting": {}})
        for s in status.get("containerStatuses") or []
    )


def _ended(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _owner_finder(client: Client, namespace: str | None) -> Callable[[list[Obj]], Obj | None]:
    """Finds a job from its pods' controller ownerReference (for `job/NAME`)."""

    def find(pods: list[Obj]) -> Obj | None:
        for pod in pods:
            for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
                if not ref.get("controller"):
                    continue
                try:
                    res = client.discovery.for_object(ref["apiVersion"], ref["kind"])
                    return client.get(res, ref["name"], namespace=namespace)
                except (ApiError, KeyError, LookupError):
                    return None
        return None

    return find


def job_logs(
    client: Client,
    job: str,
    *,
    kind: KindRef | None = None,
    namespace: str | None = None,
    container: str | None = None,
    follow: bool = False,
    tail: int | None = None,
    timeout: float | None = None,
) -> Iterator[LogLine]:
    """The merged log of every replica of `job`.

    `kind` (`tfjobs`, `pytorchjob`...) lets a follow know when the job has finished;
    without it the job is found through its pods' ownerReferences. `timeout` bounds a
    follow, in seconds. Raises NotFound when `kind` is given and there is no such job.
    """
    if kind is not None:
        client.get(kind, job, namespace=namespace)  # NotFound, before anything streams
    if not follow:
        for pod in job_pods(client, job, namespace=namespace):
            yield from _read(client, pod, namespace, container, tail)
        return
    fetch: Callable[[list[Obj]], Obj | None]
    if kind is not None:
        typed = kind

        def fetch(_pods: list[Obj]) -> Obj | None:
            return _get_or_none(client, typed, job, namespace)
    else:
        fetch = _owner_finder(client, namespace)
    yield from _follow(client, job, namespace, container, tail, fetch, timeout)


def _get_or_none(client: Client, kind: KindRef, name: str, namespace: str | None) -> Obj | None:
    try:
        return client.get(kind, name, namespace=namespace)
    except NotFound:
        return None


def _read(
    client: Client, pod: Obj, namespace: str | None, container: str | None, tail: int | None
) -> Iterator[LogLine]:
    name = str(pod["metadata"]["name"])
    replica = replica_name(pod)
    try:
        for text in client.logs(
            name, job_container(pod, container), namespace=namespace, tail=tail
        ):
            yield LogLine(replica, name, text)
    except (BadRequest, NotFound):
        return  # not started yet, or gone: nothing to show for this replica


class _Followers:
    """One thread per replica run, all feeding one queue; `None` marks a stream's end."""

    def __init__(self, client: Client, namespace: str | None, container: str | None) -> None:
        self.client, self.namespace, self.container = client, namespace, container
        self.lines: queue.Queue[LogLine | str] = queue.Queue()
        self.running: set[str] = set()  # uids whose stream is open
        self.seen: dict[str, int] = {}  # uid -> restart count when its stream began
        self.stop = threading.Event()

    def start(self, pod: Obj, tail: int | None) -> None:
        uid = str(pod["metadata"].get("uid") or pod["metadata"]["name"])
        self.seen[uid] = _restarts(pod)
        self.running.add(uid)
        thread = threading.Thread(
            target=self._pump, args=(pod, uid, tail), name=f"logs-{uid}", daemon=True
        )
        thread.start()

    def _pump(self, pod: Obj, uid: str, tail: int | None) -> None:
        name = str(pod["metadata"]["name"])
        replica = replica_name(pod)
        deadline = time.monotonic() + 10
        try:
            while not self.stop.is_set():
                try:
                    lines = self.client.logs(
                        name,
                        job_container(pod, self.container),
                        namespace=self.namespace,
                        follow=True,
                        tail=tail,
                    )
                    for text in lines:
                        self.lines.put(LogLine(replica, name, text))
                        if self.stop.is_set():
                            return
                    return
                except BadRequest:
                    # its container is still starting: try again shortly, not forever
                    if time.monotonic() > deadline:
                        return
                    self.stop.wait(POLL_INTERVAL)
                except NotFound:
                    return
        except Exception:  # a broken stream must not hang the merge
            return
        finally:
            self.lines.put(uid)


def _follow(
    client: Client,
    job: str,
    namespace: str | None,
    container: str | None,
    tail: int | None,
    fetch_job: Callable[[list[Obj]], Obj | None],
    timeout: float | None,
) -> Iterator[LogLine]:
    followers = _Followers(client, namespace, container)
    deadline = None if timeout is None else time.monotonic() + timeout
    next_look = 0.0
    settled = False  # the job finished and every pod we knew was being read or done
    try:
        while True:
            now = time.monotonic()
            if now >= next_look:
                next_look = now + POLL_INTERVAL
                pods = job_pods(client, job, namespace=namespace)
                owner = fetch_job(pods)
                if owner is not None:
                    finished = is_finished(owner)
                else:  # no job object to ask: done once every replica has ended
                    finished = bool(pods) and all(_ended(p) for p in pods)
                for pod in pods:
                    uid = str(pod["metadata"].get("uid") or pod["metadata"]["name"])
                    if uid in followers.running or not _started(pod):
                        continue
                    if uid not in followers.seen:
                        followers.start(pod, tail)
                    elif _restarts(pod) > followers.seen[uid]:
                        followers.start(pod, None)  # a restarted container: its new run
                settled = finished
            if settled and not followers.running and followers.lines.empty():
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            try:
                item = followers.lines.get(timeout=max(0.0, next_look - time.monotonic()))
            except queue.Empty:
                continue
            if isinstance(item, str):
                followers.running.discard(item)
            else:
                yield item
    finally:
        followers.stop.set()
