"""Evaluate the digit classifier that `mnist_train` saved on the shared volume.

Reads `model.npz` from `--model-dir`, scores the held-out split of scikit-learn's
digits, prints `accuracy=...` plus per-digit accuracy, and writes `evaluation.json`.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from kflow.demos.digits import split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default=os.environ.get("MODEL_DIR", "/mnt/model"))
    args = parser.parse_args()
    params = np.load(os.path.join(args.model_dir, "model.npz"))
    held_out = split()
    x_test, y_test = held_out.x_test, held_out.y_test
    hidden = np.maximum(0.0, x_test @ params["w1"] + params["b1"])
    predicted = (hidden @ params["w2"] + params["b2"]).argmax(axis=1)
    accuracy = float((predicted == y_test).mean())
    for digit in range(10):
        mask = y_test == digit
        print(f"digit {digit}: {float((predicted[mask] == digit).mean()):.3f} of {int(mask.sum())}")
    print(f"accuracy={accuracy:.4f}", flush=True)
    with open(os.path.join(args.model_dir, "evaluation.json"), "w") as fh:
        json.dump({"accuracy": accuracy, "test_images": len(y_test)}, fh)


if __name__ == "__main__":
    main()
