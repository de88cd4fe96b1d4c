"""The small pieces Katib's Experiment validation is written with: typed causes."""

from __future__ import annotations

import json
from typing import Any

from kflow.api.errors import Cause
from kflow.api.kinds import Obj

REQUIRED = "FieldValueRequired"
UNSUPPORTED = "FieldValueNotSupported"
FORBIDDEN = "FieldValueForbidden"


def as_dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str | int | float | bool) else repr(value)


def required(field: str, why: str = "") -> Cause:
    return Cause(field, f"Required value: {why}" if why else "Required value", REQUIRED)


def invalid(field: str, value: Any, why: str) -> Cause:
    return Cause(field, f"Invalid value: {show(value)}: {why}")


def unsupported(field: str, value: Any, allowed: tuple[str, ...]) -> Cause:
    listed = ", ".join(f'"{a}"' for a in allowed)
    return Cause(
        field, f"Unsupported value: {show(value)}: supported values: {listed}", UNSUPPORTED
    )


def count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
