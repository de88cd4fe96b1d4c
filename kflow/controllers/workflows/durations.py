"""Argo's durations: a number of seconds, or Go's `1h2m3s`/`500ms` (plus `d` for days).

`retryStrategy.backoff.duration`, `backoff.maxDuration`, a suspend template's
`duration` and a template's `timeout` are all written this way.
"""

from __future__ import annotations

import re

_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h|d)")


def parse_duration(value: object, field: str = "duration") -> float:
    """Seconds in `value`; `ValueError` naming `field` when it is not a duration."""
    if isinstance(value, bool):
        raise ValueError(f"{field}: invalid duration {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(int(text))
    except ValueError:
        pass
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    total, pos = 0.0, 0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match[1]) * _UNITS[match[2]]
        pos = match.end()
    if not body or pos != len(body):
        raise ValueError(f'{field}: time: invalid duration "{text}"')
    return sign * total
