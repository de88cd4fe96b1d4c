"""Server-side tables: kubectl's columns, STATUS strings and ages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kflow.api import core  # noqa: F401 - registers the core kinds
from kflow.api import meta as m
from kflow.api.kinds import KindInfo, registry
from kflow.api.tables import human_age, human_duration, to_table


def ago(seconds: int) -> str:
    return m.timestamp(m.now() - dt.timedelta(seconds=seconds))


def rows(kind: str, objs: list[dict[str, Any]], wide: bool = False) -> list[dict[str, Any]]:
    table = to_table(registry.resolve(kind), objs, wide)
    names = [c["name"] for c in table["columnDefinitions"]]
    return [dict(zip(names, row["cells"], strict=True)) for row in table["rows"]]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (5, "5s"),
        (119, "119s"),
        (182, "3m2s"),
        (300, "5m"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600 + 120, "3h2m"),
        (5 * 3600, "5h"),
        (20 * 3600, "20h"),
        (2 * 86400, "2d"),
        (2 * 86400 + 5 * 3600, "2d5h"),
        (30 * 86400, "30d"),
        (800 * 86400, "2y70d"),
        (3650 * 86400, "10y"),
    ],
)
def test_human_duration_matches_kubectl(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_human_age() -> None:
    assert human_age(ago(5)) in ("5s", "6s")
    assert human_age(None) == "<unknown>"
    assert human_age("yesterday") == "<unknown>"


def pod(
    status: dict[str, Any], *, init: int = 0, containers: int = 1, **meta: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "creationTimestamp": ago(65), **meta},
        "spec": {
            "initContainers": [{"name": f"i{i}", "image": "x"} for i in range(init)],
            "containers": [{"name": f"c{i}", "image": "x"} for i in range(containers)],
        },
        "status": status,
    }


def running(ready: bool = True, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "name": "c0",
        "ready": ready,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ago(10)}},
        **extra,
    }


def waiting(reason: str, restarts: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "name": "c0",
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason}},
        **extra,
    }


def terminated(code: int, reason: str = "", **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"exitCode": code}
    if reason:
        state["reason"] = reason
    return {
        "name": "c0",
        "ready": False,
        "restartCount": 0,
        "state": {"terminated": state},
        **extra,
    }


@pytest.mark.parametrize(
    ("obj", "status", "ready"),
    [
        (pod({"phase": "Pending"}), "Pending", "0/1"),
        (
            pod({"phase": "Pending", "containerStatuses": [waiting("ContainerCreating")]}),
            "ContainerCreating",
            "0/1",
        ),
        (pod({"phase": "Running", "containerStatuses": [running()]}), "Running", "1/1"),
        (
            pod(
                {
                    "phase": "Running",
                    "containerStatuses": [running(), waiting("CrashLoopBackOff", 3)],
                },
                containers=2,
            ),
            "CrashLoopBackOff",
            "1/2",
        ),
        (
            pod({"phase": "Succeeded", "containerStatuses": [terminated(0, "Completed")]}),
            "Completed",
            "0/1",
        ),
        (pod({"phase": "Failed", "containerStatuses": [terminated(1, "Error")]}), "Error", "0/1"),
        (pod({"phase": "Failed", "containerStatuses": [terminated(137)]}), "ExitCode:137", "0/1"),
        (
            pod(
                {
                    "phase": "Running",
                    "containerStatuses": [
                        {**terminated(0), "state": {"terminated": {"exitCode": 0, "signal": 9}}}
                    ],
                }
            ),
            "Signal:9",
            "0/1",
        ),
        (
            pod(
                {
                    "phase": "Pending",
                    "initContainerStatuses": [
                        terminated(0, "Completed"),
                        waiting("PodInitializing"),
                    ],
                },
                init=2,
            ),
            "Init:1/2",
            "0/1",
        ),
        (
            pod(
                {
                    "phase": "Pending",
                    "initContainerStatuses": [{"name": "i0", "state": {"running": {}}}],
                },
                init=3,
            ),
            "Init:0/3",
            "0/1",
        ),
        (
            pod({"phase": "Pending", "initContainerStatuses": [terminated(1, "Error")]}, init=1),
            "Init:Error",
            "0/1",
        ),
        (
            pod({"phase": "Pending", "initContainerStatuses": [terminated(2)]}, init=1),
            "Init:ExitCode:2",
            "0/1",
        ),
        (
            pod(
                {"phase": "Pending", "initContainerStatuses": [waiting("CrashLoopBackOff")]}, init=1
            ),
            "Init:CrashLoopBackOff",
            "0/1",
        ),
        (
            pod({"phase": "Running", "containerStatuses": [running()]}, deletionTimestamp=ago(1)),
            "Terminating",
            "1/1",
        ),
        (
            pod(
                {"phase": "Succeeded", "containerStatuses": [terminated(0, "Completed")]},
                deletionTimestamp=ago(1),
            ),
            "Completed",
            "0/1",
        ),
        (pod({"phase": "Failed", "reason": "Evicted"}), "Evicted", "0/1"),
        (
            pod(
                {
                    "phase": "Running",
                    "conditions": [{"type": "Ready", "status": "False"}],
                    "containerStatuses": [running(), terminated(0, "Completed")],
                },
                containers=2,
            ),
            "NotReady",
            "1/2",
        ),
    ],
)
def test_pod_status_like_kubectl(obj: dict[str, Any], status: str, ready: str) -> None:
    (row,) = rows("pods", [obj])
    assert (row["STATUS"], row["READY"]) == (status, ready)


def test_pod_age() -> None:
    (row,) = rows("pods", [pod({"phase": "Pending"})])
    assert row["AGE"] in ("65s", "66s")


def test_pod_restarts_and_wide_columns() -> None:
    last = {"terminated": {"exitCode": 1, "finishedAt": ago(130)}}
    obj = pod(
        {
            "phase": "Running",
            "podIP": "127.0.0.1",
            "containerStatuses": [waiting("CrashLoopBackOff", 4, lastState=last)],
        }
    )
    obj["spec"]["nodeName"] = "local"
    (narrow,) = rows("po", [obj])
    assert list(narrow) == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert narrow["RESTARTS"] in ("4 (2m10s ago)", "4 (2m11s ago)")
    (wide,) = rows("po", [obj], wide=True)
    assert list(wide) == [
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED NODE",
        "READINESS GATES",
    ]
    assert (wide["IP"], wide["NODE"], wide["NOMINATED NODE"]) == ("127.0.0.1", "local", "<none>")


def test_table_body_for_kubectl() -> None:
    obj = pod({"phase": "Pending"}, uid="u1", resourceVersion="7")
    table = to_table(registry.resolve("po"), [obj], True, resource_version="9")
    assert table["kind"] == "Table"
    assert table["apiVersion"] == "meta.k8s.io/v1"
    assert table["metadata"] == {"resourceVersion": "9"}
    name = table["columnDefinitions"][0]
    assert name["name"] == "NAME" and name["format"] == "name" and name["priority"] == 0
    assert {"name", "type", "format", "description", "priority"} <= set(
        table["columnDefinitions"][5]
    )
    assert table["columnDefinitions"][5]["priority"] == 1
    row = table["rows"][0]
    assert row["object"] == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }
    full = to_table(registry.resolve("po"), [obj], False, include_object="Object")
    assert full["rows"][0]["object"] == obj
    bare = to_table(registry.resolve("po"), [obj], False, include_object="None")
    assert "object" not in bare["rows"][0]


def test_service_rows() -> None:
    svc = {
        "metadata": {"name": "web", "creationTimestamp": ago(3)},
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.0.0.7",
            "selector": {"app": "web"},
            "ports": [
                {"port": 80, "nodePort": 30080, "protocol": "TCP"},
                {"port": 53, "protocol": "UDP"},
            ],
        },
    }
    headless = {
        "metadata": {"name": "workers"},
        "spec": {"clusterIP": "None", "ports": [{"port": 2222}]},
    }
    balancer = {
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "clusterIP": "10.0.0.8"},
    }
    first, second, third = rows("svc", [svc, headless, balancer], wide=True)
    assert list(first) == [
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
        "SELECTOR",
    ]
    assert first["PORT(S)"] == "80:30080/TCP,53/UDP"
    assert (first["TYPE"], first["CLUSTER-IP"], first["EXTERNAL-IP"], first["SELECTOR"]) == (
        "NodePort",
        "10.0.0.7",
        "<none>",
        "app=web",
    )
    assert (second["TYPE"], second["CLUSTER-IP"], second["PORT(S)"]) == (
        "ClusterIP",
        "None",
        "2222/TCP",
    )
    assert (third["EXTERNAL-IP"], third["PORT(S)"], third["AGE"]) == (
        "<pending>",
        "<none>",
        "<unknown>",
    )


def test_namespace_configmap_secret_pvc_rows() -> None:
    (ns,) = rows(
        "ns",
        [
            {
                "metadata": {"name": "default", "creationTimestamp": ago(200000)},
                "status": {"phase": "Active"},
            }
        ],
    )
    assert ns == {"NAME": "default", "STATUS": "Active", "AGE": "2d7h"}
    (cm,) = rows(
        "cm",
        [{"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}],
    )
    assert (cm["NAME"], cm["DATA"]) == ("c", 3)
    (secret,) = rows(
        "secret",
        [
            {
                "metadata": {"name": "s"},
                "type": "kubernetes.io/tls",
                "data": {"tls.crt": "", "tls.key": ""},
            }
        ],
    )
    assert list(secret) == ["NAME", "TYPE", "DATA", "AGE"]
    assert (secret["TYPE"], secret["DATA"]) == ("kubernetes.io/tls", 2)
    pvc = {
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "volumeMode": "Filesystem"},
        "status": {
            "phase": "Bound",
            "capacity": {"storage": "1Gi"},
            "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
        },
    }
    (claim,) = rows("pvc", [pvc])
    assert claim == {
        "NAME": "data",
        "STATUS": "Bound",
        "VOLUME": "",
        "CAPACITY": "1Gi",
        "ACCESS MODES": "RWO,ROX",
        "STORAGECLASS": "<none>",
        "AGE": "<unknown>",
    }


def test_event_rows() -> None:
    event = {
        "metadata": {"name": "p.1"},
        "involvedObject": {"kind": "Pod", "name": "trainer", "fieldPath": "spec.containers{main}"},
        "reason": "BackOff",
        "message": "Back-off restarting failed container\n",
        "type": "Warning",
        "lastTimestamp": ago(40),
        "count": 5,
    }
    (row,) = rows("ev", [event])
    assert list(row) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert row["LAST SEEN"] in ("40s", "41s")
    assert (row["TYPE"], row["REASON"], row["OBJECT"], row["MESSAGE"]) == (
        "Warning",
        "BackOff",
        "pod/trainer",
        "Back-off restarting failed container",
    )
    (wide,) = rows("ev", [event], wide=True)
    assert (wide["SUBOBJECT"], wide["COUNT"], wide["NAME"]) == ("spec.containers{main}", 5, "p.1")


def test_kinds_without_columns_get_name_and_age() -> None:
    info = KindInfo(group="example.org", version="v1", kind="Widget", plural="widgets")
    table = to_table(info, [{"metadata": {"name": "w", "creationTimestamp": ago(7200)}}], False)
    assert [c["name"] for c in table["columnDefinitions"]] == ["NAME", "AGE"]
    assert table["rows"][0]["cells"] == ["w", "120m"]


def test_malformed_objects_still_print() -> None:
    (row,) = rows(
        "po",
        [{"metadata": {"name": "odd"}, "spec": "nonsense", "status": {"containerStatuses": [7]}}],
    )
    assert row["NAME"] == "odd"
