"""Asynchronous training with TensorFlow's ParameterServerStrategy.

    kflow apply -f tfjob-ps.yaml               # a TFJob: chief + 1 PS + 2 workers

The TFJob's TF_CONFIG names the cluster. PS and worker replicas only start a
`tf.distribute.Server` and serve; the chief is the coordinator: it places the
variables on the parameter servers, schedules training steps on the workers through
a `ClusterCoordinator`, and prints the loss per epoch. The job succeeds when the chief
exits 0; the default cleanPodPolicy (Running) then stops the servers.

Standalone, `python ps_strategy.py --local` builds the same cluster in-process
(`tf.distribute` test servers), as TensorFlow's tutorial does.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as digits

    data = digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


def local_cluster(workers: int = 2, ps: int = 1) -> tf.distribute.cluster_resolver.ClusterResolver:
    """An in-process cluster, for running without a TFJob."""
    import socket

    def port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])

    spec = {
        "worker": [f"localhost:{port()}" for _ in range(workers)],
        "ps": [f"localhost:{port()}" for _ in range(ps)],
    }
    cluster = tf.train.ClusterSpec(spec)
    # as TensorFlow's tutorial: on few cores the in-process servers need enough threads
    config = tf.compat.v1.ConfigProto()
    config.inter_op_parallelism_threads = workers + 1
    for job, addresses in spec.items():
        for i in range(len(addresses)):
            tf.distribute.Server(
                cluster, job_name=job, task_index=i, protocol="grpc", config=config, start=True
            )
    return tf.distribute.cluster_resolver.SimpleClusterResolver(cluster, rpc_layer="grpc")


def serve(resolver: tf.distribute.cluster_resolver.TFConfigClusterResolver) -> None:
    """A PS or worker replica: serve the cluster until stopped."""
    print(f"{resolver.task_type}-{resolver.task_id}: serving", flush=True)
    server = tf.distribute.Server(
        resolver.cluster_spec(),
        job_name=resolver.task_type,
        task_index=resolver.task_id,
        protocol=resolver.rpc_layer or "grpc",
        start=True,
    )
    server.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=int(os.environ.get("EPOCHS", "5")))
    parser.add_argument("--steps-per-epoch", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--local", action="store_true", help="run the cluster in-process")
    args = parser.parse_args()

    if args.local:
        resolver = local_cluster()
    else:
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        if resolver.task_type in ("ps", "worker"):
            serve(resolver)
            return
    cluster = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster") or {}
    print(f"chief: coordinating {cluster or 'an in-process cluster'}", flush=True)

    strategy = tf.distribute.ParameterServerStrategy(resolver)
    coordinator = tf.distribute.coordinator.ClusterCoordinator(strategy)
    x, y = load_digits()
    with strategy.scope():
        w1 = tf.Variable(tf.random.stateless_normal([x.shape[1], 64], seed=(1, 2), stddev=0.1))
        b1 = tf.Variable(tf.zeros([64]))
        w2 = tf.Variable(tf.random.stateless_normal([64, 10], seed=(3, 4), stddev=0.1))
        b2 = tf.Variable(tf.zeros([10]))
    variables = [w1, b1, w2, b2]

    def dataset_fn() -> tf.data.Dataset:
        return (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x))
            .repeat()
            .batch(args.batch_size)
            .prefetch(2)
        )

    per_worker = coordinator.create_per_worker_dataset(dataset_fn)
    batches = iter(per_worker)

    @tf.function
    def step(iterator: tf.data.Iterator) -> tf.Tensor:
        features, labels = next(iterator)
        with tf.GradientTape() as tape:
            logits = tf.matmul(tf.nn.relu(tf.matmul(features, w1) + b1), w2) + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        for var, grad in zip(variables, tape.gradient(loss, variables), strict=True):
            var.assign_sub(args.lr * grad)
        return loss

    for epoch in range(args.epochs):
        results = [coordinator.schedule(step, args=(batches,)) for _ in range(args.steps_per_epoch)]
        coordinator.join()
        losses = [float(r.fetch()) for r in results]
        print(f"chief epoch {epoch} loss={sum(losses) / len(losses):.4f}", flush=True)
    logits = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2) + b2
    accuracy = float((tf.argmax(logits, axis=1).numpy() == y).mean())
    print(f"chief accuracy={accuracy:.4f}", flush=True)


if __name__ == "__main__":
    main()
