"""The demo's digit classifier as a servable model: `model.py` next to `model.npz`.

`mnist_train` copies this file into its model directory, so `kflow serve` (or an
InferenceService with `modelFormat: custom`) can load it: a KServe-shaped class whose
`predict` takes V1/TF Serving JSON (`{"instances": [[64 pixels in 0..1], ...]}`) or a
V2 dict of arrays, and answers the ten class probabilities per image.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np


class Digits:
    """Two dense layers in NumPy, the weights `mnist_train` saved."""

    def __init__(self, name: str = "mnist") -> None:
        self.name = name
        self.ready = False
        self.params: dict[str, Any] = {}

    def load(self) -> None:
        saved = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "model.npz"))
        self.params = {key: saved[key] for key in saved.files}
        self.ready = True

    def _probabilities(self, pixels: Any) -> Any:
        x = np.asarray(pixels, dtype=np.float64).reshape(-1, 64)
        hidden = np.maximum(0.0, x @ self.params["w1"] + self.params["b1"])
        logits = hidden @ self.params["w2"] + self.params["b2"]
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, payload: Any, headers: Any = None) -> Any:
        if isinstance(payload, dict) and "instances" in payload:  # V1 / TF Serving JSON
            return {"predictions": self._probabilities(payload["instances"]).tolist()}
        first = next(iter(payload.values())) if isinstance(payload, dict) else payload
        return {"output-0": self._probabilities(first).astype(np.float32)}  # V2 tensors
