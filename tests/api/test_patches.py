"""Patches as kubectl sends them: merge, JSON, strategic merge and server-side apply."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kflow.api import core  # noqa: F401 - registers the core kinds
from kflow.api.errors import BadRequest, UnsupportedMediaType
from kflow.api.kinds import registry
from kflow.api.patches import apply_patch

PODS = registry.resolve("pods")
SMP = "application/strategic-merge-patch+json"


def live_pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "trainer",
            "labels": {"app": "mnist", "tier": "a"},
            "finalizers": ["a"],
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "X", "name": "x", "uid": "1"},
                {"apiVersion": "v1", "kind": "Y", "name": "y", "uid": "2"},
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "python:3.11",
                    "args": ["--epochs", "3"],
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                },
                {"name": "sidecar", "image": "busybox"},
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }


def smp(patch: dict[str, Any]) -> dict[str, Any]:
    original = live_pod()
    result = apply_patch(SMP, original, json.dumps(patch).encode(), PODS)
    assert original == live_pod(), "patching must not mutate the original"
    return result


def test_merge_patch_rfc7386() -> None:
    patch = {
        "metadata": {"labels": {"tier": None, "new": "x"}},
        "spec": {"containers": [{"name": "only"}]},
    }
    result = apply_patch("application/merge-patch+json", live_pod(), patch, PODS)
    assert result["metadata"]["labels"] == {"app": "mnist", "new": "x"}
    assert result["spec"]["containers"] == [{"name": "only"}], "merge patch replaces lists"
    assert result["spec"]["volumes"] == live_pod()["spec"]["volumes"]


def test_content_type_parameters_are_ignored() -> None:
    result = apply_patch(
        "application/merge-patch+json; charset=utf-8", live_pod(), b'{"a": 1}', PODS
    )
    assert result["a"] == 1


def test_json_patch_rfc6902() -> None:
    ops = [
        {"op": "replace", "path": "/spec/containers/0/image", "value": "python:3.12"},
        {"op": "add", "path": "/metadata/labels/new", "value": "x"},
        {"op": "remove", "path": "/spec/containers/1"},
        {"op": "test", "path": "/metadata/name", "value": "trainer"},
    ]
    result = apply_patch("application/json-patch+json", live_pod(), json.dumps(ops), PODS)
    assert result["spec"]["containers"][0]["image"] == "python:3.12"
    assert len(result["spec"]["containers"]) == 1
    assert result["metadata"]["labels"]["new"] == "x"


def test_json_patch_errors_name_the_operation() -> None:
    ops = [
        {"op": "add", "path": "/metadata/labels/x", "value": "1"},
        {"op": "remove", "path": "/spec/nothing"},
    ]
    with pytest.raises(BadRequest, match=r"JSON patch operation 1 \(remove /spec/nothing\) failed"):
        apply_patch("application/json-patch+json", live_pod(), ops, PODS)
    with pytest.raises(BadRequest, match="operation 0"):
        apply_patch(
            "application/json-patch+json",
            live_pod(),
            [{"op": "test", "path": "/kind", "value": "Service"}],
            PODS,
        )
    with pytest.raises(BadRequest, match="list of operations"):
        apply_patch("application/json-patch+json", live_pod(), {"op": "add"}, PODS)


def test_strategic_merge_of_containers_as_kubectl_apply_sends_it() -> None:
    # what `kubectl apply` computes after the image of `main` changes and a container is added
    result = smp(
        {
            "spec": {
                "$setElementOrder/containers": [
                    {"name": "main"},
                    {"name": "sidecar"},
                    {"name": "logger"},
                ],
                "containers": [
                    {"name": "main", "image": "python:3.12"},
                    {"name": "logger", "image": "fluent-bit"},
                ],
            }
        }
    )
    containers = result["spec"]["containers"]
    assert [c["name"] for c in containers] == ["main", "sidecar", "logger"]
    main = containers[0]
    assert main["image"] == "python:3.12"
    assert main["args"] == ["--epochs", "3"], "fields not in the patch survive"
    assert main["env"] == live_pod()["spec"]["containers"][0]["env"]


def test_strategic_merge_of_nested_keyed_lists() -> None:
    result = smp(
        {
            "spec": {
                "containers": [
                    {
                        "name": "main",
                        "env": [
                            {"name": "B", "value": "20"},
                            {"name": "C", "value": "3"},
                            {"name": "A", "$patch": "delete"},
                        ],
                        "ports": [{"containerPort": 9090}],
                        "volumeMounts": [{"mountPath": "/data", "readOnly": True}],
                        "args": ["--fast"],
                    }
                ]
            }
        }
    )
    main = result["spec"]["containers"][0]
    assert main["env"] == [{"name": "B", "value": "20"}, {"name": "C", "value": "3"}]
    assert [p["containerPort"] for p in main["ports"]] == [8080, 9090]
    assert main["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]
    assert main["args"] == ["--fast"], "lists without a merge key are replaced"


def test_strategic_merge_directives() -> None:
    replaced = smp(
        {"spec": {"containers": [{"name": "solo", "image": "x"}, {"$patch": "replace"}]}}
    )
    assert replaced["spec"]["containers"] == [{"name": "solo", "image": "x"}]

    deleted = smp({"spec": {"containers": [{"name": "sidecar", "$patch": "delete"}]}})
    assert [c["name"] for c in deleted["spec"]["containers"]] == ["main"]

    whole = smp({"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert whole["metadata"]["labels"] == {"only": "this"}

    gone = smp({"spec": {"volumes": None}, "metadata": {"labels": {"$patch": "delete"}}})
    assert "volumes" not in gone["spec"]
    assert "labels" not in gone["metadata"]

    owners = smp(
        {"metadata": {"ownerReferences": [{"uid": "1", "$patch": "delete"}], "finalizers": ["b"]}}
    )
    assert [o["uid"] for o in owners["metadata"]["ownerReferences"]] == ["2"]
    assert owners["metadata"]["finalizers"] == ["a", "b"]

    pruned = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert pruned["metadata"]["finalizers"] == []

    retained = smp(
        {
            "spec": {
                "volumes": [
                    {
                        "name": "data",
                        "$retainKeys": ["name", "hostPath"],
                        "hostPath": {"path": "/tmp"},
                    }
                ]
            }
        }
    )
    assert retained["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/tmp"}}]


def test_strategic_merge_of_service_ports_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "name": "https"}]}}
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}
    result = apply_patch(SMP, svc, patch, registry.resolve("svc"))
    assert result["spec"]["ports"] == [
        {"port": 80, "targetPort": 9090},
        {"port": 443, "name": "https"},
    ]


def test_unknown_directive_is_rejected() -> None:
    with pytest.raises(BadRequest, match="unknown patch directive"):
        smp({"spec": {"$patch": "explode"}})


def test_server_side_apply_creates_or_merges() -> None:
    applied = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: trainer\n  labels: {tier: b}\n"
    created = apply_patch("application/apply-patch+yaml", {}, applied, PODS)
    assert created["metadata"] == {"name": "trainer", "labels": {"tier": "b"}}
    merged = apply_patch("application/apply-patch+yaml", live_pod(), applied, PODS)
    assert merged["metadata"]["labels"] == {"app": "mnist", "tier": "b"}
    assert merged["spec"] == live_pod()["spec"]


def test_bad_bodies_and_media_types() -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        apply_patch("application/xml", live_pod(), b"<x/>", PODS)
    assert caught.value.code == 415
    for media in (
        "application/json-patch+json",
        "application/merge-patch+json",
        SMP,
        "application/apply-patch+yaml",
    ):
        assert media in caught.value.message
    with pytest.raises(BadRequest, match="not valid JSON"):
        apply_patch(SMP, live_pod(), b"{", PODS)
    with pytest.raises(BadRequest, match="must be a JSON object"):
        apply_patch("application/merge-patch+json", live_pod(), b"[1]", PODS)


def test_patch_input_is_not_mutated() -> None:
    patch = {"spec": {"containers": [{"name": "main", "$patch": "delete"}]}}
    kept = copy.deepcopy(patch)
    apply_patch(SMP, live_pod(), patch, PODS)
    assert patch == kept
