"""A CronWorkflow's schedule: when its next run is due, and when the last one was.

Argo parses `schedule` (or each of `schedules`) as a standard five-field cron line or
a descriptor (`@hourly`, `@daily`, ...), read in `timezone` (an IANA name; the
machine's UTC by default). `croniter` does the arithmetic.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

Obj = dict[str, Any]


class ScheduleError(ValueError):
    """A schedule or time zone Argo would refuse."""


def schedules(spec: Obj) -> list[str]:
    """The cron lines of a CronWorkflow spec (`schedules`, else `schedule`)."""
    many = spec.get("schedules")
    if isinstance(many, list) and many:
        return [str(s) for s in many]
    return [str(spec["schedule"])] if spec.get("schedule") else []


def zone(spec: Obj) -> dt.tzinfo:
    name = spec.get("timezone")
    if not name:
        return dt.timezone.utc
    try:
        return zoneinfo.ZoneInfo(str(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"invalid timezone '{name}'") from None


def check(spec: Obj) -> list[str]:
    """What is wrong with a spec's schedules and time zone, in Argo's words."""
    problems = []
    try:
        zone(spec)
    except ScheduleError as error:
        problems.append(str(error))
    if not schedules(spec):
        problems.append("cron schedule is malformed: empty spec string")
    for line in schedules(spec):
        if not croniter.is_valid(line) or len(line.split()) > 5:
            problems.append(f"cron schedule {line} is malformed: expected 5 fields or a descriptor")
    return problems


def _iterator(line: str, start: dt.datetime, tz: dt.tzinfo) -> croniter:
    try:
        return croniter(line, start.astimezone(tz))
    except (CroniterBadCronError, CroniterBadDateError, ValueError) as error:
        raise ScheduleError(f"cron schedule {line} is malformed: {error}") from None


def next_after(spec: Obj, after: dt.datetime) -> dt.datetime | None:
    """The first schedule time strictly after `after`, in UTC (None without schedules)."""
    tz = zone(spec)
    times = [_iterator(line, after, tz).get_next(dt.datetime) for line in schedules(spec)]
    return min(times).astimezone(dt.timezone.utc) if times else None


def last_due(spec: Obj, after: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """The latest schedule time in (after, now], in UTC; None when none is due."""
    tz = zone(spec)
    found: dt.datetime | None = None
    for line in schedules(spec):
        # from just after `now`, so a schedule time equal to `now` counts as due
        times = _iterator(line, now + dt.timedelta(seconds=1), tz)
        previous = times.get_prev(dt.datetime).astimezone(dt.timezone.utc)
        if previous > now:
            previous = times.get_prev(dt.datetime).astimezone(dt.timezone.utc)
        if previous > after and (found is None or previous > found):
            found = previous
    return found
