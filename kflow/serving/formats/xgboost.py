"""XGBoost boosters (`.json`, `.ubj`, `.bst`), predicted through a DMatrix like KServe."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kflow.serving.formats._arrays import as_numeric, only_input, two_dimensional
from kflow.serving.model import TensorModel, Tensors, TensorSpec

INPUT = "input-0"
OUTPUT = "output-0"


def load(path: Path) -> TensorModel:
    import xgboost

    booster = xgboost.Booster()
    booster.load_model(str(path))
    features = booster.num_features() or None

    def run(inputs: Tensors, names: Sequence[str]) -> Tensors:
        x = two_dimensional(
            as_numeric(only_input(inputs, INPUT), np.float32, INPUT), features, INPUT
        )
        return {OUTPUT: np.asarray(booster.predict(xgboost.DMatrix(x)))}

    return TensorModel(
        inputs=[TensorSpec(INPUT, "FP32", (-1, features or -1))],
        outputs=[TensorSpec(OUTPUT, "FP32", (-1, -1))],
        run=run,
        platform="xgboost",
    )
