"""The OpenAPI documents: Kubernetes definition names, GVK extensions, fieldValidation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kflow.api import core
from kflow.api.errors import NotFound
from kflow.api.kinds import KindInfo, Registry
from kflow.api.openapi import openapi_v2, openapi_v3_group, openapi_v3_index

RAW_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {"$ref": "#/$defs/WidgetSpec", "description": "What the widget does."},
    },
    "$defs": {
        "WidgetSpec": {
            "type": "object",
            "properties": {"size": {"type": "integer", "description": "How big."}},
        }
    },
}


@pytest.fixture
def reg() -> Registry:
    out = Registry()
    core.register_core_kinds(out)
    out.register(
        KindInfo(
            group="example.org", version="v1", kind="Widget", plural="widgets", schema=RAW_SCHEMA
        )
    )
    out.register(
        KindInfo(group="example.org", version="v1", kind="Blob", plural="blobs", namespaced=False)
    )
    return out


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_v2_definitions_are_named_like_kubernetes(reg: Registry) -> None:
    doc = openapi_v2(reg)
    assert doc["swagger"] == "2.0"
    defs = doc["definitions"]
    pod = defs["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "version": "v1", "kind": "Pod"}]
    assert pod["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.core.v1.PodSpec"
    containers = defs["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["items"] == {"$ref": "#/definitions/io.k8s.api.core.v1.Container"}
    assert containers["description"]
    restart = defs["io.k8s.api.core.v1.PodSpec"]["properties"]["restartPolicy"]
    assert restart["enum"] == ["Always", "OnFailure", "Never"]
    assert defs["io.k8s.api.core.v1.Container"]["properties"]["image"]["description"]
    for name in (
        "ObjectMeta",
        "Status",
        "WatchEvent",
        "DeleteOptions",
        "APIResourceList",
        "ListMeta",
    ):
        assert f"io.k8s.apimachinery.pkg.apis.meta.v1.{name}" in defs
    assert (
        defs["io.k8s.api.core.v1.PodList"]["x-kubernetes-group-version-kind"][0]["kind"]
        == "PodList"
    )
    widget = defs["org.example.v1.Widget"]
    assert widget["properties"]["spec"]["$ref"] == "#/definitions/org.example.v1.WidgetSpec"
    assert (
        widget["properties"]["metadata"]["$ref"]
        == "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    )
    blob = defs["org.example.v1.Blob"]
    assert blob["x-kubernetes-preserve-unknown-fields"] is True
    for ref in refs(doc):
        assert ref.removeprefix("#/definitions/") in defs, ref
    text = json.dumps(doc)
    assert "$defs" not in text and '"null"' not in text


def test_v2_paths_carry_field_validation_on_writes(reg: Registry) -> None:
    paths = openapi_v2(reg)["paths"]
    item = paths["/api/v1/namespaces/{namespace}/pods/{name}"]
    collection = paths["/api/v1/namespaces/{namespace}/pods"]
    for op in (collection["post"], item["put"], item["patch"]):
        assert "fieldValidation" in [p["name"] for p in op["parameters"]]
        assert op["x-kubernetes-group-version-kind"] == {
            "group": "",
            "version": "v1",
            "kind": "Pod",
        }
    assert "fieldValidation" not in [p["name"] for p in item["get"]["parameters"]]
    assert "application/strategic-merge-patch+json" in item["patch"]["consumes"]
    assert "/api/v1/pods" in paths  # list across namespaces
    assert "/api/v1/namespaces/{namespace}/pods/{name}/status" in paths
    assert "/api/v1/namespaces/{namespace}/pods/{name}/log" in paths
    assert "/api/v1/namespaces/{name}" in paths  # cluster-scoped
    assert "/apis/example.org/v1/blobs/{name}" in paths
    assert "/apis/example.org/v1/namespaces/{namespace}/widgets" in paths


def test_v3_index_lists_each_group_version_with_a_hash(reg: Registry) -> None:
    index = openapi_v3_index(reg)
    assert set(index["paths"]) == {"api/v1", "apis/example.org/v1"}
    url = index["paths"]["apis/example.org/v1"]["serverRelativeURL"]
    assert url.startswith("/openapi/v3/apis/example.org/v1?hash=")
    reg.register(KindInfo(group="example.org", version="v1", kind="Gizmo", plural="gizmos"))
    assert openapi_v3_index(reg)["paths"]["apis/example.org/v1"]["serverRelativeURL"] != url
    assert openapi_v3_index(reg)["paths"]["api/v1"] == index["paths"]["api/v1"]


def test_v3_group_document(reg: Registry) -> None:
    doc = openapi_v3_group(reg, "", "v1")
    assert doc["openapi"].startswith("3.0")
    schemas = doc["components"]["schemas"]
    assert "org.example.v1.Widget" not in schemas
    spec = schemas["io.k8s.api.core.v1.Pod"]["properties"]["spec"]
    assert spec == {
        "description": "Desired state of the pod.",
        "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}],
    }
    post = doc["paths"]["/api/v1/namespaces/{namespace}/pods"]["post"]
    field_validation = next(p for p in post["parameters"] if p["name"] == "fieldValidation")
    assert field_validation["in"] == "query" and field_validation["schema"]["type"] == "string"
    assert "application/json" in post["requestBody"]["content"]
    for ref in refs(doc):
        assert ref.removeprefix("#/components/schemas/") in schemas, ref

    widgets = openapi_v3_group(reg, "example.org", "v1")
    assert widgets["components"]["schemas"]["org.example.v1.Widget"][
        "x-kubernetes-group-version-kind"
    ] == [{"group": "example.org", "version": "v1", "kind": "Widget"}]
    with pytest.raises(NotFound):
        openapi_v3_group(reg, "nothing.example", "v1")


def test_documents_pass_a_spec_validator(reg: Registry) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi_v2(reg))
    validator.validate(openapi_v3_group(reg, "", "v1"))
    validator.validate(openapi_v3_group(reg, "example.org", "v1"))
