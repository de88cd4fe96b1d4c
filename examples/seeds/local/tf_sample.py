"""A small stand-in for the seed articles' `tf_sample` and `tf_cnn_benchmarks` images.

Between-graph replicated training with parameter servers, as TensorFlow 1.x did it
(`tf.compat.v1` graphs and sessions), driven by the TF_CONFIG a TFJob writes:

- every task starts a `tf.distribute.Server` on the address TF_CONFIG gives it;
- `ps` tasks hold the variables (placed round-robin with `tf.device('/job:ps/task:N')`)
  and `server.join()` until the job ends and the controller stops them;
- the `master`/`chief` (else `worker` 0) initialises the variables, trains, waits for
  the other trainers to finish and exits 0, which decides the TFJob's success;
- the other trainers wait for the variables, train asynchronously on the same
  parameters and exit 0.

The model is a small MLP on synthetic 10-class data, not resnet50: the flags of
tf_cnn_benchmarks are accepted so the seed's `args` stay as written, and
`--batch_size` is honoured. Every trainer prints `step N loss=X`; the loss falls.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

LEADERS = ("master", "chief")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=int(os.environ.get("STEPS", "200")))
    parser.add_argument("--learning_rate", type=float, default=0.1)
    # tf_cnn_benchmarks' flags, accepted so the seed's args run unchanged
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--variable_update", default="parameter_server")
    for flag in ("--flush_stdout", "--num_gpus", "--local_parameter_device", "--device"):
        parser.add_argument(flag)
    parser.add_argument("--data_format")
    args = parser.parse_args()
    if args.variable_update != "parameter_server":
        parser.error("only --variable_update=parameter_server is implemented")
    return args


def synthetic_data(n: int = 2048, features: int = 32, classes: int = 10) -> tuple:
    """Gaussian clusters, one per class: separable enough for the loss to fall fast."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0.0, 1.0, (classes, features)).astype(np.float32)
    labels = rng.integers(0, classes, n)
    x = centers[labels] + rng.normal(0.0, 0.8, (n, features)).astype(np.float32)
    return x, labels.astype(np.int64)


def log(who: str, message: str) -> None:
    print(f"{who}: {message}", flush=True)


def main() -> None:
    args = parse_args()
    tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    cluster = tf_config.get("cluster") or {}
    task = tf_config.get("task") or {}
    if not cluster:
        sys.exit("TF_CONFIG names no cluster: run this as a TFJob with more than one replica")
    role, index = task["type"], int(task["index"])
    who = f"{role}-{index}"
    log(who, f"TF_CONFIG {json.dumps(tf_config, sort_keys=True)}")

    config = tf.compat.v1.ConfigProto(
        intra_op_parallelism_threads=1,
        inter_op_parallelism_threads=2,
        # a trainer talks to the PS tasks and itself only, not to the other trainers
        device_filters=["/job:ps", f"/job:{role}/task:{index}"],
    )
    spec = tf.train.ClusterSpec(cluster)
    server = tf.distribute.Server(
        spec, job_name=role, task_index=index, config=config, protocol="grpc", start=True
    )
    if role == "ps":
        log(who, f"serving variables on {cluster['ps'][index]}")
        server.join()
        return

    trainers = [
        (r, i) for r in ("master", "chief", "worker") for i in range(len(cluster.get(r, [])))
    ]
    leader = next(((r, i) for r, i in trainers if r in LEADERS), ("worker", 0))
    is_leader = (role, index) == leader
    num_ps = len(cluster.get("ps", []))
    if num_ps == 0:
        sys.exit("this program needs at least one ps task")

    tf.compat.v1.disable_eager_execution()
    x_data, y_data = synthetic_data()
    features, classes, hidden = x_data.shape[1], 10, 32
    shapes = {"w1": [features, hidden], "b1": [hidden], "w2": [hidden, classes], "b2": [classes]}
    params = {}
    for n, (name, shape) in enumerate(shapes.items()):
        with tf.device(f"/job:ps/task:{n % num_ps}"):
            init = tf.random.stateless_normal(shape, seed=(n, 7), stddev=0.1)
            params[name] = tf.compat.v1.get_variable(name, initializer=init)
    with tf.device("/job:ps/task:0"):
        global_step = tf.compat.v1.train.get_or_create_global_step()
        finished = tf.compat.v1.get_variable("finished_trainers", initializer=0, dtype=tf.int32)
    for name, var in params.items():
        log(who, f"variable {name} {var.shape} on {var.device}")

    with tf.device(f"/job:{role}/task:{index}"):
        x = tf.compat.v1.placeholder(tf.float32, [None, features])
        y = tf.compat.v1.placeholder(tf.int64, [None])
        h = tf.nn.relu(tf.matmul(x, params["w1"]) + params["b1"])
        logits = tf.matmul(h, params["w2"]) + params["b2"]
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits))
        optimizer = tf.compat.v1.train.GradientDescentOptimizer(args.learning_rate)
        train_op = optimizer.minimize(loss, global_step=global_step)
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32))
    mark_finished = finished.assign_add(1)

    with tf.compat.v1.Session(server.target, config=config) as sess:
        if is_leader:
            sess.run(tf.compat.v1.global_variables_initializer())
            log(who, f"initialised the variables on {num_ps} ps task(s)")
        else:
            uninitialized = tf.compat.v1.report_uninitialized_variables()
            deadline = time.monotonic() + 60
            while len(sess.run(uninitialized)):
                if time.monotonic() > deadline:
                    sys.exit(f"{who}: the variables were not initialised within 60 s")
                time.sleep(0.2)
            log(who, "variables are initialised; training")

        rng = np.random.default_rng(100 * index + len(role))
        start = time.monotonic()
        for step in range(args.steps):
            batch = rng.integers(0, len(x_data), args.batch_size)
            _, value, gstep = sess.run(
                [train_op, loss, global_step], {x: x_data[batch], y: y_data[batch]}
            )
            if step % 20 == 0 or step == args.steps - 1:
                log(who, f"step {step} global_step {gstep} loss={value:.4f}")
        elapsed = time.monotonic() - start
        log(
            who,
            f"{args.steps} steps in {elapsed:.2f} s ({args.steps * args.batch_size / elapsed:.0f} examples/s)",
        )
        sess.run(mark_finished)

        if is_leader:
            # succeed only once every trainer is done, so none is stopped mid-step
            deadline = time.monotonic() + 60
            while sess.run(finished) < len(trainers):
                if time.monotonic() > deadline:
                    log(who, "not every trainer finished within 60 s; ending anyway")
                    break
                time.sleep(0.1)
            acc = sess.run(accuracy, {x: x_data, y: y_data})
            log(
                who,
                f"all {len(trainers)} trainer(s) done; global_step {sess.run(global_step)} accuracy={acc:.4f}",
            )


if __name__ == "__main__":
    main()
