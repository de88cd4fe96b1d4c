"""A transformer's hop to its predictor: two real model servers on loopback.

The predictor serves the digits classifier; the transformer is a custom model with
preprocess/postprocess only, served with a predictor host as `kflow serve
--predictor_host` does, speaking V1 or V2 to the predictor.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from kflow.serving import Model, ModelConfig
from kflow.serving.errors import InvalidInput, PredictorError
from kflow.serving.forwarding import PredictorHop
from tests.serving.conftest import Digits, free_port, running_server, save_sklearn

TRANSFORMER = """
import numpy as np
from kflow.serving import Model


class Halves(Model):
    # clients send pixels doubled; the predictor wants them as trained
    def preprocess(self, payload, headers=None):
        if isinstance(payload, dict) and "instances" in payload:
            return {"instances": (np.asarray(payload["instances"]) / 2).tolist()}
        return {name: value / 2 for name, value in payload.items()}

    def postprocess(self, response, headers=None):
        if isinstance(response, dict) and "predictions" in response:
            return {"predictions": response["predictions"], "via": "transformer"}
        return {"label": response["output-0"]}
"""


def _transformer_dir(root: Path) -> Path:
    directory = root / "halves"
    directory.mkdir()
    (directory / "model.py").write_text(TRANSFORMER)
    return directory


@pytest.mark.parametrize("protocol", ["v1", "v2"])
def test_a_transformer_asks_its_predictor(
    tmp_path: Path, digits: Digits, sklearn_model: LogisticRegression, protocol: str
) -> None:
    predictor_dir = save_sklearn(sklearn_model, tmp_path / "digits")
    with running_server([ModelConfig("digits", str(predictor_dir))]) as predictor:
        hop = PredictorHop(f"127.0.0.1:{predictor.port}", protocol)
        config = ModelConfig("digits", str(_transformer_dir(tmp_path)), predictor=hop)
        with running_server([config]) as transformer, httpx.Client(timeout=30) as http:
            rows = digits.x[:10] * 2
            if protocol == "v1":
                answer = http.post(
                    f"{transformer.url}/v1/models/digits:predict",
                    json={"instances": rows.tolist()},
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["via"] == "transformer"
                predicted = answer.json()["predictions"]
            else:
                answer = http.post(
                    f"{transformer.url}/v2/models/digits/infer",
                    json={
                        "inputs": [
                            {
                                "name": "input-0",
                                "shape": [10, 64],
                                "datatype": "FP32",
                                "data": rows.reshape(-1).tolist(),
                            }
                        ]
                    },
                )
                assert answer.status_code == 200, answer.text
                [output] = answer.json()["outputs"]
                assert output["name"] == "label"
                predicted = output["data"]
            assert np.mean(np.array(predicted) == digits.y[:10]) >= 0.9


def test_predictor_errors_come_back_with_their_status(
    tmp_path: Path, sklearn_model: LogisticRegression
) -> None:
    predictor_dir = save_sklearn(sklearn_model, tmp_path / "digits")
    with running_server([ModelConfig("digits", str(predictor_dir))]) as predictor:
        missing = Model("nope", predictor_host=f"127.0.0.1:{predictor.port}")
        with pytest.raises(PredictorError) as raised:
            asyncio.run(missing.predict({"instances": [[0.0] * 64]}))
        assert raised.value.status == 404
        assert "answered 404" in str(raised.value) and "nope" in str(raised.value)

        wrong = Model("digits", predictor_host=f"127.0.0.1:{predictor.port}", protocol="v2")
        with pytest.raises(PredictorError) as raised:
            asyncio.run(wrong.predict({"input-0": np.zeros((1, 3), dtype=np.float32)}))
        assert raised.value.status == 400

    gone = Model("digits", predictor_host=f"127.0.0.1:{free_port()}")
    with pytest.raises(PredictorError) as raised:
        asyncio.run(gone.predict({"instances": [[0.0] * 64]}))
    assert raised.value.status == 503 and "did not answer" in str(raised.value)
    with pytest.raises(NotImplementedError, match="predictor host"):
        asyncio.run(Model("alone").predict({}))
    with pytest.raises(InvalidInput, match="grpc-v2"):
        PredictorHop("127.0.0.1:1", "grpc-v2")
