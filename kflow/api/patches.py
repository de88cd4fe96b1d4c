"""PATCH bodies applied to a stored object: merge, JSON, strategic merge and apply patches.

kubectl picks the patch type: `kubectl patch --type merge|json|strategic`, `kubectl
apply` (client-side) sends a strategic merge patch for core kinds, `kubectl edit` too,
and `kubectl apply --server-side` sends an apply patch. The server reads the stored
object, calls `apply_patch()`, and admits the result as an UPDATE (or CREATE for an
apply patch of a missing object), so a patch is validated exactly like a PUT.

Strategic merge follows Kubernetes' patch-merge keys for the fields kubectl touches
(containers by `name`, volumeMounts by `mountPath`, ...). Server-side apply is
simplified: there is no field ownership (`managedFields`); applying merges the
applied configuration into the live object with merge-patch rules, or creates it.
"""

from __future__ import annotations

import json
from typing import Any

import jsonpatch
import jsonpointer
import yaml

from kflow.api import meta as m
from kflow.api.errors import BadRequest, UnsupportedMediaType
from kflow.api.kinds import KindInfo, Obj
from kflow.api.merge_keys import MERGE_KEYS, MERGED_PRIMITIVE_LISTS

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

Patch = bytes | str | dict[str, Any] | list[Any]

_MERGE_KEYS = MERGE_KEYS
_MERGED_PRIMITIVE_LISTS = MERGED_PRIMITIVE_LISTS


def apply_patch(content_type: str, original: Obj, patch: Patch, info: KindInfo) -> Obj:
    """The object `original` becomes under `patch` of `content_type`; `original` is untouched.

    `content_type` may carry parameters (`; charset=utf-8`). For an apply patch of an
    object that does not exist yet, pass `{}` as `original`: the result is the applied
    configuration. Raises BadRequest for a malformed patch (a JSON patch error names
    the operation's index) and UnsupportedMediaType for any other content type.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in PATCH_TYPES:
        raise UnsupportedMediaType(
            f'the body of the request was in an unknown format "{content_type}": '
            f"accepted media types include: {', '.join(PATCH_TYPES)}"
        )
    body = _decode(patch, yaml_ok=media == APPLY_PATCH)
    if media == JSON_PATCH:
        return json_patch(original, body)
    if not isinstance(body, dict):
        raise BadRequest(f"a {media} patch must be a JSON object, not a {type(body).__name__}")
    if media == STRATEGIC_MERGE_PATCH:
        return strategic_merge_patch(original, body)
    if media == APPLY_PATCH:
        return _server_side_apply(original, body, info)
    merged: Obj = merge_patch(original, body)
    return merged


def _decode(patch: Patch, *, yaml_ok: bool) -> Any:
    if isinstance(patch, dict | list):
        return m.clone(patch)  # type: ignore[arg-type]
    text = patch.decode("utf-8", errors="replace") if isinstance(patch, bytes) else patch
    try:
        return yaml.safe_load(text) if yaml_ok else json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise BadRequest(f"the patch is not valid {'YAML' if yaml_ok else 'JSON'}: {exc}") from None


# --- RFC 7386 --------------------------------------------------------------------------------


def merge_patch(original: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: maps merge, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return m.clone({"v": patch})["v"]
    result = m.clone(original) if isinstance(original, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- RFC 6902 -------------------------------------------------------------------------------


def json_patch(original: Obj, operations: Any) -> Obj:
    """RFC 6902 JSON patch, applied operation by operation so an error names its index."""
    if not isinstance(operations, list):
        raise BadRequest("a JSON patch must be a list of operations")
    document: Any = m.clone(original)
    for i, operation in enumerate(operations):
        try:
            document = jsonpatch.JsonPatch([operation]).apply(document, in_place=True)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
            what = ""
            if isinstance(operation, dict):
                what = f" ({operation.get('op')} {operation.get('path')})"
            raise BadRequest(f"JSON patch operation {i}{what} failed: {exc}") from None
        except (TypeError, KeyError, AttributeError) as exc:
            raise BadRequest(f"JSON patch operation {i} is malformed: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequest("a JSON patch must leave an object, not replace it with a value")
    return document


# --- strategic merge ----------------------------------------------------------------------------


def strategic_merge_patch(original: Obj, patch: Obj) -> Obj:
    """Kubernetes' strategic merge patch, for the list fields and directives kubectl uses."""
    result = _merge_map(m.clone(original), m.clone(patch), ())
    return result if isinstance(result, dict) else {}


def _merge_key(path: tuple[str, ...], field: str) -> str | None:
    if field == "ports":
        # container ports merge by containerPort, Service ports by port
        return "port" if path == ("spec",) else "containerPort"
    return _MERGE_KEYS.get(field)


def _merge_map(original: Any, patch: Obj, path: tuple[str, ...]) -> Any:
    directive = patch.pop("$patch", None)
    if directive == "delete":
        return None
    if directive == "replace":
        return _strip_directives(patch)
    if directive is not None:
        raise BadRequest(f'unknown patch directive "$patch: {directive}" at "{".".join(path)}"')
    result: dict[str, Any] = original if isinstance(original, dict) else {}
    retain = patch.pop("$retainKeys", None)
    for key in [k for k in patch if k.startswith("$setElementOrder/")]:
        del patch[key]  # ordering hints; element order follows the live object
    for key in [k for k in patch if k.startswith("$deleteFromPrimitiveList/")]:
        field = key.split("/", 1)[1]
        doomed = patch.pop(key) or []
        if isinstance(result.get(field), list):
            result[field] = [item for item in result[field] if item not in doomed]
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(result.get(key), value, (*path, key))
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(result.get(key), value, path, key)
        else:
            result[key] = value
    if isinstance(retain, list):
        for key in [k for k in result if k not in retain]:
            del result[key]
    return result


def _merge_list(original: Any, patch: list[Any], path: tuple[str, ...], field: str) -> list[Any]:
    key = _merge_key(path, field)
    live = original if isinstance(original, list) else []
    if any(isinstance(item, dict) and item.get("$patch") == "replace" for item in patch):
        return [_strip_directives(i) for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    if field in _MERGED_PRIMITIVE_LISTS:
        return live + [item for item in patch if item not in live]
    if key is None or not all(isinstance(item, dict) for item in patch):
        return [_strip_directives(item) for item in patch]
    result = list(live)
    for item in patch:
        value = item.get(key)
        index = next(
            (i for i, e in enumerate(result) if isinstance(e, dict) and e.get(key) == value), None
        )
        if item.get("$patch") == "delete":
            result = [e for e in result if not (isinstance(e, dict) and e.get(key) == value)]
        elif index is None:
            result.append(_strip_directives(item))
        else:
            merged = _merge_map(result[index], item, (*path, field))
            if merged is None:
                del result[index]
            else:
                result[index] = merged
    return result


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _strip_directives(v)
            for k, v in value.items()
            if not k.startswith("$") and v is not None
        }
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


# --- server-side apply -----------------------------------------------------------------------------


def _server_side_apply(original: Obj, applied: Obj, info: KindInfo) -> Obj:
    """Create from the applied configuration, or merge it into the live object.

    A simplification of server-side apply: no field managers, no conflicts, and
    fields dropped from a later configuration are not removed.
    """
    if not original:
        return applied
    if applied.get("kind") not in (None, info.kind):
        raise BadRequest(f"the applied configuration is a {applied.get('kind')}, not a {info.kind}")
    merged: Obj = merge_patch(original, applied)
    return merged
