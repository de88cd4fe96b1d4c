"""Decode the Kubernetes protobuf bodies kubectl's typed commands send.

`kubectl create namespace|configmap|secret|service|job` POST their object as
`application/vnd.kubernetes.protobuf` and do not retry as JSON, so the server reads
that encoding for the few core kinds those commands make: a `k8s\\0` magic, then a
`runtime.Unknown` envelope (apiVersion, kind, raw bytes) around the typed message.
Each kind is a table of field number -> JSON name and type, taken from
`k8s.io/api/core/v1/generated.proto` (and `batch/v1` for Job, with the pod template
fields `kubectl create job` writes); zero values are dropped, as Go's JSON
`omitempty` would. Anything else is 415 with a hint to send JSON.
"""

from __future__ import annotations

import base64
from typing import Any, Union

from kflow.api.errors import BadRequest, UnsupportedMediaType

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

# a field's type: a scalar name, a nested schema, or a map ("map", value type)
FieldType = Union[str, "Schema", tuple[str, str]]
Schema = dict[int, tuple[str, FieldType, bool]]  # number -> (json name, type, repeated)

_INT_OR_STRING: Schema = {
    1: ("type", "int", False),
    2: ("intVal", "int", False),
    3: ("strVal", "string", False),
}
_OWNER_REFERENCE: Schema = {
    1: ("kind", "string", False),
    3: ("name", "string", False),
    4: ("uid", "string", False),
    5: ("apiVersion", "string", False),
    6: ("controller", "bool", False),
    7: ("blockOwnerDeletion", "bool", False),
}
_OBJECT_META: Schema = {
    1: ("name", "string", False),
    2: ("generateName", "string", False),
    3: ("namespace", "string", False),
    5: ("uid", "string", False),
    6: ("resourceVersion", "string", False),
    7: ("generation", "int", False),
    11: ("labels", ("map", "string"), False),
    12: ("annotations", ("map", "string"), False),
    13: ("ownerReferences", _OWNER_REFERENCE, True),
    14: ("finalizers", "string", True),
}
_SERVICE_PORT: Schema = {
    1: ("name", "string", False),
    2: ("protocol", "string", False),
    3: ("port", "int", False),
    4: ("targetPort", "intorstring", False),
    5: ("nodePort", "int", False),
    6: ("appProtocol", "string", False),
}
_SERVICE_SPEC: Schema = {
    1: ("ports", _SERVICE_PORT, True),
    2: ("selector", ("map", "string"), False),
    3: ("clusterIP", "string", False),
    4: ("type", "string", False),
    5: ("externalIPs", "string", True),
    7: ("sessionAffinity", "string", False),
    10: ("externalName", "string", False),
    11: ("externalTrafficPolicy", "string", False),
}
_CONTAINER: Schema = {
    1: ("name", "string", False),
    2: ("image", "string", False),
    3: ("command", "string", True),
    4: ("args", "string", True),
    5: ("workingDir", "string", False),
    7: ("env", {1: ("name", "string", False), 2: ("value", "string", False)}, True),
    13: ("terminationMessagePath", "string", False),
    14: ("imagePullPolicy", "string", False),
    20: ("terminationMessagePolicy", "string", False),
}
_POD_TEMPLATE: Schema = {
    1: ("metadata", _OBJECT_META, False),
    2: (
        "spec",
        {
            2: ("containers", _CONTAINER, True),
            3: ("restartPolicy", "string", False),
            4: ("terminationGracePeriodSeconds", "int", False),
            5: ("activeDeadlineSeconds", "int", False),
            6: ("dnsPolicy", "string", False),
            7: ("nodeSelector", ("map", "string"), False),
            8: ("serviceAccountName", "string", False),
            20: ("initContainers", _CONTAINER, True),
        },
        False,
    ),
}
_JOB_SPEC: Schema = {
    1: ("parallelism", "int", False),
    2: ("completions", "int", False),
    3: ("activeDeadlineSeconds", "int", False),
    4: ("selector", {1: ("matchLabels", ("map", "string"), False)}, False),
    5: ("manualSelector", "bool", False),
    6: ("template", _POD_TEMPLATE, False),
    7: ("backoffLimit", "int", False),
    8: ("ttlSecondsAfterFinished", "int", False),
    9: ("completionMode", "string", False),
    10: ("suspend", "bool", False),
}
_KINDS: dict[str, Schema] = {
    "Namespace": {
        1: ("metadata", _OBJECT_META, False),
        2: ("spec", {1: ("finalizers", "string", True)}, False),
    },
    "ConfigMap": {
        1: ("metadata", _OBJECT_META, False),
        2: ("data", ("map", "string"), False),
        3: ("binaryData", ("map", "bytes"), False),
        4: ("immutable", "bool", False),
    },
    "Secret": {
        1: ("metadata", _OBJECT_META, False),
        2: ("data", ("map", "bytes"), False),
        3: ("type", "string", False),
        4: ("stringData", ("map", "string"), False),
        5: ("immutable", "bool", False),
    },
    "Service": {1: ("metadata", _OBJECT_META, False), 2: ("spec", _SERVICE_SPEC, False)},
    "Job": {1: ("metadata", _OBJECT_META, False), 2: ("spec", _JOB_SPEC, False)},
    "DeleteOptions": {
        1: ("gracePeriodSeconds", "int", False),
        2: (
            "preconditions",
            {1: ("uid", "string", False), 2: ("resourceVersion", "string", False)},
            False,
        ),
        3: ("orphanDependents", "bool", False),
        4: ("propagationPolicy", "string", False),
        5: ("dryRun", "string", True),
    },
}
_ENVELOPE: Schema = {
    1: ("typeMeta", {1: ("apiVersion", "string", False), 2: ("kind", "string", False)}, False),
    2: ("raw", "rawbytes", False),
}


class _Malformed(Exception):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _Malformed("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 70:
            raise _Malformed("varint too long")


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varints, bytes for length-delimited."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise _Malformed("truncated field")
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise _Malformed(f"unsupported wire type {wire}")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, value: int | bytes) -> Any:
    if kind == "int":
        return _signed(value) if isinstance(value, int) else 0
    if kind == "bool":
        return bool(value)
    if not isinstance(value, bytes):
        raise _Malformed("expected a length-delimited field")
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "rawbytes":
        return value
    if kind == "intorstring":
        parsed = _message(_INT_OR_STRING, value)
        return parsed.get("strVal", "") if parsed.get("type") == 1 else parsed.get("intVal", 0)
    return value.decode("utf-8")


def _message(schema: Schema, data: bytes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for number, value in _fields(data):
        entry = schema.get(number)
        if entry is None:
            continue  # a field this table does not know: dropped, like an unknown JSON field
        name, kind, repeated = entry
        if isinstance(kind, dict):
            if not isinstance(value, bytes):
                raise _Malformed(f"{name}: expected a message")
            decoded: Any = _message(kind, value)
        elif isinstance(kind, tuple):
            if not isinstance(value, bytes):
                raise _Malformed(f"{name}: expected a map entry")
            pair = dict(_fields(value))
            key = pair.get(1, b"")
            if not isinstance(key, bytes):
                raise _Malformed(f"{name}: bad map key")
            out.setdefault(name, {})[key.decode("utf-8")] = _scalar(kind[1], pair.get(2, b""))
            continue
        else:
            decoded = _scalar(kind, value)
        if repeated:
            out.setdefault(name, []).append(decoded)
        elif decoded:
            out[name] = decoded
    return out


def decode(data: bytes) -> dict[str, Any]:
    """The JSON-shaped object of a Kubernetes protobuf body."""
    if not data.startswith(MAGIC):
        raise BadRequest("the protobuf body does not start with the Kubernetes magic prefix")
    try:
        envelope = _message(_ENVELOPE, data[len(MAGIC) :])
        type_meta = envelope.get("typeMeta") or {}
        kind = str(type_meta.get("kind") or "")
        schema = _KINDS.get(kind)
        if schema is None:
            raise UnsupportedMediaType(
                f'the server reads application/vnd.kubernetes.protobuf only for {", ".join(sorted(_KINDS))}, not "{kind}": send it as application/json'
            )
        body = _message(schema, envelope.get("raw") or b"")
    except _Malformed as exc:
        raise BadRequest(f"the protobuf body is malformed: {exc}") from None
    except UnicodeDecodeError:
        raise BadRequest("the protobuf body is malformed: a string is not UTF-8") from None
    return {"apiVersion": type_meta.get("apiVersion") or "v1", "kind": kind, **body}


class MalformedMessage(ValueError):
    """A protobuf message that does not decode against its table."""


def decode_message(schema: Schema, data: bytes) -> dict[str, Any]:
    """A plain protobuf message (no Kubernetes envelope) by its table; zero fields absent.

    Strings, integers, booleans and nested messages only: what gRPC services such as
    Katib's DB manager exchange. Raises `MalformedMessage`.
    """
    try:
        return _message(schema, data)
    except (_Malformed, UnicodeDecodeError) as exc:
        raise MalformedMessage(str(exc)) from None


def _encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s take ten bytes, as in protobuf
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_message(schema: Schema, message: dict[str, Any]) -> bytes:
    """The inverse of `decode_message`: fields in number order, zero values omitted."""
    out = bytearray()
    for number, (name, kind, repeated) in sorted(schema.items()):
        value = message.get(name)
        for item in (value or []) if repeated else [value]:
            if item is None or (not repeated and not item):
                continue
            if isinstance(kind, dict):
                payload = encode_message(kind, item)
            elif kind in ("int", "bool"):
                out += _encode_varint(number << 3) + _encode_varint(int(item))
                continue
            elif kind == "string":
                payload = str(item).encode("utf-8")
            else:
                raise TypeError(f"encode_message cannot write a {kind!r} field ({name})")
            out += _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload
    return bytes(out)
