"""Times as KFP keeps them: whole seconds since the epoch, written as RFC 3339 in UTC.

KFP's database stores every time in seconds (`CreatedAtInSec`, ...), and the API
renders an unset time as the epoch itself (`1970-01-01T00:00:00Z`), which is how a
client sees a run that has not finished. Filters and triggers send RFC 3339 with any
offset and fraction; `parse` turns those back into seconds.
"""

from __future__ import annotations

import datetime as _dt

from kflow.api.kfp.errors import InvalidArgument

EPOCH = "1970-01-01T00:00:00Z"


def render(seconds: int | None) -> str:
    """RFC 3339 in UTC with second precision; None and 0 are the epoch, as in KFP."""
    when = _dt.datetime.fromtimestamp(int(seconds or 0), _dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str, field: str) -> int:
    """Seconds since the epoch of an RFC 3339 time; InvalidArgument naming `field` if not one."""
    try:
        when = _dt.datetime.fromisoformat(
            text.strip().replace("Z", "+00:00").replace("z", "+00:00")
        )
    except ValueError:
        raise InvalidArgument(
            f'{field} "{text}" is not an RFC 3339 time (like "2026-01-02T15:04:05Z")'
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return int(when.timestamp())
