"""A local stand-in for Katib's mxnet-mnist trial image, for the seed's random-example.

The seed Experiment runs `python3 /opt/mxnet-mnist/mnist.py --batch-size=64 --lr=...
--num-layers=... --optimizer=...` in `docker.io/kubeflowkatib/mxnet-mnist`. This
script takes the same flags and prints what that image prints per epoch and Katib's
StdOut collector parses (`Epoch[3] Train-accuracy=0.93`, `Epoch[3]
Validation-accuracy=0.95`), so the Experiment's objective and additional metric are
found as upstream. It trains a NumPy MLP (`--num-layers` hidden ReLU layers) on
scikit-learn's bundled 8x8 digits, with the three optimizers Katib's example tunes:
`sgd` (with momentum 0.9, mxnet's fit() default), `adam`, and `ftrl` (FTRL-proximal,
per-coordinate, as mxnet's Ftrl optimizer). It reads the digits CSV straight from
scikit-learn's data directory, because importing sklearn.datasets alone takes longer
than the whole training (~1 s per trial).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import itertools
import time
from pathlib import Path

import numpy as np

HIDDEN_UNITS = 64
VALIDATION_SHARE = 0.25


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 digits as (pixels scaled to [0, 1], labels), without importing sklearn."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-learn is needed for its bundled digits data set")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as fh:
        data = np.loadtxt(fh, delimiter=",")
    return data[:, :-1] / 16.0, data[:, -1].astype(np.int64)


class Optimizer:
    """Updates every parameter array in place from its gradient."""

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        self.params = params
        self.lr = lr

    def step(self, grads: list[np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as mxnet's fit() configures it."""

    momentum = 0.9

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        super().__init__(params, lr)
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        for p, g, v in zip(self.params, grads, self.velocity, strict=True):
            v *= self.momentum
            v -= self.lr * g
            p += v


class Adam(Optimizer):
    """Adam (Kingma & Ba) with the usual betas and bias correction."""

    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        super().__init__(params, lr)
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        scale = self.lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            p -= scale * m / (np.sqrt(v) + self.eps)


class FTRL(Optimizer):
    """FTRL-proximal (McMahan et al., 2013): per-coordinate rates and L1/L2 shrinkage.

    The weights are a closed form of the accumulators z (gradients, corrected for the
    rate changes) and n (squared gradients). z starts at -w0 * beta / lr so the first
    weights are the random initialisation rather than zero, which would leave every
    hidden unit of a deep network identical.
    """

    beta, lambda1, lambda2 = 1.0, 1e-5, 0.0

    def __init__(self, params: list[np.ndarray], lr: float) -> None:
        super().__init__(params, lr)
        self.z = [-p * self.beta / lr for p in params]
        self.n = [np.zeros_like(p) for p in params]

    def step(self, grads: list[np.ndarray]) -> None:
        for p, g, z, n in zip(self.params, grads, self.z, self.n, strict=True):
            sigma = (np.sqrt(n + g * g) - np.sqrt(n)) / self.lr
            z += g - sigma * p
            n += g * g
            shrunk = np.sign(z) * self.lambda1 - z
            p[...] = np.where(
                np.abs(z) > self.lambda1,
                shrunk / ((self.beta + np.sqrt(n)) / self.lr + self.lambda2),
                0.0,
            )


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam, "ftrl": FTRL}


class MLP:
    """`layers` hidden ReLU layers of HIDDEN_UNITS, then a softmax over the ten digits."""

    def __init__(self, layers: int, rng: np.random.Generator) -> None:
        sizes = [64, *([HIDDEN_UNITS] * layers), 10]
        self.weights = [
            rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))
            for n_in, n_out in itertools.pairwise(sizes)
        ]
        self.biases = [np.zeros(n) for n in sizes[1:]]

    @property
    def params(self) -> list[np.ndarray]:
        return [*self.weights, *self.biases]

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's activations, the input first and the class probabilities last."""
        outs = [x]
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = outs[-1] @ w + b
            if i < len(self.weights) - 1:
                outs.append(np.maximum(z, 0.0))
            else:
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                outs.append(e / e.sum(axis=1, keepdims=True))
        return outs

    def gradients(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Gradients of the mean cross-entropy, in `params` order."""
        outs = self.forward(x)
        delta = outs[-1].copy()
        delta[np.arange(len(y)), y] -= 1.0
        delta /= len(y)
        grad_w: list[np.ndarray] = []
        grad_b: list[np.ndarray] = []
        for i in range(len(self.weights) - 1, -1, -1):
            grad_w.insert(0, outs[i].T @ delta)
            grad_b.insert(0, delta.sum(axis=0))
            if i:
                delta = (delta @ self.weights[i].T) * (outs[i] > 0)
        return [*grad_w, *grad_b]

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float((self.forward(x)[-1].argmax(axis=1) == y).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    parser.add_argument("--num-epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    started = time.monotonic()
    x, y = load_digits()
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(y))
    cut = int(len(y) * (1 - VALIDATION_SHARE))
    x_train, y_train = x[order[:cut]], y[order[:cut]]
    x_val, y_val = x[order[cut:]], y[order[cut:]]
    model = MLP(args.num_layers, rng)
    optimizer = OPTIMIZERS[args.optimizer](model.params, args.lr)
    print(
        f"{args.optimizer} lr={args.lr} layers={args.num_layers}: "
        f"{len(y_train)} training and {len(y_val)} validation images",
        flush=True,
    )
    for epoch in range(args.num_epochs):
        shuffled = rng.permutation(len(y_train))
        for start in range(0, len(shuffled), args.batch_size):
            batch = shuffled[start : start + args.batch_size]
            optimizer.step(model.gradients(x_train[batch], y_train[batch]))
        # mxnet's Speedometer/fit() lines, which Katib's default regex reads
        print(f"Epoch[{epoch}] Train-accuracy={model.accuracy(x_train, y_train):.6f}", flush=True)
        print(f"Epoch[{epoch}] Validation-accuracy={model.accuracy(x_val, y_val):.6f}", flush=True)
    print(f"Epoch[{args.num_epochs - 1}] Time cost={time.monotonic() - started:.3f}", flush=True)


if __name__ == "__main__":
    main()
