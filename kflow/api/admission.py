"""Admission: the one path every write takes before it reaches the store.

The server (REST create/update/patch), the CLI's `apply` and the controllers all call
`admit()`, so an object is converted, defaulted and validated the same way whoever
writes it. The steps follow the Kubernetes API server: decode into the request's
version, convert to the storage version, check apiVersion/kind and metadata, run the
kind's defaulters, then every validator, and report all problems at once as one
`Invalid` error with a cause per field.

`field_validation()` implements kubectl's `fieldValidation=Strict|Warn|Ignore` query
parameter: fields the kind's schema does not declare are errors, warnings or ignored.
"""

from __future__ import annotations

import re
from typing import Any

from kflow.api import meta as m
from kflow.api.errors import BadRequest, Cause, InternalError, Invalid
from kflow.api.kinds import KindInfo, Obj

OPERATIONS = ("CREATE", "UPDATE")
FIELD_VALIDATION_MODES = ("Strict", "Warn", "Ignore")

_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# defaulters written for well-formed bodies may trip over a malformed one; the
# validators then say what is malformed, with its field path
_DEFAULTER_ERRORS = (AttributeError, KeyError, TypeError, ValueError, IndexError)


def admit(info: KindInfo, obj: Obj, old: Obj | None, *, operation: str, version: str) -> Obj:
    """The admitted object: converted to `info.version`, defaulted and validated.

    `obj` is the body as the client sent it, written in `version` (the version of the
    request URL); `old` is the stored object on UPDATE. Returns a new dict and never
    mutates `obj` or `old`. Raises `BadRequest` for a body of the wrong kind or
    version and `Invalid` (422) with every cause for a body that breaks the rules.
    """
    if operation not in OPERATIONS:
        raise ValueError(f"admission runs on {' or '.join(OPERATIONS)}, not {operation!r}")
    if not isinstance(obj, dict):
        raise BadRequest(f"the body of a {info.kind} must be a JSON object")
    body = _checked_type(info, m.clone(obj), version)
    if version != info.version:
        body = info.converters[version](body)
        body["apiVersion"] = info.api_version
        body["kind"] = info.kind
    if not isinstance(body.get("metadata"), dict):
        body["metadata"] = {}
    causes = _metadata_causes(info, body, old, operation)

    failure: Exception | None = None
    try:
        for default in info.defaulters:
            default(body)
    except _DEFAULTER_ERRORS as exc:
        failure = exc
    if operation == "CREATE" and info.group == "" and info.kind == "Pod":
        _fresh_pod_status(body)

    for validate in info.validators:
        causes += validate(body, old)
    causes = _unique(causes)
    if causes:
        raise Invalid.of(info.kind, m.name_of(body), causes, group=info.group)
    if failure is not None:
        raise InternalError(f"defaulting {info.kind} failed: {failure}") from failure
    return body


def _checked_type(info: KindInfo, body: Obj, version: str) -> Obj:
    """The body with apiVersion/kind filled in from the URL, or BadRequest if they differ."""
    if version not in info.served_versions:
        raise BadRequest(
            f'{info.kind} is not served at version "{version}": served versions are '
            + ", ".join(f'"{v}"' for v in info.served_versions)
        )
    expected = f"{info.group}/{version}" if info.group else version
    api_version = body.setdefault("apiVersion", expected)
    kind = body.setdefault("kind", info.kind)
    if kind != info.kind:
        raise BadRequest(
            f"the kind in the body ({kind}) does not match the kind of the request "
            f"({info.kind}): send it to the {kind} resource instead"
        )
    if api_version != expected:
        raise BadRequest(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({expected})"
        )
    return body


def _metadata_causes(info: KindInfo, body: Obj, old: Obj | None, operation: str) -> list[Cause]:
    md = body["metadata"]
    causes: list[Cause] = []
    if not info.namespaced:
        md.pop("namespace", None)  # cluster-scoped objects have no namespace, silently
    elif not md.get("namespace"):
        causes.append(Cause("metadata.namespace", "Required value", "FieldValueRequired"))
    elif isinstance(md["namespace"], str):
        causes += m.check_name(md["namespace"], "metadata.namespace", label=True)

    name, generate = md.get("name"), md.get("generateName")
    if name and isinstance(name, str):
        causes += m.check_name(name)
    elif operation == "CREATE" and generate and isinstance(generate, str):
        # the store appends a random suffix; the prefix must lead to a valid name
        causes += [
            Cause("metadata.generateName", c.message, c.reason)
            for c in m.check_name(generate.rstrip("-") or "x", "metadata.generateName")
        ]
    else:
        causes += m.check_name("")

    for field in ("labels", "annotations"):
        causes += _map_causes(md.get(field), f"metadata.{field}", values=field == "labels")

    if operation == "UPDATE" and old is not None:
        before = old.get("metadata") or {}
        for field in ("name", "namespace", "uid"):
            if md.get(field) and before.get(field) and md[field] != before[field]:
                causes.append(
                    Cause(f"metadata.{field}", f'Invalid value: "{md[field]}": field is immutable')
                )
    return causes


def _map_causes(value: Any, field: str, *, values: bool) -> list[Cause]:
    if value is None:
        return []
    if not isinstance(value, dict):
        return [Cause(field, f"Invalid value: {value!r}: must be a map of strings")]
    causes: list[Cause] = []
    for key, item in value.items():
        causes += _qualified_name_causes(str(key), field)
        if not isinstance(item, str):
            causes.append(Cause(f"{field}[{key}]", f"Invalid value: {item!r}: must be a string"))
        elif values and (len(item) > 63 or not _LABEL_VALUE.match(item)):
            causes.append(
                Cause(
                    field,
                    f'Invalid value: "{item}": a valid label must be an empty string or consist of '
                    "alphanumeric characters, '-', '_' or '.', and must start and end with an "
                    "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
                    "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                )
            )
    return causes


def _qualified_name_causes(key: str, field: str) -> list[Cause]:
    prefix, _, name = key.rpartition("/")
    causes: list[Cause] = []
    if prefix and m.check_name(prefix):
        causes.append(
            Cause(
                field, f'Invalid value: "{key}": prefix part must be a lowercase RFC 1123 subdomain'
            )
        )
    if len(name) > 63 or not _LABEL_NAME.match(name):
        causes.append(
            Cause(
                field,
                f'Invalid value: "{key}": name part must consist of alphanumeric characters, '
                "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
                "'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') and be at most 63 characters",
            )
        )
    return causes


def _fresh_pod_status(body: Obj) -> None:
    # a new pod has not run yet, whatever status the client sent
    from kflow.api.core import qos_class

    spec = body.get("spec")
    body["status"] = {
        "phase": "Pending",
        "qosClass": qos_class(spec) if isinstance(spec, dict) else "BestEffort",
    }


def _unique(causes: list[Cause]) -> list[Cause]:
    seen: set[tuple[str, str]] = set()
    out = []
    for cause in causes:
        key = (cause.field, cause.message)
        if key not in seen:
            seen.add(key)
            out.append(cause)
    return out


# --- field validation -------------------------------------------------------------------------


def field_validation(info: KindInfo, obj: Obj, mode: str) -> list[str]:
    """Check `obj` for fields its schema does not declare, as `fieldValidation=<mode>` asks.

    `Strict` raises BadRequest naming every unknown field (`.spec.foo: field not
    declared in schema`); `Warn` returns them as warnings for the `Warning` header;
    `Ignore` (and an empty mode) returns nothing. Schemas that preserve unknown
    fields (`x-kubernetes-preserve-unknown-fields`, open Pydantic models) accept
    anything below them, so only fields that are certainly unknown are reported.
    Bodies of older served versions are not checked: the schema is the storage one.
    """
    normalized = {v.lower(): v for v in FIELD_VALIDATION_MODES}.get((mode or "").lower())
    if mode and normalized is None:
        raise BadRequest(
            f'fieldValidation must be one of "Strict", "Warn" or "Ignore", not "{mode}"'
        )
    if normalized in (None, "Ignore") or info.schema is None:
        return []
    if str(obj.get("apiVersion") or info.api_version) != info.api_version:
        return []
    unknown: list[str] = []
    defs = info.schema.get("$defs") or {}
    _unknown_fields(obj, info.schema, defs, "", unknown, top=True)
    if not unknown:
        return []
    if normalized == "Strict":
        raise BadRequest(
            ", ".join(f"{path}: field not declared in schema" for path in unknown),
            kind=info.kind,
            name=m.name_of(obj),
            group=info.group,
            causes=[
                Cause(path, "field not declared in schema", "FieldValueInvalid") for path in unknown
            ],
        )
    return [f'unknown field "{path.lstrip(".")}"' for path in unknown]


def _resolve(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    for _ in range(32):  # a ref chain longer than this is a broken schema
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if not isinstance(ref, str):
            break
        schema = defs.get(ref.rsplit("/", 1)[-1], {})
    if not isinstance(schema, dict):
        return {}
    parts = schema.get("allOf")
    if isinstance(parts, list):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            resolved = _resolve(part, defs)
            merged.setdefault("properties", {}).update(resolved.get("properties") or {})
            for key, value in resolved.items():
                merged.setdefault(key, value)
        return merged
    return schema


def _unknown_fields(
    value: Any, schema: Any, defs: dict[str, Any], path: str, out: list[str], *, top: bool = False
) -> None:
    schema = _resolve(schema, defs)
    if not schema or schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _unknown_fields(item, schema.get("items"), defs, f"{path}[{i}]", out)
        return
    if not isinstance(value, dict):
        return
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    for key, item in value.items():
        child = f"{path}.{key}"
        if isinstance(properties, dict) and key in properties:
            _unknown_fields(item, properties[key], defs, child, out)
        elif isinstance(extra, dict):
            _unknown_fields(item, extra, defs, child, out)
        elif top and key in ("apiVersion", "kind", "metadata"):
            continue
        elif isinstance(properties, dict) and extra is not True:
            out.append(child)
