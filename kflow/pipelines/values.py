"""KFP parameter values as Argo parameters: one table of types, one encoding.

KFP v2 types every parameter (`STRING`, `NUMBER_INTEGER`, `NUMBER_DOUBLE`, `BOOLEAN`,
`LIST`, `STRUCT`, `TASK_FINAL_STATUS`); Argo passes strings. A value crosses the
engine encoded the way KFP v1 and Argo's own loops do it: a string as itself, anything
else as compact JSON. So `{{item}}` of a JSON list, a task's output parameter and an
aggregated loop output (`[1,2,3]`) all decode with the type the consumer declares.

The IR stores every number as a protobuf `Value` (a double: `constant: 2.0`,
`defaultValue: [1.0, 2.0]`), which would turn ints into floats on the way to a
function annotated `int` or `List[int]`; `from_ir` puts the ints back (integral
floats inside lists and structs too, since the DSL wrote them from Python ints).
"""

from __future__ import annotations

import enum
import json
import math
from typing import Any

from kflow.pipelines.errors import ArgumentError


class ParameterType(str, enum.Enum):
    """The pipeline-spec parameter types (`parameterType` in the IR)."""

    STRING = "STRING"  # str
    NUMBER_INTEGER = "NUMBER_INTEGER"  # int
    NUMBER_DOUBLE = "NUMBER_DOUBLE"  # float
    BOOLEAN = "BOOLEAN"  # bool
    LIST = "LIST"  # list, any JSON items
    STRUCT = "STRUCT"  # dict, any JSON values
    TASK_FINAL_STATUS = "TASK_FINAL_STATUS"  # dsl.PipelineTaskFinalStatus, a struct


PYTHON_TYPES: dict[ParameterType, tuple[type, ...]] = {
    ParameterType.STRING: (str,),
    ParameterType.NUMBER_INTEGER: (int,),
    ParameterType.NUMBER_DOUBLE: (float, int),
    ParameterType.BOOLEAN: (bool,),
    ParameterType.LIST: (list, tuple),
    ParameterType.STRUCT: (dict,),
    ParameterType.TASK_FINAL_STATUS: (dict,),
}
"""What a value of each type may be in Python (a bool is never a number here)."""


def parameter_type(text: str, field: str) -> ParameterType:
    try:
        return ParameterType(text)
    except ValueError:
        allowed = ", ".join(t.value for t in ParameterType)
        raise ArgumentError(
            f"{field}: unknown parameterType {text!r} (allowed: {allowed})"
        ) from None


def _ints_back(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return int(value)
    if isinstance(value, list):
        return [_ints_back(v) for v in value]
    if isinstance(value, dict):
        return {k: _ints_back(v) for k, v in value.items()}
    return value


def from_ir(value: Any, type_: ParameterType) -> Any:
    """A constant or default from the IR as the Python value the DSL was given."""
    if type_ is ParameterType.NUMBER_INTEGER and isinstance(value, float) and value.is_integer():
        return int(value)
    if type_ in (ParameterType.LIST, ParameterType.STRUCT):
        return _ints_back(value)
    return value


def check(value: Any, type_: ParameterType, field: str) -> Any:
    """`value` if it fits `type_` (an int is a valid double), else an `ArgumentError`."""
    allowed = PYTHON_TYPES[type_]
    fits = isinstance(value, allowed) and not (isinstance(value, bool) and bool not in allowed)
    if not fits:
        raise ArgumentError(
            f"{field}: expected {type_.value} ({' or '.join(t.__name__ for t in PYTHON_TYPES[type_])}), "
            f"got {type(value).__name__} {value!r}"
        )
    if type_ is ParameterType.NUMBER_DOUBLE:
        return float(value)
    if type_ is ParameterType.LIST:
        return list(value)
    return value


def encode(value: Any) -> str:
    """The Argo parameter string for a value: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def decode(text: str, type_: ParameterType, field: str) -> Any:
    """The typed value an Argo parameter string carries, for a consumer of `type_`."""
    if type_ is ParameterType.STRING:
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        if type_ is ParameterType.BOOLEAN and text in ("True", "False"):
            return text == "True"
        raise ArgumentError(f"{field}: {text!r} is not a valid {type_.value} value") from None
    if type_ is ParameterType.NUMBER_INTEGER and isinstance(value, float) and value.is_integer():
        value = int(value)
    return check(value, type_, field)


def collected(values: list[Any], item_type: ParameterType, field: str) -> list[Any]:
    """A `dsl.Collected` list with each item as its producer typed it.

    Argo parses every aggregated value that is valid JSON, so a string output `"1"`
    arrives as the number 1; the producer's type puts it back.
    """
    out: list[Any] = []
    for i, item in enumerate(values):
        if item_type is ParameterType.STRING and not isinstance(item, str):
            item = encode(item)
        elif isinstance(item, str) and item_type is not ParameterType.STRING:
            item = decode(item, item_type, f"{field}[{i}]")
        out.append(item)
    return out
