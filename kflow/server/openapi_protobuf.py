"""Encode the Swagger 2.0 document as the protobuf message kubectl 1.27 and 1.28 ask for.

Before every `apply` (for merge keys and field validation), and for `explain
--output=plaintext-openapiv2`, those kubectl versions fetch `/openapi/v2` as gnostic's
`openapi_v2.Document` (`openapiv2/OpenAPIv2.proto`) and abort if the server cannot
send it; newer kubectl reads only OpenAPI v3 JSON. This module turns the JSON document
of `kflow.api.openapi.openapi_v2` into that message with a small wire-format writer
(varints and length-delimited fields; no generated code, no protobuf dependency).
Each message is a table of JSON key -> (field number from the .proto, how to encode
the value). Keys starting with `x-` become `NamedAny` vendor extensions holding the
value as YAML text, which is how gnostic carries them and how client-go reads
`x-kubernetes-group-version-kind` back. Keys the tables do not know are left out, as
are proto3 zero values, except inside a `oneof`, where presence is the information.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import yaml

MEDIA_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
"""What the response says it is. kubectl asks for the `@` spelling below, but Go's
`mime.ParseMediaType` rejects `@` in a Content-Type (kubectl then fails with "mime:
unexpected content after media subtype"), so, like the Kubernetes API server, the
answer always names this spelling."""
MEDIA_TYPES = (MEDIA_TYPE, "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
"""The spellings a client may ask for; kubectl 1.27 and 1.28 send the second."""

Encoder = Callable[[Any], bytes]
"""A JSON value -> the bytes of one message (without its tag and length)."""
Field = Callable[[int, Any], bytes]
"""A field number and a JSON value -> the encoded field, repeated fields included."""

# --- wire format -----------------------------------------------------------------------


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten bytes of two's complement
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _delimited(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2): a string, bytes or a nested message."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _string(number: int, value: Any) -> bytes:
    return _delimited(number, str(value).encode()) if value != "" else b""


def _strings(number: int, values: Any) -> bytes:
    return b"".join(_delimited(number, str(v).encode()) for v in values)


def _bool(number: int, value: Any) -> bytes:
    return _varint(number << 3) + b"\x01" if value else b""


def _int(number: int, value: Any) -> bytes:
    return _varint(number << 3) + _varint(int(value)) if value else b""


def _double(number: int, value: Any) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", float(value)) if value else b""


def _nested(encode: Encoder) -> Field:
    return lambda number, value: _delimited(number, encode(value))


def _each(encode: Encoder) -> Field:
    return lambda number, values: b"".join(_delimited(number, encode(v)) for v in values)


# --- messages --------------------------------------------------------------------------


def _message(fields: dict[str, tuple[int, Field]], extensions: int = 0) -> Encoder:
    """A message whose JSON keys map to fields; `x-` keys go to field `extensions`."""

    def encode(obj: dict[str, Any]) -> bytes:
        out = []
        for key, value in obj.items():
            if key in fields:
                number, field = fields[key]
                out.append(field(number, value))
            elif extensions and key.startswith("x-"):
                out.append(_delimited(extensions, _named_any(key, value)))
        return b"".join(out)

    return encode


def _named_map(value: Encoder, entries: int = 1, extensions: int = 0) -> Encoder:
    """A JSON object as repeated `Named<Value>` (name = 1, value = 2) in field `entries`."""

    def encode(obj: dict[str, Any]) -> bytes:
        out = []
        for key, item in obj.items():
            if extensions and key.startswith("x-"):
                out.append(_delimited(extensions, _named_any(key, item)))
            else:
                out.append(_delimited(entries, _string(1, key) + _delimited(2, value(item))))
        return b"".join(out)

    return encode


def _any(value: Any) -> bytes:
    """`Any`: the value as YAML text in field 2 (field 1, a protobuf Any, stays unset)."""
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False)
    return _delimited(2, text.removesuffix("...\n").encode())


def _named_any(name: str, value: Any) -> bytes:
    return _string(1, name) + _delimited(2, _any(value))


def _oneof(number: int, payload: bytes) -> bytes:
    return _delimited(number, payload)


def _schema(obj: dict[str, Any]) -> bytes:
    return _SCHEMA(obj)


def _additional_properties(value: Any) -> bytes:
    """`AdditionalPropertiesItem`: oneof schema = 1, boolean = 2."""
    if isinstance(value, bool):
        return _varint(2 << 3) + _varint(int(value))
    return _oneof(1, _schema(value))


def _schemas(value: Any) -> bytes:
    """`ItemsItem` (repeated Schema schema = 1): `items` is one schema or a list."""
    return _each(_schema)(1, value if isinstance(value, list) else [value])


def _type(value: Any) -> bytes:
    """`TypeItem` (repeated string value = 1): `type` is one name or a list."""
    return _strings(1, value if isinstance(value, list) else [value])


_SCHEMA = _message(
    {
        "$ref": (1, _string),
        "format": (2, _string),
        "title": (3, _string),
        "description": (4, _string),
        "default": (5, _nested(_any)),
        "multipleOf": (6, _double),
        "maximum": (7, _double),
        "exclusiveMaximum": (8, _bool),
        "minimum": (9, _double),
        "exclusiveMinimum": (10, _bool),
        "maxLength": (11, _int),
        "minLength": (12, _int),
        "pattern": (13, _string),
        "maxItems": (14, _int),
        "minItems": (15, _int),
        "uniqueItems": (16, _bool),
        "maxProperties": (17, _int),
        "minProperties": (18, _int),
        "required": (19, _strings),
        "enum": (20, _each(_any)),
        "additionalProperties": (21, _nested(_additional_properties)),
        "type": (22, _nested(_type)),
        "items": (23, _nested(_schemas)),
        "allOf": (24, _each(_schema)),
        "properties": (25, _nested(_named_map(_schema))),
        "discriminator": (26, _string),
        "readOnly": (27, _bool),
        "example": (30, _nested(_any)),
    },
    extensions=31,
)


def _primitives(obj: dict[str, Any]) -> bytes:
    return _PRIMITIVES(obj)


def _constraints(first: int) -> dict[str, tuple[int, Field]]:
    """`type` .. `multipleOf`: the same run of fields in every non-body parameter message."""
    run: list[tuple[str, Field]] = [
        ("type", _string),
        ("format", _string),
        ("items", _nested(_primitives)),
        ("collectionFormat", _string),
        ("default", _nested(_any)),
        ("maximum", _double),
        ("exclusiveMaximum", _bool),
        ("minimum", _double),
        ("exclusiveMinimum", _bool),
        ("maxLength", _int),
        ("minLength", _int),
        ("pattern", _string),
        ("maxItems", _int),
        ("minItems", _int),
        ("uniqueItems", _bool),
        ("enum", _each(_any)),
        ("multipleOf", _double),
    ]
    return {name: (first + i, kind) for i, (name, kind) in enumerate(run)}


_PRIMITIVES = _message(_constraints(1), extensions=18)
_BASE: dict[str, tuple[int, Field]] = {
    "required": (1, _bool),
    "in": (2, _string),
    "description": (3, _string),
    "name": (4, _string),
}
# sub-schema messages by `in`: (oneof field in NonBodyParameter, encoder)
_NON_BODY: dict[str, tuple[int, Encoder]] = {
    "header": (1, _message({**_BASE, **_constraints(5)}, extensions=22)),
    "formData": (
        2,
        _message({**_BASE, "allowEmptyValue": (5, _bool), **_constraints(6)}, extensions=23),
    ),
    "query": (
        3,
        _message({**_BASE, "allowEmptyValue": (5, _bool), **_constraints(6)}, extensions=23),
    ),
    "path": (4, _message({**_BASE, **_constraints(5)}, extensions=22)),
}
_BODY = _message(
    {
        "description": (1, _string),
        "name": (2, _string),
        "in": (3, _string),
        "required": (4, _bool),
        "schema": (5, _nested(_schema)),
    },
    extensions=6,
)
_REFERENCE = _message({"$ref": (1, _string), "description": (2, _string)})


def _parameters_item(obj: dict[str, Any]) -> bytes:
    """`ParametersItem`: oneof Parameter = 1 (body = 1 | non-body = 2), reference = 2."""
    if "$ref" in obj:
        return _oneof(2, _REFERENCE(obj))
    where = obj.get("in", "")
    if where == "body":
        return _oneof(1, _oneof(1, _BODY(obj)))
    if where not in _NON_BODY:
        raise ValueError(f"parameter {obj.get('name')!r} has an unknown 'in': {where!r}")
    number, encode = _NON_BODY[where]
    return _oneof(1, _oneof(2, _oneof(number, encode(obj))))


_RESPONSE = _message(
    {"description": (1, _string), "schema": (2, _nested(lambda s: _oneof(1, _schema(s))))},
    extensions=5,
)


def _response_value(obj: dict[str, Any]) -> bytes:
    """`ResponseValue`: oneof response = 1, reference = 2."""
    return _oneof(2, _REFERENCE(obj)) if "$ref" in obj else _oneof(1, _RESPONSE(obj))


_OPERATION = _message(
    {
        "tags": (1, _strings),
        "summary": (2, _string),
        "description": (3, _string),
        "operationId": (5, _string),
        "produces": (6, _strings),
        "consumes": (7, _strings),
        "parameters": (8, _each(_parameters_item)),
        "responses": (9, _nested(_named_map(_response_value, extensions=2))),
        "schemes": (10, _strings),
        "deprecated": (11, _bool),
    },
    extensions=13,
)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_PATH_ITEM = _message(
    {
        "$ref": (1, _string),
        **{method: (2 + i, _nested(_OPERATION)) for i, method in enumerate(_METHODS)},
        "parameters": (9, _each(_parameters_item)),
    },
    extensions=10,
)


_BASIC_AUTH = _message({"type": (1, _string), "description": (2, _string)}, extensions=3)
_API_KEY = _message(
    {"type": (1, _string), "name": (2, _string), "in": (3, _string), "description": (4, _string)},
    extensions=5,
)


def _security_scheme(obj: dict[str, Any]) -> bytes:
    """`SecurityDefinitionsItem`: oneof basic = 1, apiKey = 2 (OAuth2 is not used here)."""
    if obj.get("type") == "basic":
        return _oneof(1, _BASIC_AUTH(obj))
    if obj.get("type") == "apiKey":
        return _oneof(2, _API_KEY(obj))
    raise ValueError(f"cannot encode a security definition of type {obj.get('type')!r}")


_INFO = _message(
    {
        "title": (1, _string),
        "version": (2, _string),
        "description": (3, _string),
        "termsOfService": (4, _string),
        "contact": (5, _nested(_message({"name": (1, _string), "url": (2, _string)}, 4))),
        "license": (6, _nested(_message({"name": (1, _string), "url": (2, _string)}, 3))),
    },
    extensions=7,
)
_DOCUMENT = _message(
    {
        "swagger": (1, _string),
        "info": (2, _nested(_INFO)),
        "host": (3, _string),
        "basePath": (4, _string),
        "schemes": (5, _strings),
        "consumes": (6, _strings),
        "produces": (7, _strings),
        "paths": (8, _nested(_named_map(_PATH_ITEM, entries=2, extensions=1))),
        "definitions": (9, _nested(_named_map(_schema))),
        "security": (12, _each(_named_map(lambda scopes: _strings(1, scopes)))),
        "securityDefinitions": (13, _nested(_named_map(_security_scheme))),
        "tags": (14, _each(_message({"name": (1, _string), "description": (2, _string)}, 4))),
    },
    extensions=16,
)


def encode_document(document: dict[str, Any]) -> bytes:
    """The `openapi_v2.Document` bytes of a Swagger 2.0 JSON document."""
    return _DOCUMENT(document)
