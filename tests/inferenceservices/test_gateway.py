"""The gateway alone: round robin over ready replicas, skipping dead ones, access checks.

Replicas are a transport that records which address each request reached.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from kflow.api import core, kserve  # noqa: F401  (registers the kinds)
from kflow.api.kserve import contracts as c
from kflow.server.app import create_app
from kflow.server.identity import Identity, TokenAuthenticator
from kflow.store.memory import MemoryStore
from tests.conftest import async_wait_until

TOKENS = {
    "admin": Identity(user="admin", groups=("system:masters",)),
    "bob": Identity(user="bob", groups=("system:authenticated",)),
}


def _store(addresses: list[str | None]) -> MemoryStore:
    store = MemoryStore()
    store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml"}}
    )
    store.create(
        c.RESOURCE,
        {
            "apiVersion": c.API_VERSION,
            "kind": c.KIND,
            "metadata": {"name": "digits", "namespace": "ml"},
            # a request finding no ready replica is held at most this long
            "spec": {"predictor": {"sklearn": {"storageUri": "/m"}, "timeout": 1}},
        },
    )
    for n, address in enumerate(addresses):
        pod: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"digits-{n}",
                "namespace": "ml",
                "labels": {c.ISVC_LABEL: "digits", c.COMPONENT_LABEL: c.PREDICTOR},
                "annotations": {c.READY_ADDRESS_ANNOTATION: address} if address else {},
            },
            "spec": {"containers": [{"name": "kserve-container"}]},
        }
        created = store.create("pods", pod)
        created["status"] = {"phase": "Running"}
        store.update_status("pods", created)
    return store


class Replicas(httpx.AsyncBaseTransport):
    """Model replicas as a transport: `handler` answers each request, body streamed back."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        answer: httpx.Response = self.handler(request)
        return httpx.Response(
            answer.status_code, headers=answer.headers, stream=httpx.ByteStream(answer.content)
        )


def _post(
    store: MemoryStore, paths: list[str], handler: Any, token: str = "admin"
) -> list[httpx.Response]:
    app = create_app(
        store=store,
        authenticator=TokenAuthenticator(TOKENS),
        serving_transport=Replicas(handler),
    )

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            answers = [await http.post(p, content=b'{"x": 1}', headers=headers) for p in paths]
        await app.state.gateway.close()
        return answers

    return asyncio.run(go())


def test_requests_take_ready_replicas_in_turn() -> None:
    seen: list[tuple[str, str, bytes, str | None]] = []

    def replica(request: httpx.Request) -> httpx.Response:
        seen.append(
            (
                request.url.host + f":{request.url.port}",
                request.url.path,
                request.content,
                request.headers.get("authorization"),
            )
        )
        return httpx.Response(200, json={"ok": True})

    store = _store(["127.0.0.1:1001", None, "127.0.0.1:1002"])
    path = "/serving/ml/digits/v1/models/digits:predict"
    answers = _post(store, [path] * 4, replica)
    assert [a.status_code for a in answers] == [200] * 4
    assert [s[0] for s in seen] == ["127.0.0.1:1001", "127.0.0.1:1002"] * 2
    assert {s[1] for s in seen} == {"/v1/models/digits:predict"}
    assert {s[2] for s in seen} == {b'{"x": 1}'}
    assert {s[3] for s in seen} == {None}  # the caller's token stays at the gateway


def test_a_replica_that_refuses_is_skipped() -> None:
    def replica(request: httpx.Request) -> httpx.Response:
        if request.url.port == 1001:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"port": request.url.port})

    answers = _post(
        _store(["127.0.0.1:1001", "127.0.0.1:1002"]),
        ["/serving/ml/digits/v2/health/ready"] * 2,
        replica,
    )
    assert [a.json() for a in answers] == [{"port": 1002}, {"port": 1002}]


def test_no_ready_replica_is_503_and_access_is_checked() -> None:
    def replica(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request should reach a replica")

    [waiting] = _post(_store([None]), ["/serving/ml/digits/v2/health/ready"], replica)
    assert waiting.status_code == 503
    assert waiting.json()["reason"] == "ServiceUnavailable"
    assert "no ready replica" in waiting.json()["message"]
    assert "none became ready within 1s (spec.predictor.timeout)" in waiting.json()["message"]
    [denied] = _post(_store(["127.0.0.1:1"]), ["/serving/ml/digits/x"], replica, token="bob")
    assert denied.status_code == 403
    assert 'cannot get resource "inferenceservices"' in denied.json()["message"]
    [anonymous] = _post(_store(["127.0.0.1:1"]), ["/serving/ml/digits/x"], replica, token="x")
    assert anonymous.status_code == 401
    [missing] = _post(_store([]), ["/serving/ml/other/x"], replica)
    assert missing.status_code == 404


class CountingStore(MemoryStore):
    """A memory store that counts the reads made through it."""

    reads = 0

    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        self.reads += 1
        return super().get(resource, namespace, name)

    def list(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return super().list(*args, **kwargs)


def test_requests_are_routed_from_memory_kept_current_by_watches() -> None:
    store = CountingStore()
    seeded = _store(["127.0.0.1:1001"])
    for resource in ("namespaces", c.RESOURCE, "pods"):
        for obj in seeded.list(resource).items:
            obj["metadata"].pop("resourceVersion")
            created = store.create(resource, obj)
            if obj.get("status"):
                created["status"] = obj["status"]
                store.update_status(resource, created)
    ports: list[int] = []

    def replica(request: httpx.Request) -> httpx.Response:
        ports.append(request.url.port or 0)
        return httpx.Response(200, json={})

    app = create_app(store=store, serving_transport=Replicas(replica))

    async def go() -> None:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            path = "/serving/ml/digits/v2/health/ready"
            assert (await http.get(path)).status_code == 200
            reads = store.reads
            for _ in range(20):
                assert (await http.get(path)).status_code == 200
            assert store.reads == reads  # no store query per request
            # a second replica becomes ready: the watch brings it to the table
            pod = store.get("pods", "ml", "digits-0")
            pod["metadata"]["name"] = "digits-9"
            pod["metadata"]["annotations"] = {c.READY_ADDRESS_ANNOTATION: "127.0.0.1:1009"}
            for field in ("resourceVersion", "uid", "creationTimestamp"):
                pod["metadata"].pop(field)
            created = store.create("pods", pod)
            created["status"] = {"phase": "Running"}
            store.update_status("pods", created)
            await async_wait_until(
                lambda: len(app.state.gateway.replicas("ml", "digits")) == 2, timeout=5
            )
            ports.clear()
            for _ in range(4):
                assert (await http.get(path)).status_code == 200
            assert sorted(ports) == [1001, 1001, 1009, 1009]
            # the InferenceService goes: so does its route, without a store query
            store.delete(c.RESOURCE, "ml", "digits")
            await async_wait_until(
                lambda: app.state.gateway.table.service("ml", "digits") is None, timeout=5
            )
            assert (await http.get(path)).status_code == 404
        await app.state.gateway.close()

    asyncio.run(go())


def test_a_host_header_naming_the_service_routes_to_it_without_the_prefix() -> None:
    seen: list[tuple[str, str]] = []

    def replica(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, request.url.query.decode()))
        return httpx.Response(200, json={"ok": True})

    app = create_app(
        store=_store(["127.0.0.1:1001"]),
        authenticator=TokenAuthenticator(TOKENS),
        serving_transport=Replicas(replica),
    )

    async def go() -> None:
        transport = httpx.ASGITransport(app)
        admin = {"Authorization": "Bearer admin"}
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            for host in (
                "digits.ml.example.com",
                "digits.ml.example.com:8372",
                "digits-predictor.ml.example.com",
                "digits.ml.svc.cluster.local",
                "digits-predictor.ml.svc",
            ):
                answer = await http.post(
                    "/v1/models/digits:predict?x=1", headers={**admin, "Host": host}, json={}
                )
                assert answer.status_code == 200, (host, answer.text)
            assert seen == [("/v1/models/digits:predict", "x=1")] * 5
            # the same checks as the path route
            denied = await http.get(
                "/v2/health/ready",
                headers={"Host": "digits.ml.example.com", **admin}
                | {"Authorization": "Bearer bob"},
            )
            assert denied.status_code == 403
            # hosts that name no InferenceService reach the Kubernetes API as before
            for host in ("other.ml.example.com", "127.0.0.1:8372", "kflow.kubeflow.svc"):
                api = await http.get("/api/v1/namespaces/ml", headers={**admin, "Host": host})
                assert api.status_code == 200, (host, api.text)
                assert api.json()["kind"] == "Namespace"
        await app.state.gateway.close()

    asyncio.run(go())


def test_a_request_whose_replicas_all_refuse_waits_for_another() -> None:
    store = _store(["127.0.0.1:1001"])
    refused = asyncio.Event()

    def replica(request: httpx.Request) -> httpx.Response:
        if request.url.port == 1001:  # restarting, or removed by a scale-down
            refused.set()
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"port": request.url.port})

    app = create_app(store=store, serving_transport=Replicas(replica))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as http:
            asking = asyncio.ensure_future(http.get("/serving/ml/digits/v2/health/ready"))
            await asyncio.wait_for(refused.wait(), 5)
            assert not asking.done()  # held, not failed
            pod = store.get("pods", "ml", "digits-0")
            pod["metadata"]["annotations"] = {c.READY_ADDRESS_ANNOTATION: "127.0.0.1:1002"}
            store.update("pods", pod)
            answer = await asking
        await app.state.gateway.close()
        return answer

    answer = asyncio.run(go())
    assert answer.status_code == 200 and answer.json() == {"port": 1002}
