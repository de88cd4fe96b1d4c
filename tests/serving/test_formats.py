"""Every model format loads from its files and predicts what the framework predicts."""

from __future__ import annotations

import asyncio
import pickle
from pathlib import Path

import numpy as np
import pytest

from kflow.serving import TensorModel, formats
from kflow.serving.errors import InvalidInput, ModelLoadError
from kflow.serving.model import PythonModel

from .conftest import Digits, save_sklearn


def predict(servable: object, x: np.ndarray) -> np.ndarray:
    assert isinstance(servable, TensorModel)
    result = servable.predict({"input-0": x})
    return next(iter(result.values()))


def test_sklearn_joblib_and_pickle(tmp_path: Path, digits: Digits, sklearn_model: object) -> None:
    save_sklearn(sklearn_model, tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "model.pkl").write_bytes(pickle.dumps(sklearn_model))
    expected = sklearn_model.predict(digits.x[1000:1100])  # type: ignore[attr-defined]
    for directory in ("a", "b"):
        servable = formats.load(tmp_path / directory)
        assert servable.platform == "sklearn"
        assert (predict(servable, digits.x[1000:1100]) == expected).all()


def test_xgboost(tmp_path: Path, digits: Digits) -> None:
    xgboost = pytest.importorskip("xgboost")
    model = xgboost.XGBClassifier(n_estimators=10, max_depth=3).fit(
        digits.x[:1000], digits.y[:1000]
    )
    model.save_model(tmp_path / "model.json")
    servable = formats.load(tmp_path)
    assert servable.platform == "xgboost"
    probabilities = predict(servable, digits.x[1000:1050])
    assert (probabilities.argmax(axis=1) == model.predict(digits.x[1000:1050])).all()


def test_lightgbm_as_model_bst(tmp_path: Path, digits: Digits) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=10, verbose=-1).fit(
        digits.x[:1000], digits.y[:1000]
    )
    model.booster_.save_model(
        str(tmp_path / "model.bst")
    )  # KServe's file name, LightGBM text inside
    servable = formats.load(tmp_path)
    assert servable.platform == "lightgbm"
    probabilities = predict(servable, digits.x[1000:1050])
    assert (probabilities.argmax(axis=1) == model.predict(digits.x[1000:1050])).all()


def _torch_mlp(digits: Digits):  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
    x, y = torch.from_numpy(digits.x[:1000] / 16), torch.from_numpy(digits.y[:1000])
    for _ in range(100):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(x), y).backward()
        optimizer.step()
    return torch, net.eval()


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_pytorch_torchscript_and_export(tmp_path: Path, digits: Digits) -> None:
    torch, net = _torch_mlp(digits)
    x = digits.x[1000:1100] / 16
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    (tmp_path / "script").mkdir()
    torch.jit.script(net).save(str(tmp_path / "script" / "model.pt"))
    (tmp_path / "export").mkdir()
    batch = torch.export.Dim("batch", min=1, max=1024)
    program = torch.export.export(net, (torch.from_numpy(x[:2]),), dynamic_shapes=({0: batch},))
    torch.export.save(program, str(tmp_path / "export" / "model.pt2"))
    scripted = formats.load(tmp_path / "script")
    exported = formats.load(tmp_path / "export")
    assert isinstance(exported, TensorModel) and exported.inputs[0].shape == (-1, 64)
    for servable in (scripted, exported):
        assert np.allclose(predict(servable, x), expected, atol=1e-5)
    assert (predict(exported, x).argmax(axis=1) == digits.y[1000:1100]).mean() > 0.8


def test_onnx_from_skl2onnx(tmp_path: Path, digits: Digits, sklearn_model: object) -> None:
    pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    from skl2onnx.common.data_types import FloatTensorType

    onnx_model = skl2onnx.convert_sklearn(
        sklearn_model,
        initial_types=[("pixels", FloatTensorType([None, 64]))],
        options={id(sklearn_model): {"zipmap": False}},
        target_opset=17,
    )
    (tmp_path / "model.onnx").write_bytes(onnx_model.SerializeToString())
    servable = formats.load(tmp_path)
    assert isinstance(servable, TensorModel)
    assert [s.name for s in servable.inputs] == ["pixels"]
    assert [s.name for s in servable.outputs] == ["label", "probabilities"]
    result = servable.predict({"pixels": digits.x[1000:1100]})
    assert (result["label"] == sklearn_model.predict(digits.x[1000:1100])).all()  # type: ignore[attr-defined]


@pytest.mark.slow
def test_tensorflow_saved_model(tmp_path: Path, digits: Digits) -> None:
    tf = pytest.importorskip("tensorflow")

    class Linear(tf.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            self.w = tf.Variable(tf.ones([64, 10]) / 64)

        @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32, name="pixels")])
        def serve(self, pixels):  # type: ignore[no-untyped-def]
            return {"scores": tf.matmul(pixels, self.w)}

    module = Linear()
    tf.saved_model.save(module, str(tmp_path), signatures={"serving_default": module.serve})
    servable = formats.load(tmp_path)
    assert isinstance(servable, TensorModel) and servable.platform == "tensorflow_savedmodel"
    result = servable.predict({"pixels": digits.x[:3]})
    assert np.allclose(result["scores"], digits.x[:3] @ (np.ones((64, 10)) / 64), atol=1e-4)


CUSTOM = """
from kflow.serving import Model

class Doubler(Model):
    def load(self):
        self.factor = 2
        self.ready = True

    async def preprocess(self, payload, headers=None):
        return payload["instances"]

    def predict(self, payload, headers=None):
        return {"predictions": [v * self.factor for v in payload]}
"""


def test_custom_python_model(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text(CUSTOM)
    servable = formats.load(tmp_path)
    assert isinstance(servable, PythonModel)
    assert servable.obj.factor == 2 and servable.obj.name == tmp_path.name


def test_a_duck_typed_model_needs_only_predict(tmp_path: Path) -> None:
    # no base class, no preprocess/postprocess: the payload goes straight to predict
    (tmp_path / "model.py").write_text(
        "class Doubler:\n"
        "    def predict(self, payload, headers=None):\n"
        "        return {'predictions': [2 * v for v in payload['instances']]}\n"
    )
    servable = formats.load(tmp_path)
    assert isinstance(servable, PythonModel)
    answer = asyncio.run(servable.infer({"instances": [1, 2]}, {}))
    assert answer == {"predictions": [2, 4]}


def test_unknown_files_say_what_was_expected(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(ModelLoadError, match=r"no model file found .*weights.bin.*sklearn"):
        formats.load(tmp_path)
    with pytest.raises(ModelLoadError, match="unknown model format 'caffe'"):
        formats.load(tmp_path, "caffe")


def test_wrong_feature_count_names_the_input(tmp_path: Path, sklearn_model: object) -> None:
    save_sklearn(sklearn_model, tmp_path)
    servable = formats.load(tmp_path, "scikit-learn")
    with pytest.raises(
        InvalidInput, match=r"input 'input-0': expected shape \[batch, 64\], got \[2, 3\]"
    ):
        predict(servable, np.zeros((2, 3)))
