"""The templates that run no pod: a resource acted on, and a pause.

`execute_resource` creates, applies, patches, replaces, gets or deletes the object
in its manifest through the same admission as `kubectl`, then waits for its
`successCondition`/`failureCondition` and reads its `jsonPath` outputs.
`execute_suspend` waits for its `duration` or for a resume (`kflow resume`), which
marks the node Succeeded; output parameters nobody supplied take their defaults.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import yaml

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.argo import contracts as c
from kflow.api.errors import ApiError, NotFound
from kflow.api.kinds import registry
from kflow.api.patches import json_patch, merge_patch, strategic_merge_patch
from kflow.controllers.workflows.conditions import ConditionError, holds
from kflow.controllers.workflows.durations import parse_duration
from kflow.controllers.workflows.execution import Call, Execution
from kflow.controllers.workflows.nodes import Node, fulfilled
from kflow.workflows.errors import ParameterError
from kflow.workflows.params import json_path

Obj = dict[str, Any]
RESOURCE_POLL_SECONDS = 1.0


# -- resource templates ----------------------------------------------------------------


def _act(ex: Execution, resource: Obj) -> Obj:
    """Do the resource template's action; return the object acted on."""
    action = str(resource.get("action") or "")
    body = yaml.safe_load(str(resource.get("manifest") or ""))
    if not isinstance(body, dict):
        raise ValueError("resource.manifest must be an object")
    info, version = registry.for_object(body)
    md = m.meta(body)
    namespace = str(md.get("namespace") or ex.namespace) if info.namespaced else ""
    if info.namespaced:
        md["namespace"] = namespace
    if resource.get("setOwnerReference"):
        md.setdefault("ownerReferences", []).append(m.owner_reference(ex.wf))
    name = str(md.get("name") or "")
    store = ex.env.store
    if action == "get":
        return store.get(info.resource, namespace, name)
    if action == "delete":
        with contextlib.suppress(NotFound):
            store.delete(info.resource, namespace, name)
        return body
    if action == "create":
        if not name and md.get("generateName"):
            md["name"] = f"{md['generateName']}{m.random_suffix()}"
        return store.create(
            info.resource, admit(info, body, None, operation="CREATE", version=version)
        )
    current: Obj | None = None
    with contextlib.suppress(NotFound):
        current = store.get(info.resource, namespace, name)
    if action == "patch":
        if current is None:
            raise NotFound(f'{info.resource} "{name}" not found')
        strategy = resource.get("mergeStrategy") or "strategic"
        if strategy == "json":
            patched = json_patch(current, yaml.safe_load(str(resource.get("manifest"))))
        elif strategy == "merge":
            patched = merge_patch(current, body)
        else:
            patched = strategic_merge_patch(current, body)
        return store.update(
            info.resource, admit(info, patched, current, operation="UPDATE", version=version)
        )
    if current is None:
        return store.create(
            info.resource, admit(info, body, None, operation="CREATE", version=version)
        )
    updated = strategic_merge_patch(current, body) if action == "apply" else body
    m.meta(updated)["resourceVersion"] = m.meta(current).get("resourceVersion")
    return store.update(
        info.resource, admit(info, updated, current, operation="UPDATE", version=version)
    )


def execute_resource(ex: Execution, call: Call, tmpl: Obj) -> Node | None:
    """A resource template's node: act once, then wait for its conditions."""
    node = ex.nodes.get(call.name)
    if node is None:
        if ex.blocked:
            return None
        node = ex.init_node(call, c.NodeType.POD, tmpl)
    if fulfilled(node):
        return node
    resource = tmpl.get("resource") or {}
    target = node.get("kflowResource")
    try:
        if not isinstance(target, dict):
            obj = _act(ex, resource)
            target = {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "namespace": m.namespace_of(obj),
                "name": m.name_of(obj),
            }
            ex.nodes.set(node, "kflowResource", target)
            if resource.get("action") == "delete":
                return ex.nodes.mark(node, c.NodePhase.SUCCEEDED, "")
        info, _ = registry.for_object(target)
        obj = ex.env.store.get(info.resource, str(target["namespace"]), str(target["name"]))
        failure, success = resource.get("failureCondition"), resource.get("successCondition")
        if failure and holds(obj, str(failure)):
            return ex.nodes.mark(node, c.NodePhase.FAILED, f"failure condition '{failure}' met")
        if success and not holds(obj, str(success)):
            ex.wake_in(RESOURCE_POLL_SECONDS)
            return ex.nodes.mark(node, c.NodePhase.RUNNING, f"waiting for {success}")
        outputs = _resource_outputs(tmpl, obj)
    except (ApiError, ConditionError, ParameterError, ValueError, yaml.YAMLError) as error:
        return ex.nodes.mark(node, c.NodePhase.ERROR, str(error))
    if outputs:
        ex.nodes.set(node, "outputs", outputs)
        ex.publish_outputs(outputs)
    return ex.nodes.mark(node, c.NodePhase.SUCCEEDED, "")


def _resource_outputs(tmpl: Obj, obj: Obj) -> Obj:
    params = []
    for param in (tmpl.get("outputs") or {}).get("parameters") or []:
        source = param.get("valueFrom") or {}
        if source.get("jqFilter"):
            raise ValueError(f"outputs.parameters.{param.get('name')}: jqFilter is not supported")
        value: str | None = None
        if source.get("jsonPath"):
            value = json_path(obj, str(source["jsonPath"]))
        if value in (None, "") and source.get("default") is not None:
            value = str(source["default"])
        out = {k: v for k, v in param.items() if k in ("name", "valueFrom", "globalName")}
        params.append({**out, "value": value or ""})
    return {"parameters": params} if params else {}


# -- suspend templates -----------------------------------------------------------------


def execute_suspend(ex: Execution, call: Call, tmpl: Obj) -> Node | None:
    """A pause: Running until its `duration` has passed or someone resumes it."""
    node = ex.nodes.get(call.name)
    if node is None:
        if ex.blocked:
            return None
        node = ex.init_node(call, c.NodeType.SUSPEND, tmpl)
        params = [
            {k: v for k, v in p.items() if k in ("name", "valueFrom", "globalName")}
            for p in (tmpl.get("outputs") or {}).get("parameters") or []
        ]
        if params:
            ex.nodes.set(node, "outputs", {"parameters": params})
    if fulfilled(node):
        return node
    duration = (tmpl.get("suspend") or {}).get("duration")
    if duration in (None, ""):
        return node
    try:
        seconds = parse_duration(duration, "suspend.duration")
    except ValueError as error:
        return ex.nodes.mark(node, c.NodePhase.ERROR, str(error))
    resume_at = m.parse_timestamp(str(node["startedAt"])) + dt.timedelta(seconds=seconds)
    if ex.now >= resume_at:
        _default_outputs(ex, node)
        return ex.nodes.mark(node, c.NodePhase.SUCCEEDED, "")
    ex.wake_in((resume_at - ex.now).total_seconds())
    return node


def _default_outputs(ex: Execution, node: Node) -> None:
    """A suspend's output parameters take their defaults when nobody supplied them."""
    outputs = node.get("outputs") or {}
    for param in outputs.get("parameters") or []:
        default = (param.get("valueFrom") or {}).get("default")
        if param.get("value") is None and default is not None:
            param["value"] = str(default)
            ex.nodes.changed = True
    ex.publish_outputs(outputs)
