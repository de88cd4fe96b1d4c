"""One pass over a workflow's templates: Argo's `executeTemplate` and what it needs.

An `Execution` lives for one reconcile. It holds the workflow (a copy), its node
tree and pods, the global variables, and the template resolver, and walks the tree
from whatever node it is asked to run: a node that is fulfilled is returned as it
is; otherwise its template is resolved, filled with its arguments and run by type
(`leaves` for pods, resources and suspends, `steps`, `dag`), under a retry node
when the template has a `retryStrategy`. Nothing here waits: each pass moves every
node as far as the state of its pods allows, and says (`requeue`) when it wants to
look again because of a timer (a backoff, a suspend's duration, a deadline).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.naming import pod_name
from kflow.artifacts import ArtifactStore
from kflow.controllers.events import EventRecorder
from kflow.controllers.workflows.nodes import Node, Nodes, fulfilled, unsuccessful
from kflow.controllers.workflows.scope import Scope, global_scope
from kflow.controllers.workflows.staging import Staging
from kflow.controllers.workflows.templates import (
    ArgumentError,
    Resolver,
    Source,
    TemplateNotFound,
    process_args,
    template_type,
)
from kflow.runtime.interface import Runtime
from kflow.store.interface import Store
from kflow.workflows.errors import TemplateError

Obj = dict[str, Any]
LogReader = Callable[[str, str], bytes | None]
"""Reads a container's whole log: (pod uid, container) -> bytes, None when unknown."""


@dataclasses.dataclass
class Env:
    """What an execution uses besides the workflow: the ports and kflow's own stores."""

    store: Store
    runtime: Runtime
    artifacts: ArtifactStore
    staging: Staging
    recorder: EventRecorder
    read_log: LogReader


@dataclasses.dataclass(frozen=True)
class Call:
    """How a node was asked for: its name, the holder (step, task, ...), its arguments."""

    name: str
    holder: Obj
    source: Source
    arguments: Obj | None
    boundary_id: str = ""


POD_CREATION_SECONDS = 1.0
"""How long one pass may spend creating pods (Argo bounds an operation's time too)."""


class Execution:
    """The state of one pass over one workflow."""

    def __init__(self, env: Env, wf: Obj, spec: Obj, resolver: Resolver, now: dt.datetime) -> None:
        self.env = env
        self.wf = wf
        self.name = m.name_of(wf)
        self.namespace = m.namespace_of(wf)
        self.uid = str(m.meta(wf).get("uid") or "")
        self.spec = spec
        self.status: Obj = wf.setdefault("status", {})
        self.nodes = Nodes(self.name, self.status.setdefault("nodes", {}), now)
        self.now = now
        self.resolver = resolver
        self.globals = global_scope(wf, spec, now)
        self.pods: dict[str, Obj] = {}  # node id -> pod
        self.requeue: float | None = None
        self.blocked = False  # nothing new may start (deadline, shutdown, suspend)
        self.active_pods = 0
        self.deadline: dt.datetime | None = None
        # processed steps/dag templates by node id, for their children's parallelism
        self.boundary_templates: dict[str, Obj] = {}
        # past this (monotonic) time the pass creates no more pods: it writes what it has
        # and comes back at once, so a thousand new pods do not keep the status unwritten
        self.creating_until = time.monotonic() + POD_CREATION_SECONDS

    # -- small services ----------------------------------------------------------------

    def wake_in(self, seconds: float) -> None:
        """Ask for another pass within `seconds`."""
        seconds = max(seconds, 0.05)
        self.requeue = seconds if self.requeue is None else min(self.requeue, seconds)

    def claims(self) -> list[Obj]:
        return list(self.status.get("persistentVolumeClaims") or [])

    def pod_name_of(self, node_name: str, template: Obj) -> str:
        return pod_name(self.name, node_name, str(template.get("name") or ""))

    def publish_outputs(self, outputs: Obj | None) -> None:
        """Outputs with a `globalName` become `workflow.outputs.*` (Argo's global scope)."""
        if not outputs:
            return
        for kind in ("parameters", "artifacts"):
            for item in outputs.get(kind) or []:
                name = item.get("globalName")
                if not name:
                    continue
                published = self.status.setdefault("outputs", {}).setdefault(kind, [])
                entry = {k: v for k, v in item.items() if k not in ("globalName", "valueFrom")}
                entry["name"] = name
                kept = [p for p in published if p.get("name") != name]
                if [*kept, entry] != published:
                    published[:] = [*kept, entry]
                    self.nodes.changed = True
                if kind == "parameters" and entry.get("value") is not None:
                    self.globals[f"workflow.outputs.parameters.{name}"] = str(entry["value"])

    def workflow_scope(self) -> Scope:
        scope = Scope()
        scope.add_outputs("workflow", self.status.get("outputs"))
        return scope

    def error_node(self, call: Call, message: str) -> Node:
        """A node that could not run as asked: Argo's Skipped node in phase Error."""
        node = self.nodes.get(call.name)
        if node is not None:
            return self.nodes.mark(node, c.NodePhase.ERROR, message)
        return self.nodes.init(
            call.name,
            c.NodeType.SKIPPED,
            c.NodePhase.ERROR,
            template=call.holder.get("template"),
            template_ref=call.holder.get("templateRef"),
            template_scope=call.source.scope,
            boundary_id=call.boundary_id,
            message=message,
        )

    def init_node(self, call: Call, type_: c.NodeType, tmpl: Obj, **extra: Any) -> Node:
        """A node for a template that runs (Argo's `initializeExecutableNode`)."""
        inputs = tmpl.get("inputs")
        return self.nodes.init(
            call.name,
            type_,
            extra.pop("phase", c.NodePhase.RUNNING),
            template=call.holder.get("template")
            or (None if call.holder.get("templateRef") else tmpl.get("name")),
            template_ref=call.holder.get("templateRef"),
            template_scope=call.source.scope,
            boundary_id=call.boundary_id,
            inputs=inputs
            if inputs and (inputs.get("parameters") or inputs.get("artifacts"))
            else None,
            **extra,
        )

    # -- parallelism -------------------------------------------------------------------

    def may_start(self, tmpl: Obj, node: Node | None, boundary_id: str) -> bool:
        """Argo's `checkParallelism`: may a node (new, or a steps/dag) move on now?"""
        limit = self.spec.get("parallelism")
        kind = template_type(tmpl)
        if (
            node is None
            and isinstance(limit, int)
            and kind in c.POD_TYPES
            and self.active_pods >= limit
        ):
            return False
        failing = node is not None and kind in ("steps", "dag") and tmpl.get("failFast")
        if node is not None and failing and self._unsuccessful_children(node["id"]):
            message = "template has failed or errored children and failFast enabled"
            self.nodes.mark(node, c.NodePhase.FAILED, message)
            return False
        if boundary_id and (node is None or node.get("phase") not in ("Pending", "Running")):
            boundary = self.nodes.by_id.get(boundary_id)
            btmpl = self.boundary_templates.get(boundary_id)
            if boundary is not None and btmpl is not None:
                if btmpl.get("failFast") and self._unsuccessful_children(boundary_id):
                    message = "template has failed or errored children and failFast enabled"
                    self.nodes.mark(boundary, c.NodePhase.FAILED, message)
                    return False
                bl = btmpl.get("parallelism")
                if isinstance(bl, int) and self._active_children(boundary_id) >= bl:
                    return False
        return True

    def _unsuccessful_children(self, boundary_id: str) -> int:
        return sum(
            1
            for n in self.nodes.by_id.values()
            if n.get("boundaryID") == boundary_id
            and unsuccessful(n)
            and n.get("type")
            in (c.NodeType.POD.value, c.NodeType.STEPS.value, c.NodeType.DAG.value)
        )

    def _active_children(self, boundary_id: str) -> int:
        kinds = (c.NodeType.POD.value, c.NodeType.STEPS.value, c.NodeType.DAG.value)
        return sum(
            1
            for n in self.nodes.by_id.values()
            if n.get("boundaryID") == boundary_id
            and n.get("type") in kinds
            and n.get("phase") in ("Pending", "Running")
        )

    # -- the walk ----------------------------------------------------------------------

    def execute(self, call: Call, *, on_exit: bool = False) -> Node | None:
        """Run (or look at) the node `call` names; None when it may not start yet."""
        node = self.nodes.get(call.name)
        if node is not None and fulfilled(node):
            return node
        try:
            tmpl, source = self.resolver.resolve(call.holder, call.source)
        except TemplateNotFound as error:
            return self.error_node(call, str(error))
        retry = tmpl.get("retryStrategy") or self.spec.get("retryStrategy")
        kind = template_type(tmpl)
        local: dict[str, str] = {}
        if kind in c.POD_TYPES and not retry:
            local["pod.name"] = self.pod_name_of(call.name, tmpl)
        try:
            processed = process_args(tmpl, call.arguments, self.globals, local)
        except (ArgumentError, TemplateError) as error:
            return self.error_node(call, str(error))
        if node is None and self.blocked and not on_exit:
            return None
        if not self.may_start(processed, node, call.boundary_id):
            return self.nodes.get(call.name)
        if kind in ("steps", "dag"):
            self.boundary_templates[self.nodes.id_of(call.name)] = processed
        if retry:
            from kflow.controllers.workflows.retries import execute_retried  # recursion

            return execute_retried(self, call, tmpl, source, on_exit=on_exit)
        return self.dispatch(call, processed, source, on_exit=on_exit)

    def dispatch(
        self, call: Call, tmpl: Obj, source: Source, *, on_exit: bool = False
    ) -> Node | None:
        from kflow.controllers.workflows import actions, dag, leaves, steps  # (recursion)

        kind = template_type(tmpl)
        if kind in ("container", "script"):
            return leaves.execute_pod(self, call, tmpl)
        if kind == "resource":
            return actions.execute_resource(self, call, tmpl)
        if kind == "suspend":
            return actions.execute_suspend(self, call, tmpl)
        if kind == "steps":
            return steps.execute_steps(self, call, tmpl, source)
        if kind == "dag":
            return dag.execute_dag(self, call, tmpl, source)
        return self.error_node(call, f"Template '{tmpl.get('name')}' missing specification")

    # -- retries -----------------------------------------------------------------------
