"""Validation causes: Pydantic errors in Kubernetes wording, and the shared name rules.

Every typed kind validates its body against its model; this module turns each
Pydantic error into a `Cause` with the field path and wording Kubernetes uses
(`spec.containers[0].name: Required value`, `Unsupported value: "Sometimes":
supported values: ...`), so users see the same message kubectl would show them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from kflow.api.errors import Cause
from kflow.api.kinds import Obj, Validator

# fields whose children are map keys, printed as `labels[app]` rather than `labels.app`
_MAP_FIELDS = frozenset(
    {
        "labels",
        "annotations",
        "data",
        "binaryData",
        "stringData",
        "limits",
        "requests",
        "selector",
        "nodeSelector",
        "capacity",
        "matchLabels",
    }
)
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_IANA_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def field_path(loc: tuple[int | str, ...] | list[int | str], prefix: str = "") -> str:
    """`("spec", "containers", 0, "name")` -> `spec.containers[0].name`."""
    out = prefix
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int) or (isinstance(previous, str) and previous in _MAP_FIELDS):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
        previous = part
    return out


def _show(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def _expected(ctx: dict[str, Any]) -> list[str]:
    return sorted(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))


def cause_of(error: Any, prefix: str = "") -> Cause:
    """One Pydantic error as a Kubernetes cause."""
    path = field_path(tuple(error["loc"]), prefix)
    kind = error["type"]
    value = error.get("input")
    if kind == "missing":
        return Cause(path, "Required value", "FieldValueRequired")
    if kind in ("enum", "literal_error"):
        allowed = ", ".join(f'"{v}"' for v in _expected(error.get("ctx") or {}))
        return Cause(
            path,
            f"Unsupported value: {_show(value)}: supported values: {allowed}",
            "FieldValueNotSupported",
        )
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        message = f"Invalid value: {_show(value)}: {message[0].lower()}{message[1:]}"
        return Cause(path, message, "FieldValueTypeInvalid")
    return Cause(path, f"Invalid value: {_show(value)}: {message}")


def model_causes(model: type[BaseModel], body: Any, prefix: str = "") -> list[Cause]:
    """What is wrong with `body` according to `model`, as causes with field paths."""
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return [cause_of(error, prefix) for error in exc.errors()]
    return []


def typed_validator(model: type[BaseModel]) -> Validator:
    """A kind's validator that checks the whole body against the kind's typed `model`."""

    def validate(obj: Obj, old: Obj | None) -> list[Cause]:
        return model_causes(model, obj)

    validate.__name__ = f"validate_{model.__name__}"
    return validate


def check_dns1035_label(name: str, field: str) -> list[Cause]:
    """Causes if `name` is not a DNS-1035 label (Service names)."""
    if len(name) > 63:
        return [Cause(field, f'Invalid value: "{name}": must be no more than 63 characters')]
    if not _DNS1035_LABEL.match(name):
        return [
            Cause(
                field,
                f'Invalid value: "{name}": a DNS-1035 label must consist of lower case '
                "alphanumeric characters or '-', start with an alphabetic character, and end "
                "with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
                "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
            )
        ]
    return []


def check_config_key(key: str, field: str) -> list[Cause]:
    """Causes if `key` cannot be a ConfigMap or Secret key (and so a file name)."""
    if len(key) > 253:
        return [Cause(field, f'Invalid value: "{key}": must be no more than 253 characters')]
    if key in (".", ".."):
        return [Cause(field, f"Invalid value: \"{key}\": must not be '{key}'")]
    if not _CONFIG_KEY.match(key):
        return [
            Cause(
                field,
                f'Invalid value: "{key}": a valid config key must consist of alphanumeric '
                "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
                "regex used for validation is '[-._a-zA-Z0-9]+')",
            )
        ]
    return []


def check_port_number(value: Any, field: str) -> list[Cause]:
    """Causes if `value` is not a port number."""
    if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= 65535:
        return [Cause(field, f"Invalid value: {value}: must be between 1 and 65535, inclusive")]
    return []


def check_port_name(value: Any, field: str) -> list[Cause]:
    """Causes if `value` is not an IANA service name (`http`, `grpc-web`)."""
    if not isinstance(value, str) or not value:
        return []
    problems = []
    if len(value) > 15:
        problems.append("must be no more than 15 characters")
    if not _IANA_SVC_NAME.match(value) or "--" in value:
        problems.append(
            "must contain only lowercase alphanumeric characters or '-', start and end with "
            "an alphanumeric character, and not contain '--'"
        )
    if not re.search(r"[a-z]", value):
        problems.append("must contain at least one letter (a-z)")
    return [Cause(field, f'Invalid value: "{value}": {p}') for p in problems]
