"""The InferenceService kind: registration, KServe's defaulting and validation, columns."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api import kserve  # noqa: F401  (registers the kind)
from kflow.api.admission import admit
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from kflow.api.kserve import contracts as c
from kflow.api.tables import to_table
from kflow.controllers.serving.predictor import predictor_pod_spec
from kflow.controllers.serving.transformer import transformer_pod_spec

INFO = registry.by_resource(c.RESOURCE)
KSERVE_COLUMNS = [
    "NAME",
    "URL",
    "READY",
    "PREV",
    "LATEST",
    "PREVROLLEDOUTREVISION",
    "LATESTREADYREVISION",
    "AGE",
]
"""What `kubectl get inferenceservices` prints as KServe's CRD defines its columns."""


def isvc(predictor: dict[str, Any], name: str = "digits") -> dict[str, Any]:
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND,
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"predictor": predictor},
    }


def admitted(body: dict[str, Any]) -> dict[str, Any]:
    return admit(INFO, body, None, operation="CREATE", version=c.VERSION)


def causes(body: dict[str, Any]) -> list[str]:
    with pytest.raises(Invalid) as caught:
        admitted(body)
    return [str(cause) for cause in caught.value.causes]


def test_the_kind_is_served_as_kserve_serves_it() -> None:
    assert registry.resolve("isvc") is INFO
    assert registry.resolve("inferenceservices.serving.kserve.io") is INFO
    assert INFO.api_version == "serving.kserve.io/v1beta1"
    assert "status" in INFO.subresources
    assert [col.name for col in INFO.columns if col.priority == 0] == KSERVE_COLUMNS


def test_framework_model_and_container_predictors_are_admitted() -> None:
    admitted(isvc({"sklearn": {"storageUri": "pvc://models/digits"}}))
    admitted(isvc({"model": {"modelFormat": {"name": "onnx"}, "storageUri": "/models/m"}}))
    body = admitted(isvc({"containers": [{"image": "me/server", "command": ["serve"]}]}))
    assert body["spec"]["predictor"]["containers"][0]["name"] == "kserve-container"


def test_unknown_fields_are_kept() -> None:
    body = admitted(
        isvc({"sklearn": {"storageUri": "/m", "resources": {}}, "logger": {"mode": "all"}})
    )
    assert body["spec"]["predictor"]["logger"] == {"mode": "all"}


def test_exactly_one_implementation() -> None:
    both = causes(isvc({"sklearn": {"storageUri": "/m"}, "xgboost": {"storageUri": "/m"}}))
    assert both[0].startswith("spec.predictor: Invalid value: exactly one of [sklearn,")
    assert "(found: sklearn, xgboost)" in both[0]
    assert causes(isvc({"minReplicas": 1}))[0].startswith("spec.predictor: Invalid value")


def test_kserve_validation_messages_with_field_paths() -> None:
    found = causes(
        isvc(
            {
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "ftp://x/y"},
                "minReplicas": 3,
                "maxReplicas": 2,
                "canaryTrafficPercent": 101,
                "batcher": {"maxBatchSize": 0},
            },
            name="Digits",
        )
    )
    assert any(
        f.startswith('metadata.name: Invalid value: "Digits": a InferenceService') for f in found
    )
    assert any(f.startswith("spec.predictor.model.storageUri: Unsupported value") for f in found)
    assert (
        "spec.predictor.maxReplicas: Invalid value: MaxReplicas cannot be less than MinReplicas"
        in found
    )
    assert (
        "spec.predictor.canaryTrafficPercent: Invalid value: 101: TrafficPercent must be between [0, 100]"
        in found
    )
    assert "spec.predictor.batcher.maxBatchSize: Invalid value: 0: must be greater than 0" in found
    missing = causes(isvc({"sklearn": {"protocolVersion": "v9"}}))
    assert "spec.predictor.sklearn.storageUri: Required value" in missing[0]
    assert 'spec.predictor.sklearn.protocolVersion: Unsupported value: "v9"' in missing[1]


def test_columns_show_url_readiness_and_traffic() -> None:
    body = admitted(isvc({"sklearn": {"storageUri": "/m"}}))
    body["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    body["status"] = {
        "url": "https://127.0.0.1:8372/serving/default/digits",
        "conditions": [{"type": "Ready", "status": "True"}],
        "components": {
            "predictor": {
                "latestReadyRevision": "digits-predictor-00001",
                "traffic": [
                    {
                        "revisionName": "digits-predictor-00001",
                        "percent": 100,
                        "latestRevision": True,
                    }
                ],
            }
        },
    }
    url = "https://127.0.0.1:8372/serving/default/digits"
    row = to_table(INFO, [body])["rows"][0]["cells"]
    assert row[:7] == ["digits", url, "True", None, 100, "", "digits-predictor-00001"]
    # a canary: the latest ready revision's share and the `prev` one's, as KServe prints
    body["status"]["components"]["predictor"]["traffic"] = [
        {"revisionName": "digits-predictor-00002", "percent": 10, "latestRevision": True},
        {
            "revisionName": "digits-predictor-00001",
            "percent": 90,
            "latestRevision": False,
            "tag": "prev",
        },
    ]
    row = to_table(INFO, [body])["rows"][0]["cells"]
    assert row[3:7] == [90, 10, "digits-predictor-00001", "digits-predictor-00002"]


def test_a_transformer_is_one_custom_container() -> None:
    body = isvc({"sklearn": {"storageUri": "/m"}})
    body["spec"]["transformer"] = {"containers": [{"image": "me/t", "command": ["t"]}]}
    assert admitted(body)["spec"]["transformer"]["containers"][0]["name"] == "kserve-container"
    body["spec"]["transformer"] = {
        "containers": [{"name": "a", "command": ["a"]}, {"name": "b", "command": ["b"]}],
        "canaryTrafficPercent": -1,
        "minReplicas": -2,
    }
    found = causes(body)
    assert "spec.transformer.containers: Invalid value: kflow runs one transformer container" in (
        found
    )
    assert (
        "spec.transformer.canaryTrafficPercent: Invalid value: -1: TrafficPercent must be "
        "between [0, 100]" in found
    )
    assert "spec.transformer.minReplicas: Invalid value: MinReplicas cannot be less than 0" in (
        found
    )
    body["spec"]["transformer"] = {"containers": []}
    assert causes(body) == [
        "spec.transformer.containers: Required value: a transformer is a custom container"
    ]


def test_the_transformer_pod_is_told_where_the_predictor_is() -> None:
    host = "127.75.1.2:8080/serving/default/digits-predictor"
    spec = transformer_pod_spec(
        "digits",
        {"containers": [{"name": "kserve-container", "command": ["python", "t.py"]}]},
        host,
    )
    container = spec["containers"][0]
    assert container["command"] == [
        "/bin/sh",
        "-c",
        'exec "$@" --http_port "$KFLOW_PORT_8080"',
        "sh",
        "python",
        "t.py",
    ]
    assert container["args"] == ["--model_name", "digits", "--predictor_host", host]
    assert container["ports"][0]["containerPort"] == 8080
    # arguments the user gave are kept, as KServe keeps them
    spec = transformer_pod_spec(
        "digits",
        {
            "containers": [
                {
                    "command": ["t"],
                    "args": ["--model_name=mnist", "--http_port", "9000"],
                    "ports": [{"containerPort": 9000}],
                }
            ]
        },
        host,
    )
    container = spec["containers"][0]
    assert container["command"] == ["t"]
    assert container["args"] == [
        "--model_name=mnist",
        "--http_port",
        "9000",
        "--predictor_host",
        host,
    ]


def test_the_predictor_pod_runs_kflow_serve_on_the_claim() -> None:
    predictor = {
        "model": {"modelFormat": {"name": "sklearn"}, "storageUri": "pvc://models/digits/v"},
        "batcher": {"maxBatchSize": 8},
    }
    spec = predictor_pod_spec("digits", predictor)
    container = spec["containers"][0]
    assert container["command"][:2] == ["/bin/sh", "-c"]
    assert container["args"][1:8] == [
        "-m",
        "kflow",
        "serve",
        "/mnt/pvc/digits/v",
        "--name",
        "digits",
        "--host",
    ]
    assert container["args"][9:11] == ["--format", "sklearn"]
    assert container["args"][11:] == ["--max-batch-size", "8", "--max-latency-ms", "500"]
    assert spec["volumes"][0]["persistentVolumeClaim"] == {"claimName": "models", "readOnly": True}
    assert container["volumeMounts"][0]["mountPath"] == "/mnt/pvc"
    assert spec["restartPolicy"] == "Always"
