"""Values printed the way Argo's Go code prints them.

Argo stores every parameter as a string, made by Go's `fmt.Sprintf("%v", v)` or
`json.Marshal(v)`. Python's `str()` and `json.dumps()` differ in small, visible ways
(`1e+06` vs `1000000.0`, `map[a:1]`, HTML-safe JSON escapes), so every place that
turns an evaluated value back into text goes through here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

# encoding/json escapes these even inside strings, so HTML can embed JSON safely
_HTML_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def _digits(value: float) -> tuple[str, int]:
    """The shortest decimal digits that round-trip `value`, and the decimal point's place."""
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    assert isinstance(exponent, int)
    return text, len(digits) + exponent


def _fixed(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def _scientific(digits: str, point: int, min_exponent_digits: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1
    sign = "-" if exponent < 0 else "+"
    return f"{mantissa}e{sign}{abs(exponent):0{min_exponent_digits}d}"


def format_float(value: float) -> str:
    """Go's `%v` of a float64 (`strconv` 'g' with shortest digits): 1.5, 1e+06, 1e-05."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = _digits(value)
    exponent = point - 1
    sign = "-" if value < 0 else ""
    # strconv's shortest 'g' switches to an exponent outside 1e-4 <= |v| < 1e6
    if exponent < -4 or exponent >= 6:
        return sign + _scientific(digits, point, 2)
    return sign + _fixed(digits, point)


def json_float(value: float) -> str:
    """A float64 as `encoding/json` writes it: 3, 1.5, 1e+21, 1e-7."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {format_float(value)}")
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, point = _digits(value)
    sign = "-" if value < 0 else ""
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        return sign + _scientific(digits, point, 1)
    return sign + _fixed(digits, point)


def go_format(value: object) -> str:
    """`fmt.Sprintf("%v", value)` for the values expressions produce."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        pairs = " ".join(f"{go_format(k)}:{go_format(value[k])}" for k in sorted(value, key=str))
        return f"map[{pairs}]"
    if isinstance(value, Sequence):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    return str(value)


def _json_string(text: str) -> str:
    encoded = json.dumps(text, ensure_ascii=False)
    for raw, escaped in _HTML_ESCAPES.items():
        encoded = encoded.replace(raw, escaped)
    return encoded


def go_json(value: object, indent: str = "", _level: int = 0) -> str:
    """`json.Marshal(value)` (or `MarshalIndent` with `indent`): keys sorted, HTML-safe."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json_float(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, Mapping):
        parts = [
            f"{_json_string(str(k))}:{' ' if indent else ''}{go_json(value[k], indent, _level + 1)}"
            for k in sorted(value, key=str)
        ]
        return _join(parts, "{", "}", indent, _level)
    if isinstance(value, Sequence):
        return _join([go_json(v, indent, _level + 1) for v in value], "[", "]", indent, _level)
    raise ValueError(f"json: unsupported type: {type(value).__name__}")


def _join(parts: list[str], opening: str, closing: str, indent: str, level: int) -> str:
    if not indent or not parts:
        return opening + ",".join(parts) + closing
    inner = "\n" + indent * (level + 1)
    return opening + inner + ("," + inner).join(parts) + "\n" + indent * level + closing


def from_json(text: str) -> object:
    """`json.Unmarshal` into `any`: numbers become float64 like Go, unless integral ints."""
    return json.loads(text)
