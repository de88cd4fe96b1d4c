"""The OpenAPI documents kubectl reads: Swagger 2.0 at `/openapi/v2`, OpenAPI 3.0 at `/openapi/v3`.

kubectl uses them for `kubectl explain`, to learn that the server validates fields
(the `fieldValidation` query parameter on writes, so `kubectl apply` leaves strict
validation to the server), and to find each kind's group/version/kind
(`x-kubernetes-group-version-kind`). Both documents are generated from the registry:
each kind's schema (from its Pydantic model or the raw schema it registered) with its
nested `$defs` hoisted into shared definitions named like Kubernetes names them
(`io.k8s.api.core.v1.Pod`, `org.kubeflow.v1.TFJob`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kflow.api.kinds import KindInfo, Registry

Doc = dict[str, Any]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1"
OBJECT_META = f"{_META}.ObjectMeta"
LIST_META = f"{_META}.ListMeta"
STATUS = f"{_META}.Status"
WATCH_EVENT = f"{_META}.WatchEvent"
DELETE_OPTIONS = f"{_META}.DeleteOptions"
PATCH = f"{_META}.Patch"
API_RESOURCE_LIST = f"{_META}.APIResourceList"
PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
)


def definition_name(info: KindInfo, name: str | None = None) -> str:
    """`io.k8s.api.core.v1.Pod` for core kinds, `org.kubeflow.v1.TFJob` for others."""
    prefix = "io.k8s.api.core" if not info.group else ".".join(reversed(info.group.split(".")))
    return f"{prefix}.{info.version}.{name or info.kind}"


def _gvk(info: KindInfo) -> list[dict[str, str]]:
    return [{"group": info.group, "version": info.version, "kind": info.kind}]


def _shared_definitions() -> dict[str, Doc]:
    """The apimachinery types every API refers to."""
    from kflow.api.models.base import model_schema
    from kflow.api.models.meta import ObjectMeta

    meta = model_schema(ObjectMeta)
    defs: dict[str, Doc] = dict(meta.pop("$defs", {}))
    defs[OBJECT_META] = meta
    defs[LIST_META] = {
        "description": "Metadata of a list: its resourceVersion and continue token.",
        "type": "object",
        "properties": {
            "resourceVersion": {"type": "string", "description": "Version of the list."},
            "continue": {"type": "string", "description": "Token for the next page."},
            "remainingItemCount": {"type": "integer", "description": "Items after this page."},
        },
    }
    defs[STATUS] = {
        "description": "The result of an operation that did not return an object.",
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"$ref": f"#/$defs/{LIST_META}"},
            "status": {"type": "string", "description": "Success or Failure."},
            "message": {"type": "string", "description": "What happened."},
            "reason": {"type": "string", "description": "Machine-readable reason."},
            "code": {"type": "integer", "description": "HTTP status code."},
            "details": {
                "type": "object",
                "description": "Name, kind and causes of the failure.",
                "x-kubernetes-preserve-unknown-fields": True,
            },
        },
        "x-kubernetes-group-version-kind": [{"group": "", "version": "v1", "kind": "Status"}],
    }
    defs[WATCH_EVENT] = {
        "description": "One change of a watched object.",
        "type": "object",
        "required": ["type", "object"],
        "properties": {
            "type": {
                "type": "string",
                "description": "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.",
            },
            "object": {
                "type": "object",
                "description": "The object (or a Status for ERROR).",
                "x-kubernetes-preserve-unknown-fields": True,
            },
        },
    }
    defs[DELETE_OPTIONS] = {
        "description": "Options of a delete.",
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "gracePeriodSeconds": {
                "type": "integer",
                "description": "Seconds before the object is deleted.",
            },
            "propagationPolicy": {
                "type": "string",
                "description": "Orphan, Background or Foreground.",
            },
            "dryRun": {"type": "array", "items": {"type": "string"}},
            "preconditions": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    defs[PATCH] = {
        "description": "A patch body: JSON patch, merge patch, strategic merge or apply patch.",
        "type": "object",
    }
    defs[API_RESOURCE_LIST] = {
        "description": "The resources of one group/version.",
        "type": "object",
        "required": ["groupVersion", "resources"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "groupVersion": {"type": "string"},
            "resources": {
                "type": "array",
                "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            },
        },
    }
    return defs


def _kind_definitions(info: KindInfo) -> dict[str, Doc]:
    """The kind's own definition, its list, and everything its schema nests."""
    from kflow.api.models.base import DEFINITIONS

    known = set(DEFINITIONS.values())
    schema = json.loads(json.dumps(info.schema)) if info.schema else None
    if schema is None:
        schema = {
            "type": "object",
            "properties": {
                "apiVersion": {"type": "string", "description": "Versioned schema of this object."},
                "kind": {"type": "string", "description": "Kind of this object."},
                "metadata": {"$ref": f"#/$defs/{OBJECT_META}"},
            },
            "x-kubernetes-preserve-unknown-fields": True,
        }
    nested: dict[str, Doc] = schema.pop("$defs", None) or {}
    # raw schemas name nested types freely; qualify the names so kinds cannot collide
    renames = {n: n if ("." in n or n in known) else definition_name(info, n) for n in nested}
    defs = {renames[n]: _rename_refs(s, renames) for n, s in nested.items()}
    schema = _rename_refs(schema, renames)
    props = schema.setdefault("properties", {})
    if "metadata" in props and "$ref" not in props["metadata"]:
        props["metadata"] = {
            "$ref": f"#/$defs/{OBJECT_META}",
            "description": "Standard object metadata.",
        }
    schema.setdefault("type", "object")
    schema["x-kubernetes-group-version-kind"] = _gvk(info)
    name = definition_name(info)
    defs[name] = schema
    defs[f"{name}List"] = {
        "description": f"A list of {info.kind} objects.",
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"$ref": f"#/$defs/{LIST_META}"},
            "items": {"type": "array", "items": {"$ref": f"#/$defs/{name}"}},
        },
        "x-kubernetes-group-version-kind": [
            {"group": info.group, "version": info.version, "kind": f"{info.kind}List"}
        ],
    }
    return defs


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rename_refs(v, renames) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            target = value.removeprefix("#/$defs/")
            out[key] = f"#/$defs/{renames.get(target, target)}"
        else:
            out[key] = _rename_refs(value, renames)
    return out


def _relocate(node: Any, prefix: str, *, v3: bool) -> Any:
    """Point `#/$defs/X` refs at `prefix + X`; in v3, wrap refs that carry siblings in allOf."""
    if isinstance(node, list):
        return [_relocate(v, prefix, v3=v3) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _relocate(v, prefix, v3=v3) for k, v in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        ref = prefix + ref.removeprefix("#/$defs/")
        out["$ref"] = ref
        if v3 and len(out) > 1:
            # OpenAPI 3.0 ignores siblings of $ref; Kubernetes keeps descriptions via allOf
            del out["$ref"]
            out["allOf"] = [{"$ref": ref}]
    if not v3 and "anyOf" in out:
        # Swagger 2.0 has no anyOf: say "anything" rather than something wrong
        del out["anyOf"]
    return out


def _all_definitions(infos: list[KindInfo]) -> dict[str, Doc]:
    defs = _shared_definitions()
    for info in infos:
        for name, schema in _kind_definitions(info).items():
            defs.setdefault(name, schema)
    return defs


def _api_root(info: KindInfo, version: str | None = None) -> str:
    v = version or info.version
    return f"/apis/{info.group}/{v}" if info.group else f"/api/{v}"


def _operation_id(verb: str, info: KindInfo, suffix: str = "") -> str:
    group = "".join(p.capitalize() for p in info.group.split(".")[:1]) if info.group else "Core"
    return f"{verb}{group}{info.version.capitalize()}{'Namespaced' if info.namespaced and verb not in ('list', 'watch') else ''}{info.kind}{suffix}"


_FIELD_VALIDATION = {
    "name": "fieldValidation",
    "in": "query",
    "description": (
        "How the server treats fields the schema does not declare: Ignore drops them, "
        "Warn (the default) drops them with a Warning header per field, Strict rejects "
        "the request with a BadRequest naming each field."
    ),
    "type": "string",
    "uniqueItems": True,
}


def _query(name: str, description: str, type_: str = "string") -> Doc:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "type": type_,
        "uniqueItems": True,
    }


_LIST_PARAMS = [
    _query("labelSelector", "Restrict the list to objects with matching labels."),
    _query("fieldSelector", "Restrict the list to objects with matching fields."),
    _query("limit", "Maximum number of objects to return.", "integer"),
    _query("continue", "Token from a previous page."),
    _query("resourceVersion", "Where to start listing or watching from."),
    _query("watch", "Watch for changes instead of listing.", "boolean"),
    _query("timeoutSeconds", "Timeout of a list or watch call.", "integer"),
    _query("allowWatchBookmarks", "Ask for BOOKMARK events.", "boolean"),
]
_WRITE_PARAMS = [
    _query("dryRun", "All: admit the request without persisting it."),
    _query("fieldManager", "Name of the writer, for server-side apply."),
    _FIELD_VALIDATION,
]


def _v2_param(param: Doc) -> Doc:
    return dict(param)


def _v3_param(param: Doc) -> Doc:
    out = {k: v for k, v in param.items() if k not in ("type", "uniqueItems")}
    out["schema"] = {"type": param.get("type", "string"), "uniqueItems": True}
    return out


def _paths(info: KindInfo, *, v3: bool, defs_prefix: str) -> dict[str, Doc]:
    """Every path of one kind, with operations per verb."""
    name = definition_name(info)
    param = _v3_param if v3 else _v2_param
    root = _api_root(info)
    collection = (
        f"{root}/namespaces/{{namespace}}/{info.plural}"
        if info.namespaced
        else f"{root}/{info.plural}"
    )
    item = f"{collection}/{{name}}"
    gvk = {"group": info.group, "version": info.version, "kind": info.kind}

    def ref(target: str) -> Doc:
        return {"$ref": f"{defs_prefix}{target}"}

    def response(target: str, description: str = "OK") -> Doc:
        if v3:
            return {
                "description": description,
                "content": {
                    t: {"schema": ref(target)} for t in ("application/json", "application/yaml")
                },
            }
        return {"description": description, "schema": ref(target)}

    def body(target: str, types: tuple[str, ...] = ("application/json", "application/yaml")) -> Doc:
        if v3:
            return {
                "requestBody": {
                    "required": True,
                    "content": {t: {"schema": ref(target)} for t in types},
                }
            }
        return {
            "parameters_body": [
                {"name": "body", "in": "body", "required": True, "schema": ref(target)}
            ]
        }

    def op(
        verb: str,
        action: str,
        params: list[Doc],
        responses: Doc,
        *,
        request: Doc | None = None,
        suffix: str = "",
    ) -> Doc:
        operation: Doc = {
            "description": f"{verb} {info.kind}",
            "operationId": _operation_id(verb, info, suffix),
            "tags": [f"{info.group or 'core'}_{info.version}"],
            "parameters": [param(p) for p in params],
            "responses": {**responses, "401": {"description": "Unauthorized"}},
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        }
        if request:
            extra = request.pop("parameters_body", None)
            if extra:
                operation["parameters"] += extra
            operation.update(request)
        if not v3:
            operation["consumes"] = list(PATCH_TYPES) if verb == "patch" else ["*/*"]
            operation["produces"] = ["application/json", "application/yaml"]
            operation["schemes"] = ["https"]
        return operation

    verbs = set(info.verbs)
    list_ops: Doc = {}
    if "list" in verbs:
        list_ops["get"] = op("list", "list", _LIST_PARAMS, {"200": response(f"{name}List")})
    if "create" in verbs:
        list_ops["post"] = op(
            "create",
            "post",
            _WRITE_PARAMS,
            {
                "200": response(name),
                "201": response(name, "Created"),
                "202": response(name, "Accepted"),
            },
            request=body(name),
        )
    if "deletecollection" in verbs:
        list_ops["delete"] = op(
            "deletecollection",
            "deletecollection",
            _LIST_PARAMS,
            {"200": response(STATUS)},
            request=body(DELETE_OPTIONS) if v3 else None,
        )
    shared: list[Doc] = [
        {
            "name": "pretty",
            "in": "query",
            "type": "string",
            "uniqueItems": True,
            "description": "If true, indent the output.",
        }
    ]
    path_params: list[Doc] = []
    if info.namespaced:
        path_params.append(
            {
                "name": "namespace",
                "in": "path",
                "required": True,
                "type": "string",
                "uniqueItems": True,
                "description": "Object name and auth scope.",
            }
        )
    item_params = [
        *path_params,
        {
            "name": "name",
            "in": "path",
            "required": True,
            "type": "string",
            "uniqueItems": True,
            "description": f"Name of the {info.kind}.",
        },
    ]
    item_ops: Doc = {}
    if "get" in verbs:
        item_ops["get"] = op("read", "get", [], {"200": response(name)})
    if "update" in verbs:
        item_ops["put"] = op(
            "replace",
            "put",
            _WRITE_PARAMS,
            {"200": response(name), "201": response(name, "Created")},
            request=body(name),
        )
    if "patch" in verbs:
        item_ops["patch"] = op(
            "patch",
            "patch",
            [*_WRITE_PARAMS, _query("force", "Force an apply patch.", "boolean")],
            {"200": response(name), "201": response(name, "Created")},
            request=body(PATCH, PATCH_TYPES),
        )
    if "delete" in verbs:
        item_ops["delete"] = op(
            "delete",
            "delete",
            [
                _query("gracePeriodSeconds", "Seconds before deletion.", "integer"),
                _query("propagationPolicy", "Orphan, Background or Foreground."),
            ],
            {"200": response(STATUS), "202": response(STATUS, "Accepted")},
            request=body(DELETE_OPTIONS) if v3 else None,
        )
    paths: dict[str, Doc] = {}
    for path, ops, params in ((collection, list_ops, path_params), (item, item_ops, item_params)):
        if ops:
            paths[path] = {**ops, "parameters": [param(p) for p in (*params, *shared)]}
    if "status" in info.subresources and info.has_status:
        status_ops = {
            "get": op("read", "get", [], {"200": response(name)}, suffix="Status"),
            "put": op(
                "replace",
                "put",
                _WRITE_PARAMS,
                {"200": response(name)},
                request=body(name),
                suffix="Status",
            ),
            "patch": op(
                "patch",
                "patch",
                _WRITE_PARAMS,
                {"200": response(name)},
                request=body(PATCH, PATCH_TYPES),
                suffix="Status",
            ),
        }
        paths[f"{item}/status"] = {
            **status_ops,
            "parameters": [param(p) for p in (*item_params, *shared)],
        }
    if "log" in info.subresources:
        log = op(
            "read",
            "get",
            [
                _query("container", "The container to read."),
                _query("follow", "Stream new lines.", "boolean"),
                _query("tailLines", "Lines from the end.", "integer"),
            ],
            {
                "200": {
                    "description": "OK",
                    **(
                        {"content": {"text/plain": {"schema": {"type": "string"}}}}
                        if v3
                        else {"schema": {"type": "string"}}
                    ),
                }
            },
            suffix="Log",
        )
        paths[f"{item}/log"] = {
            "get": log,
            "parameters": [param(p) for p in (*item_params, *shared)],
        }
    if "list" in verbs and info.namespaced:
        every = op(
            "list",
            "list",
            _LIST_PARAMS,
            {"200": response(f"{name}List")},
            suffix="ForAllNamespaces",
        )
        paths[f"{root}/{info.plural}"] = {"get": every, "parameters": [param(p) for p in shared]}
    return paths


# --- Swagger 2.0 ------------------------------------------------------------------------------------------


def openapi_v2(registry: Registry) -> Doc:
    """The Swagger 2.0 document of every kind (`GET /openapi/v2`)."""
    infos = registry.all()
    definitions = {
        name: _relocate(schema, "#/definitions/", v3=False)
        for name, schema in sorted(_all_definitions(infos).items())
    }
    paths: dict[str, Doc] = {}
    for info in infos:
        paths.update(_paths(info, v3=False, defs_prefix="#/definitions/"))
    return {
        "swagger": "2.0",
        "info": {"title": "kflow", "version": "v1"},
        "paths": dict(sorted(paths.items())),
        "definitions": definitions,
        "securityDefinitions": {
            "BearerToken": {
                "type": "apiKey",
                "name": "authorization",
                "in": "header",
                "description": "Bearer token authentication",
            }
        },
        "security": [{"BearerToken": []}],
    }


# --- OpenAPI 3.0 -------------------------------------------------------------------------------------------


def _group_versions(registry: Registry) -> dict[tuple[str, str], list[KindInfo]]:
    out: dict[tuple[str, str], list[KindInfo]] = {}
    for info in registry.all():
        out.setdefault((info.group, info.version), []).append(info)
    return out


def _group_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_v3_index(registry: Registry) -> Doc:
    """The `/openapi/v3` discovery document: one entry per group/version, with a hash."""
    paths: dict[str, Doc] = {}
    for group, version in sorted(_group_versions(registry)):
        doc = openapi_v3_group(registry, group, version)
        digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()
        path = _group_path(group, version)
        paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
    return {"paths": paths}


def openapi_v3_group(registry: Registry, group: str, version: str) -> Doc:
    """The OpenAPI 3.0 document of one group/version (`GET /openapi/v3/apis/<group>/<version>`)."""
    from kflow.api.errors import NotFound

    infos = _group_versions(registry).get((group, version))
    if not infos:
        raise NotFound(
            f'the server could not find the OpenAPI document of "{_group_path(group, version)}"'
        )
    schemas = {
        name: _relocate(schema, "#/components/schemas/", v3=True)
        for name, schema in sorted(_all_definitions(infos).items())
    }
    paths: dict[str, Doc] = {}
    for info in infos:
        paths.update(_paths(info, v3=True, defs_prefix="#/components/schemas/"))
    return {
        "openapi": "3.0.0",
        "info": {"title": "kflow", "version": "v1"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "BearerToken": {
                    "type": "apiKey",
                    "name": "authorization",
                    "in": "header",
                    "description": "Bearer token authentication",
                }
            },
        },
        "security": [{"BearerToken": []}],
    }
