"""When a recurring run starts its next run: KFP's ScheduledWorkflow arithmetic.

A trigger is a cron schedule or a periodic one, each with an optional start and end
time. Cron expressions are robfig/cron's, as KFP's schedule tests read them: six
fields with seconds first (`0 0 9 ? * 2-6`, what `kfp.Client` documents), five
fields as standard cron (`*/5 * * * *`: every five minutes, at second 0), or a
descriptor (`@hourly`, `@daily`, `@every 90s`, ...). All times are UTC seconds.

`next_time` follows the ScheduledWorkflow controller: the next time comes after the
last one triggered (else after the start time, else after the recurring run's
creation). With catch-up, missed times run one by one; without it (`no_catchup`),
a cron schedule jumps to its latest missed time and a periodic one to now (or to
its end time, if that has passed).
`None` means the schedule has nothing more to run (past its end time).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from typing import Any

from croniter import croniter

from kflow.api.kfp import times
from kflow.api.kfp.errors import InvalidArgument

_DESCRIPTORS = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


@dataclasses.dataclass(frozen=True)
class Trigger:
    """A cron or periodic schedule (exactly one of `cron` and `interval`), with bounds."""

    cron: str | None = None
    interval: int | None = None  # seconds
    start: int | None = None
    end: int | None = None

    def next_after(self, moment: int) -> int:
        """The first schedule time strictly after `moment`."""
        if self.interval is not None:
            return moment + max(self.interval, 1)
        return _cron_next(str(self.cron), moment)


def parse_trigger(raw: Any) -> Trigger:
    """The trigger of a recurring run's JSON; InvalidArgument naming the bad field."""
    if not isinstance(raw, dict):
        raise InvalidArgument("trigger is required: a cron_schedule or a periodic_schedule")
    cron = raw.get("cron_schedule") or raw.get("cronSchedule")
    periodic = raw.get("periodic_schedule") or raw.get("periodicSchedule")
    if bool(cron) == bool(periodic):
        raise InvalidArgument(
            "trigger must have exactly one of cron_schedule and periodic_schedule"
        )
    where = "trigger.cron_schedule" if cron else "trigger.periodic_schedule"
    spec = cron or periodic
    if not isinstance(spec, dict):
        raise InvalidArgument(f"{where} must be an object")
    start = _time(spec, ("start_time", "startTime"), f"{where}.start_time")
    end = _time(spec, ("end_time", "endTime"), f"{where}.end_time")
    if cron:
        expression = str(spec.get("cron") or "")
        check_cron(expression)
        return Trigger(cron=expression, start=start, end=end)
    raw_interval = spec.get("interval_second", spec.get("intervalSecond"))
    try:
        interval = int(raw_interval or 0)
    except (TypeError, ValueError):
        raise InvalidArgument(f"{where}.interval_second must be an integer") from None
    if interval < 1:
        raise InvalidArgument(
            f"Found invalid period schedule interval {interval}. Set at interval to least 1 second."
        )
    return Trigger(interval=interval, start=start, end=end)


def check_cron(expression: str) -> None:
    """InvalidArgument unless robfig/cron would accept `expression`."""
    try:
        _cron_next(expression, 0)
    except ValueError as exc:
        raise InvalidArgument(
            "Schedule cron is not a supported format(https://godoc.org/github.com/robfig/cron). "
            f"Error: {exc}"
        ) from None


def next_time(
    trigger: Trigger, *, last: int | None, created: int, now: int, catchup: bool
) -> int | None:
    """The next time to start a run, or None once the schedule has ended."""
    anchor = last if last is not None else (trigger.start if trigger.start is not None else created)
    if trigger.start is not None:
        anchor = max(anchor, trigger.start)
    result = trigger.next_after(anchor)
    end = trigger.end
    if end is not None and end < result:
        return None
    if catchup:
        return result
    if trigger.interval is not None:
        if now < result + max(trigger.interval, 1):
            return result
        return min(now, end) if end is not None else now
    while True:
        following = trigger.next_after(result)
        if following <= now and (end is None or following <= end):
            result = following
        else:
            return result


def _time(spec: dict[str, Any], keys: tuple[str, ...], field: str) -> int | None:
    for key in keys:
        value = spec.get(key)
        if value:
            return times.parse(str(value), field)
    return None


def _cron_next(expression: str, moment: int) -> int:
    text = expression.strip()
    if text.startswith("@every"):
        return moment + _every(text[len("@every") :].strip())
    text = _DESCRIPTORS.get(text, text)
    fields = text.split()
    if len(fields) == 5:  # standard cron: the seconds field is optional, and 0
        fields.insert(0, "0")
    if len(fields) != 6:
        raise ValueError(f"expected 5 to 6 fields, found {len(fields)}: {expression!r}")
    start = _dt.datetime.fromtimestamp(moment, _dt.timezone.utc)
    try:
        following = croniter(" ".join(fields), start, second_at_beginning=True).get_next(
            _dt.datetime
        )
    except (ValueError, KeyError) as exc:
        raise ValueError(f"{expression!r}: {exc}") from None
    return int(following.timestamp())


def _every(duration: str) -> int:
    """Seconds of a Go duration (`1h30m`, `90s`); robfig rounds below a second up to one."""
    parts = _GO_DURATION_PART.findall(duration)
    if not duration or "".join(n + u for n, u in parts) != duration:
        raise ValueError(f"@every needs a Go duration like 90s or 1h30m, not {duration!r}")
    seconds = sum(float(number) * _GO_UNITS[unit] for number, unit in parts)
    return max(int(seconds), 1)
