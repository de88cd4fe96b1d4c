"""Small helpers every core kind module uses.

Object bodies arrive as user input, so a field may hold anything: `as_dict` and
`as_list` read a field as the container it should be (empty when it is not), and
`or_none` prints an empty cell as kubectl does. `core_kind` builds the `KindInfo` of a
core-group (`v1`) kind, whose body is always checked against its typed model first.
"""

from __future__ import annotations

from typing import Any

from kflow.api.kinds import Column, Defaulter, KindInfo, Validator
from kflow.api.models.base import K8sModel, model_schema
from kflow.api.models.causes import typed_validator


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def or_none(value: Any) -> str:
    return str(value) if value not in (None, "") else "<none>"


def core_kind(
    model: type[K8sModel],
    plural: str,
    *,
    columns: tuple[Column, ...],
    defaulters: tuple[Defaulter, ...] = (),
    validators: tuple[Validator, ...] = (),
    **fields: Any,
) -> KindInfo:
    """The `v1` kind named after `model`; `fields` are any other `KindInfo` fields."""
    return KindInfo(
        group="",
        version="v1",
        kind=model.__name__,
        plural=plural,
        schema=model_schema(model),
        defaulters=defaulters,
        validators=(typed_validator(model), *validators),
        columns=columns,
        **fields,
    )
