"""Source of custom models the tests write into model directories."""

ECHO = '''
import time
import numpy as np
from kflow.serving import TensorModel, TensorSpec


class Echo:
    """Returns every input as an output of the same name; records the batch sizes it saw."""

    def tensor_model(self):
        seen = []

        def run(inputs, names):
            first = next(iter(inputs.values()))
            seen.append(first.shape[0] if first.ndim else 0)
            time.sleep(DELAY)
            out = {name: np.asarray(value) for name, value in inputs.items()}
            return {n: out[n] for n in names} if names else out

        return TensorModel(
            inputs=[TensorSpec("x", "FP32", (-1, 4))],
            outputs=[],
            run=run,
            platform="echo",
            extra={"seen": seen},
        )
'''


def echo(delay: float = 0.0) -> str:
    return ECHO.replace("DELAY", repr(delay))


KSERVE_STYLE = '''
import numpy as np
from kflow.serving import Model


class Scaler(Model):
    """A KServe-shaped model: V1 bodies in and out, explain, async preprocess."""

    def load(self):
        self.factor = FACTOR
        self.ready = True

    async def preprocess(self, payload, headers=None):
        if isinstance(payload, dict) and "instances" in payload:
            return np.asarray(payload["instances"], dtype=float)
        return payload

    def predict(self, payload, headers=None):
        if isinstance(payload, dict):  # V2: named tensors
            return {"scaled": payload["x"] * self.factor}
        return {"predictions": (payload * self.factor).tolist()}

    def explain(self, payload, headers=None):
        return {"explanations": [{"factor": self.factor}]}
'''


def kserve_style(factor: int = 2) -> str:
    return KSERVE_STYLE.replace("FACTOR", str(factor))


MNIST_SHAPED = '''
from pathlib import Path

import joblib
import numpy as np
from kflow.serving import TensorModel, TensorSpec


class Mnist:
    """The signature Kubeflow's MNIST example client reads: `x` in; `classes`, `predictions` out."""

    def tensor_model(self):
        classifier = joblib.load(Path(__file__).parent / "classifier.joblib")

        def run(inputs, names):
            scores = classifier.predict_proba(inputs["x"]).astype(np.float32)
            out = {"classes": scores.argmax(axis=1).astype(np.int32), "predictions": scores}
            return {n: out[n] for n in names} if names else out

        return TensorModel(
            inputs=[TensorSpec("x", "FP32", (-1, 64))],
            outputs=[TensorSpec("classes", "INT32", (-1,)), TensorSpec("predictions", "FP32", (-1, 10))],
            run=run,
            platform="mnist",
        )
'''
