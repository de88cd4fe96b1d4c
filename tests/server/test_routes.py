"""Every route and error of the API server, through an in-process ASGI client."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from kflow.api.errors import InternalError
from kflow.server.app import create_app
from kflow.store.memory import MemoryStore
from tests.support import FakeRuntime

pytestmark = pytest.mark.anyio

PODS = "/api/v1/namespaces/default/pods"
CMS = "/api/v1/namespaces/default/configmaps"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


def pod(name: str, *containers: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [{"name": c, "image": "busybox"} for c in containers or ("main",)]},
    }


def configmap(name: str, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": labels},
        "data": {"k": "v"},
    }


def assert_status(response: httpx.Response, code: int, reason: str) -> dict[str, Any]:
    assert response.status_code == code, response.text
    body: dict[str, Any] = response.json()
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    assert body["reason"] == reason
    assert body["code"] == code
    return body


# -- discovery ---------------------------------------------------------------------------


async def test_api_versions(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api")).json()
    assert body["kind"] == "APIVersions"
    assert body["versions"] == ["v1"]


async def test_core_resource_list_has_subresources_verbs_and_short_names(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.get("/api/v1")).json()
    assert body["kind"] == "APIResourceList"
    assert body["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in body["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"]
    assert by_name["pods"]["singularName"] == "pod"
    assert by_name["pods"]["namespaced"] is True
    assert "watch" in by_name["pods"]["verbs"]
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]
    assert by_name["namespaces"]["namespaced"] is False


async def test_group_list_and_unknown_group(client: httpx.AsyncClient) -> None:
    body = (await client.get("/apis")).json()
    assert body["kind"] == "APIGroupList"
    assert all(g["name"] for g in body["groups"])
    assert_status(await client.get("/apis/nothing.example.com"), 404, "NotFound")
    assert_status(await client.get("/apis/nothing.example.com/v1"), 404, "NotFound")


async def test_aggregated_discovery(client: httpx.AsyncClient) -> None:
    response = await client.get("/api", headers={"accept": AGGREGATED})
    assert response.headers["content-type"].startswith(
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    )
    body = response.json()
    assert body["kind"] == "APIGroupDiscoveryList"
    (core,) = body["items"]
    resources = {r["resource"]: r for r in core["versions"][0]["resources"]}
    assert resources["pods"]["scope"] == "Namespaced"
    assert {s["subresource"] for s in resources["pods"]["subresources"]} >= {"log", "status"}
    assert resources["namespaces"]["scope"] == "Cluster"
    named = (await client.get("/apis", headers={"accept": AGGREGATED})).json()
    assert all(item["metadata"]["name"] for item in named["items"])


async def test_version_and_health(client: httpx.AsyncClient) -> None:
    version = (await client.get("/version")).json()
    assert version["gitVersion"].startswith(f"v{version['major']}.{version['minor']}.")
    assert "-kflow." in version["gitVersion"]
    for path in ("/healthz", "/readyz", "/livez"):
        response = await client.get(path)
        assert response.status_code == 200
        assert response.text == "ok"


async def test_openapi_documents(client: httpx.AsyncClient) -> None:
    v2 = (await client.get("/openapi/v2", headers={"accept": "application/json"})).json()
    assert v2["swagger"] == "2.0"
    protobuf_only = await client.get(
        "/openapi/v2",
        headers={"accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"},
    )
    assert protobuf_only.status_code == 200
    assert (
        protobuf_only.headers["content-type"]
        == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    )
    index = (await client.get("/openapi/v3")).json()
    url = index["paths"]["api/v1"]["serverRelativeURL"]
    response = await client.get(url)
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert response.json()["openapi"].startswith("3.")
    assert_status(await client.get("/openapi/v3/apis/none.example/v1"), 404, "NotFound")


# -- CRUD ---------------------------------------------------------------------------------


async def test_create_get_list_delete_pod(client: httpx.AsyncClient) -> None:
    created = await client.post(PODS, json=pod("web"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["metadata"]["namespace"] == "default"
    assert body["metadata"]["uid"]
    assert body["spec"]["restartPolicy"] == "Always"  # admission defaulted it
    got = (await client.get(f"{PODS}/web")).json()
    assert got["metadata"]["uid"] == body["metadata"]["uid"]
    listed = (await client.get(PODS)).json()
    assert listed["kind"] == "PodList"
    assert listed["apiVersion"] == "v1"
    assert [p["metadata"]["name"] for p in listed["items"]] == ["web"]
    assert int(listed["metadata"]["resourceVersion"]) >= int(body["metadata"]["resourceVersion"])
    everywhere = (await client.get("/api/v1/pods")).json()
    assert [p["metadata"]["name"] for p in everywhere["items"]] == ["web"]
    deleted = await client.delete(f"{PODS}/web")
    assert deleted.status_code == 200
    assert deleted.json()["metadata"]["name"] == "web"
    assert_status(await client.get(f"{PODS}/web"), 404, "NotFound")


async def test_cluster_scoped_namespace_routes(client: httpx.AsyncClient) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    assert (await client.post("/api/v1/namespaces", json=body)).status_code == 201
    got = (await client.get("/api/v1/namespaces/team-a")).json()
    assert "namespace" not in got["metadata"]
    names = [
        n["metadata"]["name"] for n in (await client.get("/api/v1/namespaces")).json()["items"]
    ]
    assert "team-a" in names and "default" in names
    created = await client.post("/api/v1/namespaces/team-a/configmaps", json=configmap("in-team-a"))
    assert created.status_code == 201


async def test_configmap_delete_returns_success_status(client: httpx.AsyncClient) -> None:
    await client.post(CMS, json=configmap("c"))
    response = await client.delete(f"{CMS}/c")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "Status"
    assert body["status"] == "Success"
    assert body["details"]["name"] == "c"


async def test_generate_name(client: httpx.AsyncClient) -> None:
    body = configmap("")
    body["metadata"] = {"generateName": "gen-"}
    created = (await client.post(CMS, json=body)).json()
    assert created["metadata"]["name"].startswith("gen-")
    assert len(created["metadata"]["name"]) > len("gen-")


async def test_dry_run_create_stores_nothing(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{CMS}?dryRun=All", json=configmap("dry"))
    assert response.status_code == 201
    assert response.json()["metadata"]["name"] == "dry"
    assert_status(await client.get(f"{CMS}/dry"), 404, "NotFound")
    assert_status(await client.post(f"{CMS}?dryRun=Some", json=configmap("d")), 400, "BadRequest")


async def test_duplicate_create_is_conflict(client: httpx.AsyncClient) -> None:
    await client.post(CMS, json=configmap("twice"))
    body = assert_status(await client.post(CMS, json=configmap("twice")), 409, "AlreadyExists")
    assert body["message"] == 'configmaps "twice" already exists'


async def test_namespace_mismatch_is_bad_request(client: httpx.AsyncClient) -> None:
    body = configmap("c")
    body["metadata"]["namespace"] = "kube-system"
    response = assert_status(await client.post(CMS, json=body), 400, "BadRequest")
    assert "does not match the namespace" in response["message"]


async def test_missing_namespace_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/namespaces/nope/configmaps", json=configmap("c"))
    assert_status(response, 404, "NotFound")


async def test_kind_and_api_version_must_match_the_url(client: httpx.AsyncClient) -> None:
    wrong_kind = assert_status(await client.post(CMS, json=pod("p")), 400, "BadRequest")
    assert "kind" in wrong_kind["message"]
    body = configmap("c")
    body["apiVersion"] = "apps/v1"
    assert_status(await client.post(CMS, json=body), 400, "BadRequest")
    body = configmap("filled")
    del body["apiVersion"], body["kind"]
    created = (await client.post(CMS, json=body)).json()
    assert (created["apiVersion"], created["kind"]) == ("v1", "ConfigMap")


async def test_invalid_object_is_422_with_causes(client: httpx.AsyncClient) -> None:
    body = pod("bad")
    body["spec"]["restartPolicy"] = "Sometimes"
    status = assert_status(await client.post(PODS, json=body), 422, "Invalid")
    assert status["message"].startswith(
        'Pod "bad" is invalid: spec.restartPolicy: Unsupported value'
    )
    assert status["details"]["causes"][0]["field"] == "spec.restartPolicy"


async def test_malformed_bodies(client: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}
    status = assert_status(
        await client.post(CMS, content=b'{"kind": ', headers=headers), 400, "BadRequest"
    )
    assert "not valid JSON" in status["message"]
    status = assert_status(
        await client.post(CMS, content=b"[1, 2]", headers=headers), 400, "BadRequest"
    )
    assert "must be a JSON object" in status["message"]
    assert_status(await client.post(CMS, content=b"", headers=headers), 400, "BadRequest")
    assert_status(
        await client.post(CMS, content=b"<xml/>", headers={"content-type": "application/xml"}),
        415,
        "UnsupportedMediaType",
    )


async def test_yaml_body(client: httpx.AsyncClient) -> None:
    text = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: b\n"
    response = await client.post(CMS, content=text, headers={"content-type": "application/yaml"})
    assert response.status_code == 201
    assert response.json()["data"] == {"a": "b"}


async def test_unknown_paths_and_methods(client: httpx.AsyncClient) -> None:
    assert_status(await client.get("/nothing/here"), 404, "NotFound")
    assert_status(await client.get("/api/v1/widgets"), 404, "NotFound")
    assert_status(await client.get("/api/v1/namespaces/default/pods/x/exec"), 404, "NotFound")
    assert_status(await client.get("/api/v1/namespaces/default/namespaces"), 404, "NotFound")
    assert_status(await client.get("/api/v1/pods/x"), 404, "NotFound")  # namespaced: needs one
    assert_status(await client.post("/api/v1/pods", json=pod("p")), 405, "MethodNotAllowed")
    assert_status(await client.put("/version"), 405, "MethodNotAllowed")


async def test_update_put(client: httpx.AsyncClient) -> None:
    created = (await client.post(CMS, json=configmap("u"))).json()
    created["data"] = {"k": "changed"}
    updated = await client.put(f"{CMS}/u", json=created)
    assert updated.status_code == 200
    assert updated.json()["data"] == {"k": "changed"}
    stale = await client.put(f"{CMS}/u", json=created)  # the old resourceVersion again
    assert_status(stale, 409, "Conflict")
    renamed = dict(updated.json(), metadata={**updated.json()["metadata"], "name": "other"})
    status = assert_status(await client.put(f"{CMS}/u", json=renamed), 400, "BadRequest")
    assert "does not match the name on the URL" in status["message"]
    assert_status(await client.put(f"{CMS}/missing", json=configmap("missing")), 404, "NotFound")


async def test_patch_types(client: httpx.AsyncClient) -> None:
    await client.post(PODS, json=pod("p", "a", "b", labels={"app": "x"}))
    merge = await client.patch(
        f"{PODS}/p",
        content=b'{"metadata": {"labels": {"tier": "db", "app": null}}}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert merge.status_code == 200, merge.text
    assert merge.json()["metadata"]["labels"] == {"tier": "db"}
    json_patch = await client.patch(
        f"{PODS}/p",
        content=orjson.dumps([{"op": "add", "path": "/metadata/labels/j", "value": "1"}]),
        headers={"content-type": "application/json-patch+json"},
    )
    assert json_patch.json()["metadata"]["labels"] == {"tier": "db", "j": "1"}
    strategic = await client.patch(
        f"{PODS}/p",
        content=orjson.dumps({"spec": {"containers": [{"name": "b", "image": "nginx"}]}}),
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    assert strategic.status_code == 200, strategic.text
    images = {c["name"]: c["image"] for c in strategic.json()["spec"]["containers"]}
    assert images == {"a": "busybox", "b": "nginx"}  # merged by name, not replaced
    bad = await client.patch(
        f"{PODS}/p", content=b"{}", headers={"content-type": "application/xml"}
    )
    assert_status(bad, 415, "UnsupportedMediaType")
    broken = await client.patch(
        f"{PODS}/p", content=b"{nope", headers={"content-type": "application/merge-patch+json"}
    )
    assert_status(broken, 400, "BadRequest")
    missing = await client.patch(
        f"{PODS}/none", content=b"{}", headers={"content-type": "application/merge-patch+json"}
    )
    assert_status(missing, 404, "NotFound")


async def test_patch_with_stale_resource_version_conflicts(client: httpx.AsyncClient) -> None:
    await client.post(CMS, json=configmap("rv"))
    patch = {"metadata": {"resourceVersion": "1"}, "data": {"k": "x"}}
    response = await client.patch(
        f"{CMS}/rv",
        content=orjson.dumps(patch),
        headers={"content-type": "application/merge-patch+json"},
    )
    assert_status(response, 409, "Conflict")


async def test_invalid_patch_result_is_rejected(client: httpx.AsyncClient) -> None:
    await client.post(PODS, json=pod("v"))
    response = await client.patch(
        f"{PODS}/v",
        content=b'{"spec": {"restartPolicy": "Sometimes"}}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert_status(response, 422, "Invalid")


async def test_server_side_apply_creates_then_updates(client: httpx.AsyncClient) -> None:
    text = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: '1'\n"
    headers = {"content-type": "application/apply-patch+yaml"}
    created = await client.patch(f"{CMS}/ssa?fieldManager=test", content=text, headers=headers)
    assert created.status_code == 201, created.text
    again = await client.patch(
        f"{CMS}/ssa?fieldManager=test", content=text.replace(b"'1'", b"'2'"), headers=headers
    )
    assert again.status_code == 200
    assert again.json()["data"] == {"a": "2"}


async def test_field_validation(client: httpx.AsyncClient) -> None:
    body = configmap("strict")
    body["bogus"] = 1
    strict = await client.post(f"{CMS}?fieldValidation=Strict", json=body)
    status = assert_status(strict, 400, "BadRequest")
    assert "bogus" in status["message"]
    warned = await client.post(f"{CMS}?fieldValidation=Warn", json=body)
    assert warned.status_code == 201
    assert "bogus" in warned.headers["warning"]
    assert_status(
        await client.post(f"{PODS}?fieldValidation=Loud", json=pod("x")), 400, "BadRequest"
    )


async def test_status_subresource(client: httpx.AsyncClient) -> None:
    created = (await client.post(PODS, json=pod("s"))).json()
    got = (await client.get(f"{PODS}/s/status")).json()
    assert got["metadata"]["name"] == "s"
    body = dict(created, status={"phase": "Running"}, spec={**created["spec"], "nodeName": "x"})
    put = await client.put(f"{PODS}/s/status", json=body)
    assert put.status_code == 200, put.text
    assert put.json()["status"]["phase"] == "Running"
    assert "nodeName" not in put.json()["spec"]  # only status changes through /status
    patched = await client.patch(
        f"{PODS}/s/status",
        content=b'{"status": {"phase": "Succeeded"}}',
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.json()["status"]["phase"] == "Succeeded"
    # the main resource ignores status
    spec_write = dict(patched.json(), status={"phase": "Failed"})
    assert (await client.put(f"{PODS}/s", json=spec_write)).json()["status"]["phase"] == "Succeeded"
    assert_status(await client.delete(f"{PODS}/s/status"), 405, "MethodNotAllowed")


async def test_list_selectors_limit_and_continue(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await client.post(CMS, json=configmap(f"c{i}", app="a" if i % 2 else "b"))
    selected = (await client.get(CMS, params={"labelSelector": "app=a"})).json()
    assert [c["metadata"]["name"] for c in selected["items"]] == ["c1", "c3"]
    by_name = (await client.get(CMS, params={"fieldSelector": "metadata.name=c4"})).json()
    assert [c["metadata"]["name"] for c in by_name["items"]] == ["c4"]
    first = (await client.get(CMS, params={"limit": 2})).json()
    assert len(first["items"]) == 2
    token = first["metadata"]["continue"]
    rest = (await client.get(CMS, params={"limit": 10, "continue": token})).json()
    names = [c["metadata"]["name"] for c in first["items"] + rest["items"]]
    assert names == [f"c{i}" for i in range(5)]
    assert "continue" not in rest["metadata"]
    assert_status(await client.get(CMS, params={"labelSelector": "a in (("}), 400, "BadRequest")
    assert_status(await client.get(CMS, params={"limit": "many"}), 400, "BadRequest")
    assert_status(await client.get(CMS, params={"continue": "garbage!"}), 400, "BadRequest")


async def test_tables(client: httpx.AsyncClient) -> None:
    await client.post(PODS, json=pod("t"))
    table = (await client.get(PODS, headers={"accept": TABLE})).json()
    assert table["kind"] == "Table"
    columns = [c["name"] for c in table["columnDefinitions"]]
    assert columns[:3] == ["Name", "Ready", "Status"] or columns[:3] == ["NAME", "READY", "STATUS"]
    (row,) = table["rows"]
    assert row["cells"][0] == "t"
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert table["metadata"]["resourceVersion"]
    one = (await client.get(f"{PODS}/t", headers={"accept": TABLE})).json()
    assert one["kind"] == "Table" and len(one["rows"]) == 1
    full = await client.get(f"{PODS}?includeObject=Object", headers={"accept": TABLE})
    assert full.json()["rows"][0]["object"]["kind"] == "Pod"


async def test_delete_options(client: httpx.AsyncClient, store: MemoryStore) -> None:
    created = (await client.post(CMS, json=configmap("d"))).json()
    wrong_uid = await client.request(
        "DELETE", f"{CMS}/d", json={"preconditions": {"uid": "not-the-uid"}}
    )
    assert_status(wrong_uid, 409, "Conflict")
    bad_policy = await client.delete(f"{CMS}/d", params={"propagationPolicy": "Sideways"})
    assert_status(bad_policy, 400, "BadRequest")
    dry = await client.delete(f"{CMS}/d", params={"dryRun": "All"})
    assert dry.status_code == 200
    assert store.get("configmaps", "default", "d")
    ok = await client.request(
        "DELETE",
        f"{CMS}/d",
        json={
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "propagationPolicy": "Foreground",
            "preconditions": {"uid": created["metadata"]["uid"]},
        },
    )
    assert ok.status_code == 200, ok.text
    assert_status(await client.delete(f"{CMS}/d"), 404, "NotFound")


async def test_delete_with_finalizer_shows_the_pending_object(client: httpx.AsyncClient) -> None:
    body = configmap("fin")
    body["metadata"]["finalizers"] = ["example.com/keep"]
    await client.post(CMS, json=body)
    response = await client.delete(f"{CMS}/fin", params={"gracePeriodSeconds": "0"})
    assert response.status_code == 200
    assert response.json()["metadata"]["deletionTimestamp"]
    assert (await client.get(f"{CMS}/fin")).status_code == 200


async def test_delete_collection(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await client.post(CMS, json=configmap(f"dc{i}", app="x" if i < 2 else "y"))
    response = await client.delete(CMS, params={"labelSelector": "app=x"})
    assert response.status_code == 200
    assert response.json()["status"] == "Success"
    left = [c["metadata"]["name"] for c in (await client.get(CMS)).json()["items"]]
    assert left == ["dc2"]


async def test_namespace_finalize_subresource(client: httpx.AsyncClient) -> None:
    body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fz"}}
    created = (await client.post("/api/v1/namespaces", json=body)).json()
    created["spec"] = {"finalizers": []}
    response = await client.put("/api/v1/namespaces/fz/finalize", json=created)
    assert response.status_code == 200, response.text


# -- protobuf bodies (kubectl create namespace/configmap/secret/service) -------------------


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


async def test_protobuf_create(client: httpx.AsyncClient) -> None:
    metadata = _field(1, b"pb") + _field(2, b"") + _field(11, _field(1, b"a") + _field(2, b"b"))
    raw = _field(1, metadata) + _field(2, _field(1, b"k") + _field(2, b"v"))
    type_meta = _field(1, b"v1") + _field(2, b"ConfigMap")
    body = b"k8s\x00" + _field(1, type_meta) + _field(2, raw) + _field(3, b"") + _field(4, b"")
    response = await client.post(
        CMS, content=body, headers={"content-type": "application/vnd.kubernetes.protobuf"}
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["metadata"]["name"] == "pb"
    assert created["metadata"]["labels"] == {"a": "b"}
    assert "generateName" not in created["metadata"]
    assert created["data"] == {"k": "v"}
    unknown = b"k8s\x00" + _field(1, _field(1, b"v1") + _field(2, b"Pod")) + _field(2, b"")
    response = await client.post(
        PODS, content=unknown, headers={"content-type": "application/vnd.kubernetes.protobuf"}
    )
    assert_status(response, 415, "UnsupportedMediaType")
    response = await client.post(
        CMS,
        content=b"k8s\x00\x0a\xff",
        headers={"content-type": "application/vnd.kubernetes.protobuf"},
    )
    assert_status(response, 400, "BadRequest")


# -- watch (the streaming side is tested against a live server) -----------------------------


async def test_watch_replays_from_a_resource_version_until_the_timeout(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post(CMS, json=configmap("w1"))).json()
    await client.post(CMS, json=configmap("w2"))
    await client.delete(f"{CMS}/w1")
    rv = first["metadata"]["resourceVersion"]
    response = await client.get(
        CMS, params={"watch": "1", "resourceVersion": rv, "timeoutSeconds": 1}
    )
    assert response.status_code == 200
    events = [orjson.loads(line) for line in response.text.splitlines()]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "w2"),
        ("DELETED", "w1"),
    ]


async def test_watch_lists_current_objects_first_and_renders_tables(
    client: httpx.AsyncClient,
) -> None:
    await client.post(PODS, json=pod("wt"))
    response = await client.get(
        "/api/v1/watch/namespaces/default/pods",
        params={"timeoutSeconds": 1},
        headers={"accept": TABLE},
    )
    (event,) = [orjson.loads(line) for line in response.text.splitlines()]
    assert event["type"] == "ADDED"
    assert event["object"]["kind"] == "Table"
    assert event["object"]["rows"][0]["cells"][0] == "wt"


async def test_watch_from_a_compacted_version_is_expired(
    client: httpx.AsyncClient, store: MemoryStore
) -> None:
    for i in range(4):
        await client.post(CMS, json=configmap(f"g{i}"))
    store.compact(1)
    response = await client.get(CMS, params={"watch": "true", "resourceVersion": "1"})
    assert response.status_code == 200
    (event,) = [orjson.loads(line) for line in response.text.splitlines()]
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"


async def test_watch_with_a_bad_selector_is_a_plain_400(client: httpx.AsyncClient) -> None:
    response = await client.get(CMS, params={"watch": "1", "labelSelector": "a in (("})
    assert_status(response, 400, "BadRequest")
    response = await client.get(CMS, params={"watch": "1", "timeoutSeconds": "soon"})
    assert_status(response, 400, "BadRequest")


# -- logs -------------------------------------------------------------------------------


async def test_logs_of_the_only_container(client: httpx.AsyncClient, runtime: FakeRuntime) -> None:
    uid = (await client.post(PODS, json=pod("l"))).json()["metadata"]["uid"]
    for i in range(3):
        runtime.write(uid, "main", f"line {i}")
    response = await client.get(f"{PODS}/l/log")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "line 0\nline 1\nline 2\n"
    tail = await client.get(f"{PODS}/l/log", params={"tailLines": 1, "previous": "true"})
    assert tail.text == "line 2\n"
    assert runtime.calls[-1]["tail_lines"] == 1
    assert runtime.calls[-1]["previous"] is True


async def test_logs_need_a_container_name_when_there_are_several(
    client: httpx.AsyncClient, runtime: FakeRuntime
) -> None:
    uid = (await client.post(PODS, json=pod("m", "a", "b"))).json()["metadata"]["uid"]
    status = assert_status(await client.get(f"{PODS}/m/log"), 400, "BadRequest")
    assert status["message"] == "a container name must be specified for pod m, choose one of: [a b]"
    runtime.write(uid, "b", "from b")
    assert (await client.get(f"{PODS}/m/log", params={"container": "b"})).text == "from b\n"
    status = assert_status(
        await client.get(f"{PODS}/m/log", params={"container": "c"}), 400, "BadRequest"
    )
    assert "container c is not valid for pod m" in status["message"]


async def test_logs_errors(client: httpx.AsyncClient, store: MemoryStore) -> None:
    assert_status(await client.get(f"{PODS}/ghost/log"), 404, "NotFound")
    await client.post(PODS, json=pod("waiting"))
    status = assert_status(await client.get(f"{PODS}/waiting/log"), 400, "BadRequest")
    assert "is waiting to start" in status["message"]
    assert_status(
        await client.get(f"{PODS}/waiting/log", params={"tailLines": "x"}), 400, "BadRequest"
    )
    assert_status(await client.post(f"{PODS}/waiting/log"), 405, "MethodNotAllowed")
    app = create_app(store=store)  # no runtime
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kflow"
    ) as bare:
        assert_status(await bare.get(f"{PODS}/waiting/log"), 503, "ServiceUnavailable")


# -- failures inside the server ------------------------------------------------------------


class BrokenStore(MemoryStore):
    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    def list(self, *args: Any, **kwargs: Any) -> Any:
        raise InternalError("the database is locked")


async def test_unexpected_errors_are_500_status_without_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = create_app(store=BrokenStore())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kflow"
    ) as c:
        response = await c.get(f"{CMS}/x")
        status = assert_status(response, 500, "InternalError")
        assert "disk on fire" not in response.text
        assert "Traceback" not in response.text
        assert "the server log" in status["message"]
        assert "disk on fire" in caplog.text
        listed = assert_status(await c.get(CMS), 500, "InternalError")
        assert listed["message"] == "the database is locked"
