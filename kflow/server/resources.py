"""The resource routes: list, get, create, update, patch, delete and `status`, for every kind.

One handler serves `/api/v1/...` and `/apis/<group>/<version>/...`: it parses the
path into a `Target`, authenticates and authorizes the caller, and dispatches on the
HTTP method and the subresource. Writes pass through admission (`admit`) exactly once
whatever their entry point, then the store; reads come straight from the store and
are rendered as Tables when the client asks (`kubectl get`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kflow.api import meta as m
from kflow.api.admission import admit, field_validation
from kflow.api.errors import BadRequest, Conflict, MethodNotAllowed, NotFound
from kflow.api.kinds import KindInfo
from kflow.api.patches import apply_patch
from kflow.api.selectors import parse_field_selector, parse_label_selector
from kflow.server.context import ServerContext, Target, parse_target
from kflow.server.identity import Identity
from kflow.server.logs import serve_logs
from kflow.server.responses import (
    JSONResponse,
    read_object,
    read_optional_object,
    success_status,
)
from kflow.server.tabling import table_of, table_request
from kflow.server.watching import serve_watch, wants_watch
from kflow.store.interface import DeletePropagation

Obj = dict[str, Any]

APPLY_PATCH = "application/apply-patch+yaml"
PATCH_RETRIES = 5  # a patch re-reads and retries when another writer got in between


async def handle(
    ctx: ServerContext, request: Request, group: str, version: str, path: str
) -> Response:
    identity = ctx.identify(request)
    target = parse_target(ctx.registry, group, version, path)
    method = request.method
    if target.subresource == "log":
        if method != "GET":
            raise _not_allowed(method, target)
        ctx.allow(identity, "get", target)
        return await serve_logs(ctx, request, target)
    if not target.name:
        return await _collection(ctx, request, identity, target, method)
    if target.subresource == "finalize":
        # namespaces/<name>/finalize: a plain update that may change spec.finalizers
        if method != "PUT":
            raise _not_allowed(method, target)
        ctx.allow(identity, "update", target)
        return await _update(ctx, request, target)
    if target.subresource and target.subresource != "status":
        raise NotFound("the server could not find the requested resource")
    if method == "GET":
        ctx.allow(identity, "get", target)
        obj = ctx.store.get(target.info.resource, target.namespace, target.name)
        return _object_response(request, target, obj)
    if method == "PUT":
        ctx.allow(identity, "update", target)
        return await _update(ctx, request, target)
    if method == "PATCH":
        ctx.allow(identity, "patch", target)
        return await _patch(ctx, request, target)
    if method == "DELETE" and not target.subresource:
        ctx.allow(identity, "delete", target)
        return await _delete(ctx, request, target)
    raise _not_allowed(method, target)


async def _collection(
    ctx: ServerContext, request: Request, identity: Identity, target: Target, method: str
) -> Response:
    all_namespaces = target.info.namespaced and not target.namespace
    if method == "GET":
        if wants_watch(request, target):
            ctx.allow(identity, "watch", target)
            return serve_watch(ctx, request, target)
        ctx.allow(identity, "list", target)
        return _list(ctx, request, target)
    if target.watch_path:
        raise _not_allowed(method, target)
    if method == "POST" and not all_namespaces:
        ctx.allow(identity, "create", target)
        return await _create(ctx, request, target)
    if method == "DELETE" and not all_namespaces:
        ctx.allow(identity, "deletecollection", target)
        return await _delete_collection(ctx, request, target)
    raise _not_allowed(method, target)


def _not_allowed(method: str, target: Target) -> MethodNotAllowed:
    return MethodNotAllowed(
        f"the server does not allow this method on the requested resource ({method})"
    )


# -- reads -----------------------------------------------------------------


def _object_response(request: Request, target: Target, obj: Obj, status: int = 200) -> Response:
    include = table_request(request)
    if include is not None:
        return JSONResponse(table_of(target.info, [obj], include), status)
    return JSONResponse(obj, status)


def _list(ctx: ServerContext, request: Request, target: Target) -> Response:
    query = request.query_params
    limit_text = query.get("limit")
    try:
        limit = int(limit_text) if limit_text else None
    except ValueError:
        raise BadRequest(f'invalid limit "{limit_text}": must be an integer') from None
    result = ctx.store.list(
        target.info.resource,
        target.namespace or None,
        labels=parse_label_selector(query.get("labelSelector")),
        fields=parse_field_selector(query.get("fieldSelector")),
        limit=limit if limit and limit > 0 else None,
        continue_token=query.get("continue") or None,
    )
    list_meta: Obj = {"resourceVersion": str(result.resource_version)}
    if result.continue_token:
        list_meta["continue"] = result.continue_token
        if result.remaining is not None:
            list_meta["remainingItemCount"] = result.remaining
    include = table_request(request)
    if include is not None:
        table = table_of(target.info, result.items, include)
        table["metadata"] = list_meta
        return JSONResponse(table)
    info = target.info
    return JSONResponse(
        {
            "kind": f"{info.kind}List",
            "apiVersion": info.api_version,
            "metadata": list_meta,
            "items": result.items,
        }
    )


# -- writes ----------------------------------------------------------------


def _dry_run(request: Request) -> bool:
    values = request.query_params.getlist("dryRun")
    for value in values:
        if value != "All":
            raise BadRequest(f'Invalid dry run value "{value}": the only supported value is "All"')
    return bool(values)


def _warnings(info: KindInfo, request: Request, obj: Obj) -> dict[str, str] | None:
    """Run field validation as the request asks; unknown fields become Warning headers."""
    mode = request.query_params.get("fieldValidation", "")
    if mode not in ("", "Strict", "Warn", "Ignore"):
        raise BadRequest(
            f'Invalid fieldValidation "{mode}": must be one of "Strict", "Warn" or "Ignore"'
        )
    found = field_validation(info, obj, mode or "Warn")
    if not found:
        return None
    text = ", ".join('299 - "' + w.replace('"', '\\"') + '"' for w in found)
    return {"Warning": text}


def _check_body_kind(obj: Obj, target: Target) -> str:
    """Fill a missing apiVersion/kind from the URL; reject a different one. Returns the version."""
    info = target.info
    url_api_version = f"{info.group}/{target.version}" if info.group else target.version
    api_version = obj.setdefault("apiVersion", url_api_version)
    kind = obj.setdefault("kind", info.kind)
    group, _, version = str(api_version).rpartition("/")
    if group != info.group or version not in info.served_versions:
        raise BadRequest(
            f"the API version in the data ({api_version}) does not match the expected API version ({url_api_version})"
        )
    if kind != info.kind:
        raise BadRequest(
            f"the kind in the data ({kind}) does not match the expected kind ({info.kind})"
        )
    return version


def _place(obj: Obj, target: Target) -> Obj:
    """Check and fill the namespace (and name) the URL gives the body."""
    md = m.meta(obj)
    if target.info.namespaced:
        body_ns = md.get("namespace")
        if body_ns and body_ns != target.namespace:
            raise BadRequest(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        md["namespace"] = target.namespace
    else:
        md.pop("namespace", None)
    if target.name:
        body_name = md.get("name")
        if body_name and body_name != target.name:
            raise BadRequest(
                f"the name of the object ({body_name}) does not match the name on the URL ({target.name})"
            )
        md["name"] = target.name
    return md


async def _create(ctx: ServerContext, request: Request, target: Target) -> Response:
    obj = await read_object(request)
    version = _check_body_kind(obj, target)
    md = _place(obj, target)
    if not md.get("name") and md.get("generateName"):
        md["name"] = f"{md['generateName']}{m.random_suffix()}"
    headers = _warnings(target.info, request, obj)
    obj = admit(target.info, obj, None, operation="CREATE", version=version)
    if _dry_run(request):
        md = m.meta(obj)
        md.setdefault("uid", m.new_uid())
        md.setdefault("creationTimestamp", m.timestamp())
        return JSONResponse(obj, 201, headers=headers)
    created = ctx.store.create(target.info.resource, obj)
    return _write_response(request, target, created, 201, headers)


def _write_response(
    request: Request, target: Target, obj: Obj, status: int, headers: dict[str, str] | None
) -> Response:
    response = _object_response(request, target, obj, status)
    if headers:
        response.headers.update(headers)
    return response


async def _update(ctx: ServerContext, request: Request, target: Target) -> Response:
    obj = await read_object(request)
    version = _check_body_kind(obj, target)
    _place(obj, target)
    headers = _warnings(target.info, request, obj)
    resource = target.info.resource
    old = ctx.store.get(resource, target.namespace, target.name)
    return _save(ctx, request, target, obj, old, version, headers)


def _save(
    ctx: ServerContext,
    request: Request,
    target: Target,
    obj: Obj,
    old: Obj,
    version: str,
    headers: dict[str, str] | None,
) -> Response:
    """Admit and write an update of the object or of its status."""
    resource = target.info.resource
    if target.subresource == "status":
        # only the status changes; everything else is the stored object's
        merged = dict(old)
        merged["metadata"] = dict(m.meta(old))
        if "resourceVersion" in m.meta(obj):
            merged["metadata"]["resourceVersion"] = m.meta(obj)["resourceVersion"]
        if "status" in obj:
            merged["status"] = obj["status"]
        else:
            merged.pop("status", None)
        admitted = admit(target.info, merged, old, operation="UPDATE", version=version)
        if _dry_run(request):
            return JSONResponse(admitted, headers=headers)
        saved = ctx.store.update_status(resource, admitted)
    else:
        admitted = admit(target.info, obj, old, operation="UPDATE", version=version)
        if _dry_run(request):
            return JSONResponse(admitted, headers=headers)
        saved = ctx.store.update(resource, admitted)
    return _write_response(request, target, saved, 200, headers)


async def _patch(ctx: ServerContext, request: Request, target: Target) -> Response:
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    resource = target.info.resource
    for attempt in range(PATCH_RETRIES):
        try:
            old = ctx.store.get(resource, target.namespace, target.name)
        except NotFound:
            if content_type != APPLY_PATCH or target.subresource:
                raise
            return await _apply_create(ctx, request, target, raw)
        patched = apply_patch(content_type, old, raw, target.info)
        version = _check_body_kind(patched, target)
        _place(patched, target)
        headers = _warnings(target.info, request, patched)
        try:
            return _save(ctx, request, target, patched, old, version, headers)
        except Conflict:
            # retry only if the conflict is another writer's, not a stale version in the patch
            same = m.meta(patched).get("resourceVersion") == m.meta(old).get("resourceVersion")
            if not same or attempt == PATCH_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def _apply_create(
    ctx: ServerContext, request: Request, target: Target, raw: bytes
) -> Response:
    """Server-side apply of an object that does not exist yet creates it."""
    obj = apply_patch(APPLY_PATCH, {}, raw, target.info)
    version = _check_body_kind(obj, target)
    _place(obj, target)
    headers = _warnings(target.info, request, obj)
    obj = admit(target.info, obj, None, operation="CREATE", version=version)
    if _dry_run(request):
        return JSONResponse(obj, 201, headers=headers)
    created = ctx.store.create(target.info.resource, obj)
    return _write_response(request, target, created, 201, headers)


def _propagation(request: Request, options: Obj) -> DeletePropagation:
    text = request.query_params.get("propagationPolicy") or options.get("propagationPolicy")
    if not text:
        orphan = request.query_params.get("orphanDependents") or options.get("orphanDependents")
        if orphan in (True, "true", "1"):
            return DeletePropagation.ORPHAN
        return DeletePropagation.BACKGROUND
    try:
        return DeletePropagation(text)
    except ValueError:
        raise BadRequest(
            f'Unsupported value: "{text}": supported values: "Orphan", "Background", "Foreground"'
        ) from None


def _grace(request: Request, options: Obj) -> int | None:
    text = request.query_params.get("gracePeriodSeconds")
    value: Any = text if text is not None else options.get("gracePeriodSeconds")
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest(f'invalid gracePeriodSeconds "{value}": must be an integer') from None


async def _delete(ctx: ServerContext, request: Request, target: Target) -> Response:
    options = await read_optional_object(request) or {}
    propagation = _propagation(request, options)
    grace = _grace(request, options)
    preconditions = options.get("preconditions") or {}
    resource = target.info.resource
    if _dry_run(request) or "All" in (options.get("dryRun") or []):
        obj = ctx.store.get(resource, target.namespace, target.name)
        return JSONResponse(obj)
    obj = ctx.store.delete(
        resource,
        target.namespace,
        target.name,
        propagation=propagation,
        uid=preconditions.get("uid"),
        resource_version=preconditions.get("resourceVersion"),
        grace_period_seconds=grace,
    )
    return _deleted_response(target.info, obj)


def _deleted_response(info: KindInfo, obj: Obj) -> Response:
    """What Kubernetes answers a delete with: the object, or a `Status` for some kinds.

    An object whose deletion waits on finalizers is always shown, with its
    `deletionTimestamp`, so the caller can see it is not gone yet.
    """
    md = m.meta(obj)
    pending = bool(md.get("finalizers")) or bool((obj.get("spec") or {}).get("finalizers"))
    if pending or info.resource in ("pods", "namespaces") or info.group:
        return JSONResponse(obj)
    return JSONResponse(
        success_status(
            {
                "name": md.get("name", ""),
                "group": info.group,
                "kind": info.plural,
                "uid": md.get("uid", ""),
            }
        )
    )


async def _delete_collection(ctx: ServerContext, request: Request, target: Target) -> Response:
    options = await read_optional_object(request) or {}
    propagation = _propagation(request, options)
    grace = _grace(request, options)
    query = request.query_params
    resource = target.info.resource
    listed = ctx.store.list(
        resource,
        target.namespace or None,
        labels=parse_label_selector(query.get("labelSelector")),
        fields=parse_field_selector(query.get("fieldSelector")),
    )
    if _dry_run(request):
        return JSONResponse(success_status())
    for obj in listed.items:
        try:
            ctx.store.delete(
                resource,
                m.namespace_of(obj),
                m.name_of(obj),
                propagation=propagation,
                grace_period_seconds=grace,
            )
        except NotFound:
            continue  # someone else deleted it first
    return JSONResponse(success_status())
