"""V2 gRPC and TF Serving gRPC on real sockets, driven by Triton's own gRPC client and
by TensorFlow's own `TensorProto` messages."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import httpx
import joblib
import numpy as np
import pytest

from kflow.serving import BatchingConfig, ModelConfig, VersionPolicy
from kflow.serving.protos import get_model_metadata_pb2, predict_pb2

from . import models
from .conftest import Digits, RunningServer, running_server, save_sklearn

grpcclient = pytest.importorskip("tritonclient.grpc")
service_pb2 = pytest.importorskip("tritonclient.grpc.service_pb2")
service_pb2_grpc = pytest.importorskip("tritonclient.grpc.service_pb2_grpc")
InferenceServerException = pytest.importorskip("tritonclient.utils").InferenceServerException


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sklearn_model: object
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("grpc")
    for version in (1, 2):
        save_sklearn(sklearn_model, root / "digits", version)
    (root / "echo").mkdir()
    (root / "echo" / "model.py").write_text(models.echo())
    (root / "scaler").mkdir()
    (root / "scaler" / "model.py").write_text(models.kserve_style(5))
    (root / "mnist").mkdir()
    (root / "mnist" / "model.py").write_text(models.MNIST_SHAPED)
    joblib.dump(sklearn_model, root / "mnist" / "classifier.joblib")
    configs = [
        ModelConfig(
            "digits",
            str(root / "digits"),
            policy=VersionPolicy.parse("latest:2"),
            labels={"stable": 1},
        ),
        ModelConfig("echo", str(root / "echo")),
        ModelConfig("scaler", str(root / "scaler")),
        ModelConfig("mnist", str(root / "mnist")),
    ]
    with running_server(configs, grpc=True) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[Any]:
    triton = grpcclient.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
    yield triton
    triton.close()


@pytest.fixture
def channel(server: RunningServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as opened:
        yield opened


def _status(exc: InferenceServerException) -> str:
    return str(exc.status())


# -- Open Inference Protocol V2 over gRPC (tritonclient.grpc) ----------------------


def test_health_and_metadata(client: Any) -> None:
    assert client.is_server_live() and client.is_server_ready()
    metadata = client.get_server_metadata(as_json=True)
    assert metadata["name"] == "kflow" and "binary_tensor_data" in metadata["extensions"]
    model = client.get_model_metadata("digits", as_json=True)
    assert model["versions"] == ["1", "2"] and model["platform"] == "sklearn"
    assert model["inputs"] == [{"name": "input-0", "datatype": "FP64", "shape": ["-1", "64"]}]
    assert client.get_model_metadata("digits", "1", as_json=True)["name"] == "digits"
    assert client.is_model_ready("digits") and client.is_model_ready("digits", "1")
    assert not client.is_model_ready("digits", "9")
    with pytest.raises(InferenceServerException) as caught:
        client.is_model_ready("nope")
    assert _status(caught.value) == "StatusCode.NOT_FOUND"
    assert "model 'nope' is not served" in caught.value.message()


def test_infer_raw_inputs_and_outputs(client: Any, digits: Digits, sklearn_model: Any) -> None:
    rows = digits.x[1000:1010].astype(np.float64)
    x = grpcclient.InferInput("input-0", list(rows.shape), "FP64")
    x.set_data_from_numpy(rows)  # tritonclient always sends raw_input_contents
    wanted = [grpcclient.InferRequestedOutput(n) for n in ("output-0", "probabilities")]
    result = client.infer("digits", [x], outputs=wanted, request_id="r-1")
    np.testing.assert_array_equal(result.as_numpy("output-0"), sklearn_model.predict(rows))
    np.testing.assert_allclose(
        result.as_numpy("probabilities"), sklearn_model.predict_proba(rows), rtol=1e-6
    )
    response = result.get_response()
    assert response.id == "r-1" and response.model_version == "2"
    assert len(response.raw_output_contents) == 2  # raw in, raw out


def test_versions(client: Any, digits: Digits) -> None:
    x = grpcclient.InferInput("input-0", [1, 64], "FP64")
    x.set_data_from_numpy(digits.x[:1].astype(np.float64))
    assert client.infer("digits", [x], model_version="1").get_response().model_version == "1"
    with pytest.raises(InferenceServerException) as caught:
        client.infer("digits", [x], model_version="7")
    assert _status(caught.value) == "StatusCode.NOT_FOUND"
    assert "model 'digits' has no version 7 (versions: 1, 2)" in caught.value.message()


def test_typed_contents_in_and_out(channel: grpc.Channel, digits: Digits) -> None:
    """Typed `contents`, as a client that does not use raw_input_contents sends them."""
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    request = service_pb2.ModelInferRequest(model_name="digits", model_version="1", id="typed")
    tensor = request.inputs.add(name="input-0", datatype="FP64", shape=[2, 64])
    tensor.contents.fp64_contents.extend(digits.x[:2].reshape(-1).tolist())
    request.outputs.add(name="output-0")
    response = stub.ModelInfer(request)
    assert not response.raw_output_contents
    (output,) = response.outputs
    assert (output.name, output.datatype, list(output.shape)) == ("output-0", "INT64", [2])
    assert list(output.contents.int64_contents) == [0, 1]
    assert (response.model_name, response.model_version, response.id) == ("digits", "1", "typed")


def test_every_datatype_round_trips_typed_and_raw(client: Any, channel: grpc.Channel) -> None:
    """The echo model returns its inputs: every datatype, typed and raw, comes back whole."""
    arrays = {
        "b": np.array([[True, False]]),
        "u8": np.array([[1, 255]], dtype=np.uint8),
        "u64": np.array([[1, 2**63]], dtype=np.uint64),
        "i8": np.array([[-128, 127]], dtype=np.int8),
        "i64": np.array([[-(2**40), 3]], dtype=np.int64),
        "f32": np.array([[0.5, -1.25]], dtype=np.float32),
        "f64": np.array([[1e-300, 2.0]], dtype=np.float64),
        "s": np.array([[b"seven", b"\xff\x00"]], dtype=object),
    }
    inputs = []
    for name, array in arrays.items():
        datatype = "BYTES" if array.dtype == object else grpcclient.np_to_triton_dtype(array.dtype)
        tensor = grpcclient.InferInput(name, list(array.shape), datatype)
        tensor.set_data_from_numpy(array)
        inputs.append(tensor)
    result = client.infer("echo", inputs)
    for name, array in arrays.items():
        np.testing.assert_array_equal(result.as_numpy(name), array)

    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    request = service_pb2.ModelInferRequest(model_name="echo")
    request.inputs.add(name="i16", datatype="INT16", shape=[3]).contents.int_contents.extend(
        [-3, 0, 3]
    )
    request.inputs.add(name="s", datatype="BYTES", shape=[1]).contents.bytes_contents.append(b"ok")
    half = request.inputs.add(name="h", datatype="FP16", shape=[1])
    half.contents.fp32_contents.append(1.0)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ModelInfer(request)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs[2] ('h'): FP16 has no contents field; send it raw" in str(caught.value.details())
    del request.inputs[2]
    request.inputs.add(name="u8", datatype="UINT8", shape=[1]).contents.uint_contents.append(256)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ModelInfer(request)
    assert "inputs[2] ('u8'): values outside UINT8's range 0..255" in str(caught.value.details())
    del request.inputs[2]
    response = stub.ModelInfer(request)
    assert list(response.outputs[0].contents.int_contents) == [-3, 0, 3]
    assert list(response.outputs[1].contents.bytes_contents) == [b"ok"]


def test_errors_are_status_codes_with_messages(client: Any, channel: grpc.Channel) -> None:
    x = grpcclient.InferInput("input-0", [1, 63], "FP64")
    x.set_data_from_numpy(np.zeros((1, 63)))
    with pytest.raises(InferenceServerException) as caught:
        client.infer("nope", [x])
    assert _status(caught.value) == "StatusCode.NOT_FOUND"

    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    request = service_pb2.ModelInferRequest(model_name="digits")
    request.inputs.add(name="input-0", datatype="FP64", shape=[2, 64])
    request.raw_input_contents.append(np.zeros(127).tobytes())
    with pytest.raises(grpc.RpcError) as raised:
        stub.ModelInfer(request)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == (
        "inputs[0] ('input-0'): shape [2, 64] of FP64 needs 1024 bytes, binary_data_size is 1016"
    )
    request.raw_input_contents.append(b"")
    with pytest.raises(grpc.RpcError) as raised:
        stub.ModelInfer(request)
    assert "raw_input_contents has 2 entries for 1 inputs" in str(raised.value.details())

    wrong = service_pb2.ModelInferRequest(model_name="digits")
    wrong.inputs.add(name="input-0", datatype="FP64", shape=[1, 64]).contents.fp64_contents.extend(
        [0.0] * 64
    )
    wrong.outputs.add(name="nonsense")
    with pytest.raises(grpc.RpcError) as raised:
        stub.ModelInfer(wrong)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "nonsense" in str(raised.value.details())


def test_custom_kserve_model(client: Any) -> None:
    x = grpcclient.InferInput("x", [2], "FP64")
    x.set_data_from_numpy(np.array([1.0, 2.0]))
    result = client.infer("scaler", [x])
    np.testing.assert_array_equal(result.as_numpy("scaled"), [5.0, 10.0])


# -- TF Serving gRPC (TensorFlow's own TensorProto) -----------------------------------


def _predict(channel: grpc.Channel, request: predict_pb2.PredictRequest) -> Any:
    call = channel.unary_unary(
        "/tensorflow.serving.PredictionService/Predict",
        request_serializer=predict_pb2.PredictRequest.SerializeToString,
        response_deserializer=predict_pb2.PredictResponse.FromString,
    )
    return call(request, timeout=10.0)


def test_tf_serving_predict_as_the_mnist_client_calls_it(
    channel: grpc.Channel, digits: Digits, sklearn_model: Any
) -> None:
    """Kubeflow's MNIST web UI: `x` in (tensor_content), `classes`.int_val and
    `predictions`.float_val out."""
    tf = pytest.importorskip("tensorflow")
    image = digits.x[1005:1006]
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "mnist"
    request.model_spec.signature_name = "serving_default"
    proto = tf.make_tensor_proto(image, shape=image.shape)
    assert proto.tensor_content  # TensorFlow packs a numpy array as raw bytes
    request.inputs["x"].ParseFromString(proto.SerializeToString())
    result = _predict(channel, request)
    assert result.outputs["classes"].int_val[0] == sklearn_model.predict(image)[0]
    scores = list(result.outputs["predictions"].float_val)
    np.testing.assert_allclose(scores, sklearn_model.predict_proba(image)[0], rtol=1e-5)
    assert len(scores) == 10
    assert (result.model_spec.name, result.model_spec.version.value) == ("mnist", 1)
    # TensorFlow reads the answer back as the arrays it was
    classes = tf.make_ndarray(
        tf.make_tensor_proto(0).FromString(result.outputs["classes"].SerializeToString())
    )
    assert classes.dtype == np.int32 and classes.shape == (1,)


def test_tf_serving_predict_float_val_versions_and_filter(
    channel: grpc.Channel, digits: Digits, sklearn_model: Any
) -> None:
    from tensorflow.core.framework import tensor_pb2, types_pb2

    rows = digits.x[:3].astype(np.float64)
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE)
    proto.tensor_shape.dim.add(size=3)
    proto.tensor_shape.dim.add(size=64)
    proto.double_val.extend(rows.reshape(-1).tolist())
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "digits"
    request.model_spec.version_label = "stable"
    request.inputs["input-0"].ParseFromString(proto.SerializeToString())
    request.output_filter.append("output-0")
    result = _predict(channel, request)
    assert list(result.outputs) == ["output-0"]
    assert list(result.outputs["output-0"].int64_val) == sklearn_model.predict(rows).tolist()
    assert result.model_spec.version.value == 1

    request.model_spec.version.value = 2
    assert _predict(channel, request).model_spec.version.value == 2

    float_val = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT)
    float_val.tensor_shape.dim.add(size=1)
    float_val.tensor_shape.dim.add(size=64)
    float_val.float_val.extend(digits.x[0].tolist())
    mnist = predict_pb2.PredictRequest()
    mnist.model_spec.name = "mnist"
    mnist.inputs["x"].ParseFromString(float_val.SerializeToString())
    assert _predict(channel, mnist).outputs["classes"].int_val[:] == [0]


def test_tf_serving_errors(channel: grpc.Channel) -> None:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "mnist"
    request.inputs["images"].float_val.extend([0.0] * 64)
    request.inputs["images"].dtype = 1  # DT_FLOAT
    request.inputs["images"].tensor_shape.dim.add(size=1)
    request.inputs["images"].tensor_shape.dim.add(size=64)
    with pytest.raises(grpc.RpcError) as raised:
        _predict(channel, request)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == (
        "inputs ['images'] do not match the signature's inputs ['x'] of 'serving_default'"
    )
    request.inputs["x"].CopyFrom(request.inputs["images"])
    del request.inputs["images"]
    request.inputs["x"].tensor_shape.dim[1].size = 63
    with pytest.raises(grpc.RpcError) as raised:
        _predict(channel, request)
    assert (
        raised.value.details()
        == "inputs['x']: tensor_shape [1, 63] needs 63 values, float_val has 64"
    )
    request.model_spec.signature_name = "classify"
    with pytest.raises(grpc.RpcError) as raised:
        _predict(channel, request)
    assert "signature_name 'classify' not found" in str(raised.value.details())
    request.model_spec.name = "nope"
    with pytest.raises(grpc.RpcError) as raised:
        _predict(channel, request)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    classify = channel.unary_unary("/tensorflow.serving.PredictionService/Classify")
    with pytest.raises(grpc.RpcError) as raised:
        classify(b"")
    assert raised.value.code() is grpc.StatusCode.UNIMPLEMENTED


def test_tf_serving_get_model_metadata(channel: grpc.Channel) -> None:
    from tensorflow.core.protobuf import meta_graph_pb2

    call = channel.unary_unary(
        "/tensorflow.serving.PredictionService/GetModelMetadata",
        request_serializer=get_model_metadata_pb2.GetModelMetadataRequest.SerializeToString,
        response_deserializer=get_model_metadata_pb2.GetModelMetadataResponse.FromString,
    )
    request = get_model_metadata_pb2.GetModelMetadataRequest()
    request.model_spec.name = "mnist"
    request.metadata_field.append("signature_def")
    response = call(request)
    assert response.model_spec.name == "mnist" and response.model_spec.version.value == 1
    packed = response.metadata["signature_def"]
    assert packed.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap"
    signatures = get_model_metadata_pb2.SignatureDefMap.FromString(packed.value)
    signature = meta_graph_pb2.SignatureDef.FromString(  # TensorFlow's own message reads it
        signatures.signature_def["serving_default"].SerializeToString()
    )
    assert signature.method_name == "tensorflow/serving/predict"
    x = signature.inputs["x"]
    assert x.dtype == 1 and [d.size for d in x.tensor_shape.dim] == [-1, 64]  # DT_FLOAT
    assert sorted(signature.outputs) == ["classes", "predictions"]
    assert signature.outputs["classes"].dtype == 3  # DT_INT32

    request.metadata_field[0] = "graph"
    with pytest.raises(grpc.RpcError) as raised:
        call(request)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert (
        raised.value.details() == "metadata field 'graph' is not supported (only 'signature_def')"
    )


# -- one repository and one batcher behind REST and gRPC ------------------------------


def test_rest_and_grpc_requests_share_batches(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(models.echo(delay=0.05))
    batching = BatchingConfig(max_batch_size=16, max_latency=0.1)
    with running_server(
        [ModelConfig("echo", str(tmp_path), batching=batching)], grpc=True
    ) as server:
        seen: list[int] = server.repository.get("echo").resolve().tensor_model.extra["seen"]
        seen.clear()  # forget the warm-up call
        triton = grpcclient.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")

        def over_grpc(index: int) -> float:
            x = grpcclient.InferInput("x", [1, 4], "FP32")
            x.set_data_from_numpy(np.full((1, 4), index, dtype=np.float32))
            return float(triton.infer("echo", [x]).as_numpy("x")[0, 0])

        def over_rest(index: int) -> float:
            body = {
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [index] * 4}]
            }
            answer = httpx.post(f"{server.url}/v2/models/echo/infer", json=body, timeout=30)
            return float(answer.json()["outputs"][0]["data"][0])

        with ThreadPoolExecutor(16) as pool:
            futures = [pool.submit(over_grpc if i % 2 else over_rest, i) for i in range(32)]
            answers = [future.result() for future in futures]
        triton.close()
    assert answers == [float(i) for i in range(32)]
    assert sum(seen) == 32 and max(seen) > 1


def test_grpc_is_off_unless_asked(tmp_path: Path, sklearn_model: object) -> None:
    save_sklearn(sklearn_model, tmp_path / "m")
    with running_server([ModelConfig("m", str(tmp_path / "m"))]) as server:
        assert server.grpc_port is None
    shutil.rmtree(tmp_path / "m")


# -- the .proto files match the published definitions ---------------------------------


def _fields(descriptor: Any) -> dict[str, tuple[int, int, int]]:
    return {f.name: (f.number, f.type, f.label) for f in descriptor.fields}


def _same_messages(ours: Any, theirs: Any) -> None:
    """Every field we declare exists upstream with the same number, type and label."""
    mine, upstream = _fields(ours), _fields(theirs)
    for name, shape in mine.items():
        assert upstream.get(name) == shape, (
            f"{ours.full_name}.{name}: {shape} vs {upstream.get(name)}"
        )
    for nested in ours.nested_types:
        _same_messages(nested, theirs.nested_types_by_name[nested.name])


def test_v2_proto_matches_tritons() -> None:
    from kflow.serving.protos import grpc_predict_v2_pb2

    ours = grpc_predict_v2_pb2.DESCRIPTOR
    for name, message in ours.message_types_by_name.items():
        theirs = service_pb2.DESCRIPTOR.message_types_by_name[name]
        _same_messages(message, theirs)
        assert theirs.full_name == message.full_name  # same package: `inference`


def test_tensorflow_protos_match_tensorflows() -> None:
    pytest.importorskip("tensorflow")
    from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
    from tensorflow.core.protobuf import meta_graph_pb2

    from kflow.serving.protos import meta_graph_pb2 as our_meta_graph
    from kflow.serving.protos import tensor_pb2 as our_tensor
    from kflow.serving.protos import tensor_shape_pb2 as our_shape
    from kflow.serving.protos import types_pb2 as our_types

    _same_messages(our_tensor.TensorProto.DESCRIPTOR, tensor_pb2.TensorProto.DESCRIPTOR)
    _same_messages(
        our_shape.TensorShapeProto.DESCRIPTOR, tensor_shape_pb2.TensorShapeProto.DESCRIPTOR
    )
    _same_messages(our_meta_graph.TensorInfo.DESCRIPTOR, meta_graph_pb2.TensorInfo.DESCRIPTOR)
    _same_messages(our_meta_graph.SignatureDef.DESCRIPTOR, meta_graph_pb2.SignatureDef.DESCRIPTOR)
    for value in our_types.DataType.DESCRIPTOR.values:
        assert types_pb2.DataType.Value(value.name) == value.number
