"""The official `kubernetes` Python client, and raw HTTP streaming, against a live server."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from kflow.controlplane import bootstrap
from kflow.server.app import create_app
from kflow.server.identity import Identity, TokenAuthenticator
from kflow.store.memory import MemoryStore
from tests.conftest import wait_until
from tests.server.conftest import Live
from tests.server.support import write_kubeconfig
from tests.support import LiveServer

kubernetes = pytest.importorskip("kubernetes")


def core_api(kubeconfig: Path) -> Any:
    client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    return kubernetes.client.CoreV1Api(client)


def configmap(name: str, **labels: str) -> Any:
    return kubernetes.client.V1ConfigMap(
        metadata=kubernetes.client.V1ObjectMeta(name=name, labels=labels), data={"k": "v"}
    )


def test_config_map_lifecycle(live: Live) -> None:
    ns = live.namespace()
    api = core_api(live.kubeconfig)
    created = api.create_namespaced_config_map(ns, configmap("a", app="x"))
    assert created.metadata.uid
    api.create_namespaced_config_map(ns, configmap("b", app="y"))
    listed = api.list_namespaced_config_map(ns, label_selector="app=x")
    assert [c.metadata.name for c in listed.items] == ["a"]
    patched = api.patch_namespaced_config_map("a", ns, {"data": {"k": "changed"}})
    assert patched.data == {"k": "changed"}
    status = api.delete_namespaced_config_map("a", ns)
    # recent clients return deletes as plain dicts, older ones as V1Status
    shown = status if isinstance(status, dict) else status.to_dict()
    assert shown["status"] == "Success"
    with pytest.raises(kubernetes.client.ApiException) as caught:
        api.read_namespaced_config_map("a", ns)
    assert caught.value.status == 404
    assert orjson.loads(caught.value.body)["reason"] == "NotFound"


def test_load_kube_config_and_pods(live: Live) -> None:
    ns = live.namespace()
    kubernetes.config.load_kube_config(config_file=str(live.kubeconfig))
    api = kubernetes.client.CoreV1Api()
    pod = kubernetes.client.V1Pod(
        metadata=kubernetes.client.V1ObjectMeta(name="p"),
        spec=kubernetes.client.V1PodSpec(
            containers=[kubernetes.client.V1Container(name="main", image="busybox")]
        ),
    )
    created = api.create_namespaced_pod(ns, pod)
    assert created.spec.restart_policy == "Always"
    uid = created.metadata.uid
    live.runtime.write(uid, "main", "from the pod")
    assert api.read_namespaced_pod_log("p", ns) == "from the pod\n"
    api.delete_namespaced_pod("p", ns)


def test_watch_stream(live: Live) -> None:
    ns = live.namespace()
    api = core_api(live.kubeconfig)
    api.create_namespaced_config_map(ns, configmap("w"))
    seen: list[tuple[str, str]] = []
    watch = kubernetes.watch.Watch()
    for event in watch.stream(api.list_namespaced_config_map, ns, timeout_seconds=20):
        seen.append((event["type"], event["object"].metadata.name))
        if seen == [("ADDED", "w")]:
            api.patch_namespaced_config_map("w", ns, {"data": {"k": "2"}})
        elif event["type"] == "MODIFIED":
            assert event["object"].data == {"k": "2"}
            api.delete_namespaced_config_map("w", ns)
        elif event["type"] == "DELETED":
            watch.stop()
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    store = MemoryStore()
    bootstrap(store)
    authenticator = TokenAuthenticator({"secret-token": Identity("alice", ("system:masters",))})
    home = tmp_path_factory.mktemp("token")
    try:
        with LiveServer(create_app(store=store, authenticator=authenticator)) as server:
            yield server, home
    finally:
        store.close()


def test_bearer_tokens_with_the_python_client(token_server: tuple[LiveServer, Path]) -> None:
    server, home = token_server
    good = core_api(write_kubeconfig(home / "good", server.url, "secret-token"))
    assert good.list_namespace().items
    bad = core_api(write_kubeconfig(home / "bad", server.url, "wrong"))
    with pytest.raises(kubernetes.client.ApiException) as caught:
        bad.list_namespace()
    assert caught.value.status == 401


# -- raw HTTP streaming ------------------------------------------------------------------


def test_watch_is_chunked_and_streams_live_events(live: Live) -> None:
    ns = live.namespace()
    url = f"{live.url}/api/v1/namespaces/{ns}/configmaps?watch=1"
    lines: list[dict[str, Any]] = []
    with httpx.Client(timeout=20) as http, http.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers.get("transfer-encoding") == "chunked"
        writer = threading.Thread(
            target=lambda: live.store.create(
                "configmaps",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "live", "namespace": ns},
                },
            )
        )
        writer.start()
        for line in response.iter_lines():
            lines.append(orjson.loads(line))
            break
        writer.join()
    assert lines[0]["type"] == "ADDED"
    assert lines[0]["object"]["metadata"]["name"] == "live"


def test_closed_watches_are_released(live: Live) -> None:
    ns = live.namespace()
    hub = live.store.hub
    before = set(hub._subscribers)  # other tests' watches may still be closing
    url = f"{live.url}/api/v1/namespaces/{ns}/configmaps?watch=1"
    with httpx.Client(timeout=20) as http, http.stream("GET", url) as response:
        assert response.status_code == 200
        ours = wait_until(lambda: set(hub._subscribers) - before)
    # the server notices the client left and closes the store watch
    wait_until(lambda: not ours & set(hub._subscribers))


def test_watch_timeout_ends_the_stream(live: Live) -> None:
    ns = live.namespace()
    url = f"{live.url}/api/v1/namespaces/{ns}/configmaps?watch=1&timeoutSeconds=1"
    with contextlib.closing(httpx.Client(timeout=20)) as http:
        response = http.get(url)
    assert response.status_code == 200
    assert response.text == ""
