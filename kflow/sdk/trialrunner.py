"""What a `kflow.tune` trial runs: typed parameters in, the objective's metrics out.

Each trial of a tune Experiment is a batch Job whose container runs the objective's
source followed by `run(objective, config)`. Katib substitutes the trial's values
into the container's arguments (`--lr=0.0123 --optimizer=adam`); `run` turns them
back into the Python values the search spaces describe, calls the objective, and
prints its result as `name=value` — the lines Katib's StdOut metrics collector reads
with its default regex. `report` prints intermediate values the same way, so an
objective that reports every epoch gives early stopping (medianstop) something to
compare. This module is imported in every trial, so it stays light (no HTTP client).
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kflow.sdk.search import Choice, Double, Integer, Space, Value

METRIC_NAME = re.compile(r"^[\w|-]+$")
"""A metric name Katib's default StdOut regex `([\\w|-]+)\\s*=\\s*...` reads whole."""

_SPACE_TYPES: dict[str, type[Space]] = {"Double": Double, "Integer": Integer, "Choice": Choice}


def encode_config(objective_metric: str, spaces: Mapping[str, Space]) -> str:
    """The JSON a trial's script passes to `run`: the metric name and every space."""
    encoded = {
        name: {"type": type(space).__name__, **dataclasses.asdict(space)}
        for name, space in spaces.items()
    }
    return json.dumps({"objective_metric": objective_metric, "spaces": encoded})


def decode_spaces(encoded: Mapping[str, Mapping[str, Any]]) -> dict[str, Space]:
    """The spaces `encode_config` wrote, rebuilt."""
    spaces: dict[str, Space] = {}
    for name, fields in encoded.items():
        kind = _SPACE_TYPES[str(fields["type"])]
        values = {k: v for k, v in fields.items() if k != "type"}
        if kind is Choice:
            values["values"] = tuple(values["values"])
        spaces[name] = kind(**values)
    return spaces


def parse_arguments(spaces: Mapping[str, Space], argv: Sequence[str]) -> dict[str, Value]:
    """`--name=value` arguments as typed values; SystemExit naming what is missing or bad."""
    # longest names first, so `--lr-decay=` is not read as `--lr` with value `-decay=...`
    names = sorted(spaces, key=len, reverse=True)
    texts: dict[str, str] = {}
    for arg in argv:
        name = next((n for n in names if arg.startswith(f"--{n}=")), None)
        if name is None:
            raise SystemExit(f"kflow.tune trial: unexpected argument {arg!r}")
        texts[name] = arg[len(name) + 3 :]
    missing = [n for n in spaces if n not in texts]
    if missing:
        raise SystemExit(f"kflow.tune trial: no value for parameter(s) {', '.join(missing)}")
    values: dict[str, Value] = {}
    for name, space in spaces.items():
        try:
            values[name] = space.typed(texts[name])
        except ValueError as exc:
            raise SystemExit(f"kflow.tune trial: parameter {name}: {exc}") from None
    return values


def format_metrics(metrics: Mapping[str, Any]) -> str:
    """`loss=0.25 accuracy=0.9`: the metrics as one line Katib's StdOut collector reads."""
    parts = []
    for name, value in metrics.items():
        if not isinstance(name, str) or not METRIC_NAME.match(name):
            raise ValueError(f"metric name {name!r} must be letters, digits, '_', '|' or '-'")
        if isinstance(value, str | bytes | bool) or value is None:
            raise TypeError(f"metric {name} must be a number, not {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"metric {name} must be finite, not {number}")
        parts.append(f"{name}={number!r}")
    return " ".join(parts)


def report(metrics: Mapping[str, Any] | None = None, /, **values: Any) -> None:
    """Report metrics from inside a `kflow.tune` objective: `kflow.report(loss=0.3)`.

    Each call is one observation of each metric (one step, for early stopping);
    the line goes to stdout, where Katib's StdOut collector reads it.
    """
    merged = {**(metrics or {}), **values}
    if merged:
        print(format_metrics(merged), flush=True)


def metrics_of(result: Any, objective_metric: str) -> dict[str, Any]:
    """An objective's return value as metrics: a number is the objective metric itself."""
    if isinstance(result, Mapping):
        return dict(result)
    if result is None or isinstance(result, str | bytes | bool):
        raise TypeError(
            f"the objective returned {result!r}: return a number (the {objective_metric}) "
            "or a dict of metrics"
        )
    return {objective_metric: result}


def run(
    objective: Callable[[dict[str, Value]], Any], config: str, argv: Sequence[str] | None = None
) -> None:
    """Call `objective` with this trial's typed parameters and print its metrics."""
    settings = json.loads(config)
    spaces = decode_spaces(settings["spaces"])
    metric = str(settings["objective_metric"])
    params = parse_arguments(spaces, sys.argv[1:] if argv is None else argv)
    print(f"kflow.tune trial parameters: {params!r}", flush=True)
    metrics = metrics_of(objective(params), metric)
    if metric not in metrics:
        print(
            f"kflow.tune trial: the objective's result has no {metric!r} "
            "(reported with kflow.report?)",
            file=sys.stderr,
            flush=True,
        )
    report(metrics)
