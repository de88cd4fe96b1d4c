"""RFC 3339 times as Katib reads and writes them, normalised to UTC.

Katib parses every metric time with Go's `time.RFC3339Nano` (offsets allowed,
nanosecond fractions) and compares them as instants. kflow keeps an observation's
time as a string, so every parser and the DB manager normalise through here: UTC,
a `Z` suffix, the fraction kept to the nanosecond with trailing zeros dropped (Go's
`RFC3339Nano` output). Two normal forms then order correctly once the store pads
their fractions (`kflow.store.observations.timestamp_key`).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero `time.Time`: the time Katib gives the `unavailable` observation."""

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)


def normalize(text: str) -> str | None:
    """`text` as a UTC RFC 3339 time (`...Z`), or None if it is not RFC 3339."""
    match = _RFC3339.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        when = _dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
        if zone not in ("Z", "z"):
            sign = 1 if zone[0] == "+" else -1
            offset = _dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
            when -= sign * offset
    except (ValueError, OverflowError):
        return None
    return _format(when, fraction or "")


def from_datetime(when: _dt.datetime) -> str:
    """An aware (or UTC-naive) datetime as a normalised time."""
    if when.tzinfo is not None:
        when = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return _format(when.replace(microsecond=0), f"{when.microsecond:06d}")


def from_epoch(seconds: float) -> str:
    """Seconds since the Unix epoch (a JSON `timestamp`, a tfevent `wall_time`)."""
    exact = decimal.Decimal(repr(float(seconds)))
    whole = int(exact.to_integral_value(rounding=decimal.ROUND_FLOOR))
    nanos = int((exact - whole) * 1_000_000_000)
    when = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=whole)
    return _format(when, f"{nanos:09d}")


def _format(when: _dt.datetime, fraction: str) -> str:
    fraction = fraction.rstrip("0")
    dot = f".{fraction}" if fraction else ""
    # by hand: strftime does not zero-pad years below 1000 on every platform
    return (
        f"{when.year:04d}-{when.month:02d}-{when.day:02d}T"
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d}{dot}Z"
    )
