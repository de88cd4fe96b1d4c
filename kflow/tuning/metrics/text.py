"""`StdOut` and `File` (TEXT) collection: `name=value` metrics in log lines.

Katib's file metrics collector reads the whole log when the trial ends; kflow reads
it as it grows, a chunk at a time, with the same rules:

- every regex of `filter.metricsFormat` (else Katib's default filter) is matched
  against each line, all matches taken; group 1 is the metric name, group 2 the
  value, both stripped; only the experiment's metric names are kept;
- if the line's first space-separated word is an RFC 3339 time (as `kubectl logs
  --timestamps` or a logger prints it), that is the observation's time; otherwise
  Katib uses Go's zero time, and kflow the time the line was read (`now`).

Regexes are Go RE2 in Katib; they compile here with `re.ASCII`, so `\\w` and `\\d`
mean what they mean in Go. A match with an empty value (`loss=` followed by text)
is not an observation.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

from kflow.api.katib.observations import Observation
from kflow.tuning.metrics import timestamps
from kflow.tuning.metrics.results import Parsed

DEFAULT_FILTER = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)"
"""Katib's default `metricsFormat`: `accuracy=0.98`, `loss = 1e-3`."""

FILTERS_FIELD = "metricsCollectorSpec.source.filter.metricsFormat"


def compile_filters(filters: Sequence[str] | None) -> list[re.Pattern[str]]:
    """The regexes to match, checked: each must compile and have two groups."""
    compiled = []
    for index, text in enumerate(filters or [DEFAULT_FILTER]):
        where = f"{FILTERS_FIELD}[{index}]"
        try:
            pattern = re.compile(text, re.ASCII)
        except re.error as exc:
            raise ValueError(f"{where}: invalid regex {text!r}: {exc}") from None
        if pattern.groups < 2:
            raise ValueError(
                f"{where}: the regex {text!r} must have two groups, the metric name then its value"
            )
        compiled.append(pattern)
    return compiled


def complete_lines(data: bytes, final: bool) -> tuple[list[tuple[int, str]], int]:
    """(offset, text) of each line to read, and the bytes they span.

    A last line without its newline is still being written, unless `final`.
    """
    end = len(data) if final else data.rfind(b"\n") + 1
    lines = []
    offset = 0
    for raw in data[:end].split(b"\n"):
        if offset >= end:
            break
        lines.append((offset, raw.decode("utf-8", errors="replace").rstrip("\r")))
        offset += len(raw) + 1
    return lines, end


def line_timestamp(line: str) -> str | None:
    """The line's leading RFC 3339 time (Katib: the text before the first space)."""
    head, space, _ = line.partition(" ")
    if not space:
        return None
    return timestamps.normalize(head)


def parse_text(
    data: bytes,
    *,
    metric_names: Sequence[str],
    filters: Sequence[str] | None = None,
    now: _dt.datetime,
    final: bool = False,
) -> Parsed:
    """The observations in `data`, a chunk of a log that starts at a line boundary."""
    patterns = compile_filters(filters)
    wanted = set(metric_names)
    default_time = timestamps.from_datetime(now)
    lines, consumed = complete_lines(data, final)
    observations: list[Observation] = []
    for _, line in lines:
        # Katib's fast path: a line naming no metric cannot match one
        if not any(name in line for name in wanted):
            continue
        stamp = line_timestamp(line) or default_time
        for pattern in patterns:
            for match in pattern.finditer(line):
                name = (match.group(1) or "").strip()
                value = (match.group(2) or "").strip()
                if name in wanted and value:
                    observations.append(Observation(name, value, stamp))
    return Parsed(observations, consumed)
