"""Distributed XGBoost with its collective (rabit) over the XGBoostJob env contract.

    python xgb_dist.py                          # one process
    kflow apply -f xgboostjob.yaml              # an XGBoostJob: master + 1 worker

An XGBoostJob gives every replica MASTER_ADDR, MASTER_PORT, WORLD_SIZE and RANK (and
WORKER_ADDRS). Rank 0 starts xgboost's tracker on MASTER_PORT; every rank joins the
collective through it and trains on its shard of scikit-learn's digits, and the
histogram all-reduces make one model. Each round's merror is printed by rank 0;
rank 0 saves the model (`--model-dir`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.datasets import load_digits


def train(rank: int, world: int, rounds: int, model_dir: str) -> None:
    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.data))
    x, y = digits.data[order], digits.target[order]
    cut = int(len(x) * 0.8)
    shard = slice(rank, cut, world)
    train_set = xgb.DMatrix(x[shard], label=y[shard])
    test_set = xgb.DMatrix(x[cut:], label=y[cut:])
    params = {"objective": "multi:softmax", "num_class": 10, "max_depth": 4, "eta": 0.3}
    params["eval_metric"] = "merror"
    params["tree_method"] = "hist"
    booster = xgb.train(
        params, train_set, num_boost_round=rounds, evals=[(test_set, "test")], verbose_eval=True
    )
    predicted = booster.predict(test_set)
    if rank == 0:
        xgb.collective.communicator_print(f"accuracy={float((predicted == y[cut:]).mean()):.4f}\n")
        if model_dir:
            Path(model_dir).mkdir(parents=True, exist_ok=True)
            booster.save_model(str(Path(model_dir) / "model.json"))
            print(f"model saved to {Path(model_dir) / 'model.json'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--model-dir", default=os.environ.get("MODEL_DIR", ""))
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world <= 1:
        train(0, 1, args.rounds, args.model_dir)
        return
    host, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
    tracker = None
    if rank == 0:
        from xgboost.tracker import RabitTracker

        tracker = RabitTracker(n_workers=world, host_ip=host, port=port, sortby="task")
        tracker.start()
    print(f"rank {rank}/{world}: joining the collective at {host}:{port}", flush=True)
    with xgb.collective.CommunicatorContext(
        dmlc_tracker_uri=host,
        dmlc_tracker_port=port,
        dmlc_task_id=str(rank),
        dmlc_retry=30,
        dmlc_timeout=120,
    ):
        train(rank, world, args.rounds, args.model_dir)
    if tracker is not None:
        tracker.wait_for()


if __name__ == "__main__":
    main()
