"""The runtime port: what the controllers need from "a place where pods run".

The runtime is kflow's kubelet + scheduler: it runs a pod, stops it, reports its
status in the Kubernetes shape, streams its logs and gives every declared container
port a reachable address. It never touches the store: the pod controller resolves
everything that needs other objects (ConfigMap/Secret values, PVC names, the
downward API) into a :class:`PodLaunch` first, and writes what the runtime reports
back into the store. That keeps adapters (local processes, Kubernetes pods) small
and interchangeable.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
from collections.abc import AsyncIterator, Callable
from typing import Any


class VolumeType(enum.Enum):
    """How a pod volume is backed on the runtime."""

    EMPTY_DIR = "emptyDir"  # a fresh directory owned by the pod, removed with it
    HOST_PATH = "hostPath"  # an existing host directory, used in place
    FILES = "files"  # configMap/secret: `files` written into a pod-owned directory
    CLAIM = "persistentVolumeClaim"  # a directory named after the claim, kept across pods


@dataclasses.dataclass(frozen=True)
class Volume:
    """One entry of `spec.volumes`, resolved by the pod controller."""

    name: str
    type: VolumeType
    path: str | None = None  # hostPath: the host directory
    claim: str | None = None  # persistentVolumeClaim: the claim's name (namespace from the pod)
    files: dict[str, bytes] = dataclasses.field(
        default_factory=dict
    )  # FILES: relative path -> content
    secret: bool = False  # FILES: from a Secret, so the files are written mode 0600 (else 0644)


@dataclasses.dataclass(frozen=True)
class VolumeMount:
    """One entry of a container's `volumeMounts`."""

    name: str
    mount_path: str
    read_only: bool = False
    sub_path: str = ""


@dataclasses.dataclass(frozen=True)
class ContainerPort:
    """A declared `containerPort`; the runtime maps it to a reachable host port."""

    container_port: int
    name: str = ""
    protocol: str = "TCP"
    host_port: int = 0  # Kubernetes' `hostPort`: 0 lets the runtime choose; else exactly this


@dataclasses.dataclass(frozen=True)
class Container:
    """A container with every reference already resolved."""

    name: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]  # fully resolved (valueFrom done), in declaration order
    working_dir: str = ""
    ports: list[ContainerPort] = dataclasses.field(default_factory=list)
    mounts: list[VolumeMount] = dataclasses.field(default_factory=list)
    cpu_request: float = 0.0  # cores
    memory_request: int = 0  # bytes
    gpu_request: int = 0  # nvidia.com/gpu


@dataclasses.dataclass(frozen=True)
class PodLaunch:
    """Everything the runtime needs to run one pod, independent of the store."""

    uid: str
    namespace: str
    name: str
    containers: list[Container]
    init_containers: list[Container] = dataclasses.field(default_factory=list)
    volumes: list[Volume] = dataclasses.field(default_factory=list)
    restart_policy: str = "Always"  # Always | OnFailure | Never
    termination_grace_period_seconds: int = 30

    @property
    def cpu_request(self) -> float:
        return sum(c.cpu_request for c in self.containers)

    @property
    def memory_request(self) -> int:
        return sum(c.memory_request for c in self.containers)

    @property
    def gpu_request(self) -> int:
        return sum(c.gpu_request for c in self.containers)


@dataclasses.dataclass(frozen=True)
class Capacity:
    """What the runtime can admit in total."""

    cpu: float
    memory: int
    gpu: int


@dataclasses.dataclass(frozen=True)
class RuntimeEvent:
    """Something a pod's life produced that belongs in a Kubernetes Event."""

    pod_uid: str
    type: str  # Normal | Warning
    reason: str  # Pulled, Created, Started, Killing, BackOff, FailedScheduling, ...
    message: str


class AdmissionResult(enum.Enum):
    """The answer to "may these pods start now?"."""

    ADMITTED = "Admitted"  # resources are reserved; run_pod may be called
    WAITING = "Waiting"  # does not fit right now; ask again later
    NEVER = "Never"  # can never fit on this runtime (asks more than the capacity)


PodChanged = Callable[[str], None]
"""Called with a pod uid whenever the runtime's view of that pod changed."""
EventSink = Callable[[RuntimeEvent], None]


class Runtime(abc.ABC):
    """The runtime port. Methods are called from the asyncio loop."""

    @abc.abstractmethod
    async def start(self, on_change: PodChanged, on_event: EventSink) -> None:
        """Begin work: adopt pods that survived a restart of kflow, then report."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop watching pods. Running pods are left running, to be adopted later."""

    @abc.abstractmethod
    def capacity(self) -> Capacity:
        """The total CPU, memory and GPUs pods may request."""

    @abc.abstractmethod
    def admit(self, pods: list[PodLaunch]) -> tuple[AdmissionResult, str]:
        """Reserve resources for all `pods` or none (gang admission); says why not."""

    @abc.abstractmethod
    def run_pod(self, pod: PodLaunch) -> None:
        """Start the pod. Idempotent by uid: a known pod is left alone."""

    @abc.abstractmethod
    async def stop_pod(self, uid: str, grace_seconds: float | None = None) -> None:
        """SIGTERM the pod's processes, SIGKILL after the grace period; keep its logs."""

    @abc.abstractmethod
    def remove_pod(self, uid: str) -> None:
        """Forget a stopped pod: release resources, delete its logs and emptyDirs."""

    @abc.abstractmethod
    def known_pods(self) -> list[str]:
        """Uids of every pod the runtime holds (running or ended, not removed)."""

    @abc.abstractmethod
    def pod_status(self, uid: str) -> dict[str, Any] | None:
        """The pod's `status` in the Kubernetes shape, or None if unknown."""

    @abc.abstractmethod
    def port_map(self, uid: str) -> dict[int, int]:
        """Declared containerPort -> the host port it is reachable on (127.0.0.1)."""

    @abc.abstractmethod
    def address(self, namespace: str, service: str, port: int, pod_uid: str | None) -> str:
        """`host:port` for a Service port backed by `pod_uid` (any runtime-specific form)."""

    def reserve_port(self, namespace: str, service: str, port: int) -> int | None:
        """Choose now the host port `service`'s `port` will be reachable on.

        For env contracts written before any pod exists (`TF_CONFIG` names every
        replica): the controller puts the answer in the pod's `hostPort`, and
        `address(namespace, service, port, None)` says where it is reachable from then
        on. Idempotent per (namespace, service, port). None: this runtime does not map
        ports (on Kubernetes a Service's own port is reachable as it is).
        """
        return None

    def release_ports(self, namespace: str, service: str) -> None:
        """Forget `service`'s reservations (its job is gone); a no-op by default."""
        return None

    def container_path(self, uid: str, container: str, path: str) -> str | None:
        """Where `path`, as `container` of pod `uid` sees it, is readable by kflow.

        None when the runtime cannot tell (the pod is unknown, or its files are not
        on this machine)."""
        return None

    @abc.abstractmethod
    def logs(
        self,
        uid: str,
        container: str,
        *,
        previous: bool = False,
        tail_lines: int | None = None,
        follow: bool = False,
    ) -> AsyncIterator[bytes]:
        """The container's log, optionally the previous run's, optionally following."""
