"""The base of every typed model, and the small value types Kubernetes reuses.

Models exist to validate what a user sent and to document the schema (OpenAPI,
`kubectl explain`); objects themselves stay plain dicts, so a model never rewrites a
body. `extra="allow"` keeps unknown fields, as Kubernetes keeps them in a PodSpec.
Each model names its Kubernetes OpenAPI definition in `definition`, so the
generated documents use `io.k8s.api.core.v1.PodSpec`, not a Python class name.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, PlainValidator, WithJsonSchema

from kflow.api.merge_keys import MERGED_PRIMITIVE_LISTS, merge_key
from kflow.api.quantity import QuantityError, parse_quantity

DEFINITIONS: dict[str, str] = {}
"""Python model name -> Kubernetes definition name (`PodSpec` -> `io.k8s.api.core.v1.PodSpec`)."""


def _schema_extra(schema: dict[str, Any], cls: type[Any]) -> None:
    # Pydantic says `additionalProperties: true` for extra="allow"; Kubernetes says
    # `x-kubernetes-preserve-unknown-fields`, and a closed model (every field known,
    # like ObjectMeta) says nothing, so field validation can flag unknown fields there
    schema.pop("additionalProperties", None)
    schema.pop("title", None)
    if not getattr(cls, "closed", False):
        schema["x-kubernetes-preserve-unknown-fields"] = True
    for name, prop in (schema.get("properties") or {}).items():
        key = merge_key(cls.__name__, name)
        if key is not None:
            prop["x-kubernetes-patch-merge-key"] = key
            prop["x-kubernetes-patch-strategy"] = "merge"
        elif name in MERGED_PRIMITIVE_LISTS:
            prop["x-kubernetes-patch-strategy"] = "merge"


class K8sModel(BaseModel):
    """A Kubernetes-shaped model that accepts and keeps unknown fields."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        validate_default=False,
        json_schema_extra=_schema_extra,
    )
    definition: ClassVar[str] = ""
    """The Kubernetes OpenAPI definition name of this model."""
    closed: ClassVar[bool] = False
    """True if the schema lists every field, so unknown ones are errors in strict mode."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.definition:
            DEFINITIONS[cls.__name__] = cls.definition


def _quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("quantities must be strings or numbers")
    try:
        parse_quantity(value)
    except QuantityError as exc:
        raise ValueError(str(exc)) from None
    return str(value)


Quantity = Annotated[
    str,
    PlainValidator(_quantity),
    WithJsonSchema(
        {
            "type": "string",
            "format": "quantity",
            "description": "A fixed-point number with an optional suffix: 500m, 1Gi, 2.",
        }
    ),
]
"""A resource quantity: `500m`, `1Gi`, `2` (numbers are accepted as in YAML)."""


def _int_or_string(value: Any) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be an integer or a string")
    return value


IntOrString = Annotated[
    int | str,
    PlainValidator(_int_or_string),
    WithJsonSchema({"type": "string", "format": "int-or-string"}),
]
"""A port number or a port name (`targetPort: 8080` or `targetPort: http`)."""


StrMap = dict[str, str]
"""A string-to-string map (labels, annotations, ConfigMap data)."""


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI v3 schema of `model`, its nested models under `$defs` by definition name.

    Refs read `#/$defs/<definition>`; the OpenAPI documents rewrite them to their own
    locations. Optional fields lose their `null` branch and enums are inlined, since
    Swagger 2.0 and OpenAPI 3.0 know neither `type: null` nor shared enum definitions.
    """
    raw = model.model_json_schema(ref_template="#/$defs/{model}")
    defs: dict[str, Any] = raw.pop("$defs", {})
    names = {key: DEFINITIONS.get(key, key) for key in defs}
    enums = {key: value for key, value in defs.items() if "enum" in value}

    def clean(node: Any) -> Any:
        if isinstance(node, list):
            return [clean(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = dict(node)
        any_of = node.get("anyOf")
        if isinstance(any_of, list):
            rest = [branch for branch in any_of if branch != {"type": "null"}]
            if len(rest) < len(any_of):
                del node["anyOf"]
                if len(rest) == 1:
                    node = {**rest[0], **node}
                else:
                    node["anyOf"] = rest
        if node.get("default", 0) is None:
            del node["default"]
        node.pop("title", None)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            key = ref.removeprefix("#/$defs/")
            if key in enums:
                del node["$ref"]
                node = {**clean(enums[key]), **node}
            else:
                node["$ref"] = f"#/$defs/{names[key]}"
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: clean(prop) for name, prop in value.items()}
            else:
                out[key] = clean(value)
        return out

    schema: dict[str, Any] = clean(raw)
    cleaned = {names[key]: clean(value) for key, value in defs.items() if key not in enums}
    if cleaned:
        schema["$defs"] = cleaned
    return schema
