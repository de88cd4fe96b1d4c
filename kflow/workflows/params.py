"""Parameters and loops: `withItems`, `withParam`, `withSequence`, enums, JSONPath.

A loop task becomes one child per item; each child sees `{{item}}` (and `{{item.key}}`
for maps) rendered the way Argo renders them, and is named `task(index:item)`. The
outputs of a loop task's children are aggregated into JSON arrays.
"""

from __future__ import annotations

from collections.abc import Sequence


def expand_sequence(
    *,
    count: int | str | None = None,
    start: int | str | None = None,
    end: int | str | None = None,
    format: str = "",
) -> list[str]:
    """The items of a `withSequence` (strings, formatted with Go's printf `format`)."""
    raise NotImplementedError("kflow.workflows.params.expand_sequence is being written")


def items_from_param(with_param: str) -> list[object]:
    """The items of a `withParam`: its (substituted) text must be a JSON list."""
    raise NotImplementedError("kflow.workflows.params.items_from_param is being written")


def item_text(item: object) -> str:
    """What `{{item}}` becomes: strings as-is, numbers/bools as text, maps/lists as JSON."""
    raise NotImplementedError("kflow.workflows.params.item_text is being written")


def item_scope(item: object) -> dict[str, str]:
    """The variables one loop child sees: `item`, and `item.<key>` for a map."""
    raise NotImplementedError("kflow.workflows.params.item_scope is being written")


def loop_node_name(name: str, index: int, item: object) -> str:
    """The child's name Argo gives it: `name(index:item)`."""
    raise NotImplementedError("kflow.workflows.params.loop_node_name is being written")


def check_enum(name: str, value: str, enum: Sequence[str]) -> None:
    """Raise `ParameterError` when `value` is not one of a parameter's `enum`."""
    raise NotImplementedError("kflow.workflows.params.check_enum is being written")


def json_path(document: str, path: str) -> str:
    """`valueFrom.jsonPath`: the value at `path` in the JSON `document`, as text."""
    raise NotImplementedError("kflow.workflows.params.json_path is being written")


def aggregate_outputs(values: Sequence[str]) -> str:
    """A loop task's output parameter: its children's values as a JSON array."""
    raise NotImplementedError("kflow.workflows.params.aggregate_outputs is being written")
