"""Small helpers over object metadata: times, uids, names, owner references.

Objects stay plain JSON-shaped dicts throughout kflow (so unknown fields survive a
round trip, as in Kubernetes); these functions are the one place that knows where in
such a dict a name, a label or a timestamp lives.
"""

from __future__ import annotations

import copy
import datetime as _dt
import re
import secrets
import uuid
from typing import Any

from kflow.api.errors import Cause

Obj = dict[str, Any]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_RANDOM_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for generateName


def now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def timestamp(when: _dt.datetime | None = None) -> str:
    """RFC 3339 in UTC with second precision, as Kubernetes writes metadata times."""
    return (when or now()).astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_timestamp(when: _dt.datetime | None = None) -> str:
    """RFC 3339 with microseconds (Kubernetes' MicroTime, e.g. an Event's eventTime)."""
    return (when or now()).astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_timestamp(text: str) -> _dt.datetime:
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def new_uid() -> str:
    return str(uuid.uuid4())


def random_suffix(length: int = 5) -> str:
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(length))


def meta(obj: Obj) -> Obj:
    """The object's metadata dict, created if missing."""
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = obj["metadata"] = {}
    return m


def name_of(obj: Obj) -> str:
    return str(meta(obj).get("name") or "")


def namespace_of(obj: Obj) -> str:
    return str(meta(obj).get("namespace") or "")


def labels_of(obj: Obj) -> dict[str, str]:
    return dict(meta(obj).get("labels") or {})


def clone(obj: Obj) -> Obj:
    """A deep copy: never mutate an object read from the store."""
    return _copy(obj)  # type: ignore[no-any-return]


_SHARED = (str, int, float, bool, type(None))  # immutable: a copy may share them


def _copy(value: Any) -> Any:
    """`copy.deepcopy` for JSON trees, three times faster (no memo: a tree has no cycles);
    anything else is deep-copied as usual."""
    kind = type(value)
    if kind is dict:
        return {k: _copy(v) for k, v in value.items()}
    if kind is list:
        return [_copy(v) for v in value]
    if kind in _SHARED:
        return value
    return copy.deepcopy(value)


def owner_reference(owner: Obj, *, controller: bool = True, block: bool = True) -> Obj:
    """An ownerReference that points at `owner`."""
    m = meta(owner)
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": m["name"],
        "uid": m["uid"],
        "controller": controller,
        "blockOwnerDeletion": block,
    }


def check_name(name: str, field: str = "metadata.name", *, label: bool = False) -> list[Cause]:
    """Causes if `name` is not a DNS-1123 subdomain (or label)."""
    limit = 63 if label else 253
    pattern = _DNS1123_LABEL if label else _DNS1123_SUBDOMAIN
    if not name:
        return [
            Cause(field, "Required value: name or generateName is required", "FieldValueRequired")
        ]
    what = "RFC 1123 label" if label else "RFC 1123 subdomain"
    if len(name) > limit:
        return [Cause(field, f'Invalid value: "{name}": must be no more than {limit} characters')]
    if not pattern.match(name):
        return [
            Cause(
                field,
                f'Invalid value: "{name}": a lowercase {what} must consist of lower case '
                "alphanumeric characters, '-' or '.', and must start and end with an "
                "alphanumeric character",
            )
        ]
    return []


def condition(obj: Obj, type_: str) -> Obj | None:
    """The status condition of `type_`, if present."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == type_:
            return dict(cond)
    return None
