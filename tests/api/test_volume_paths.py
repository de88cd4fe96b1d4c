"""Paths inside volumes (subPath, configMap/secret items) can never leave the volume."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api import core  # noqa: F401  (registers the core kinds)
from kflow.api.admission import admit
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from kflow.runtime._mounts import inside


def pod_with(
    mount: dict[str, Any] | None = None, items: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    volume: dict[str, Any] = {"name": "v", "configMap": {"name": "cfg"}}
    if items is not None:
        volume["configMap"]["items"] = items
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "busybox",
                    "command": ["true"],
                    "volumeMounts": [{"name": "v", "mountPath": "/data", **(mount or {})}],
                }
            ],
            "volumes": [volume],
        },
    }


def causes(obj: dict[str, Any]) -> list[str]:
    with pytest.raises(Invalid) as err:
        admit(registry.by_resource("pods"), obj, None, operation="CREATE", version="v1")
    return [str(c) for c in err.value.causes]


def test_sub_path_with_dot_dot_is_refused_naming_the_field() -> None:
    assert causes(pod_with({"subPath": "../../etc"})) == [
        "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../../etc\": must not contain '..'"
    ]


def test_absolute_sub_path_is_refused() -> None:
    assert causes(pod_with({"subPath": "/etc"})) == [
        'spec.containers[0].volumeMounts[0].subPath: Invalid value: "/etc": must be a relative path'
    ]


def test_config_map_item_paths_stay_inside_the_volume() -> None:
    assert causes(pod_with(items=[{"key": "k", "path": "a/../../b"}])) == [
        "spec.volumes[0].configMap.items[0].path: Invalid value: \"a/../../b\": must not contain '..'"
    ]


def test_a_safe_sub_path_is_admitted() -> None:
    admitted = admit(
        registry.by_resource("pods"),
        pod_with({"subPath": "models/v1"}),
        None,
        operation="CREATE",
        version="v1",
    )
    assert admitted["spec"]["containers"][0]["volumeMounts"][0]["subPath"] == "models/v1"


@pytest.mark.parametrize("relative", ["../x", "a/../../x", "/etc/passwd"])
def test_the_runtime_refuses_paths_that_leave_the_volume(relative: str) -> None:
    with pytest.raises(OSError, match="leaves its volume"):
        inside("/var/vol", relative)


def test_the_runtime_joins_safe_paths() -> None:
    assert inside("/var/vol", "a/./b") == "/var/vol/a/b"
