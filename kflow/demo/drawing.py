"""The demo's draw-a-digit step: the MNIST page in front of the served model.

The kflow server serves Kubeflow's MNIST web UI (`/ui/mnist`), where a person draws
a digit and sees the model's ten probabilities. The demo drives the page's JSON twin
the way the page does: it asks for a held-out digit and the model's answer over the
Open Inference Protocol, then sends two drawings made of pen strokes — a 7 and a 0,
as ink on a canvas, exactly what the page posts when a stroke ends — over TF Serving
REST, and prints the link that opens the page (signed in) for the reader's own digits.
"""

from __future__ import annotations

import base64
import itertools
from typing import Any

import numpy as np
from rich.console import Console

from kflow.sdk import Client
from kflow.server.ui import mnist_page_url

CANVAS = 200
"""The drawings' canvas side in pixels (the page's canvas is about this size)."""
PEN = 16
"""The pen's width in pixels."""

Stroke = list[tuple[float, float]]

DRAWINGS: dict[int, list[Stroke]] = {
    7: [[(50, 45), (150, 45), (95, 160)]],
    0: [[(100, 35), (140, 60), (150, 100), (140, 140), (100, 165), (60, 140), (50, 100),
         (60, 60), (100, 35)]],
}  # fmt: skip
"""Digits as a person would draw them: polylines on the canvas."""


def ink(strokes: list[Stroke], side: int = CANVAS, pen: int = PEN) -> np.ndarray:
    """The canvas after `strokes` with a round pen: 0 is paper, 255 full ink."""
    ys, xs = np.mgrid[0:side, 0:side]
    canvas = np.zeros((side, side), dtype=bool)
    for stroke in strokes:
        for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
            # distance of every pixel to the segment; ink where it is within the pen
            dx, dy = x1 - x0, y1 - y0
            t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
            canvas |= (xs - x0 - t * dx) ** 2 + (ys - y0 - t * dy) ** 2 <= (pen / 2) ** 2
    return canvas.astype(np.uint8) * 255


def drawing(strokes: list[Stroke]) -> dict[str, Any]:
    """The page's `image` body for a drawing: its size and its ink, row by row."""
    canvas = ink(strokes)
    return {
        "width": int(canvas.shape[1]),
        "height": int(canvas.shape[0]),
        "data": base64.b64encode(canvas.tobytes()).decode("ascii"),
    }


def _bars(probabilities: list[float]) -> str:
    return "  ".join(f"{digit}:{p:.2f}" for digit, p in enumerate(probabilities) if p >= 0.01)


def try_the_page(
    client: Client, namespace: str, name: str, token: str | None, console: Console
) -> tuple[str, bool, str]:
    """Use the page's JSON twin; returns (summary, succeeded, the page's signed-in URL)."""
    server = f"{namespace}/{name}"
    state = client.call(
        "GET", "/ui/mnist.json", params={"server": server, "model": name, "protocol": "v2"}
    )
    result = state.get("result") or {}
    if not state["connection"]["connected"]:
        return f"not connected: {state['connection']['message']}", False, ""
    truth = state["sample"]["truth"]
    console.print(
        f"  held-out digit #{state['sample']['index']}: truth {truth}, "
        f"predicted {result['prediction']} (V2, {result['elapsedMs']} ms)"
    )
    read = 0
    for digit, strokes in DRAWINGS.items():
        answer = client.call(
            "POST",
            "/ui/mnist/predict",
            json={
                "server": server,
                "model": name,
                "protocol": "tfserving",
                "image": drawing(strokes),
            },
        )
        read += answer["prediction"] == digit
        console.print(
            f"  drew a {digit}: predicted {answer['prediction']}  [{_bars(answer['probabilities'])}]"
        )
    url = mnist_page_url(client.url, namespace, name, token=token)
    summary = f"test digit {truth} read as {result['prediction']}; {read}/{len(DRAWINGS)} drawings"
    return summary, read >= 1, url
