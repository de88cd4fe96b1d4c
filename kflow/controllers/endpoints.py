"""The endpoints controller: each selecting Service gets an Endpoints object.

What `kubectl get endpoints` and `kubectl describe service` show: for every pod the
Service selects, its address and — because locally each pod's ports live on their
own host ports — a subset per pod with the host port its `targetPort` really
listens on. Running pods are ready addresses; pending ones are listed as not ready.
Services without a selector keep hand-written Endpoints untouched, as in Kubernetes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.errors import AlreadyExists, Conflict, NotFound
from kflow.api.selectors import selector_from_spec
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.controllers.services import ServiceResolver, container_port_of
from kflow.store.interface import Store, WatchEvent

Obj = dict[str, Any]


class EndpointsController(Controller):
    name = "endpoints"

    def __init__(self, store: Store, resolver: ServiceResolver) -> None:
        self.store = store
        self.resolver = resolver

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec("services"), WatchSpec("pods", self._services_of_pod)]

    def _services_of_pod(self, event: WatchEvent) -> list[Hashable]:
        namespace = m.namespace_of(event.object)
        labels = m.labels_of(event.object)
        return [
            (namespace, m.name_of(svc))
            for svc in self.store.list("services", namespace).items
            if (svc.get("spec") or {}).get("selector")
            and selector_from_spec((svc.get("spec") or {}).get("selector")).matches(labels)
        ]

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            service = self.store.get("services", namespace, name)
        except NotFound:
            return self._remove(namespace, name)
        if not (service.get("spec") or {}).get("selector"):
            return Result()
        labels = dict(m.labels_of(service))
        subsets = self._subsets(service)
        desired: Obj = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "subsets": subsets,
        }
        try:
            current = self.store.get("endpoints", namespace, name)
        except NotFound:
            try:
                self.store.create("endpoints", desired)
            except AlreadyExists:
                return Result(requeue_after=0.05)
            return Result()
        if current.get("subsets") == desired["subsets"] and m.labels_of(current) == m.labels_of(
            desired
        ):
            return Result()
        updated = m.clone(current)
        updated["subsets"] = desired["subsets"]
        m.meta(updated)["labels"] = desired["metadata"]["labels"]
        try:
            self.store.update("endpoints", updated)
        except Conflict:
            return Result(requeue_after=0.05)
        return Result()

    def _subsets(self, service: Obj) -> list[Obj]:
        subsets: list[Obj] = []
        ports = (service.get("spec") or {}).get("ports") or []
        for pod in self.resolver.backing_pods(service):
            uid = m.meta(pod)["uid"]
            mapped = []
            for entry in ports:
                container_port = container_port_of(pod, entry.get("targetPort", entry.get("port")))
                if container_port is None:
                    continue
                address = self.resolver.runtime.address(
                    m.namespace_of(service), m.name_of(service), container_port, uid
                )
                port: Obj = {
                    "port": int(address.rsplit(":", 1)[1]),
                    "protocol": entry.get("protocol", "TCP"),
                }
                if entry.get("name"):
                    port["name"] = entry["name"]
                mapped.append(port)
            if not mapped:
                continue
            target = {
                "ip": "127.0.0.1",
                "nodeName": (pod.get("spec") or {}).get("nodeName", "kflow-local"),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": m.namespace_of(pod),
                    "name": m.name_of(pod),
                    "uid": uid,
                },
            }
            ready = (pod.get("status") or {}).get("phase") == "Running"
            subsets.append(
                {"addresses" if ready else "notReadyAddresses": [target], "ports": mapped}
            )
        return subsets

    def _remove(self, namespace: str, name: str) -> Result:
        with contextlib.suppress(NotFound):
            self.store.delete("endpoints", namespace, name)
        return Result()
