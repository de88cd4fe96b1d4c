"""`File` collection in JSON format: one JSON object per line.

Katib's rules: blank lines are skipped; each metric name is looked up as a key of
the object; the `timestamp` key, an RFC 3339 string or epoch seconds (a number),
is the observation's time (Katib falls back to Go's zero time, kflow to `now`).

Where kflow is more lenient: Katib keeps only string values (`"loss": "0.2"`) and
drops numbers silently; kflow keeps numbers too (`"loss": 0.2`), as that is what
`json.dumps` of a training script's metrics writes. A line that is not a JSON
object fails Katib's whole collection; kflow skips it and says so in `problems`.
The step is the object's `step` (else `epoch`) when it is an integer.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from typing import Any

from kflow.api.katib.observations import Observation
from kflow.tuning.metrics import timestamps
from kflow.tuning.metrics.results import Parsed
from kflow.tuning.metrics.text import complete_lines

TIMESTAMP_KEY = "timestamp"
STEP_KEYS = ("step", "epoch")


def _value(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw.strip() or None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    return repr(raw)


def _timestamp(raw: Any) -> str | None:
    if isinstance(raw, str):
        return timestamps.normalize(raw)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
        try:
            return timestamps.from_epoch(raw)
        except (OverflowError, ValueError):
            return None
    return None


def _step(obj: dict[str, Any]) -> int | None:
    for key in STEP_KEYS:
        raw = obj.get(key)
        if isinstance(raw, bool) or raw is None:
            continue
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and raw.strip().lstrip("+-").isdigit():
            return int(raw)
    return None


def parse_json_lines(
    data: bytes,
    *,
    metric_names: Sequence[str],
    now: _dt.datetime,
    final: bool = False,
) -> Parsed:
    """The observations in `data`, a chunk of a JSON-lines file at a line boundary."""
    default_time = timestamps.from_datetime(now)
    lines, consumed = complete_lines(data, final)
    observations: list[Observation] = []
    problems: list[str] = []
    for offset, line in lines:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            problems.append(f"byte {offset}: not JSON ({exc}): {line[:80]!r}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"byte {offset}: not a JSON object: {line[:80]!r}")
            continue
        stamp = default_time
        if TIMESTAMP_KEY in obj:
            parsed = _timestamp(obj[TIMESTAMP_KEY])
            if parsed is None:
                problems.append(
                    f"byte {offset}: timestamp {obj[TIMESTAMP_KEY]!r} is neither RFC 3339 "
                    "nor epoch seconds; the time it was read is used"
                )
            else:
                stamp = parsed
        step = _step(obj)
        for name in dict.fromkeys(metric_names):
            value = _value(obj.get(name))
            if value is not None:
                observations.append(Observation(name, value, stamp, step))
    return Parsed(observations, consumed, problems)
