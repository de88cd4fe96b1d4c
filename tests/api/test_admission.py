"""Admission of the core kinds: defaults, validation causes with field paths, conversion."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
import yaml

from kflow.api import core
from kflow.api.admission import admit, field_validation
from kflow.api.errors import BadRequest, Cause, Invalid
from kflow.api.kinds import KindInfo, Registry, registry

POD_YAML = """
apiVersion: v1
kind: Pod
metadata:
  name: trainer
  namespace: default
  labels: {app: mnist}
spec:
  containers:
  - name: main
    image: python:3.11
    command: [python, -c, "print('hi')"]
    env:
    - {name: EPOCHS, value: "3"}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    ports: [{containerPort: 8080, name: http}]
    resources:
      limits: {cpu: "1", memory: 1Gi}
    volumeMounts: [{name: data, mountPath: /data}]
    futureField: kept
  volumes:
  - {name: data, emptyDir: {}}
  tolerations: [{key: gpu, operator: Exists}]
"""


def pod() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(POD_YAML)
    return loaded


def create(kind: str, obj: dict[str, Any], version: str = "v1") -> dict[str, Any]:
    return admit(registry.resolve(kind), obj, None, operation="CREATE", version=version)


def causes_of(kind: str, obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    operation = "UPDATE" if old is not None else "CREATE"
    with pytest.raises(Invalid) as caught:
        admit(registry.resolve(kind), obj, old, operation=operation, version="v1")
    assert caught.value.code == 422
    return [str(c) for c in caught.value.causes]


def test_core_kinds_are_registered_with_short_names() -> None:
    assert core.register_core_kinds()  # idempotent
    expected = {
        "ns": ("Namespace", False),
        "po": ("Pod", True),
        "svc": ("Service", True),
        "ev": ("Event", True),
        "cm": ("ConfigMap", True),
        "secrets": ("Secret", True),
        "pvc": ("PersistentVolumeClaim", True),
        "ep": ("Endpoints", True),
    }
    for name, (kind, namespaced) in expected.items():
        info = registry.resolve(name)
        assert (info.kind, info.namespaced, info.api_version) == (kind, namespaced, "v1")
    assert not registry.resolve("cm").has_status
    assert not registry.resolve("secret").has_status


def test_register_into_another_registry() -> None:
    other = Registry()
    core.register_core_kinds(other)
    core.register_core_kinds(other)
    assert len(other.all()) == len(core.core_kinds())


def test_pod_defaults_and_fresh_status() -> None:
    sent = pod()
    sent["status"] = {"phase": "Running"}
    before = copy.deepcopy(sent)
    admitted = create("pods", sent)
    assert sent == before, "admission must not mutate its input"
    spec = admitted["spec"]
    assert spec["restartPolicy"] == "Always"
    assert spec["terminationGracePeriodSeconds"] == 30
    main = spec["containers"][0]
    assert main["imagePullPolicy"] == "IfNotPresent"
    assert main["ports"][0]["protocol"] == "TCP"
    assert main["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert main["futureField"] == "kept"
    assert spec["tolerations"] == [{"key": "gpu", "operator": "Exists"}]
    assert admitted["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ({}, "BestEffort"),
        ({"requests": {"cpu": "500m"}}, "Burstable"),
        ({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}, "Burstable"),
        ({"limits": {"cpu": 1, "memory": "1024Mi"}, "requests": {"cpu": "1000m"}}, "Guaranteed"),
        ({"limits": {"nvidia.com/gpu": 1}}, "BestEffort"),
    ],
)
def test_qos_class(resources: dict[str, Any], qos: str) -> None:
    body = pod()
    body["spec"]["containers"][0]["resources"] = resources
    assert create("po", body)["status"]["qosClass"] == qos


def test_latest_images_are_always_pulled() -> None:
    body = pod()
    body["spec"]["containers"][0]["image"] = "busybox"
    assert create("po", body)["spec"]["containers"][0]["imagePullPolicy"] == "Always"


def test_every_pod_problem_is_reported_with_its_field_path() -> None:
    body = pod()
    body["metadata"]["name"] = "Trainer_1"
    spec = body["spec"]
    spec["restartPolicy"] = "Sometimes"
    spec["containers"] = [
        {"image": "x"},
        {"name": "Main", "image": "x", "ports": [{"containerPort": 70000}]},
        {"name": "dup", "image": "x"},
        {"name": "dup", "ports": [{"containerPort": "http"}]},
        {
            "name": "refs",
            "image": "x",
            "volumeMounts": [{"name": "missing", "mountPath": "/m"}],
            "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1", "memory": "lots"}},
            "env": [{"name": "A", "value": "1", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}],
        },
    ]
    causes = causes_of("pods", body)
    expected = [
        "metadata.name: Invalid value: \"Trainer_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        "spec.containers[0].name: Required value",
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
        "spec.containers[1].name: Invalid value: \"Main\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        "spec.containers[1].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[3].name: Duplicate value: "dup"',
        "spec.containers[3].image: Required value",
        'spec.containers[4].volumeMounts[0].name: Not found: "missing"',
        'spec.containers[4].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
        'spec.containers[4].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    ]
    for line in expected:
        assert line in causes, f"missing {line!r} in {causes}"
    assert any(
        c.startswith("spec.containers[3].ports[0].containerPort: Invalid value") for c in causes
    )
    assert any(
        c.startswith('spec.containers[4].resources.limits[memory]: Invalid value: "lots"')
        for c in causes
    )


def test_invalid_status_body_names_the_kind_and_causes() -> None:
    body = pod()
    body["spec"]["containers"][0]["name"] = "Bad"
    with pytest.raises(Invalid) as caught:
        create("po", body)
    status = caught.value.to_status()
    assert status["reason"] == "Invalid"
    assert status["details"]["kind"] == "Pod"
    assert status["details"]["name"] == "trainer"
    assert status["message"].startswith('Pod "trainer" is invalid: spec.containers[0].name:')
    assert status["details"]["causes"][0]["field"] == "spec.containers[0].name"


def test_pod_without_containers() -> None:
    body = pod()
    body["spec"]["containers"] = []
    assert "spec.containers: Required value" in causes_of("po", body)


def test_pod_spec_is_immutable_except_images() -> None:
    old = create("po", pod())
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "python:3.12"
    new["spec"]["activeDeadlineSeconds"] = 60
    new["spec"]["tolerations"].append({"key": "tpu", "operator": "Exists"})
    new["metadata"]["labels"]["tier"] = "gold"
    updated = admit(registry.resolve("po"), new, old, operation="UPDATE", version="v1")
    assert updated["spec"]["containers"][0]["image"] == "python:3.12"
    assert updated["status"] == old["status"], "status is kept on update"

    changed = copy.deepcopy(old)
    changed["spec"]["containers"][0]["command"] = ["sleep", "1"]
    causes = causes_of("po", changed, old)
    assert len(causes) == 1
    assert causes[0].startswith(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"
    )


def test_names_are_immutable_on_update() -> None:
    old = create("cm", {"metadata": {"name": "a", "namespace": "default", "uid": "1"}})
    new = copy.deepcopy(old)
    new["metadata"]["uid"] = "2"
    assert 'metadata.uid: Invalid value: "2": field is immutable' in causes_of("cm", new, old)


def test_namespace_defaults_and_scope() -> None:
    ns = create(
        "ns",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "namespace": "x"}},
    )
    assert "namespace" not in ns["metadata"]
    assert ns["spec"] == {"finalizers": ["kubernetes"]}
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "team-a"}
    causes = causes_of("ns", {"metadata": {"name": "team.a"}})
    assert causes == [
        "metadata.name: Invalid value: \"team.a\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    ]


def test_namespaced_objects_need_a_namespace_and_a_name() -> None:
    causes = causes_of("cm", {"metadata": {}})
    assert "metadata.namespace: Required value" in causes
    assert "metadata.name: Required value: name or generateName is required" in causes
    generated = create("cm", {"metadata": {"generateName": "run-", "namespace": "default"}})
    assert generated["metadata"]["generateName"] == "run-"


def test_labels_are_checked() -> None:
    causes = causes_of(
        "cm", {"metadata": {"name": "a", "namespace": "d", "labels": {"ok": "bad value!"}}}
    )
    assert causes[0].startswith('metadata.labels: Invalid value: "bad value!": a valid label')


def test_wrong_kind_or_version_is_a_bad_request() -> None:
    with pytest.raises(BadRequest, match=r"kind in the body \(Service\)"):
        create("po", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}})
    with pytest.raises(BadRequest, match="does not match the expected API version"):
        create("po", {"apiVersion": "apps/v1", "kind": "Pod", "metadata": {"name": "a"}})


def test_secret_string_data_is_merged_into_data() -> None:
    secret = create(
        "secret",
        {
            "metadata": {"name": "creds", "namespace": "default"},
            "data": {"user": base64.b64encode(b"old").decode(), "keep": "a2VlcA=="},
            "stringData": {"user": "admin", "password": "s3cret"},
        },
    )
    assert "stringData" not in secret
    assert secret["type"] == "Opaque"
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded == {"user": "admin", "password": "s3cret", "keep": "keep"}


def test_secret_and_configmap_keys() -> None:
    causes = causes_of(
        "secret",
        {"metadata": {"name": "s", "namespace": "d"}, "data": {"bad key": "eA==", "ok": "%%%"}},
    )
    assert causes[0].startswith(
        'data[bad key]: Invalid value: "bad key": a valid config key must consist'
    )
    assert 'data[ok]: Invalid value: "<secret contents redacted>": illegal base64 data' in causes
    causes = causes_of(
        "cm", {"metadata": {"name": "c", "namespace": "d"}, "data": {"n": 1, "..": "x"}}
    )
    assert any(
        c.startswith("data[n]: Invalid value: 1: input should be a valid string") for c in causes
    )
    assert "data[..]: Invalid value: \"..\": must not be '..'" in causes


def test_immutable_configmap() -> None:
    old = create(
        "cm", {"metadata": {"name": "c", "namespace": "d"}, "data": {"a": "1"}, "immutable": True}
    )
    new = copy.deepcopy(old)
    new["data"]["a"] = "2"
    assert causes_of("cm", new, old) == [
        "data: Forbidden: field is immutable when `immutable` is set"
    ]


def test_service_defaults_and_rules() -> None:
    svc = create(
        "svc",
        {
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": "http"}],
                "clusterIP": "None",
            },
        },
    )
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"][0]["protocol"] == "TCP"
    assert svc["spec"]["clusterIPs"] == ["None"]
    causes = causes_of(
        "svc",
        {
            "metadata": {"name": "1web", "namespace": "default"},
            "spec": {
                "type": "Magic",
                "ports": [{"port": 0}, {"port": 81, "name": "b", "protocol": "tcp"}],
            },
        },
    )
    assert any(
        c.startswith('metadata.name: Invalid value: "1web": a DNS-1035 label') for c in causes
    )
    assert (
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
        in causes
    )
    assert "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive" in causes
    assert "spec.ports[0].name: Required value" in causes
    assert (
        'spec.ports[1].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'
        in causes
    )


def test_pvc_is_bound_at_once() -> None:
    pvc = create(
        "pvc",
        {
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    assert pvc["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "1Gi"},
    }
    causes = causes_of(
        "pvc", {"metadata": {"name": "d", "namespace": "x"}, "spec": {"accessModes": ["Sometimes"]}}
    )
    assert "spec.resources[storage]: Required value" in causes
    assert causes[0].startswith('spec.accessModes[0]: Unsupported value: "Sometimes"')


def test_event_defaults() -> None:
    event = create(
        "ev",
        {
            "metadata": {"name": "trainer.1", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": "trainer"},
            "reason": "Started",
        },
    )
    assert (event["type"], event["count"]) == ("Normal", 1)
    assert causes_of("ev", {"metadata": {"name": "e", "namespace": "d"}}) == [
        "involvedObject: Required value"
    ]


def test_conversion_from_an_older_version() -> None:
    def from_v1alpha1(obj: dict[str, Any]) -> dict[str, Any]:
        obj["apiVersion"] = "example.org/v1"
        obj["spec"] = {"replicas": obj.pop("spec", {}).get("workers", 1)}
        return obj

    def check(obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
        replicas = obj["spec"]["replicas"]
        return [Cause("spec.replicas", "must be >= 0")] if replicas < 0 else []

    info = KindInfo(
        group="example.org",
        version="v1",
        kind="Widget",
        plural="widgets",
        converters={"v1alpha1": from_v1alpha1},
        defaulters=(lambda o: o["spec"].setdefault("paused", False),),
        validators=(check,),
    )
    sent = {
        "apiVersion": "example.org/v1alpha1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "d"},
        "spec": {"workers": 3},
    }
    admitted = admit(info, sent, None, operation="CREATE", version="v1alpha1")
    assert admitted["apiVersion"] == "example.org/v1"
    assert admitted["spec"] == {"replicas": 3, "paused": False}
    assert sent["spec"] == {"workers": 3}
    sent["spec"]["workers"] = -1
    with pytest.raises(Invalid, match=r'Widget "w" is invalid: spec.replicas: must be >= 0'):
        admit(info, sent, None, operation="CREATE", version="v1alpha1")
    with pytest.raises(BadRequest, match="not served"):
        admit(info, sent, None, operation="CREATE", version="v2")


SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "replicas": {"type": "integer"},
                "template": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"a": {"type": "string"}}},
                },
                "extra": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
    },
}


def test_field_validation_modes() -> None:
    info = KindInfo(
        group="example.org", version="v1", kind="Gadget", plural="gadgets", schema=SCHEMA
    )
    obj = {
        "apiVersion": "example.org/v1",
        "kind": "Gadget",
        "metadata": {"name": "g"},
        "spec": {
            "replicas": 1,
            "foo": 1,
            "template": {"anything": {"goes": 1}},
            "items": [{"a": "x", "b": 2}],
            "extra": {"free": "form"},
        },
        "bar": True,
    }
    assert field_validation(info, obj, "Ignore") == []
    assert field_validation(info, obj, "") == []
    assert field_validation(info, obj, "Warn") == [
        'unknown field "spec.foo"',
        'unknown field "spec.items[0].b"',
        'unknown field "bar"',
    ]
    with pytest.raises(BadRequest) as caught:
        field_validation(info, obj, "Strict")
    assert caught.value.message == (
        ".spec.foo: field not declared in schema, .spec.items[0].b: field not declared in "
        "schema, .bar: field not declared in schema"
    )
    assert type(caught.value) is BadRequest
    with pytest.raises(BadRequest, match="fieldValidation must be one of"):
        field_validation(info, obj, "Loose")


def test_field_validation_of_core_kinds_keeps_open_pod_specs() -> None:
    info = registry.resolve("po")
    body = pod()
    body["spec"]["affinity"] = {}
    assert field_validation(info, body, "Strict") == []
    body["specc"] = {}
    body["metadata"]["lables"] = {}
    assert field_validation(info, body, "Warn") == [
        'unknown field "metadata.lables"',
        'unknown field "specc"',
    ]
