"""scikit-learn estimators saved with joblib or pickle (anything with `predict`)."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kflow.serving import datatypes
from kflow.serving.errors import InvalidInput
from kflow.serving.formats._arrays import as_numeric, only_input, two_dimensional
from kflow.serving.model import TensorModel, Tensors, TensorSpec

INPUT = "input-0"
OUTPUT = "output-0"
PROBABILITIES = "probabilities"


def _read(path: Path) -> Any:
    if path.suffix == ".joblib":
        import joblib

        return joblib.load(path)
    with path.open("rb") as handle:
        return pickle.load(handle)


def from_estimator(estimator: Any, platform: str = "sklearn") -> TensorModel:
    """Serve an in-memory estimator (`predict`, optionally `predict_proba`)."""
    features = getattr(estimator, "n_features_in_", None)
    classes = getattr(estimator, "classes_", None)
    has_proba = hasattr(estimator, "predict_proba") and classes is not None
    label_type = datatypes.of_array(np.asarray(classes)) if classes is not None else "FP64"
    outputs = [TensorSpec(OUTPUT, label_type, (-1,))]
    if has_proba:
        outputs.append(TensorSpec(PROBABILITIES, "FP64", (-1, len(np.asarray(classes)))))

    def run(inputs: Tensors, names: Sequence[str]) -> Tensors:
        x = two_dimensional(
            as_numeric(only_input(inputs, INPUT), np.float64, INPUT), features, INPUT
        )
        result: Tensors = {}
        for name in names:
            if name == OUTPUT:
                result[name] = np.asarray(estimator.predict(x))
            elif name == PROBABILITIES and has_proba:
                result[name] = np.asarray(estimator.predict_proba(x))
            else:
                raise InvalidInput(
                    f"unknown output {name!r} (the model has {[o.name for o in outputs]})"
                )
        return result

    return TensorModel(
        inputs=[TensorSpec(INPUT, "FP64", (-1, features if features is not None else -1))],
        outputs=outputs,
        run=run,
        platform=platform,
        default_outputs=(OUTPUT,),
        class_labels=list(classes) if has_proba and classes is not None else None,
    )


def load(path: Path) -> TensorModel:
    return from_estimator(_read(path))
