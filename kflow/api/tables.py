"""Server-side printing: objects as a `meta.k8s.io/v1` Table, the way kubectl asks.

`kubectl get` sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints
whatever columns the server returns, so the columns a kind declares (`KindInfo.columns`)
are the columns users see. Kinds without columns get NAME and AGE, as Kubernetes
serves custom resources without `additionalPrinterColumns`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from kflow.api import meta as m
from kflow.api.kinds import Column, KindInfo, Obj

_FORMATS = {"NAME": "name"}
_NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically."
)
_AGE_DESCRIPTION = (
    "CreationTimestamp is a timestamp representing the server time when this object was created."
)


def human_age(when: str | _dt.datetime | None, now: _dt.datetime | None = None) -> str:
    """Time since `when`, as kubectl prints it: `5s`, `3m2s`, `17m`, `5h3m`, `2d`, `3y`."""
    if not when:
        return "<unknown>"
    try:
        then = m.parse_timestamp(when) if isinstance(when, str) else when
    except ValueError:
        return "<unknown>"
    seconds_total = int(((now or m.now()) - then).total_seconds())
    return human_duration(seconds_total)


def human_duration(seconds: int) -> str:
    """A duration as k8s.io/apimachinery's `duration.HumanDuration` writes it."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def name_column() -> Column:
    """The NAME column every table starts with."""
    return Column("NAME", m.name_of, description=_NAME_DESCRIPTION)


def age_column() -> Column:
    """The AGE column, from `metadata.creationTimestamp`."""
    return Column(
        "AGE",
        lambda obj: human_age(m.meta(obj).get("creationTimestamp")),
        type="string",
        description=_AGE_DESCRIPTION,
    )


def default_columns() -> tuple[Column, ...]:
    """NAME and AGE: what Kubernetes prints for a kind without printer columns."""
    return (name_column(), age_column())


def _partial_metadata(obj: Obj) -> dict[str, Any]:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": m.clone(obj.get("metadata") or {}),
    }


def _cell(column: Column, obj: Obj) -> Any:
    try:
        value = column.cell(obj)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        # a malformed object prints an empty cell rather than failing the whole list
        return "<unknown>" if column.type == "string" else None
    return value


def to_table(
    info: KindInfo,
    objs: list[Obj],
    wide: bool = False,
    *,
    include_object: str = "Metadata",
    resource_version: str = "",
    continue_token: str = "",
) -> dict[str, Any]:
    """A `meta.k8s.io/v1` Table of `objs` with the kind's columns.

    Kubernetes always returns every column with its `priority` and lets kubectl hide the
    priority-1 ones unless `-o wide`; `wide=False` drops them here as well, which is
    what a caller that prints the table itself wants. `include_object` follows the
    `includeObject` query parameter: `Metadata` (the default, a
    PartialObjectMetadata), `Object` (the full body) or `None`.
    """
    columns = [c for c in (info.columns or default_columns()) if wide or c.priority == 0]
    definitions = [
        {
            "name": c.name,
            "type": c.type,
            "format": _FORMATS.get(c.name, ""),
            "description": c.description or c.name.title(),
            "priority": c.priority,
        }
        for c in columns
    ]
    rows = []
    for obj in objs:
        row: dict[str, Any] = {"cells": [_cell(c, obj) for c in columns]}
        if include_object == "Object":
            row["object"] = m.clone(obj)
        elif include_object != "None":
            row["object"] = _partial_metadata(obj)
        rows.append(row)
    metadata: dict[str, Any] = {}
    if resource_version:
        metadata["resourceVersion"] = resource_version
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    }
