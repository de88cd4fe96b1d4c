"""The demo's digits model, trained once per session, and pen strokes drawn in NumPy.

The model is the one `kflow demo` serves: `kflow.demos.mnist_train` run as a
process, writing `model.npz` and `model.py` (a custom KServe-shaped model).
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kflow.serving import ModelConfig
from tests.serving.conftest import RunningServer, running_server

ROOT = Path(__file__).resolve().parents[2]
PAD = 280
"""The page's canvas side, in canvas pixels."""
PEN = 18
"""The page's pen width (mnist.js PEN_WIDTH)."""

Stroke = Sequence[tuple[float, float]]


@pytest.fixture(scope="session")
def mnist_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models") / "mnist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kflow.demos.mnist_train",
            "--epochs",
            "30",
            "--model-dir",
            str(directory),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return directory


@pytest.fixture(scope="module")
def model_server(mnist_model: Path) -> Iterator[RunningServer]:
    with running_server([ModelConfig("mnist", str(mnist_model))]) as server:
        yield server


def vertical_line(x: float = 140, top: float = 40, bottom: float = 240) -> list[Stroke]:
    """A "1"."""
    return [[(x, top), (x, bottom)]]


def ellipse(cx: float = 140, cy: float = 140, rx: float = 60, ry: float = 100) -> list[Stroke]:
    """A "0", drawn from the top, clockwise."""
    steps = 40
    return [
        [
            (
                cx + rx * math.sin(2 * math.pi * t / steps),
                cy - ry * math.cos(2 * math.pi * t / steps),
            )
            for t in range(steps + 1)
        ]
    ]


def seven() -> list[Stroke]:
    return [[(80, 50), (200, 50), (120, 240)]]


def rasterize(
    strokes: Sequence[Stroke], pen: float = PEN, size: int = PAD
) -> npt.NDArray[np.uint8]:
    """Ink (0..255) of round-capped strokes `pen` wide, as a canvas would hold it."""
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    inked = np.zeros((size, size), dtype=bool)
    for stroke in strokes:
        for (ax, ay), (bx, by) in itertools.pairwise(stroke):
            dx, dy = bx - ax, by - ay
            length = dx * dx + dy * dy or 1.0
            t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / length, 0.0, 1.0)
            inked |= np.hypot(xs - (ax + t * dx), ys - (ay + t * dy)) <= pen / 2
    return (inked * 255).astype(np.uint8)
