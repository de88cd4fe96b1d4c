"""TF Serving REST and KServe V1 over a real socket, in the shapes their clients send."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from kflow.serving import ModelConfig, VersionPolicy

from . import models
from .conftest import Digits, RunningServer, run_isolated, running_server, save_sklearn


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sklearn_model: object
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("v1")
    for version in (1, 2):
        save_sklearn(sklearn_model, root / "digits", version)
    (root / "echo").mkdir()
    (root / "echo" / "model.py").write_text(models.echo())
    (root / "scaler").mkdir()
    (root / "scaler" / "model.py").write_text(models.kserve_style(3))
    configs = [
        ModelConfig(
            "digits",
            str(root / "digits"),
            policy=VersionPolicy.parse("all"),
            labels={"stable": 1, "canary": 2},
        ),
        ModelConfig("echo", str(root / "echo")),
        ModelConfig("scaler", str(root / "scaler")),
    ]
    with running_server(configs) as running:
        yield running


def test_model_status_all_versions_and_one(server: RunningServer) -> None:
    body = httpx.get(f"{server.url}/v1/models/digits").json()
    assert body["model_version_status"] == [
        {"version": v, "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
        for v in ("2", "1")
    ]
    assert body["name"] == "digits" and body["ready"] is True  # KServe V1 in the same body
    one = httpx.get(f"{server.url}/v1/models/digits/labels/canary").json()
    assert [s["version"] for s in one["model_version_status"]] == ["2"]
    missing = httpx.get(f"{server.url}/v1/models/digits/versions/7")
    assert missing.status_code == 404 and "has no version 7" in missing.json()["error"]


def test_metadata(server: RunningServer) -> None:
    body = httpx.get(f"{server.url}/v1/models/digits/versions/1/metadata").json()
    assert body["model_spec"] == {"name": "digits", "signature_name": "", "version": "1"}
    signature = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert signature["inputs"]["input-0"]["dtype"] == "DT_DOUBLE"
    assert signature["inputs"]["input-0"]["tensor_shape"]["dim"][1]["size"] == "64"
    assert signature["method_name"] == "tensorflow/serving/predict"


def test_predict_row_and_columnar(server: RunningServer, digits: Digits) -> None:
    rows = digits.x[1000:1010].tolist()
    expected = digits.y[1000:1010]
    row = httpx.post(f"{server.url}/v1/models/digits:predict", json={"instances": rows})
    assert row.status_code == 200
    assert (np.array(row.json()["predictions"]) == expected).mean() > 0.8
    column = httpx.post(
        f"{server.url}/v1/models/digits/labels/stable:predict", json={"inputs": rows}
    )
    assert column.json()["outputs"] == row.json()["predictions"]
    named = httpx.post(
        f"{server.url}/v1/models/digits/versions/2:predict",
        json={"signature_name": "serving_default", "instances": [{"input-0": r} for r in rows]},
    )
    assert named.json() == row.json()


def test_several_outputs_and_b64(server: RunningServer) -> None:
    image = bytes(range(256))
    instances = [
        {"x": [1.0, 2.0, 3.0, 4.0], "image_bytes": {"b64": base64.b64encode(image).decode()}}
    ]
    row = httpx.post(f"{server.url}/v1/models/echo:predict", json={"instances": instances}).json()
    assert row["predictions"] == [
        {"x": [1.0, 2.0, 3.0, 4.0], "image_bytes": {"b64": base64.b64encode(image).decode()}}
    ]
    column = httpx.post(
        f"{server.url}/v1/models/echo:predict",
        json={"inputs": {"x": [[1, 2, 3, 4]], "label": ["seven"]}},
    ).json()
    assert column["outputs"] == {"x": [[1, 2, 3, 4]], "label": ["seven"]}


def test_classify_and_regress(server: RunningServer, digits: Digits) -> None:
    body = {"context": {}, "examples": [{"input-0": digits.x[1000].tolist()}]}
    result = httpx.post(f"{server.url}/v1/models/digits:classify", json=body).json()["result"]
    assert len(result) == 1 and len(result[0]) == 10
    best = max(result[0], key=lambda pair: pair[1])
    assert best[0] == str(digits.y[1000])
    regress = httpx.post(f"{server.url}/v1/models/digits:regress", json=body).json()
    assert regress == {"result": [float(best[0])]}
    no_scores = httpx.post(
        f"{server.url}/v1/models/echo:classify", json={"examples": [{"x": [1, 2, 3, 4]}]}
    )
    assert no_scores.status_code == 501 and "no class scores" in no_scores.json()["error"]


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/v1/models/nope:predict", {"instances": [1]}, 404, "model 'nope' is not served"),
        ("/v1/models/digits:predict", {"instances": [[1]], "inputs": [[1]]}, 400, "not both"),
        ("/v1/models/digits:predict", {"rows": []}, 400, "needs 'instances'"),
        ("/v1/models/digits:predict", {"instances": [[1, 2], [3]]}, 400, "ragged"),
        (
            "/v1/models/digits:predict",
            {"instances": [[1, 2]]},
            400,
            "expected shape [batch, 64], got [1, 2]",
        ),
        ("/v1/models/digits:frobnicate", {}, 404, "unknown verb ':frobnicate'"),
        (
            "/v1/models/digits/labels/beta:predict",
            {"instances": [[0] * 64]},
            404,
            "no label 'beta'",
        ),
        (
            "/v1/models/digits:predict",
            {"instances": [[0] * 64], "signature_name": "x"},
            400,
            "signature 'x' not found",
        ),
    ],
)
def test_errors_name_what_was_wrong(
    server: RunningServer, path: str, body: object, status: int, message: str
) -> None:
    response = httpx.post(server.url + path, json=body)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_not_json(server: RunningServer) -> None:
    response = httpx.post(f"{server.url}/v1/models/digits:predict", content=b"{nope")
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_kserve_v1_list_live_and_custom_model(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/v1/models").json() == {"models": ["digits", "echo", "scaler"]}
    assert httpx.get(server.url + "/").json() == {"status": "alive"}
    predicted = httpx.post(f"{server.url}/v1/models/scaler:predict", json={"instances": [[1, 2]]})
    assert predicted.json() == {"predictions": [[3.0, 6.0]]}
    explained = httpx.post(f"{server.url}/v1/models/scaler:explain", json={"instances": [[1]]})
    assert explained.json() == {"explanations": [{"factor": 3}]}
    no_explain = httpx.post(f"{server.url}/v1/models/digits:explain", json={"instances": [[1]]})
    assert no_explain.status_code == 501


KSERVE_V1 = """
import asyncio, json, sys
import kserve

async def scenario(url, rows):
    client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v1"))
    try:
        live = await client.is_server_live(url)
        ready = await client.is_model_ready(url, "digits")
        result = await client.infer(url, {"instances": rows}, model_name="digits")
    finally:
        await client.close()
    return [live, ready, result]

print(json.dumps(asyncio.run(scenario(sys.argv[1], json.loads(sys.argv[2])))))
"""


def test_the_kserve_rest_client(server: RunningServer, digits: Digits) -> None:
    rows = json.dumps(digits.x[:2].tolist())
    live, ready, result = run_isolated(KSERVE_V1, server.url, rows)
    assert live is True and ready is True
    assert result == {"predictions": [0, 1]}


def test_unknown_path(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/v1/models/digits/branches/x")
    assert response.status_code == 404 and "expected /v1/models/NAME" in response.json()["error"]
