"""The variables a template sees: the workflow's globals and its siblings' results.

Argo resolves `{{...}}` from a flat map of strings. `global_scope` builds the
workflow's part (`workflow.name`, `workflow.parameters.x`, `workflow.outputs...`);
`Scope` collects, for one steps or dag template, what its finished children made
(`steps.A.outputs.result`, `tasks.B.outputs.parameters.p`, `tasks.C.status`, ...),
with loops aggregated into JSON arrays. Output artifacts are kept beside the
strings, so `from: "{{tasks.A.outputs.artifacts.x}}"` finds the stored artifact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.controllers.workflows.nodes import Node, Nodes
from kflow.workflows.params import aggregate_outputs, aggregate_parameter_maps, aggregate_results

Obj = dict[str, Any]

# strftime letters Argo offers as `workflow.creationTimestamp.<letter>`
_STRFTIME = "aAbBcCdDeFgGhHIjklmMnpRSTuUVwWxXyYzZ"


def param_value(param: Obj) -> str | None:
    """A parameter's value as the string Argo holds (YAML numbers and booleans included)."""
    value = param.get("value")
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def global_scope(wf: Obj, spec: Obj, now: dt.datetime) -> dict[str, str]:
    """`workflow.*`: name, namespace, uid, parameters, labels, annotations, outputs, times."""
    md = m.meta(wf)
    status = wf.get("status") or {}
    scope = {
        "workflow.name": m.name_of(wf),
        "workflow.namespace": m.namespace_of(wf),
        "workflow.uid": str(md.get("uid") or ""),
        "workflow.serviceAccountName": str(spec.get("serviceAccountName") or ""),
        "workflow.mainEntrypoint": str(spec.get("entrypoint") or ""),
    }
    created = md.get("creationTimestamp")
    if created:
        when = m.parse_timestamp(str(created))
        scope["workflow.creationTimestamp"] = m.timestamp(when)
        scope["workflow.creationTimestamp.s"] = str(int(when.timestamp()))
        for letter in _STRFTIME:
            scope[f"workflow.creationTimestamp.{letter}"] = when.strftime(f"%{letter}")
    started = status.get("startedAt")
    if started:
        seconds = (now - m.parse_timestamp(str(started))).total_seconds()
        scope["workflow.duration"] = f"{seconds:f}"
    if spec.get("priority") is not None:
        scope["workflow.priority"] = str(spec["priority"])
    params = (spec.get("arguments") or {}).get("parameters") or []
    scope["workflow.parameters"] = json.dumps(params, separators=(",", ":"))
    for param in params:
        value = param_value(param)
        if value is not None:
            scope[f"workflow.parameters.{param['name']}"] = value
    for part in ("labels", "annotations"):
        values = md.get(part) or {}
        scope[f"workflow.{part}"] = json.dumps(values, separators=(",", ":"), sort_keys=True)
        for key, value in values.items():
            scope[f"workflow.{part}.{key}"] = str(value)
    for param in (status.get("outputs") or {}).get("parameters") or []:
        value = param_value(param)
        if value is not None:
            scope[f"workflow.outputs.parameters.{param['name']}"] = value
    return scope


@dataclasses.dataclass
class Scope:
    """Strings and artifacts a template's children may refer to."""

    params: dict[str, str] = dataclasses.field(default_factory=dict)
    artifacts: dict[str, Obj] = dataclasses.field(default_factory=dict)

    def add_outputs(self, prefix: str, outputs: Obj | None) -> None:
        """`<prefix>.outputs.result|parameters.x|artifacts.y` and `<prefix>.exitCode`."""
        if not outputs:
            return
        if prefix != "workflow" and outputs.get("result") is not None:
            self.params[f"{prefix}.outputs.result"] = str(outputs["result"])
        if prefix != "workflow" and outputs.get("exitCode") is not None:
            self.params[f"{prefix}.exitCode"] = str(outputs["exitCode"])
        for param in outputs.get("parameters") or []:
            value = param_value(param)
            if value is not None:
                self.params[f"{prefix}.outputs.parameters.{param['name']}"] = value
        for art in outputs.get("artifacts") or []:
            self.artifacts[f"{prefix}.outputs.artifacts.{art['name']}"] = art

    def add_node(self, prefix: str, node: Node, nodes: Nodes) -> None:
        """Argo's `buildLocalScope`: a finished child's id, times, status and outputs."""
        if node.get("type") == c.NodeType.RETRY.value:
            node = nodes.child(node, -1) or node
        self.params[f"{prefix}.id"] = str(node["id"])
        for field in ("startedAt", "finishedAt"):
            if node.get(field):
                self.params[f"{prefix}.{field}"] = str(node[field])
        if node.get("phase"):
            self.params[f"{prefix}.status"] = str(node["phase"])
        self.add_outputs(prefix, node.get("outputs"))

    def add_aggregate(self, prefix: str, children: list[Node], script: bool) -> None:
        """A loop's children, aggregated (Argo's `processAggregateNodeOutputs`)."""
        maps: list[dict[str, str]] = []
        by_name: dict[str, list[str]] = {}
        results: list[str] = []
        for child in children:
            outputs = child.get("outputs")
            if not outputs or child.get("phase") != c.NodePhase.SUCCEEDED.value:
                continue
            values = {
                str(p["name"]): param_value(p) or ""
                for p in outputs.get("parameters") or []
                if isinstance(p, dict)
            }
            if values:
                maps.append(values)
                for name, value in values.items():
                    by_name.setdefault(name, []).append(value)
            if outputs.get("result") is not None:
                results.append(str(outputs["result"]))
        if script or results:
            self.params[f"{prefix}.outputs.result"] = aggregate_results(results)
        self.params[f"{prefix}.outputs.parameters"] = aggregate_parameter_maps(maps)
        for name, values_ in by_name.items():
            self.params[f"{prefix}.outputs.parameters.{name}"] = aggregate_outputs(values_)

    def artifact(self, reference: str) -> Obj | None:
        """The artifact `{{steps.A.outputs.artifacts.x}}` (or a `workflow.outputs...`) names."""
        tag = reference.strip()
        if tag.startswith("{{") and tag.endswith("}}"):
            tag = tag[2:-2].strip()
        return self.artifacts.get(tag)
