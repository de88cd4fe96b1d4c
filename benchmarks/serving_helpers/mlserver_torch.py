"""An MLServer runtime for a TorchScript model, for the benchmark's PyTorch MLP.

MLServer has no TorchScript runtime of its own (its PyTorch route is `mlserver-mlflow`,
which needs the model logged with MLflow and brings MLflow in); its documented way to
serve anything else is a custom runtime, an `MLModel` subclass. This one is written
like `mlserver_sklearn.SKLearnModel`: load at start, decode the request with the
numpy request codec, run the model, encode the output with `NumpyCodec`. Loaded by
MLServer from `model-settings.json` (`"implementation": "mlserver_torch.TorchScriptModel"`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from mlserver import MLModel
from mlserver.codecs import NumpyCodec, NumpyRequestCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class TorchScriptModel(MLModel):  # type: ignore[misc]
    async def load(self) -> bool:
        uri = await get_model_uri(self._settings, wellknown_filenames=["model.pt"])
        self._model: Any = torch.jit.load(uri, map_location="cpu")
        self._model.eval()
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = np.asarray(self.decode_request(payload, default_codec=NumpyRequestCodec), np.float32)
        with torch.inference_mode():
            result = self._model(torch.from_numpy(x)).numpy()
        return InferenceResponse(
            model_name=self.name,
            model_version=self.version,
            outputs=[NumpyCodec.encode_output("output-0", result)],
        )
