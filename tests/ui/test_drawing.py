"""A canvas drawing becomes an 8x8 digit shaped like scikit-learn's training digits."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_digits

from kflow.demos.digits import split
from kflow.server.ui.drawing import TRAINING_INK, EmptyDrawing, digit_from_ink
from tests.ui.conftest import ellipse, rasterize, seven, vertical_line


def _classifier(model_dir: Path) -> Any:
    sys.path.insert(0, str(model_dir))
    try:
        from model import Digits  # the servable mnist_train copied next to its weights
    finally:
        sys.path.remove(str(model_dir))
    sys.modules.pop("model", None)
    classifier = Digits()
    classifier.load()
    return classifier


def test_the_training_ink_is_what_the_data_set_inks() -> None:
    images = load_digits().images
    mean_share = float((images.sum(axis=(1, 2)) / (16 * 64)).mean())
    assert abs(mean_share - TRAINING_INK) < 0.01


def test_the_digit_is_cropped_centred_and_fills_the_height() -> None:
    digit = digit_from_ink(rasterize(vertical_line(x=30, top=10, bottom=120)))
    assert digit.shape == (8, 8) and digit.min() >= 0 and digit.max() <= 16
    rows, cols = digit.any(axis=1), digit.any(axis=0)
    assert rows.all()  # top to bottom, as every training digit
    inked_cols = np.flatnonzero(cols)
    assert inked_cols.min() >= 2 and inked_cols.max() <= 5  # a thin "1" stays in the middle
    assert np.array_equal(digit, digit[:, ::-1])  # and symmetric about it


def test_where_and_how_big_the_digit_is_drawn_does_not_matter() -> None:
    big = digit_from_ink(rasterize(ellipse(cx=140, cy=140, rx=60, ry=100)))
    small_in_a_corner = digit_from_ink(rasterize(ellipse(cx=60, cy=70, rx=30, ry=50), pen=9))
    assert np.abs(big - small_in_a_corner).max() <= 4


def test_thin_strokes_are_thickened_to_the_training_ink_and_thick_ones_kept() -> None:
    thin = digit_from_ink(rasterize(ellipse(), pen=3))
    assert thin.sum() / (16 * 64) >= TRAINING_INK
    thick = rasterize(ellipse(rx=90, ry=120), pen=70)
    assert digit_from_ink(thick).sum() / (16 * 64) > 0.5  # never thinned


def test_a_blank_canvas_is_an_error() -> None:
    with pytest.raises(EmptyDrawing, match="no ink"):
        digit_from_ink(np.zeros((280, 280), dtype=np.uint8))
    with pytest.raises(EmptyDrawing):
        digit_from_ink(np.full((50, 50), 10, dtype=np.uint8))  # antialiasing fringe only


def test_drawn_digits_are_recognised_by_the_demo_model(mnist_model: Path) -> None:
    classifier = _classifier(mnist_model)
    for strokes, label in ((vertical_line(), 1), (ellipse(), 0), (seven(), 7)):
        for pen in (8, 18, 30):
            pixels = digit_from_ink(rasterize(strokes, pen=pen)).reshape(1, 64) / 16
            assert classifier._probabilities(pixels).argmax() == label, (label, pen)


def test_held_out_digits_drawn_large_survive_the_preprocessing(mnist_model: Path) -> None:
    classifier = _classifier(mnist_model)
    held_out = split()
    images = (held_out.x_test.reshape(-1, 8, 8) * 255).astype(np.uint8)
    redrawn = [
        digit_from_ink(np.pad(np.kron(image, np.ones((24, 24), dtype=np.uint8)), (30, 50)))
        for image in images
    ]
    predicted = classifier._probabilities(np.array(redrawn).reshape(-1, 64) / 16).argmax(axis=1)
    assert float((predicted == held_out.y_test).mean()) >= 0.85
