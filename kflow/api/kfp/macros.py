"""The `[[...]]` macros KFP substitutes in a run's string parameters.

Every run gets `[[RunUUID]]` and `[[CurrentTime]]`; a run a recurring run starts also
gets `[[ScheduledTime]]` and `[[Index]]` (the how-many-th run of it, from 1). Times
read as Go's `20060102150405` in UTC, or in the Go layout after a dot:
`[[ScheduledTime.2006-01-02]]`. An unknown macro stays as written, as upstream.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

_MACRO = re.compile(r"\[\[(.*?)\]\]")
DEFAULT_LAYOUT = "20060102150405"
# Go layout elements -> strftime, longest first so "2006" wins over "06" and "01"
_GO_LAYOUT = [
    ("January", "%B"),
    ("Monday", "%A"),
    ("2006", "%Y"),
    ("Jan", "%b"),
    ("Mon", "%a"),
    ("MST", "UTC"),
    ("01", "%m"),
    ("02", "%d"),
    ("15", "%H"),
    ("03", "%I"),
    ("04", "%M"),
    ("05", "%S"),
    ("06", "%y"),
    ("PM", "%p"),
]
_GO_ELEMENT = re.compile("|".join(re.escape(go) for go, _ in _GO_LAYOUT))


def go_format(seconds: int, layout: str) -> str:
    """`time.Unix(seconds, 0).UTC().Format(layout)` for the common layout elements."""
    when = _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
    table = dict(_GO_LAYOUT)
    escaped = layout.replace("%", "%%")
    return when.strftime(_GO_ELEMENT.sub(lambda m: table[m.group(0)], escaped))


def substitute(
    text: str,
    *,
    run_id: str,
    now: int,
    scheduled: int | None = None,
    index: int | None = None,
) -> str:
    """`text` with its macros replaced."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "RunUUID":
            return run_id
        if name == "ScheduledTime" and scheduled is not None:
            return go_format(scheduled, DEFAULT_LAYOUT)
        if name == "CurrentTime":
            return go_format(now, DEFAULT_LAYOUT)
        if name == "Index" and index is not None:
            return str(index)
        if name.startswith("ScheduledTime.") and scheduled is not None:
            return go_format(scheduled, name[len("ScheduledTime.") :])
        if name.startswith("CurrentTime."):
            return go_format(now, name[len("CurrentTime.") :])
        return match.group(0)

    return _MACRO.sub(replace, text)


def substitute_parameters(
    parameters: dict[str, Any],
    *,
    run_id: str,
    now: int,
    scheduled: int | None = None,
    index: int | None = None,
) -> dict[str, Any]:
    """The parameters with macros replaced in their string values (others unchanged)."""
    return {
        name: substitute(value, run_id=run_id, now=now, scheduled=scheduled, index=index)
        if isinstance(value, str)
        else value
        for name, value in parameters.items()
    }
