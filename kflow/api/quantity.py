"""Kubernetes resource quantities (`500m`, `1Gi`, `2.5`, `1e3`) as numbers.

Pods carry CPU and memory as quantity strings (or bare numbers in YAML); the runtime
admits pods against the machine's capacity in cores and bytes, and validation checks
that requests do not exceed limits. This is the one parser for all of them, following
`k8s.io/apimachinery/pkg/api/resource`: binary suffixes (Ki .. Ei), decimal suffixes
(n, u, m, k, M .. E) and decimal exponents (`1e3`, `5E-2`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

_QUANTITY_RE = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$"
)
QUANTITY_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
"""The pattern Kubernetes quotes when a quantity does not parse."""

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}


class QuantityError(ValueError):
    """A string that is not a Kubernetes quantity."""


def parse_quantity(value: str | int | float) -> Decimal:
    """The exact value of a quantity: `parse_quantity("1Ki") == 1024`."""
    if isinstance(value, bool):
        raise QuantityError(f"quantities must be numbers or strings, not {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise QuantityError(f"quantity {value!r} is not finite")
        return Decimal(str(value))
    text = str(value).strip()
    match = _QUANTITY_RE.match(text)
    if not match:
        raise QuantityError(f"quantities must match the regular expression '{QUANTITY_PATTERN}'")
    try:
        number = Decimal(match["number"])
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        raise QuantityError(f"quantity {text!r} is not a number") from None
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    return number * (Decimal(10) ** int(suffix[1:]))


def parse_cpu(value: str | int | float) -> float:
    """CPU in cores: `parse_cpu("500m") == 0.5`, `parse_cpu(2) == 2.0`."""
    return float(parse_quantity(value))


def parse_memory(value: str | int | float) -> int:
    """Memory in bytes, rounded up as Kubernetes does: `parse_memory("1Gi") == 2**30`."""
    return math.ceil(parse_quantity(value))


def is_quantity(value: object) -> bool:
    """True if `value` parses as a quantity."""
    try:
        parse_quantity(value)  # type: ignore[arg-type]
    except (QuantityError, TypeError):
        return False
    return True
