"""Synchronous multi-worker training with TensorFlow's MultiWorkerMirroredStrategy.

    python mnist_mwms.py                       # one worker (no TF_CONFIG)
    kflow apply -f tfjob.yaml                  # a TFJob: chief + worker

A TFJob gives every replica TF_CONFIG, e.g.
`{"cluster": {"chief": ["..."], "worker": ["..."]}, "task": {"type": "worker", "index": 0},
"environment": "cloud"}`; the strategy reads it, connects the replicas over gRPC and
all-reduces gradients each step. The data is scikit-learn's bundled 8x8 digits (no
network needed), sharded by the strategy; the training loop is
TensorFlow's own custom-loop API (`strategy.run`), which Keras 3's `fit` no longer
supports for this strategy. Every replica prints the loss per epoch; the
chief saves the model (`--model-dir`), the others write to a scratch directory, as the
TensorFlow multi-worker tutorial prescribes.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep the log about training

import numpy as np
import tensorflow as tf


def task() -> tuple[str, int]:
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    info = config.get("task") or {}
    return str(info.get("type") or "chief"), int(info.get("index") or 0)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as digits

    data = digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


class Classifier(tf.Module):
    """A two-layer perceptron as plain variables, made inside the strategy's scope.

    Each variable sums its replicas' updates (`VariableAggregation.SUM`), so applying
    `-lr * grad` in every replica is one all-reduce of the gradients: the loss is
    already divided by the global batch size.
    """

    def __init__(self, inputs: int, hidden: int = 64, classes: int = 10) -> None:
        super().__init__()
        init = tf.random.stateless_normal
        agg = tf.VariableAggregation.SUM
        self.w1 = tf.Variable(init([inputs, hidden], seed=(1, 2), stddev=0.1), aggregation=agg)
        self.b1 = tf.Variable(tf.zeros([hidden]), aggregation=agg)
        self.w2 = tf.Variable(init([hidden, classes], seed=(3, 4), stddev=0.1), aggregation=agg)
        self.b2 = tf.Variable(tf.zeros([classes]), aggregation=agg)

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2) + self.b2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", "8")))
    parser.add_argument("--batch-size", type=int, default=32, help="per replica")
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--model-dir", default=os.environ.get("MODEL_DIR", ""))
    args = parser.parse_args()

    role, index = task()
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    replicas = strategy.num_replicas_in_sync
    print(f"{role}-{index}: {replicas} replica(s) in sync", flush=True)

    x, y = load_digits()
    global_batch = args.batch_size * replicas
    dataset = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=0, reshuffle_each_iteration=True)
        .repeat()
        .batch(global_batch, drop_remainder=True)
    )
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    batches = iter(strategy.experimental_distribute_dataset(dataset.with_options(options)))
    with strategy.scope():
        model = Classifier(x.shape[1])

    @tf.function
    def train_step(batch: tuple[tf.Tensor, tf.Tensor]) -> tf.Tensor:
        def step(features: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                losses = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, model(features))
                loss = tf.nn.compute_average_loss(losses, global_batch_size=global_batch)
            grads = tape.gradient(loss, model.trainable_variables)
            for var, grad in zip(model.trainable_variables, grads, strict=True):
                var.assign_sub(args.lr * grad)
            return loss

        per_replica = strategy.run(step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    steps = max(1, len(x) // global_batch)
    for epoch in range(args.epochs):
        total = 0.0
        for _ in range(steps):
            total += float(train_step(next(batches)))
        print(f"{role}-{index} epoch {epoch} loss={total / steps:.4f}", flush=True)

    predicted = tf.argmax(model(tf.constant(x)), axis=1).numpy()
    print(f"{role}-{index} accuracy={float((predicted == y).mean()):.4f}", flush=True)
    if args.model_dir and is_chief(role, index):
        tf.saved_model.save(model, args.model_dir)
        print(f"model saved to {args.model_dir}", flush=True)


def is_chief(role: str, index: int) -> bool:
    """The chief, or worker 0 when the cluster has no chief (TFJob's rule)."""
    cluster = (json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster")) or {}
    return role == "chief" or (role == "worker" and index == 0 and "chief" not in cluster)


if __name__ == "__main__":
    main()
