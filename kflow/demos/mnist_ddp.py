"""Distributed MNIST-style training with PyTorch DDP over gloo (CPU).

Runs three ways with the same code:

    python -m kflow.demos.mnist_ddp                            # one process
    torchrun --nproc_per_node=3 -m kflow.demos.mnist_ddp       # three local processes
    kflow apply -f examples/training/pytorch/pytorchjob.yaml   # 1 master + 2 workers

Under a PyTorchJob (or torchrun) the environment carries MASTER_ADDR, MASTER_PORT,
WORLD_SIZE and RANK, and `init_process_group` reads them (`env://`). The data is the
real MNIST when its IDX files are in --data-dir (or --download fetches them, for
machines with network); otherwise scikit-learn's bundled 8x8 digits, so the example
needs no network. Each epoch prints the loss averaged over every rank, the way the
Kubeflow dist-mnist example does (`Rank  0 , epoch  0 :  1.27...`); rank 0 saves the
model for serving and prints the throughput in samples/s.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import struct
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)


def read_idx(path: Path) -> npt.NDArray[Any]:
    """An IDX file (gzipped or not) as a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        _zero, dtype_code, ndim = struct.unpack(">HBB", fh.read(4))
        if dtype_code != 0x08:
            raise ValueError(f"{path}: only unsigned-byte IDX files are supported")
        shape = struct.unpack(">" + "I" * ndim, fh.read(4 * ndim))
        return np.frombuffer(fh.read(), dtype=np.uint8).reshape(shape)


def find_idx(data_dir: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (data_dir / name).exists():
            return data_dir / name
    return None


def download_mnist(data_dir: Path) -> bool:
    """Fetch the four MNIST files into data_dir; False when the network is not there."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for stem in MNIST_FILES.values():
        if find_idx(data_dir, stem):
            continue
        for mirror in MNIST_MIRRORS:
            url = f"{mirror}{stem}.gz"
            try:
                print(f"Downloading {url}", flush=True)
                with urllib.request.urlopen(url, timeout=15) as response:
                    body = response.read()
            except OSError as exc:
                print(f"  failed: {exc}", flush=True)
                continue
            # several ranks may download at once: write aside, then rename atomically
            fd, tmp = tempfile.mkstemp(dir=data_dir)
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, data_dir / f"{stem}.gz")
            break
        else:
            return False
    return True


def load_data(data_dir: Path, download: bool) -> tuple[str, tuple[npt.NDArray[Any], ...]]:
    """(name, (x_train, y_train, x_test, y_test)) with x as float32 in [0, 1], flattened."""
    if download and not all(find_idx(data_dir, s) for s in MNIST_FILES.values()):
        download_mnist(data_dir)
    paths = {k: find_idx(data_dir, s) for k, s in MNIST_FILES.items()}
    if all(paths.values()):
        arrays = {k: read_idx(p) for k, p in paths.items() if p is not None}
        x_train = arrays["train_images"].reshape(-1, 28 * 28).astype(np.float32) / 255.0
        x_test = arrays["test_images"].reshape(-1, 28 * 28).astype(np.float32) / 255.0
        return "mnist", (x_train, arrays["train_labels"], x_test, arrays["test_labels"])
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no network

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    cut = int(len(x) * 0.8)
    return "digits", (x[:cut], y[:cut], x[cut:], y[cut:])


class Net(nn.Module):
    """A small MLP classifier: enough to learn digits, quick on CPU."""

    def __init__(self, inputs: int, hidden: int = 128, classes: int = 10) -> None:
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        logits: torch.Tensor = self.fc3(x)
        return logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", "10")))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=float(os.environ.get("LEARNING_RATE", "0.05")))
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR", "data/mnist"))
    parser.add_argument("--download", action="store_true", help="fetch MNIST if missing")
    parser.add_argument("--model-dir", default=os.environ.get("MODEL_DIR", ""))
    parser.add_argument("--repeat", type=int, default=1, help="repeat the data (benchmarks)")
    # the PyTorchJob v1alpha1 `backend` field: "tcp" was PyTorch 0.4's CPU backend
    parser.add_argument("--backend", default=os.environ.get("BACKEND", "gloo"))
    args = parser.parse_args()

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world_size > 1
    # one thread per process, as torchrun sets OMP_NUM_THREADS=1 for several processes
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1" if distributed else "0")) or 1)
    if distributed:
        backend = "gloo" if args.backend in ("tcp", "gloo") else args.backend
        dist.init_process_group(backend)
    rank = dist.get_rank() if distributed else 0
    torch.manual_seed(0)

    source, (x_train, y_train, x_test, y_test) = load_data(Path(args.data_dir), args.download)
    if args.repeat > 1:
        x_train, y_train = np.tile(x_train, (args.repeat, 1)), np.tile(y_train, args.repeat)
    if rank == 0:
        print(f"data: {source}, {len(x_train)} training samples, world size {world_size}")
    train = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train).long())
    sampler: DistributedSampler[tuple[torch.Tensor, ...]] | None = (
        DistributedSampler(train, shuffle=True, seed=0) if distributed else None
    )
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler, shuffle=sampler is None)

    model: nn.Module = Net(x_train.shape[1])
    if distributed:
        model = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.5)

    samples = 0
    started = time.perf_counter()
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        model.train()
        totals = torch.zeros(2)  # loss sum, sample count
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            totals += torch.tensor([loss.item() * len(y), len(y)])
        if distributed:
            dist.all_reduce(totals)
        samples += int(totals[1])
        # one write per line, so replicas sharing a terminal (torchrun) do not interleave
        print(f"Rank  {rank} , epoch  {epoch} :  {float(totals[0] / totals[1])}", flush=True)
    elapsed = time.perf_counter() - started

    if rank == 0:
        net = model.module if isinstance(model, DistributedDataParallel) else model
        net.eval()
        with torch.no_grad():
            predicted = net(torch.from_numpy(x_test)).argmax(dim=1).numpy()
        print(f"accuracy={float((predicted == y_test).mean()):.4f}")
        print(
            f"throughput: {samples / elapsed:.1f} samples/s ({samples} samples in {elapsed:.2f}s)"
        )
        if args.model_dir:
            out = Path(args.model_dir)
            out.mkdir(parents=True, exist_ok=True)
            torch.save(net.state_dict(), out / "model.pt")
            meta = {"inputs": int(x_train.shape[1]), "classes": 10, "data": source}
            (out / "model.json").write_text(json.dumps(meta))
            print(f"model saved to {out / 'model.pt'}")
    if distributed:
        # leave together: a rank tearing gloo down while a peer still sends can abort
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
