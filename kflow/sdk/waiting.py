"""What `wait` waits for: a condition, a JSONPath value, or the object's deletion.

The condition strings are kubectl's (`condition=Ready`, `condition=Ready=False`,
`delete`, `jsonpath={.status.phase}=Succeeded`), so a command line moves between
`kubectl wait` and `kflow wait` unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from kflow.sdk import jsonpath

Obj = dict[str, Any]


class WaitTimeout(TimeoutError):
    """The object did not reach the condition before the timeout."""


@dataclasses.dataclass(frozen=True)
class Condition:
    """A parsed `--for` value; `matches` is None for deletion."""

    text: str
    matches: Callable[[Obj], bool] | None

    @property
    def is_delete(self) -> bool:
        return self.matches is None


def _has_condition(type_: str, status: str) -> Callable[[Obj], bool]:
    def check(obj: Obj) -> bool:
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if str(cond.get("type", "")).lower() == type_.lower():
                return str(cond.get("status", "")).lower() == status.lower()
        return False

    return check


def _has_value(expr: str, wanted: str | None) -> Callable[[Obj], bool]:
    jsonpath.find({}, expr)  # reject a malformed expression now, not on the first event

    def check(obj: Obj) -> bool:
        found = jsonpath.find(obj, expr)
        if wanted is None:
            return bool(found)
        return len(found) == 1 and jsonpath.text(found[0]) == wanted

    return check


def parse_condition(text: str) -> Condition:
    """Parse a `--for` value; ValueError says which forms are allowed."""
    raw = text.strip()
    if raw.lower() == "delete":
        return Condition(raw, None)
    if raw.lower().startswith("condition="):
        rest = raw[len("condition=") :]
        type_, _, status = rest.partition("=")
        if not type_:
            raise ValueError(f'"{text}": name the condition, as in condition=Ready')
        return Condition(raw, _has_condition(type_, status or "True"))
    if raw.lower().startswith("jsonpath="):
        rest = raw[len("jsonpath=") :]
        # shells keep the quotes in --for=jsonpath='{.status.phase}'=Succeeded only sometimes
        m = re.match(r"^(['\"]?)(\{.*\})\1(?:=(.*))?$", rest)
        if not m:
            raise ValueError(
                f'"{text}": expected jsonpath={{.path}}=value, as in '
                "jsonpath='{.status.phase}'=Succeeded"
            )
        wanted = m.group(3)
        if (
            wanted is not None
            and len(wanted) >= 2
            and wanted[0] == wanted[-1]
            and wanted[0] in "'\""
        ):
            wanted = wanted[1:-1]
        try:
            return Condition(raw, _has_value(m.group(2), wanted))
        except jsonpath.JsonPathError as exc:
            raise ValueError(f'"{text}": {exc}') from None
    if raw and "=" not in raw and "{" not in raw:
        return Condition(f"condition={raw}", _has_condition(raw, "True"))
    raise ValueError(
        f'"{text}": expected delete, condition=NAME[=VALUE] or jsonpath={{.path}}=VALUE'
    )


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: str) -> float:
    """Seconds in `60s`, `1m30s`, `2h`, `500ms` or a bare number; ValueError otherwise."""
    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    pos, total = 0, 0.0
    for m in _DURATION.finditer(raw):
        if m.start() != pos:
            break
        total += float(m.group(1)) * units[m.group(2)]
        pos = m.end()
    if not raw or pos != len(raw):
        raise ValueError(f'"{text}" is not a duration: use a form like 30s, 5m, 1h or 1m30s')
    return total
