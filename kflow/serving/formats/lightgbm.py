"""LightGBM boosters saved as text (`model.txt`, or `model.bst` as KServe names it)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from kflow.serving.formats._arrays import as_numeric, only_input, two_dimensional
from kflow.serving.model import TensorModel, Tensors, TensorSpec

INPUT = "input-0"
OUTPUT = "output-0"


def load(path: Path) -> TensorModel:
    import lightgbm

    booster = lightgbm.Booster(model_file=str(path))
    features = booster.num_feature()

    def run(inputs: Tensors, names: Sequence[str]) -> Tensors:
        x = two_dimensional(
            as_numeric(only_input(inputs, INPUT), np.float64, INPUT), features, INPUT
        )
        return {OUTPUT: np.asarray(booster.predict(x))}

    return TensorModel(
        inputs=[TensorSpec(INPUT, "FP64", (-1, features))],
        outputs=[TensorSpec(OUTPUT, "FP64", (-1, -1))],
        run=run,
        platform="lightgbm",
    )
