"""Train a digit classifier on scikit-learn's bundled 8x8 digits (an offline MNIST).

A two-layer network in NumPy, trained with mini-batch SGD. It prints Katib-style
`name=value` metrics every epoch and writes the model to `--model-dir`, so later
steps (evaluation, serving) can pick it up from the shared volume.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from kflow.demos.digits import split


def one_hot(y: npt.NDArray[Any], classes: int = 10) -> npt.NDArray[Any]:
    out = np.zeros((y.size, classes))
    out[np.arange(y.size), y] = 1.0
    return out


def forward(
    params: dict[str, npt.NDArray[Any]], x: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    hidden = np.maximum(0.0, x @ params["w1"] + params["b1"])
    logits = hidden @ params["w2"] + params["b2"]
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return hidden, probs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", "15")))
    parser.add_argument("--lr", type=float, default=float(os.environ.get("LEARNING_RATE", "0.1")))
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model-dir", default=os.environ.get("MODEL_DIR", "/mnt/model"))
    args = parser.parse_args()

    data = split()
    x_train, x_test, y_train, y_test = data.x_train, data.x_test, data.y_train, data.y_test
    rng = np.random.default_rng(0)
    # Any: numpy's stubs read `savez(path, **params)` as its own keyword flags
    params: dict[str, Any] = {
        "w1": rng.normal(0, 0.1, (64, args.hidden)),
        "b1": np.zeros(args.hidden),
        "w2": rng.normal(0, 0.1, (args.hidden, 10)),
        "b2": np.zeros(10),
    }
    print(f"training on {len(x_train)} images, testing on {len(x_test)}", flush=True)
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(x_train))
        for start in range(0, len(order), args.batch_size):
            idx = order[start : start + args.batch_size]
            xb, yb = x_train[idx], one_hot(y_train[idx])
            hidden, probs = forward(params, xb)
            grad_logits = (probs - yb) / len(idx)
            grad_hidden = grad_logits @ params["w2"].T * (hidden > 0)
            params["w2"] -= args.lr * hidden.T @ grad_logits
            params["b2"] -= args.lr * grad_logits.sum(axis=0)
            params["w1"] -= args.lr * xb.T @ grad_hidden
            params["b1"] -= args.lr * grad_hidden.sum(axis=0)
        _, probs = forward(params, x_train)
        loss = float(-np.log(probs[np.arange(len(y_train)), y_train] + 1e-12).mean())
        _, test_probs = forward(params, x_test)
        accuracy = float((test_probs.argmax(axis=1) == y_test).mean())
        print(f"epoch={epoch} loss={loss:.4f} accuracy={accuracy:.4f}", flush=True)

    os.makedirs(args.model_dir, exist_ok=True)
    np.savez(
        os.path.join(args.model_dir, "model.npz"),
        w1=params["w1"],
        b1=params["b1"],
        w2=params["w2"],
        b2=params["b2"],
    )
    # and the class that serves it, so the directory is a model `kflow serve` can load
    servable = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mnist_servable.py")
    shutil.copyfile(servable, os.path.join(args.model_dir, "model.py"))
    summary = {
        "accuracy": accuracy,
        "loss": loss,
        "epochs": args.epochs,
        "seconds": time.time() - started,
    }
    with open(os.path.join(args.model_dir, "metrics.json"), "w") as fh:
        json.dump(summary, fh)
    print(f"saved model to {args.model_dir}/model.npz (accuracy={accuracy:.4f})", flush=True)


if __name__ == "__main__":
    main()
