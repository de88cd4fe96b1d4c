"""Service addresses: what `<service>[.<ns>[.svc[.cluster.local]]]:<port>` reaches.

Controllers that write an env contract (`TF_CONFIG`, `MASTER_ADDR`/`MASTER_PORT`, an
MPI hostfile) ask here instead of writing cluster DNS names a local process could
not resolve. A Service port maps to its `targetPort` (a number, or a container port
name looked up on the backing pod); the backing pod is chosen by the Service's
selector, running pods first; the runtime then says where that pod's port is
reachable (`127.0.0.1:<host port>` locally, `<svc>.<ns>.svc:<port>` on Kubernetes).
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.errors import NotFound
from kflow.api.selectors import selector_from_spec
from kflow.runtime.interface import Runtime
from kflow.store.interface import Store

Obj = dict[str, Any]
CLUSTER_DOMAIN = "cluster.local"


class ServiceNotFound(LookupError):
    """The host names no Service, or the Service has no such port."""


def split_host(host: str, namespace: str) -> tuple[str, str]:
    """(service, namespace) from `svc`, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`."""
    parts = host.rstrip(".").split(".")
    if parts[-2:] == CLUSTER_DOMAIN.split("."):
        parts = parts[:-2]
    if len(parts) == 3 and parts[2] == "svc":
        parts = parts[:2]
    if len(parts) == 1:
        return parts[0], namespace
    if len(parts) == 2:
        return parts[0], parts[1]
    raise ServiceNotFound(f'"{host}" is not a service name: expected <service>[.<namespace>[.svc]]')


def _service_port(service: Obj, port: int) -> Obj:
    ports = (service.get("spec") or {}).get("ports") or []
    for entry in ports:
        if int(entry.get("port") or 0) == port:
            return dict(entry)
    offered = ", ".join(str(p.get("port")) for p in ports) or "none"
    raise ServiceNotFound(
        f'service "{m.namespace_of(service)}/{m.name_of(service)}" has no port {port} (ports: {offered})'
    )


def container_port_of(pod: Obj, target: int | str) -> int | None:
    if isinstance(target, int) or str(target).isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target:
                return int(declared["containerPort"])
    return None


def _rank(pod: Obj) -> tuple[int, str]:
    phase = (pod.get("status") or {}).get("phase")
    return (0 if phase == "Running" else 1 if phase == "Pending" else 2, m.name_of(pod))


class ServiceResolver:
    """Turns Service names into reachable `host:port` addresses."""

    def __init__(self, store: Store, runtime: Runtime) -> None:
        self.store = store
        self.runtime = runtime

    def backing_pods(self, service: Obj) -> list[Obj]:
        """Pods the Service selects that are not being deleted, running ones first."""
        selector = (service.get("spec") or {}).get("selector")
        if not selector:
            return []
        pods = self.store.list(
            "pods", m.namespace_of(service), labels=selector_from_spec(selector)
        ).items
        live = [p for p in pods if not m.meta(p).get("deletionTimestamp")]
        live = [
            p for p in live if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]
        return sorted(live, key=_rank)

    def resolve(self, host: str, port: int, namespace: str = "default") -> str:
        """`host:port` where a client reaches `host:port` as a pod in `namespace` would."""
        name, ns = split_host(host, namespace)
        try:
            service = self.store.get("services", ns, name)
        except NotFound:
            raise ServiceNotFound(f'service "{ns}/{name}" not found') from None
        entry = _service_port(service, port)
        target = entry.get("targetPort", port)
        for pod in self.backing_pods(service):
            container_port = container_port_of(pod, target)
            if container_port is not None:
                return self.runtime.address(ns, name, container_port, m.meta(pod)["uid"])
        if isinstance(target, str) and not target.isdigit():
            raise ServiceNotFound(
                f'service "{ns}/{name}" port {port}: no backing pod declares a port named "{target}"'
            )
        return self.runtime.address(ns, name, int(target), None)
