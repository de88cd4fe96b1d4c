"""KServe's Python model server (`pip install kserve`) serving the benchmark's models.

Run with the KServe venv's Python, never imported by kflow. KServe ships its sklearn
predictor (`sklearnserver`) only in its container image, not on PyPI, so the sklearn
model here is that predictor's code path rebuilt on the public API: `joblib.load` at
start, then `get_predict_input` -> `predict` -> `get_predict_response`, which serves
V1 (`instances`) and V2 (REST and gRPC `InferRequest`) alike. KServe's PyTorch route is
TorchServe (a Java server), so the TorchScript MLP is served the way KServe documents
custom Python predictors: a `kserve.Model` subclass, same helpers.

Per-request logging is switched off (`--enable_latency_logging false` from the driver,
and uvicorn's access log here), as it is for every server in the benchmark.

    python kserve_server.py --model_name m --model_dir DIR --kind sklearn --http_port 8080
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import numpy as np
from kserve import Model, ModelServer, model_server
from kserve.utils.utils import get_predict_input, get_predict_response


class SKLearnModel(Model):  # type: ignore[misc]
    def __init__(self, name: str, model_dir: str) -> None:
        super().__init__(name)
        self.model_dir = Path(model_dir)
        self.ready = False

    def load(self) -> bool:
        import joblib

        self._model = joblib.load(self.model_dir / "model.joblib")
        self.ready = True
        return True

    def predict(self, payload: Any, headers: Any = None) -> Any:
        instances = get_predict_input(payload)
        return get_predict_response(payload, self._model.predict(instances), self.name)


class TorchScriptModel(Model):  # type: ignore[misc]
    def __init__(self, name: str, model_dir: str) -> None:
        super().__init__(name)
        self.model_dir = Path(model_dir)
        self.ready = False

    def load(self) -> bool:
        import torch

        self._torch = torch
        self._model = torch.jit.load(str(self.model_dir / "model.pt"), map_location="cpu")
        self._model.eval()
        self.ready = True
        return True

    def predict(self, payload: Any, headers: Any = None) -> Any:
        x = np.asarray(get_predict_input(payload), dtype=np.float32)
        with self._torch.inference_mode():
            result = self._model(self._torch.from_numpy(x)).numpy()
        return get_predict_response(payload, result, self.name)


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True)
    parser.add_argument("--kind", choices=["sklearn", "torch"], required=True)
    args, _ = parser.parse_known_args()
    cls = SKLearnModel if args.kind == "sklearn" else TorchScriptModel
    model = cls(args.model_name, args.model_dir)
    model.load()
    server = ModelServer()
    logging.getLogger("uvicorn.access").disabled = True
    server.start([model])


if __name__ == "__main__":
    main()
