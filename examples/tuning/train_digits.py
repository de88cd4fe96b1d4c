"""One trial of the digits tuning example: a PyTorch MLP on scikit-learn's 8x8 digits.

Katib runs this with the trial's `--lr`, `--hidden` and `--dropout`; each epoch it
prints `epoch=N accuracy=X loss=Y`, which Katib's StdOut collector reads (accuracy is
the objective, loss an additional metric, and the per-epoch accuracies are what
medianstop compares). The trained model is saved to `--model-dir` (the experiment
passes `/models/<trial name>` on a shared PersistentVolumeClaim), so the best trial's
model can be picked up afterwards (see `evaluate_digits.py` and `hand_on.py`).

The data is read straight from scikit-learn's bundled CSV (importing sklearn.datasets
alone costs about as much as training), split 75/25 with a fixed seed that
`evaluate_digits.py` repeats.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

SPLIT_SEED = 0
VALIDATION_SHARE = 0.25


def load_digits() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(x_train, y_train, x_val, y_val): the 1797 digits, pixels in [0, 1], a fixed split."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-learn is needed for its bundled digits data set")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as fh:
        data = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    order = np.random.default_rng(SPLIT_SEED).permutation(len(data))
    data = data[order]
    cut = int(len(data) * (1 - VALIDATION_SHARE))
    x = torch.from_numpy(data[:, :-1] / 16.0)
    y = torch.from_numpy(data[:, -1].astype(np.int64))
    return x[:cut], y[:cut], x[cut:], y[cut:]


class DigitsNet(nn.Module):
    """Two hidden ReLU layers of `hidden` units with dropout: the training demo's MLP, tunable."""

    def __init__(self, hidden: int = 128, dropout: float = 0.0, inputs: int = 64) -> None:
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 10)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        logits: torch.Tensor = self.fc3(x)
        return logits


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `model` on (x, y)."""
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = float(F.cross_entropy(logits, y))
        accuracy = float((logits.argmax(dim=1) == y).float().mean())
    return accuracy, loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--model-dir",
        default=os.path.join("/models", os.environ.get("KATIB_TRIAL_NAME", "local")),
        help="where model.pt goes (default /models/$KATIB_TRIAL_NAME)",
    )
    args = parser.parse_args()

    torch.set_num_threads(1)  # trials run side by side: one core each
    torch.manual_seed(0)
    x_train, y_train, x_val, y_val = load_digits()
    model = DigitsNet(args.hidden, args.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    started = time.monotonic()
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in torch.randperm(len(y_train)).split(args.batch_size):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x_train[batch]), y_train[batch])
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
        accuracy, val_loss = evaluate(model, x_val, y_val)
        print(f"epoch={epoch} accuracy={accuracy:.4f} loss={val_loss:.4f}", flush=True)

    model_dir = Path(args.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    config = {"hidden": args.hidden, "dropout": args.dropout, "lr": args.lr}
    torch.save({"config": config, "state_dict": model.state_dict()}, model_dir / "model.pt")
    summary = {**config, "accuracy": accuracy, "seconds": round(time.monotonic() - started, 3)}
    (model_dir / "metrics.json").write_text(json.dumps(summary))
    print(f"saved {model_dir / 'model.pt'} (accuracy {accuracy:.4f})", flush=True)


if __name__ == "__main__":
    main()
