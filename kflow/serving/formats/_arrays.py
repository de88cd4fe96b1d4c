"""Small helpers the format loaders share: one input, casting, shapes."""

from __future__ import annotations

import numpy as np

from kflow.serving.datatypes import Array
from kflow.serving.errors import InvalidInput
from kflow.serving.model import Tensors


def only_input(inputs: Tensors, name: str) -> Array:
    """The model's single input, whatever the client called it."""
    if name in inputs:
        return inputs[name]
    if len(inputs) == 1:
        return next(iter(inputs.values()))
    raise InvalidInput(f"the model takes one input ({name!r}); the request has {sorted(inputs)}")


def as_numeric(array: Array, dtype: np.dtype[np.generic] | type, name: str) -> Array:
    """`array` as `dtype`, with an error naming the input if it holds non-numbers."""
    if array.dtype == dtype:
        return array
    try:
        return array.astype(dtype)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"input {name!r}: expected numbers ({np.dtype(dtype).name}), got {array.dtype}"
        ) from None


def two_dimensional(array: Array, features: int | None, name: str) -> Array:
    """A batch of feature rows; one row is accepted as a batch of one."""
    if array.ndim == 1 and features is not None and array.shape[0] == features:
        array = array.reshape(1, -1)
    if array.ndim != 2:
        array = array.reshape(array.shape[0], -1) if array.ndim > 2 else array
    if array.ndim != 2 or (features is not None and array.shape[1] != features):
        raise InvalidInput(
            f"input {name!r}: expected shape [batch, {features if features is not None else 'n'}]"
            f", got {list(array.shape)}"
        )
    return array
