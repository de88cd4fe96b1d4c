"""KFP's `filter` query parameter: a JSON `Filter` of predicates, all of which must hold.

The JSON is a protobuf message, so it arrives in any spelling protobuf's JSON parser
accepts: field names as declared (`string_value`) or camelCase (`stringValue`), and
operations by name (`"EQUALS"`) or number (`1`, as `kfp.Client.get_pipeline_id`
sends). `parse` checks it once and names what is wrong; `Filter.matches` evaluates it
against a record through a `lookup` of the API field names the listing allows.

Values compare as KFP's SQL does: a `timestamp_value` as seconds since the epoch,
numbers as numbers, `IS_SUBSTRING` as a case-insensitive `LIKE '%v%'`.
"""

from __future__ import annotations

import dataclasses
import enum
import urllib.parse
from collections.abc import Callable, Collection
from typing import Any

import orjson

from kflow.api.kfp import times
from kflow.api.kfp.errors import InvalidArgument


class Operation(enum.Enum):
    """filter.proto's Predicate.Operation, with its numbers."""

    EQUALS = 1
    NOT_EQUALS = 2
    GREATER_THAN = 3
    GREATER_THAN_EQUALS = 5
    LESS_THAN = 6
    LESS_THAN_EQUALS = 7
    IN = 8
    IS_SUBSTRING = 9


_SCALARS = ("int_value", "long_value", "string_value", "timestamp_value")
_LISTS = ("int_values", "long_values", "string_values")
_CAMEL = {
    "intValue": "int_value",
    "longValue": "long_value",
    "stringValue": "string_value",
    "timestampValue": "timestamp_value",
    "intValues": "int_values",
    "longValues": "long_values",
    "stringValues": "string_values",
}
_COMPARE: dict[Operation, Callable[[Any, Any], bool]] = {
    Operation.EQUALS: lambda a, b: a == b,
    Operation.NOT_EQUALS: lambda a, b: a != b,
    Operation.GREATER_THAN: lambda a, b: a > b,
    Operation.GREATER_THAN_EQUALS: lambda a, b: a >= b,
    Operation.LESS_THAN: lambda a, b: a < b,
    Operation.LESS_THAN_EQUALS: lambda a, b: a <= b,
}


@dataclasses.dataclass(frozen=True)
class Predicate:
    """One condition: `key` (an API field name) `operation` `value` (or `values` for IN)."""

    key: str
    operation: Operation
    value: Any = None
    values: tuple[Any, ...] = ()

    def holds(self, actual: Any) -> bool:
        if self.operation is Operation.IN:
            return any(_same(actual, v) for v in self.values)
        if self.operation is Operation.IS_SUBSTRING:
            return str(self.value).lower() in str(actual if actual is not None else "").lower()
        left, right = _comparable(actual, self.value)
        try:
            return _COMPARE[self.operation](left, right)
        except TypeError:
            return False


@dataclasses.dataclass(frozen=True)
class Filter:
    """Predicates that must all hold; the empty filter matches everything."""

    predicates: tuple[Predicate, ...] = ()
    source: str = ""  # the JSON it was parsed from, kept in page tokens

    def matches(self, lookup: Callable[[str], Any]) -> bool:
        return all(p.holds(lookup(p.key)) for p in self.predicates)


def parse(encoded: str | None, allowed: Collection[str]) -> Filter:
    """The filter of a `filter` query parameter (URL-encoded JSON), keys checked against `allowed`."""
    if not encoded:
        return Filter()
    text = urllib.parse.unquote(encoded)
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"failed to parse valid filter from {encoded!r}: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidArgument(f"failed to parse valid filter from {encoded!r}: not a JSON object")
    raw = body.get("predicates") or []
    if not isinstance(raw, list):
        raise InvalidArgument("filter.predicates must be a list of predicates")
    predicates = tuple(_predicate(p, i, allowed) for i, p in enumerate(raw))
    return Filter(predicates, text)


def _predicate(raw: Any, index: int, allowed: Collection[str]) -> Predicate:
    where = f"filter.predicates[{index}]"
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{where} must be an object with key, operation and a value")
    fields = {_CAMEL.get(k, k): v for k, v in raw.items()}
    key = fields.get("key")
    if not isinstance(key, str) or not key:
        raise InvalidArgument(f"{where}.key is required")
    if key not in allowed:
        raise InvalidArgument(
            f'{where}.key "{key}" cannot be filtered on; allowed keys: {", ".join(sorted(allowed))}'
        )
    operation = _operation(fields.get("operation"), where)
    scalars = [name for name in _SCALARS if fields.get(name) is not None]
    lists = [name for name in _LISTS if fields.get(name) is not None]
    if operation is Operation.IN:
        if len(lists) != 1 or scalars:
            raise InvalidArgument(
                f"{where}: operation IN needs exactly one of int_values, long_values or string_values"
            )
        return Predicate(key, operation, values=_list_values(fields[lists[0]], lists[0], where))
    if len(scalars) != 1 or lists:
        raise InvalidArgument(
            f"{where}: operation {operation.name} needs exactly one of {', '.join(_SCALARS)}"
        )
    name = scalars[0]
    if operation is Operation.IS_SUBSTRING and name != "string_value":
        raise InvalidArgument(f"{where}: operation IS_SUBSTRING needs a string_value")
    return Predicate(key, operation, value=_scalar(fields[name], name, where))


def _operation(raw: Any, where: str) -> Operation:
    if isinstance(raw, str) and raw in Operation.__members__:
        return Operation[raw]
    if isinstance(raw, int) and not isinstance(raw, bool):
        for op in Operation:
            if op.value == raw:
                return op
    if isinstance(raw, str) and raw.isdigit():
        return _operation(int(raw), where)
    names = ", ".join(op.name for op in Operation)
    raise InvalidArgument(f"{where}.operation {raw!r} is not one of {names}")


def _scalar(value: Any, name: str, where: str) -> Any:
    if name == "timestamp_value":
        if not isinstance(value, str):
            raise InvalidArgument(f"{where}.timestamp_value must be an RFC 3339 string")
        return times.parse(value, f"{where}.timestamp_value")
    if name == "string_value":
        if not isinstance(value, str):
            raise InvalidArgument(f"{where}.string_value must be a string")
        return value
    try:
        return int(value)  # int64 arrives as a JSON string, as protobuf writes it
    except (TypeError, ValueError):
        raise InvalidArgument(f"{where}.{name} must be an integer, not {value!r}") from None


def _list_values(raw: Any, name: str, where: str) -> tuple[Any, ...]:
    values = raw.get("values") if isinstance(raw, dict) else None
    if not isinstance(values, list):
        raise InvalidArgument(f'{where}.{name} must be {{"values": [...]}}')
    scalar = "string_value" if name == "string_values" else "long_value"
    return tuple(_scalar(v, scalar, f"{where}.{name}") for v in values)


def _comparable(actual: Any, expected: Any) -> tuple[Any, Any]:
    """Both sides as one type: numbers when either is a number, else strings."""
    if isinstance(expected, int) and not isinstance(actual, int):
        try:
            return int(actual), expected
        except (TypeError, ValueError):
            return str(actual), str(expected)
    if isinstance(actual, int) and not isinstance(expected, int):
        try:
            return actual, int(expected)
        except (TypeError, ValueError):
            return str(actual), str(expected)
    return ("" if actual is None else actual), expected


def _same(actual: Any, expected: Any) -> bool:
    left, right = _comparable(actual, expected)
    return bool(left == right)
