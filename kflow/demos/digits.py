"""The demo's data: scikit-learn's bundled 8x8 digits and the one train/test split.

Training (`mnist_train`), evaluation (`mnist_evaluate`) and the MNIST web UI's test
images (`kflow.server.ui`) all read the split from here, so a "held-out" digit the
UI shows is one the demo's model never trained on. Nothing is downloaded: the data
ships with scikit-learn.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

INTENSITY_LEVELS = 16
"""Each pixel counts the inked pixels of a 4x4 block of the original 32x32 bitmap: 0..16."""
TEST_SIZE = 0.25
SPLIT_SEED = 0


@dataclass(frozen=True)
class Split:
    """Images as rows of 64 pixels scaled to 0..1, and their labels."""

    x_train: npt.NDArray[np.float64]
    x_test: npt.NDArray[np.float64]
    y_train: npt.NDArray[np.int64]
    y_test: npt.NDArray[np.int64]


@functools.cache
def split() -> Split:
    """The train/test split every demo step uses (stratified, fixed seed)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits: Any = load_digits()
    x = np.asarray(digits.data, dtype=np.float64) / INTENSITY_LEVELS
    y = np.asarray(digits.target, dtype=np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, random_state=SPLIT_SEED, stratify=y
    )
    return Split(x_train, x_test, y_train, y_test)
