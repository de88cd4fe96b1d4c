"""Parameters and loops: `withItems`, `withParam`, `withSequence`, enums, JSONPath.

A loop task becomes one child per item; each child sees `{{item}}` (and `{{item.key}}`
for maps) rendered the way Argo renders them, and is named `task(index:item)`. The
outputs of a loop task's children are aggregated into JSON arrays
(`tasks.X.outputs.parameters.p`, `tasks.X.outputs.result`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

import yaml

from kflow.workflows.errors import ParameterError
from kflow.workflows.goprintf import sprintf_int
from kflow.workflows.govalues import go_json, json_float
from kflow.workflows.jsonpaths import kubectl_template


class JsonNumber(float):
    """A JSON number with a fraction or exponent, remembering its text (`1.0` stays `1.0`),
    as Argo keeps an item's raw JSON."""

    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, float(text))
        number.text = text
        return number


def _atoi(field: str, value: int | str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    raise ParameterError(f'withSequence.{field}: strconv.Atoi: parsing "{value}": invalid syntax')


def expand_sequence(
    *,
    count: int | str | None = None,
    start: int | str | None = None,
    end: int | str | None = None,
    format: str = "",
) -> list[str]:
    """The items of a `withSequence` (strings, formatted with Go's printf `format`).

    `end` wins over `count`; a `start` above `end` counts down, as in Argo.
    """
    first = _atoi("start", start) if start not in (None, "") else 0
    if end not in (None, ""):
        assert end is not None
        last = _atoi("end", end)
    elif count not in (None, ""):
        assert count is not None
        number = _atoi("count", count)
        if number == 0:
            return []
        last = first + number - 1
    else:
        raise ParameterError("neither end nor count was specified in withSequence")
    step = 1 if first <= last else -1
    return [sprintf_int(format or "%d", value) for value in range(first, last + step, step)]


def items_from_param(with_param: str) -> list[object]:
    """The items of a `withParam`: its (substituted) text must be a JSON list."""
    try:
        items = json.loads(with_param, parse_float=JsonNumber)
    except json.JSONDecodeError as error:
        raise ParameterError(
            f"withParam value could not be parsed as a JSON list: {with_param.strip()}: {error}"
        ) from None
    if not isinstance(items, list):
        raise ParameterError(
            f"withParam value could not be parsed as a JSON list: {with_param.strip()}"
        )
    return items


def item_text(item: object) -> str:
    """What `{{item}}` becomes: strings as-is, numbers/bools as text, maps/lists as JSON."""
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, JsonNumber):
        return item.text
    if isinstance(item, float):
        return json_float(item)
    if isinstance(item, int):
        return str(item)
    if item is None:
        return "null"
    return go_json(item)


def item_scope(item: object) -> dict[str, str]:
    """The variables one loop child sees: `item`, and `item.<key>` for a map."""
    scope = {"item": item_text(item)}
    if isinstance(item, Mapping):
        scope.update({f"item.{key}": item_text(value) for key, value in item.items()})
    return scope


def loop_node_name(name: str, index: int, item: object) -> str:
    """The child's name Argo gives it: `name(index:item)` (maps as sorted `k:v,k:v`)."""
    if isinstance(item, Mapping):
        description = ",".join(sorted(f"{key}:{item_text(value)}" for key, value in item.items()))
    elif isinstance(item, list):
        description = "[" + " ".join(item_text(value) for value in item) + "]"
    else:
        description = item_text(item)
    # parentheses would make the index unrecoverable from the name
    description = description.replace("(", "").replace(")", "")
    return f"{name}({index}:{description})"


def check_enum(name: str, value: str | None, enum: Sequence[str], *, prefix: str = "") -> None:
    """Raise `ParameterError` when `value` is not one of a parameter's `enum` (Argo's
    validation messages, with the allowed values added)."""
    field = f"{prefix}{name}"
    if len(enum) == 0:
        raise ParameterError(f"{field}.enum should contain at least one value")
    if value is None:
        raise ParameterError(f"{field}.value is required")
    if value not in enum:
        allowed = ", ".join(repr(v) for v in enum)
        raise ParameterError(
            f"{field}.value should be present in {field}.enum list (got {value!r}; allowed: {allowed})"
        )


def json_path(document: str | Mapping[str, object], path: str) -> str:
    """`valueFrom.jsonPath` of a resource template: kubectl's JSONPath template (`{.status.phase}`)
    applied to the resource (its JSON or YAML text, or the decoded object)."""
    decoded: object = document
    if isinstance(document, str):
        try:
            decoded = yaml.safe_load(document)  # YAML is a superset of JSON
        except yaml.YAMLError as error:
            raise ParameterError(
                f"valueFrom.jsonPath: the resource is not JSON or YAML: {error}"
            ) from None
    return kubectl_template(decoded, path)


def aggregate_outputs(values: Sequence[str]) -> str:
    """A loop task's output parameter (`tasks.X.outputs.parameters.p`): its children's values
    as a JSON array, holding JSON objects/lists decoded when every value is one."""
    decoded: list[object] = []
    for value in values:
        try:
            parsed = json.loads(value, parse_float=JsonNumber)
        except json.JSONDecodeError:
            return go_json(list(values))
        if not isinstance(parsed, (dict, list)):
            return go_json(list(values))
        decoded.append(parsed)
    return _dumps(decoded)


def aggregate_results(results: Sequence[str]) -> str:
    """A loop task's `outputs.result`: children's results as a JSON array, each decoded when
    it is JSON and kept as a string when it is not."""
    items: list[object] = []
    for result in results:
        try:
            items.append(json.loads(result, parse_float=JsonNumber))
        except json.JSONDecodeError:
            items.append(result)
    return _dumps(items)


def aggregate_parameter_maps(outputs: Sequence[Mapping[str, str]]) -> str:
    """`tasks.X.outputs.parameters` of a loop task: one `{name: value}` map per child."""
    return go_json([dict(output) for output in outputs])


def _dumps(value: object) -> str:
    """go_json, writing a decoded JSON number back as its original text."""
    if isinstance(value, JsonNumber):
        return value.text
    if isinstance(value, list):
        return "[" + ",".join(_dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json(str(k))}:{_dumps(value[k])}" for k in sorted(value)) + "}"
    return go_json(value)
