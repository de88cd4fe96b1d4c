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

INFO = registry.by_resource(c.RESOURCE)


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
    assert [col.name for col in INFO.columns if col.priority == 0] == [
        "NAME",
        "URL",
        "READY",
        "PREV",
        "LATEST",
        "AGE",
    ]


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
    table = to_table(INFO, [body])
    row = table["rows"][0]["cells"]
    assert row[:5] == ["digits", "https://127.0.0.1:8372/serving/default/digits", "True", None, 100]


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
