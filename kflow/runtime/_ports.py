"""Host ports for declared container ports, all on 127.0.0.1.

Pods share the machine's network, so two pods declaring `containerPort: 2222` cannot
both have it. Each declared port gets a host port: the declared number itself when
nothing on the machine holds it and no other pod was given it, otherwise a free
ephemeral port. A controller may ask for a pod's address before the pod runs (to
write TF_CONFIG for all workers at once), so a uid's ports can be chosen early and
the pod then gets exactly those. A port can also be reserved for a Service before
its pod exists (`reserve`), and a container port with a `hostPort` gets exactly that
host port. The container learns its ports from its env.
"""

from __future__ import annotations

import socket

POD_IP_ENV = "KFLOW_POD_IP"  # the pod's IP address as seen by other pods
PORT_ENV_PREFIX = "KFLOW_PORT_"  # KFLOW_PORT_<declared containerPort> = host port to bind


def port_env(declared: int) -> str:
    """The env var that tells a container which host port its declared port became."""
    return f"{PORT_ENV_PREFIX}{declared}"


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Ports:
    """uid -> {declared port: host port}, with every host port given to one pod only."""

    def __init__(self) -> None:
        self.by_pod: dict[str, dict[int, int]] = {}
        self.reserved: dict[tuple[str, str, int], int] = {}  # (ns, service, port) -> host

    def taken(self) -> set[int]:
        pods = {host for ports in self.by_pod.values() for host in ports.values()}
        return pods | set(self.reserved.values())

    def _choose(self, declared: int) -> int:
        taken = self.taken()
        host = declared if declared not in taken and _bindable(declared) else 0
        while host == 0 or host in taken:
            host = _ephemeral()
        return host

    def assign(self, uid: str, declared: int, host_port: int = 0) -> int:
        """The host port for `declared` in pod `uid`: `host_port` if given, else chosen."""
        ports = self.by_pod.setdefault(uid, {})
        if declared not in ports:
            ports[declared] = host_port or self._choose(declared)
        return ports[declared]

    def reserve(self, namespace: str, service: str, declared: int) -> int:
        """A host port held for a Service's port until `release_service`."""
        key = (namespace, service, declared)
        if key not in self.reserved:
            self.reserved[key] = self._choose(declared)
        return self.reserved[key]

    def release_service(self, namespace: str, service: str) -> None:
        for key in [k for k in self.reserved if k[:2] == (namespace, service)]:
            del self.reserved[key]

    def adopt(self, uid: str, ports: dict[int, int]) -> None:
        self.by_pod[uid] = dict(ports)

    def release(self, uid: str) -> None:
        self.by_pod.pop(uid, None)
