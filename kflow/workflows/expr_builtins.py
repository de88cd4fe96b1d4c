"""expr-lang's operators and builtin functions, over plain Python values.

Go's types show through: `int` and `float64` are distinct (`/` always gives a float,
`%` only takes ints), bools are not numbers, strings compare byte-wise. Error texts
follow expr-lang's (`invalid operation: + (mismatched types string and int)`).
"""

from __future__ import annotations

import base64
import math
import re
import statistics
from collections.abc import Callable, Mapping, Sequence

from kflow.workflows.govalues import from_json, go_format, go_json

Function = Callable[..., object]


def type_name(value: object) -> str:
    """The Go type expr-lang would name in an error."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    if isinstance(value, Sequence):
        return "[]interface {}"
    if callable(value):
        return "func"
    return type(value).__name__


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def equal(left: object, right: object) -> bool:
    """expr-lang's `==`: numbers across int/float, otherwise same type and deep equality."""
    if is_number(left) and is_number(right):
        return left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(equal(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)) and isinstance(right, (list, tuple)):
        return len(left) == len(right) and all(
            equal(a, b) for a, b in zip(left, right, strict=True)
        )
    return type(left) is type(right) and left == right


def go_regex(pattern: str) -> re.Pattern[str]:
    """A Go (RE2) regular expression in Python's dialect."""
    try:
        return re.compile(pattern.replace(r"\z", r"\Z"))
    except re.error as error:
        raise ValueError(f"error parsing regexp: {error}: `{pattern}`") from None


def _mismatch(operator: str, left: object, right: object) -> TypeError:
    return TypeError(
        f"invalid operation: {operator} (mismatched types {type_name(left)} and {type_name(right)})"
    )


def _arithmetic(operator: str, left: object, right: object) -> object:
    if operator == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    if operator == "+" and isinstance(left, list) and isinstance(right, list):
        return left + right
    if not (is_number(left) and is_number(right)):
        raise _mismatch(operator, left, right)
    assert isinstance(left, (int, float)) and isinstance(right, (int, float))
    both_int = isinstance(left, int) and isinstance(right, int)
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/":
        if right == 0:  # float64 division, as in Go: ±Inf or NaN
            return math.nan if left == 0 else math.copysign(math.inf, left)
        return left / right
    if operator == "%":
        if not both_int:
            raise _mismatch(operator, left, right)
        if right == 0:
            raise ZeroDivisionError("integer divide by zero")
        return int(math.fmod(left, right))  # Go's % truncates toward zero
    return float(left) ** float(right)  # ** and ^


def binary(operator: str, left: object, right: object) -> object:
    """Every binary operator except the short-circuiting `and`/`or`/`??`."""
    if operator == "==":
        return equal(left, right)
    if operator == "!=":
        return not equal(left, right)
    if operator in ("<", ">", "<=", ">="):
        if not (
            (is_number(left) and is_number(right))
            or (isinstance(left, str) and isinstance(right, str))
        ):
            raise _mismatch(operator, left, right)
        compare: dict[str, Callable[[object, object], bool]] = {
            "<": lambda a, b: a < b, ">": lambda a, b: a > b,  # type: ignore[operator]
            "<=": lambda a, b: a <= b, ">=": lambda a, b: a >= b,  # type: ignore[operator]
        }  # fmt: skip
        return compare[operator](left, right)
    if operator == "in":
        if isinstance(right, Mapping):
            return isinstance(left, str) and left in right
        if isinstance(right, (list, tuple)):
            return any(equal(left, item) for item in right)
        if right is None:
            return False
        raise TypeError(f"operator in not defined on {type_name(right)}")
    if operator in ("matches", "contains", "startsWith", "endsWith"):
        if not (isinstance(left, str) and isinstance(right, str)):
            raise _mismatch(operator, left, right)
        if operator == "matches":
            return go_regex(right).search(left) is not None
        if operator == "contains":
            return right in left
        return left.startswith(right) if operator == "startsWith" else left.endswith(right)
    if operator == "..":
        if not (isinstance(left, int) and isinstance(right, int)) or isinstance(left, bool):
            raise _mismatch(operator, left, right)
        return list(range(left, right + 1))
    return _arithmetic(operator, left, right)


def to_int(value: object) -> int:
    """expr-lang's `int()` (Argo's `asInt`): strings must be decimal integers."""
    if isinstance(value, bool) or value is None:
        raise TypeError(f"invalid operation: int({type_name(value)})")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    raise ValueError(f"invalid operation: int({go_format(value)})")


def to_float(value: object) -> float:
    """expr-lang's `float()` (Argo's `asFloat`)."""
    if is_number(value):
        assert isinstance(value, (int, float))
        return float(value)
    if isinstance(value, str) and "_" not in value:  # Python, not Go, allows 1_000
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"invalid operation: float({go_format(value)})")


def _length(value: object) -> int:
    if isinstance(value, (str, Sequence, Mapping)):
        return len(value)
    raise TypeError(f"invalid argument for len (type {type_name(value)})")


def _numbers(values: Sequence[object], name: str) -> list[int | float]:
    flat: list[object] = []
    for value in values:
        flat.extend(value if isinstance(value, (list, tuple)) else [value])
    if not all(is_number(v) for v in flat):
        raise TypeError(f"invalid argument for {name}")
    return flat  # type: ignore[return-value]


def _extreme(pick: Callable[[list[int | float]], int | float], name: str) -> Function:
    def run(*values: object) -> object:
        numbers = _numbers(values, name)
        if not numbers:
            raise TypeError(f"not enough arguments to call {name}")
        return pick(numbers)

    return run


def _sort(values: object, order: str = "asc") -> list[object]:
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"sort: cannot sort {type_name(values)}")
    return sorted(values, key=lambda v: (str(type(v)), v), reverse=order == "desc")


def _flatten(values: Sequence[object]) -> list[object]:
    out: list[object] = []
    for value in values:
        out.extend(_flatten(value) if isinstance(value, (list, tuple)) else [value])
    return out


def _uniq(values: Sequence[object]) -> list[object]:
    out: list[object] = []
    for value in values:
        if not any(equal(value, seen) for seen in out):
            out.append(value)
    return out


FUNCTIONS: dict[str, Function] = {
    "len": _length,
    "abs": lambda v: abs(_numbers([v], "abs")[0]),
    "int": to_int,
    "float": to_float,
    "string": go_format,
    "type": lambda v: {
        "nil": "nil",
        "[]interface {}": "array",
        "map[string]interface {}": "map",
    }.get(type_name(v), type_name(v)),
    "trim": lambda s, chars=None: s.strip(chars) if chars is not None else s.strip(" \t\n\r\v\f"),
    "trimPrefix": lambda s, prefix=" ": s.removeprefix(prefix),
    "trimSuffix": lambda s, suffix=" ": s.removesuffix(suffix),
    "upper": lambda s: s.upper(),
    "lower": lambda s: s.lower(),
    "split": lambda s, sep, n=-1: s.split(sep, n - 1) if n > 0 else s.split(sep),
    "replace": lambda s, old, new: s.replace(old, new),
    "repeat": lambda s, n: s * n,
    "indexOf": lambda s, sub: s.find(sub),
    "lastIndexOf": lambda s, sub: s.rfind(sub),
    "hasPrefix": lambda s, prefix: s.startswith(prefix),
    "hasSuffix": lambda s, suffix: s.endswith(suffix),
    "max": _extreme(max, "max"),
    "min": _extreme(min, "min"),
    "mean": lambda *v: float(statistics.fmean(_numbers(v, "mean"))),
    "median": lambda *v: float(statistics.median(_numbers(v, "median"))),
    "round": lambda v: (
        float(math.floor(to_float(v) + 0.5))
        if to_float(v) >= 0
        else -float(math.floor(-to_float(v) + 0.5))
    ),
    "ceil": lambda v: float(math.ceil(to_float(v))),
    "floor": lambda v: float(math.floor(to_float(v))),
    "toJSON": lambda v: go_json(v, "  "),
    "fromJSON": lambda s: from_json(s),
    "toBase64": lambda s: base64.b64encode(s.encode()).decode(),
    "fromBase64": lambda s: base64.b64decode(s.encode()).decode(),
    "first": lambda v: v[0] if v else None,
    "last": lambda v: v[-1] if v else None,
    "get": lambda v, k: (
        v.get(k)
        if isinstance(v, Mapping)
        else (v[k] if isinstance(k, int) and -len(v) <= k < len(v) else None)
    ),
    "keys": lambda m: list(m.keys()),
    "values": lambda m: list(m.values()),
    "toPairs": lambda m: [[k, v] for k, v in m.items()],
    "fromPairs": lambda pairs: {str(k): v for k, v in pairs},
    "join": lambda values, sep="": sep.join(values),
    "sort": _sort,
    "reverse": lambda v: list(reversed(v)),
    "uniq": _uniq,
    "concat": lambda *arrays: [item for array in arrays for item in array],
    "flatten": _flatten,
}


def _sum(values: Sequence[object], predicate: Function | None = None) -> object:
    items = [predicate(v, i) for i, v in enumerate(values)] if predicate else list(values)
    numbers = _numbers(items, "sum")
    return sum(numbers) if numbers else 0


def _find(values: Sequence[object], predicate: Function, *, last: bool, index: bool) -> object:
    order = list(enumerate(values))
    for position, value in reversed(order) if last else order:
        if _truth(predicate(value, position), "find"):
            return position if index else value
    return -1 if index else None


def _truth(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"predicate of {name} must return a bool, not {type_name(value)}")
    return value


def _each(values: object, name: str) -> list[object]:
    if values is None:
        return []
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"cannot use {type_name(values)} as array in {name}")
    return list(values)


def _reduce(values: Sequence[object], step: Function, *initial: object) -> object:
    items = list(values)
    if not initial and not items:
        raise ValueError("reduce of empty array with no initial value")
    acc = initial[0] if initial else items.pop(0)
    offset = 0 if initial else 1
    for position, value in enumerate(items):
        acc = step(value, position + offset, acc)
    return acc


def _sort_by(values: Sequence[object], key: Function, order: object = "asc") -> list[object]:
    keyed = [(key(v, i), v) for i, v in enumerate(values)]
    keyed.sort(key=lambda pair: pair[0], reverse=order == "desc")  # type: ignore[arg-type,return-value]
    return [v for _, v in keyed]


def _group_by(values: Sequence[object], key: Function) -> dict[str, list[object]]:
    groups: dict[str, list[object]] = {}
    for position, value in enumerate(values):
        groups.setdefault(go_format(key(value, position)), []).append(value)
    return groups


# predicates take their closures (called with item, index[, acc]) after the collection
PREDICATES: dict[str, Function] = {
    "all": lambda v, p: all(_truth(p(x, i), "all") for i, x in enumerate(_each(v, "all"))),
    "any": lambda v, p: any(_truth(p(x, i), "any") for i, x in enumerate(_each(v, "any"))),
    "none": lambda v, p: not any(_truth(p(x, i), "none") for i, x in enumerate(_each(v, "none"))),
    "one": lambda v, p: sum(_truth(p(x, i), "one") for i, x in enumerate(_each(v, "one"))) == 1,
    "filter": lambda v, p: [
        x for i, x in enumerate(_each(v, "filter")) if _truth(p(x, i), "filter")
    ],
    "map": lambda v, p: [p(x, i) for i, x in enumerate(_each(v, "map"))],
    "count": lambda v, p=None: sum(
        1 for i, x in enumerate(_each(v, "count")) if _truth(p(x, i) if p else x, "count")
    ),
    "sum": lambda v, p=None: _sum(_each(v, "sum"), p),
    "find": lambda v, p: _find(_each(v, "find"), p, last=False, index=False),
    "findIndex": lambda v, p: _find(_each(v, "findIndex"), p, last=False, index=True),
    "findLast": lambda v, p: _find(_each(v, "findLast"), p, last=True, index=False),
    "findLastIndex": lambda v, p: _find(_each(v, "findLastIndex"), p, last=True, index=True),
    "groupBy": lambda v, p: _group_by(_each(v, "groupBy"), p),
    "sortBy": lambda v, p, order=None: _sort_by(_each(v, "sortBy"), p, order or "asc"),
    "reduce": lambda v, p, *initial: _reduce(_each(v, "reduce"), p, *initial),
}
