"""Open Inference Protocol (V2) REST, driven by the real tritonclient and kserve clients."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from kflow.serving import ModelConfig, VersionPolicy

from . import models
from .conftest import Digits, RunningServer, run_isolated, running_server, save_sklearn

httpclient = pytest.importorskip("tritonclient.http")
InferenceServerException = pytest.importorskip("tritonclient.utils").InferenceServerException


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sklearn_model: object
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("v2")
    for version in (1, 2):
        save_sklearn(sklearn_model, root / "digits", version)
    (root / "echo").mkdir()
    (root / "echo" / "model.py").write_text(models.echo())
    (root / "scaler").mkdir()
    (root / "scaler" / "model.py").write_text(models.kserve_style(5))
    configs = [
        ModelConfig("digits", str(root / "digits"), policy=VersionPolicy.parse("latest:2")),
        ModelConfig("echo", str(root / "echo")),
        ModelConfig("scaler", str(root / "scaler")),
    ]
    with running_server(configs) as running:
        running.repository.root = root
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[object]:
    triton = httpclient.InferenceServerClient(f"127.0.0.1:{server.port}")
    yield triton
    triton.close()


def test_health_and_metadata(client: object) -> None:
    assert client.is_server_live() and client.is_server_ready()  # type: ignore[attr-defined]
    metadata = client.get_server_metadata()  # type: ignore[attr-defined]
    assert "binary_tensor_data" in metadata["extensions"]
    model = client.get_model_metadata("digits")  # type: ignore[attr-defined]
    assert model["versions"] == ["1", "2"] and model["platform"] == "sklearn"
    assert model["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": [-1, 64]}]
    assert client.is_model_ready("digits", "1")  # type: ignore[attr-defined]
    assert client.get_model_metadata("digits", "1")["name"] == "digits"  # type: ignore[attr-defined]
    assert not client.is_model_ready("digits", "9")  # type: ignore[attr-defined]


@pytest.mark.parametrize("binary", [False, True])
def test_infer_json_and_binary(client: object, digits: Digits, binary: bool) -> None:
    x = digits.x[1000:1016]
    tensor = httpclient.InferInput("input-0", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=binary)
    outputs = [
        httpclient.InferRequestedOutput("output-0", binary_data=binary),
        httpclient.InferRequestedOutput("probabilities", binary_data=binary),
    ]
    result = client.infer("digits", [tensor], model_version="1", outputs=outputs, request_id="r-1")  # type: ignore[attr-defined]
    labels = result.as_numpy("output-0")
    assert labels.dtype == np.int64 and labels.shape == (16,)
    assert (labels == digits.y[1000:1016]).mean() > 0.8
    assert result.as_numpy("probabilities").shape == (16, 10)
    response = result.get_response()
    assert response["model_version"] == "1" and response["id"] == "r-1"


def test_every_datatype_round_trips_as_json_and_binary(client: object) -> None:
    arrays = {
        "BOOL": np.array([[True, False]]),
        "UINT8": np.array([[0, 255]], dtype=np.uint8),
        "UINT16": np.array([[0, 65535]], dtype=np.uint16),
        "UINT32": np.array([[0, 2**32 - 1]], dtype=np.uint32),
        "UINT64": np.array([[0, 2**63]], dtype=np.uint64),
        "INT8": np.array([[-128, 127]], dtype=np.int8),
        "INT16": np.array([[-1, 1]], dtype=np.int16),
        "INT32": np.array([[-(2**31), 7]], dtype=np.int32),
        "INT64": np.array([[-(2**62), 7]], dtype=np.int64),
        "FP16": np.array([[0.5, -2.0]], dtype=np.float16),
        "FP32": np.array([[0.25, 1e30]], dtype=np.float32),
        "FP64": np.array([[1e-300, 3.5]], dtype=np.float64),
        "BYTES": np.array([[b"seven", b"\x00\xff"]], dtype=object),
    }
    for binary in (False, True):
        inputs = []
        for datatype, array in arrays.items():
            # FP16 has no JSON form in tritonclient; non-UTF-8 bytes neither
            as_binary = binary or datatype == "FP16" or datatype == "BYTES"
            tensor = httpclient.InferInput(datatype.lower(), list(array.shape), datatype)
            tensor.set_data_from_numpy(array, binary_data=as_binary)
            inputs.append(tensor)
        outputs = [httpclient.InferRequestedOutput(n.lower(), binary_data=True) for n in arrays]
        result = client.infer("echo", inputs, outputs=outputs)  # type: ignore[attr-defined]
        for datatype, array in arrays.items():
            back = result.as_numpy(datatype.lower())
            assert back.dtype == array.dtype and (back == array).all(), datatype


def test_json_outputs_and_nested_or_flat_data(server: RunningServer) -> None:
    x = [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]
    flat = [v for row in x for v in row]
    for data in (x, flat):
        body = {
            "inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 4], "data": data}],
            "parameters": {"any": 1},
        }
        response = httpx.post(f"{server.url}/v2/models/echo/infer", json=body)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["outputs"] == [
            {"name": "x", "datatype": "FP32", "shape": [2, 4], "data": flat}
        ]


def test_binary_data_output_parameter(server: RunningServer) -> None:
    body = {
        "inputs": [{"name": "x", "datatype": "INT32", "shape": [1, 2], "data": [1, 2]}],
        "parameters": {"binary_data_output": True},
    }
    response = httpx.post(f"{server.url}/v2/models/echo/infer", json=body)
    length = int(response.headers["inference-header-content-length"])
    header = response.content[:length]
    assert b'"binary_data_size":8' in header
    assert np.frombuffer(response.content[length:], dtype="<i4").tolist() == [1, 2]


def test_custom_python_model_over_v2(client: object) -> None:
    tensor = httpclient.InferInput("x", [1, 2], "FP64")
    tensor.set_data_from_numpy(np.array([[1.0, 2.0]]))
    result = client.infer("scaler", [tensor])  # type: ignore[attr-defined]
    assert result.as_numpy("scaled").tolist() == [[5.0, 10.0]]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"inputs": []}, "'inputs' must be a non-empty list"),
        (
            {"inputs": [{"name": "x", "datatype": "FP33", "shape": [1], "data": [1]}]},
            "datatype 'FP33' is not supported",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [2, 4], "data": [1, 2]}]},
            "shape [2, 4] needs 8 elements, data has 2",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1]}]},
            "needs 'data' or parameters.binary_data_size",
        ),
        (
            {"inputs": [{"name": "x", "datatype": "FP32", "shape": "1", "data": [1]}]},
            "shape must be a list",
        ),
    ],
)
def test_infer_errors(server: RunningServer, body: object, message: str) -> None:
    response = httpx.post(f"{server.url}/v2/models/echo/infer", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_binary_sizes_are_checked(server: RunningServer) -> None:
    header = b'{"inputs":[{"name":"x","datatype":"FP32","shape":[1,4],"parameters":{"binary_data_size":16}}]}'
    short = httpx.post(
        f"{server.url}/v2/models/echo/infer",
        content=header + b"\0" * 8,
        headers={"Inference-Header-Content-Length": str(len(header))},
    )
    assert short.status_code == 400 and "runs past" in short.json()["error"]
    extra = httpx.post(
        f"{server.url}/v2/models/echo/infer",
        content=header + b"\0" * 20,
        headers={"Inference-Header-Content-Length": str(len(header))},
    )
    assert extra.status_code == 400 and "4 bytes of binary data" in extra.json()["error"]


def test_unknown_model_and_version(client: object) -> None:
    with pytest.raises(InferenceServerException, match="model 'nope' is not served"):
        client.get_model_metadata("nope")  # type: ignore[attr-defined]
    tensor = httpclient.InferInput("input-0", [1, 64], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 64), dtype=np.float32))
    with pytest.raises(InferenceServerException, match="has no version 5"):
        client.infer("digits", [tensor], model_version="5")  # type: ignore[attr-defined]


def test_repository_index_unload_and_load(
    client: object, server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    index = client.get_model_repository_index()  # type: ignore[attr-defined]
    assert {"name": "digits", "version": "2", "state": "READY", "reason": ""} in index
    client.unload_model("echo")  # type: ignore[attr-defined]
    assert not client.is_model_ready("echo")  # type: ignore[attr-defined]
    assert client.is_server_ready()  # type: ignore[attr-defined]  # unloaded on purpose
    client.load_model("echo")  # type: ignore[attr-defined]
    assert client.is_model_ready("echo")  # type: ignore[attr-defined]
    # a model directory in the repository root that was not served yet
    assert server.repository.root is not None
    shutil.copytree(server.repository.root / "echo", server.repository.root / "echo2")
    client.load_model("echo2")  # type: ignore[attr-defined]
    assert client.is_model_ready("echo2")  # type: ignore[attr-defined]
    client.unload_model("echo2")  # type: ignore[attr-defined]


KSERVE_V2 = """
import asyncio, json, sys
import numpy as np
import kserve

async def scenario(url, rows):
    client = kserve.InferenceRESTClient(kserve.RESTConfig(protocol="v2"))
    try:
        assert await client.is_server_ready(url)
        assert await client.is_model_ready(url, "digits")
        tensor = kserve.InferInput("input-0", [2, 64], "FP32")
        tensor.set_data_from_numpy(np.asarray(rows, dtype=np.float32), binary_data=True)
        request = kserve.InferRequest(model_name="digits", infer_inputs=[tensor], request_id="k")
        response = await client.infer(url, request, model_name="digits")
        return response.outputs[0].as_numpy().tolist()
    finally:
        await client.close()

print(json.dumps(asyncio.run(scenario(sys.argv[1], json.loads(sys.argv[2])))))
"""


def test_the_kserve_v2_rest_client(server: RunningServer, digits: Digits) -> None:
    rows = json.dumps(digits.x[:2].tolist())
    assert run_isolated(KSERVE_V2, server.url, rows) == [0, 1]
