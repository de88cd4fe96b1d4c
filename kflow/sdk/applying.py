"""Client-side apply, as kubectl does it: a three-way JSON merge patch.

`kubectl apply` keeps the configuration it last applied in the
`kubectl.kubernetes.io/last-applied-configuration` annotation. The next apply compares
three versions: that *original*, the new *modified* configuration, and the *current*
object on the server. Fields that were in the original but are gone from the new
configuration are deleted (`null` in the patch); fields of the new configuration that
differ from the current object are set; fields that only the server or controllers
wrote (status, defaults) are left alone. An empty patch means "unchanged".
"""

from __future__ import annotations

import copy
import enum
import json
from typing import Any

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

Obj = dict[str, Any]
_MISSING = object()


class ApplyResult(str, enum.Enum):
    """What `apply` did to one object; the word kubectl prints after its name."""

    CREATED = "created"  # the object did not exist
    CONFIGURED = "configured"  # a patch changed it
    UNCHANGED = "unchanged"  # it already matched the configuration


def with_last_applied(obj: Obj) -> Obj:
    """A copy of `obj` that carries itself in the last-applied annotation."""
    config = copy.deepcopy(obj)
    annotations = (config.get("metadata") or {}).get("annotations") or {}
    annotations.pop(LAST_APPLIED, None)
    if not annotations and isinstance(config.get("metadata"), dict):
        config["metadata"].pop("annotations", None)
    recorded = json.dumps(config, sort_keys=True, separators=(",", ":")) + "\n"
    out = copy.deepcopy(config)
    out.setdefault("metadata", {}).setdefault("annotations", {})[LAST_APPLIED] = recorded
    return out


def last_applied(current: Obj) -> Obj | None:
    """The configuration recorded on a live object, if it has a readable one."""
    text = ((current.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _deletions(original: Obj, modified: Obj, current: Obj) -> Obj:
    patch: Obj = {}
    for key, value in original.items():
        if key not in current:
            continue  # already gone: nothing to delete
        if key not in modified:
            patch[key] = None
        elif isinstance(value, dict) and isinstance(modified[key], dict):
            cur = current[key] if isinstance(current[key], dict) else {}
            sub = _deletions(value, modified[key], cur)
            if sub:
                patch[key] = sub
    return patch


def _covers(live: Any, config: Any) -> bool:
    """True when `live` holds everything `config` says, plus perhaps server defaults."""
    if isinstance(config, dict):
        return isinstance(live, dict) and all(
            k in live and _covers(live[k], v) for k, v in config.items()
        )
    if isinstance(config, list):
        return (
            isinstance(live, list)
            and len(live) == len(config)
            and all(_covers(a, b) for a, b in zip(live, config, strict=True))
        )
    return bool(live == config)


def _changes(current: Obj, modified: Obj, original: Obj | None) -> Obj:
    patch: Obj = {}
    for key, value in modified.items():
        before = original.get(key, _MISSING) if original is not None else _MISSING
        if key not in current:
            patch[key] = copy.deepcopy(value)
        elif isinstance(value, dict) and isinstance(current[key], dict):
            sub = _changes(current[key], value, before if isinstance(before, dict) else None)
            if sub:
                patch[key] = sub
        elif current[key] == value:
            continue
        elif (
            isinstance(value, list)
            and _covers(current[key], value)
            and (original is None or before == value)
        ):
            # a list the user did not change, which the server only filled in with
            # defaults (a container's imagePullPolicy, ...): sending it back would
            # strip those defaults and report "configured" on every apply
            continue
        else:
            patch[key] = copy.deepcopy(value)
    return patch


def _merge(base: Obj, extra: Obj) -> Obj:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def three_way_patch(original: Obj | None, modified: Obj, current: Obj) -> Obj:
    """The JSON merge patch that takes `current` to `modified`, deleting what the user removed.

    Lists are replaced whole, as JSON merge patch defines; a list the configuration
    did not change is left alone while the live one only adds server defaults to it.
    """
    deletions = _deletions(original or {}, modified, current)
    return _merge(deletions, _changes(current, modified, original))
