"""Evaluate a trained digits model and publish it: the step after the tuning.

`hand_on.py` runs this in a Pod that mounts the experiment's models volume, with the
best trial's directory as `--model-dir`. It loads `model.pt`, re-computes its
accuracy on the validation split `train_digits.py` held out, prints it as
`accuracy=X`, and copies the model to `--publish-dir` (e.g. `/models/best`) with a
`source.json` naming the trial, so serving or the next pipeline step finds the
chosen model at one fixed path.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from train_digits import DigitsNet, evaluate, load_digits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", required=True, help="a trial's directory with model.pt")
    parser.add_argument("--publish-dir", default="", help="copy the model here when given")
    args = parser.parse_args()

    source = Path(args.model_dir) / "model.pt"
    saved = torch.load(source, weights_only=True)
    config = saved["config"]
    model = DigitsNet(int(config["hidden"]), float(config["dropout"]))
    model.load_state_dict(saved["state_dict"])
    _, _, x_val, y_val = load_digits()
    accuracy, loss = evaluate(model, x_val, y_val)
    print(f"model {source}: hidden={config['hidden']} dropout={config['dropout']}", flush=True)
    print(f"accuracy={accuracy:.4f} loss={loss:.4f}", flush=True)
    if args.publish_dir:
        target = Path(args.publish_dir)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / "model.pt")
        facts = {"trial": Path(args.model_dir).name, "accuracy": accuracy, **config}
        (target / "source.json").write_text(json.dumps(facts))
        print(f"published {target / 'model.pt'} from {Path(args.model_dir).name}", flush=True)


if __name__ == "__main__":
    main()
