"""`TensorFlowEvent` collection: scalar summaries in tfevent files under a directory.

Katib's tfevent collector walks the directory, reads every file with TensorBoard's
`EventAccumulator`, and keeps a summary value for metric `m` when its tag starts
with the last path component of `m` and, if `m` has a directory part (`train/loss`),
the event file's directory ends with it (Keras writes `logs/train/...` and
`logs/validation/...` with the same tags). kflow applies that rule, matching the
directory by whole path components, and also keeps a value whose tag is exactly `m`
(`SummaryWriter.add_scalar("train/loss", ...)` in the log directory itself, which
Katib's rule misses). Both TF1 `simple_value` summaries and TF2 scalar tensors count;
the step is the event's, the time its `wall_time`.

Files are TFRecord streams, read here record by record so the cursor can be exact:
`{"files": {"<path relative to the directory>": <byte offset>}}`. A record still
being written (shorter than its length header says) is left for the next call. Only
files whose name contains `tfevents` are read (TensorFlow, PyTorch and tensorboardX
all name them `events.out.tfevents.*`). Reading needs the `tensorboard` package.
"""

from __future__ import annotations

import json
import os
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kflow.api.katib.observations import Observation
from kflow.tuning.metrics import timestamps
from kflow.tuning.metrics.results import Collected

_HEADER = 12  # uint64 length + uint32 masked CRC of the length
_FOOTER = 4  # uint32 masked CRC of the data


def _protos() -> tuple[Any, Any]:
    try:
        from tensorboard.compat.proto import event_pb2
        from tensorboard.util import tensor_util
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "the TensorFlowEvent metrics collector needs the tensorboard package: "
            "pip install tensorboard"
        ) from exc
    return event_pb2, tensor_util


def load_cursor(cursor: str | None) -> dict[str, int]:
    """The per-file offsets of a cursor (empty for None or an unreadable cursor)."""
    if not cursor:
        return {}
    try:
        files = json.loads(cursor).get("files", {})
    except (ValueError, AttributeError):
        return {}
    return {str(k): int(v) for k, v in files.items() if isinstance(v, int)}


def event_files(directory: Path) -> list[Path]:
    """Every tfevent file under `directory`, in a stable order."""
    found: list[Path] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        found.extend(Path(root) / f for f in sorted(files) if "tfevents" in f)
    return found


def metric_matches(metric: str, tag: str, file_dir: Path) -> bool:
    """Katib's rule (tag prefix + directory suffix), or the tag is the metric's name."""
    if tag == metric:
        return True
    parts = metric.split("/")
    if not tag.startswith(parts[-1]):
        return False
    wanted = [p for p in parts[:-1] if p]
    return not wanted or list(file_dir.parts[-len(wanted) :]) == wanted


def _records(data: bytes) -> Iterator[tuple[bytes, int]]:
    """(record, offset just past it) for each complete record in `data`."""
    pos = 0
    while len(data) - pos >= _HEADER:
        (length,) = struct.unpack_from("<Q", data, pos)
        end = pos + _HEADER + length + _FOOTER
        if end > len(data):
            return
        yield data[pos + _HEADER : pos + _HEADER + length], end
        pos = end


def _scalar(value: Any, tensor_util: Any) -> str | None:
    import numpy as np

    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return str(np.float32(value.simple_value))
    if kind != "tensor":
        return None
    try:
        array = tensor_util.make_ndarray(value.tensor)
    except Exception:  # a tensor type numpy cannot hold is not a scalar metric
        return None
    if array.size != 1 or array.dtype.kind not in "iuf":
        return None
    return str(array.reshape(())[()])


def read_tfevents(
    directory: str | os.PathLike[str],
    *,
    metric_names: Sequence[str],
    cursor: str | None = None,
) -> Collected:
    """The scalar observations written under `directory` since `cursor`."""
    event_pb2, tensor_util = _protos()
    root = Path(directory)
    offsets = load_cursor(cursor)
    names = list(dict.fromkeys(metric_names))
    observations: list[Observation] = []
    problems: list[str] = []
    for path in event_files(root) if root.is_dir() else []:
        key = path.relative_to(root).as_posix()
        start = offsets.get(key, 0)
        try:
            with path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() < start:  # replaced by a shorter file: read it anew
                    problems.append(f"{key}: shorter than the {start} bytes read; reading again")
                    start = 0
                handle.seek(start)
                data = handle.read()
        except OSError as exc:
            problems.append(f"{key}: {exc}")
            continue
        for record, end in _records(data):
            offsets[key] = start + end
            try:
                event = event_pb2.Event.FromString(record)
            except Exception:
                problems.append(f"{key}: the record before byte {start + end} is not an Event")
                continue
            if not event.HasField("summary"):
                continue
            stamp = timestamps.from_epoch(event.wall_time)
            for value in event.summary.value:
                matched = [m for m in names if metric_matches(m, value.tag, path.parent)]
                scalar = _scalar(value, tensor_util) if matched else None
                if scalar is None:
                    continue
                observations.extend(Observation(m, scalar, stamp, event.step) for m in matched)
    return Collected(observations, json.dumps({"files": offsets}, sort_keys=True), problems)
