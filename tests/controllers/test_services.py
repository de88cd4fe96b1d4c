"""Service names resolve to where the backing pod's port really listens."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
import pytest

from kflow.api import core  # noqa: F401
from kflow.api.errors import NotFound
from kflow.controllers.endpoints import EndpointsController
from kflow.controllers.manager import Manager
from kflow.controllers.pods import PodController
from kflow.controllers.services import ServiceNotFound, ServiceResolver, split_host
from kflow.runtime.interface import Capacity
from kflow.runtime.local import LocalRuntime
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until

SERVER = (
    "import http.server, os; "
    "port = int(os.environ['KFLOW_PORT_8080']); "
    "http.server.HTTPServer(('127.0.0.1', port), http.server.SimpleHTTPRequestHandler).serve_forever()"
)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("web", ("web", "team")),
        ("web.other", ("web", "other")),
        ("web.other.svc", ("web", "other")),
        ("web.other.svc.cluster.local", ("web", "other")),
    ],
)
def test_service_host_forms(host: str, expected: tuple[str, str]) -> None:
    assert split_host(host, "team") == expected


def test_a_service_name_reaches_the_selected_pods_port(tmp_path: Path) -> None:
    async def main() -> None:
        store = MemoryStore()
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
        )
        runtime = LocalRuntime(tmp_path / "rt", capacity=Capacity(cpu=2, memory=2**33, gpu=0))
        manager = Manager(store)
        manager.add(PodController(store, runtime))
        manager.add(EndpointsController(store, ServiceResolver(store, runtime)))
        await manager.start()
        try:
            store.create(
                "pods",
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "http",
                                "image": "python:3.11",
                                "command": [sys.executable, "-c", SERVER],
                                "ports": [{"name": "http", "containerPort": 8080}],
                            }
                        ],
                    },
                },
            )
            store.create(
                "services",
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "web", "namespace": "default"},
                    "spec": {
                        "selector": {"app": "web"},
                        "ports": [{"port": 80, "targetPort": "http"}],
                    },
                },
            )
            resolver = ServiceResolver(store, runtime)

            async def answers() -> bool:
                address = resolver.resolve("web.default.svc", 80)
                try:
                    async with httpx.AsyncClient() as client:
                        return (await client.get(f"http://{address}/")).status_code == 200
                except httpx.HTTPError:
                    return False

            await async_wait_until(answers, timeout=15)

            def endpoint_ports() -> list[int]:
                try:
                    endpoints = store.get("endpoints", "default", "web")
                except NotFound:
                    return []
                return [
                    p["port"] for s in endpoints["subsets"] if "addresses" in s for p in s["ports"]
                ]

            host_port = int(resolver.resolve("web", 80).rsplit(":", 1)[1])
            assert await async_wait_until(endpoint_ports) == [host_port]
            with pytest.raises(ServiceNotFound, match="has no port 81"):
                resolver.resolve("web", 81)
            with pytest.raises(ServiceNotFound, match='service "default/nope" not found'):
                resolver.resolve("nope", 80)
            store.delete("services", "default", "web")
            await async_wait_until(lambda: not store.list("endpoints").items)
        finally:
            store.delete("pods", "default", "web-0", grace_period_seconds=0)
            await async_wait_until(lambda: not store.list("pods").items, timeout=15)
            await manager.stop()

    asyncio.run(main())
