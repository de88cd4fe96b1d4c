"""The SDK client: name resolution, errors, apply's patch, and watch's recovery.

Discovery and watch recovery are driven through `httpx.MockTransport` (the transport
interface the client really uses) so a test can serve groups kflow does not have yet
or cut a watch mid-stream; the rest runs against the loopback server.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kflow.api.errors import AlreadyExists, Conflict, Gone, Invalid, NotFound
from kflow.sdk import ApplyResult, Client, WaitTimeout
from kflow.sdk.applying import three_way_patch
from kflow.sdk.jsonpath import find, render
from kflow.sdk.waiting import parse_duration

CORE = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {
            "name": "pods",
            "singularName": "pod",
            "namespaced": True,
            "kind": "Pod",
            "shortNames": ["po"],
        },
        {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod"},
        {
            "name": "namespaces",
            "singularName": "namespace",
            "namespaced": False,
            "kind": "Namespace",
            "shortNames": ["ns"],
        },
    ],
}
GROUPS = {
    "kind": "APIGroupList",
    "groups": [
        {
            "name": "apps",
            "versions": [{"groupVersion": "apps/v1", "version": "v1"}],
            "preferredVersion": {"groupVersion": "apps/v1", "version": "v1"},
        },
        {
            "name": "kubeflow.org",
            "versions": [
                {"groupVersion": "kubeflow.org/v1", "version": "v1"},
                {"groupVersion": "kubeflow.org/v1alpha2", "version": "v1alpha2"},
            ],
            "preferredVersion": {"groupVersion": "kubeflow.org/v1", "version": "v1"},
        },
    ],
}


def resources(group_version: str, *entries: tuple[str, str, list[str]]) -> dict[str, Any]:
    return {
        "kind": "APIResourceList",
        "groupVersion": group_version,
        "resources": [
            {
                "name": plural,
                "singularName": kind.lower(),
                "namespaced": True,
                "kind": kind,
                "shortNames": short,
            }
            for plural, kind, short in entries
        ],
    }


DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/api/v1": CORE,
    "/apis": GROUPS,
    "/apis/apps/v1": resources("apps/v1", ("deployments", "Deployment", ["deploy"])),
    "/apis/kubeflow.org/v1": resources("kubeflow.org/v1", ("tfjobs", "TFJob", [])),
    "/apis/kubeflow.org/v1alpha2": resources("kubeflow.org/v1alpha2", ("tfjobs", "TFJob", [])),
}


def mock_client(extra: Any = None) -> Client:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path in DISCOVERY:
            return httpx.Response(200, json=DISCOVERY[request.url.path])
        if extra is not None:
            return extra(request)  # type: ignore[no-any-return]
        return httpx.Response(
            404, json={"kind": "Status", "reason": "NotFound", "code": 404, "message": "nope"}
        )

    return Client("http://kflow.invalid", transport=httpx.MockTransport(handle))


@pytest.mark.parametrize(
    ("name", "plural", "version"),
    [
        ("po", "pods", "v1"),
        ("pod", "pods", "v1"),
        ("Pod", "pods", "v1"),
        ("pods", "pods", "v1"),
        ("deploy", "deployments", "v1"),
        ("deployments.apps", "deployments", "v1"),
        ("tfjob", "tfjobs", "v1"),
        ("tfjobs.kubeflow.org", "tfjobs", "v1"),
        ("tfjobs.v1alpha2.kubeflow.org", "tfjobs", "v1alpha2"),
    ],
)
def test_kind_names_resolve_like_kubectl(name: str, plural: str, version: str) -> None:
    with mock_client() as client:
        res = client.resource(name)
        assert (res.plural, res.version) == (plural, version)


def test_resource_paths_and_unknown_kinds() -> None:
    with mock_client() as client:
        assert (
            client.resource("po").path("ns1", "web", "log") == "/api/v1/namespaces/ns1/pods/web/log"
        )
        assert client.resource("ns").path("ignored", "x") == "/api/v1/namespaces/x"
        tfjobs = client.resource("tfjobs")
        assert tfjobs.path("a") == "/apis/kubeflow.org/v1/namespaces/a/tfjobs"
        assert tfjobs.display == "tfjob.kubeflow.org"
        assert client.resource("pods").subresources == ("log",)
        old = client.resource_for({"apiVersion": "kubeflow.org/v1alpha2", "kind": "TFJob"})
        assert old.version == "v1alpha2"
        with pytest.raises(NotFound, match='the server doesn\'t have a resource type "gizmo"'):
            client.resource("gizmo")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ({"reason": "NotFound", "code": 404}, NotFound),
        ({"reason": "AlreadyExists", "code": 409}, AlreadyExists),
        ({"reason": "Conflict", "code": 409}, Conflict),
        ({"reason": "Expired", "code": 410}, Gone),
        ({"code": 422}, Invalid),
    ],
)
def test_status_bodies_become_the_error_tree(
    status: dict[str, Any], error: type[Exception]
) -> None:
    body = {"kind": "Status", "status": "Failure", "message": "from the server", **status}

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(int(status["code"]), json=body)

    with mock_client(handle) as client, pytest.raises(error, match="from the server"):
        client.get("pods", "x")


def test_three_way_patch() -> None:
    original = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": 1, "y": 2}}
    modified = {"metadata": {"labels": {"a": "1"}}, "spec": {"x": 3}}
    current = {
        "metadata": {"labels": {"a": "1", "b": "2", "other": "kept"}, "uid": "u"},
        "spec": {"x": 1, "y": 2, "defaulted": True},
        "status": {"phase": "Running"},
    }
    assert three_way_patch(original, modified, current) == {
        "metadata": {"labels": {"b": None}},
        "spec": {"x": 3, "y": None},
    }
    assert (
        three_way_patch(
            modified, modified, {**current, "metadata": {"labels": {"a": "1"}}, "spec": {"x": 3}}
        )
        == {}
    )
    # a list the user changed is sent whole; one the server only defaulted is left alone
    listed = {"spec": {"containers": [{"name": "a", "image": "x"}]}}
    live = {
        "spec": {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "IfNotPresent"}]}
    }
    assert three_way_patch(listed, listed, live) == {}
    changed = {"spec": {"containers": [{"name": "a", "image": "y"}]}}
    assert three_way_patch(listed, changed, live) == changed


def test_jsonpath_and_durations() -> None:
    obj = {
        "metadata": {"labels": {"app.kubernetes.io/name": "web"}},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}, {"type": "Done", "status": "False"}]
        },
    }
    assert find(obj, '{.status.conditions[?(@.type=="Ready")].status}') == ["True"]
    assert find(obj, r"{.metadata.labels.app\.kubernetes\.io/name}") == ["web"]
    assert render(obj, '{.status.conditions[*].type}{"\\n"}') == "Ready Done\n"
    assert [parse_duration(t) for t in ("30s", "1m30s", "2h", "500ms", "5")] == [
        30,
        90,
        7200,
        0.5,
        5,
    ]


def test_watch_relists_after_gone_and_renews_quiet_streams() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a", "namespace": "default", "resourceVersion": "5"},
    }
    newer = {**pod, "metadata": {**pod["metadata"], "resourceVersion": "9"}}
    watches: list[str] = []
    lists = [[pod], [newer]]

    def handle(request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if params.get("watch"):
            watches.append(params.get("resourceVersion", ""))
            if len(watches) == 1:  # too old: the server says 410 in the stream
                expired = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}
                return httpx.Response(
                    200, content=json.dumps({"type": "ERROR", "object": expired}) + "\n"
                )
            if len(watches) == 2:  # a stream that ends without events: renewed from the same rv
                return httpx.Response(200, content=b"")
            gone = {**newer, "metadata": {**newer["metadata"], "resourceVersion": "10"}}
            return httpx.Response(
                200, content=json.dumps({"type": "DELETED", "object": gone}) + "\n"
            )
        items = lists.pop(0)
        return httpx.Response(
            200,
            json={
                "kind": "PodList",
                "metadata": {"resourceVersion": "9" if not lists else "5"},
                "items": items,
            },
        )

    with mock_client(handle) as client:
        events = client.watch("pods")
        seen = [(next(events).type) for _ in range(3)]
        events.close()
    assert seen == ["ADDED", "MODIFIED", "DELETED"]
    assert watches == ["5", "9", "9"]


def test_apply_watch_and_wait_on_a_real_server(api: Client, namespace: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": namespace},
        "data": {"a": "1", "b": "2"},
    }
    assert api.apply(config).result is ApplyResult.CREATED
    assert api.apply(config).result is ApplyResult.UNCHANGED
    applied = api.apply({**config, "data": {"a": "1"}})
    assert (applied.result, applied.ref, applied.object["data"]) == (
        ApplyResult.CONFIGURED,
        "configmap/cfg",
        {"a": "1"},
    )

    events = api.watch("configmaps", "cfg", timeout=20)
    assert next(events).type == "ADDED"
    api.patch("configmaps", "cfg", {"data": {"c": "3"}})
    changed = next(events)
    assert (changed.type, changed.object["data"]) == ("MODIFIED", {"a": "1", "c": "3"})
    events.close()

    found = api.wait_for("configmaps", "cfg", "jsonpath={.data.c}=3", timeout=5)
    assert found is not None and found["data"]["c"] == "3"
    with pytest.raises(WaitTimeout, match=r"timed out waiting for the condition on configmaps/cfg"):
        api.wait_for("configmaps", "cfg", "jsonpath={.data.c}=4", timeout=0.3)
    api.delete("configmaps", "cfg")
    assert api.wait_for("configmaps", "cfg", "delete", timeout=5) is None
