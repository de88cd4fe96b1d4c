"""Data-parallel logistic regression with MPI: each rank a shard, gradients all-reduced.

    mpirun -np 2 python mpi_train.py            # standalone (add --allow-run-as-root as root)
    kflow apply -f mpijob.yaml                  # an MPIJob: a launcher + 2 workers

The launcher's `mpirun` starts one rank per worker slot (the MPIJob hostfile lists
them); every rank trains on its shard of scikit-learn's digits with numpy and
`MPI.Allreduce` sums the gradients, so all ranks hold the same weights. Rank 0 prints
the loss per epoch.
"""

from __future__ import annotations

import argparse
import socket

import numpy as np
from mpi4py import MPI
from sklearn.datasets import load_digits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.5)
    args = parser.parse_args()

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    print(f"rank {rank}/{size} on {socket.gethostname()}", flush=True)
    digits = load_digits()
    x = np.hstack([digits.data / 16.0, np.ones((len(digits.data), 1))])
    y = np.eye(10)[digits.target]
    shard = slice(rank, None, size)
    xs, ys = x[shard], y[shard]
    weights = np.zeros((x.shape[1], 10))
    total = comm.allreduce(len(xs), op=MPI.SUM)
    for epoch in range(args.epochs):
        logits = xs @ weights
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        local = np.array([-(ys * np.log(probs + 1e-12)).sum()])
        grad = xs.T @ (probs - ys)
        comm.Allreduce(MPI.IN_PLACE, grad, op=MPI.SUM)
        comm.Allreduce(MPI.IN_PLACE, local, op=MPI.SUM)
        weights -= args.lr * grad / total
        if rank == 0:
            print(f"epoch {epoch} loss={local[0] / total:.4f}", flush=True)
    accuracy = comm.allreduce(int(((xs @ weights).argmax(1) == ys.argmax(1)).sum())) / total
    if rank == 0:
        print(f"accuracy={accuracy:.4f}", flush=True)


if __name__ == "__main__":
    main()
