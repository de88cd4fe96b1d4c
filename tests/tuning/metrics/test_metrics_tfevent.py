"""The TensorFlowEvent parser on real tfevent files: TensorBoard's writer in-process
(TF1 `simple_value` summaries and scalar tensors), and TensorFlow 2's
`tf.summary.scalar` in a separate process, as a training script writes them."""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

from kflow.tuning.metrics import read_tfevents
from kflow.tuning.metrics.tfevent import event_files, metric_matches

WALL = 1764064800.25  # 2025-11-25T10:00:00.25Z


def scalar_event(step: int, tag: str, value: float, *, tensor: bool = False) -> event_pb2.Event:
    if tensor:
        summary = summary_pb2.Summary.Value(tag=tag, tensor=tensor_util.make_tensor_proto(value))
    else:
        summary = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    return event_pb2.Event(
        wall_time=WALL + step, step=step, summary=summary_pb2.Summary(value=[summary])
    )


def write(directory: Path, events: list[event_pb2.Event]) -> None:
    writer = EventFileWriter(str(directory))
    for event in events:
        writer.add_event(event)
    writer.close()


def test_simple_values_and_scalar_tensors(tmp_path: Path) -> None:
    write(
        tmp_path,
        [
            scalar_event(0, "loss", 0.5),
            scalar_event(1, "loss", 0.25, tensor=True),
            scalar_event(1, "accuracy", 0.75, tensor=True),
            scalar_event(2, "images", 1.0),
        ],
    )
    collected = read_tfevents(tmp_path, metric_names=["accuracy", "loss"])
    assert collected.problems == []
    assert [(o.metric, o.value, o.step, o.timestamp) for o in collected.observations] == [
        ("loss", "0.5", 0, "2025-11-25T10:00:00.25Z"),
        ("loss", "0.25", 1, "2025-11-25T10:00:01.25Z"),
        ("accuracy", "0.75", 1, "2025-11-25T10:00:01.25Z"),
    ]


def test_the_cursor_reads_each_event_once_and_waits_for_partial_records(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    write(logs, [scalar_event(0, "loss", 0.5)])
    (path,) = event_files(logs)
    first = read_tfevents(logs, metric_names=["loss"])
    assert [o.value for o in first.observations] == ["0.5"]
    assert read_tfevents(logs, metric_names=["loss"], cursor=first.cursor).observations == []
    # frame one more scalar record the way the writer does, then append it in two parts
    write(tmp_path / "frames", [scalar_event(1, "loss", 0.125)])
    (framed,) = event_files(tmp_path / "frames")
    frames = framed.read_bytes()
    (version_length,) = struct.unpack_from("<Q", frames, 0)
    record = frames[12 + version_length + 4 :]  # skip the file's version record
    with path.open("ab") as handle:
        handle.write(record[:-3])
    partial = read_tfevents(logs, metric_names=["loss"], cursor=first.cursor)
    assert partial.observations == []
    assert partial.cursor == first.cursor
    with path.open("ab") as handle:
        handle.write(record[-3:])
    done = read_tfevents(logs, metric_names=["loss"], cursor=partial.cursor)
    assert [(o.value, o.step) for o in done.observations] == [("0.125", 1)]
    offsets = json.loads(done.cursor)["files"]
    assert offsets[path.relative_to(logs).as_posix()] == path.stat().st_size


def test_katibs_directory_rule_and_exact_tags(tmp_path: Path) -> None:
    write(tmp_path / "train", [scalar_event(0, "accuracy", 0.5)])
    write(tmp_path / "validation", [scalar_event(0, "accuracy", 0.25)])
    write(tmp_path, [scalar_event(0, "train/loss", 2.0)])
    collected = read_tfevents(
        tmp_path, metric_names=["validation/accuracy", "train/accuracy", "train/loss"]
    )
    assert sorted((o.metric, o.value) for o in collected.observations) == [
        ("train/accuracy", "0.5"),
        ("train/loss", "2.0"),
        ("validation/accuracy", "0.25"),
    ]


def test_metric_matching() -> None:
    assert metric_matches("accuracy", "accuracy_1", Path("/logs"))  # Katib: a tag prefix
    assert not metric_matches("accuracy", "val_accuracy", Path("/logs"))
    assert metric_matches("train/acc", "acc", Path("/logs/train"))
    assert not metric_matches("train/acc", "acc", Path("/logs/pretrain"))
    assert metric_matches("a/b/acc", "acc", Path("/x/a/b"))


def test_a_missing_directory_is_empty(tmp_path: Path) -> None:
    collected = read_tfevents(tmp_path / "nope", metric_names=["loss"])
    assert collected.observations == []
    assert json.loads(collected.cursor) == {"files": {}}


TF2_WRITER = textwrap.dedent(
    """
    import sys
    import tensorflow as tf

    root = sys.argv[1]
    for split, base in (("train", 0.5), ("validation", 0.4)):
        writer = tf.summary.create_file_writer(f"{root}/{split}")
        with writer.as_default():
            for step in range(3):
                tf.summary.scalar("epoch_accuracy", base + step / 10, step=step)
        writer.close()
    """
)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow")
def test_tensorflow2_summaries_from_a_training_process(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", TF2_WRITER, str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=240,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    collected = read_tfevents(
        tmp_path, metric_names=["train/epoch_accuracy", "validation/epoch_accuracy"]
    )
    got = [(o.metric, o.step, round(float(o.value), 6)) for o in collected.observations]
    assert sorted(got) == [
        ("train/epoch_accuracy", 0, 0.5),
        ("train/epoch_accuracy", 1, 0.6),
        ("train/epoch_accuracy", 2, 0.7),
        ("validation/epoch_accuracy", 0, 0.4),
        ("validation/epoch_accuracy", 1, 0.5),
        ("validation/epoch_accuracy", 2, 0.6),
    ]
