"""A resource template's `successCondition` and `failureCondition`.

Argo reads them as Kubernetes label-selector requirements whose keys are GJSON paths
into the object: `status.succeeded > 0`, `status.phase == Failed`,
`status.phase in (Failed, Error)`, `status.ready` (exists), `!status.error` (does not
exist), joined by commas (all must hold). Numbers compare as numbers for `<` and `>`.
"""

from __future__ import annotations

import re
from typing import Any

from kflow.api.katib import gjson

_REQUIREMENT = re.compile(
    r"^\s*(?P<neg>!)?\s*(?P<key>[^\s=!<>()]+)\s*"
    r"(?:(?P<op>==|!=|=|<|>|\s+in\s+|\s+notin\s+)\s*(?P<value>.*?))?\s*$"
)


class ConditionError(ValueError):
    """A condition that is not a selector Argo would parse."""


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConditionError(f"{text!r} is not a number") from None


def holds(obj: Any, condition: str) -> bool:
    """Whether every requirement of `condition` holds for `obj`."""
    for part in _split(condition):
        match = _REQUIREMENT.match(part)
        if match is None:
            raise ConditionError(f"unable to parse requirement: {part.strip()!r}")
        value = gjson.get(obj, match["key"])
        present = value is not None
        op = (match["op"] or "").strip()
        if not op:
            if present == bool(match["neg"]):
                return False
            continue
        wanted = match["value"].strip()
        if op in ("in", "notin"):
            options = {v.strip() for v in wanted.strip("()").split(",")}
            inside = present and _text(value) in options
            if inside != (op == "in"):
                return False
        elif op in ("=", "=="):
            if not present or _text(value) != wanted:
                return False
        elif op == "!=":
            if present and _text(value) == wanted:
                return False
        elif not present or not _compare(_number(_text(value)), op, _number(wanted)):
            return False
    return True


def _compare(left: float, op: str, right: float) -> bool:
    return left > right if op == ">" else left < right
