"""A steps template: groups run one after another, the steps of a group in parallel.

Argo's `executeSteps`/`executeStepGroup`: the template's node (type Steps) has one
StepGroup node per group (`wf[0]`, `wf[1]`, ...), chained through the previous
group's last nodes; each step is a node `wf[0].name` (loops: `wf[0].name(0:x)`).
A group starts once the one before it has succeeded; its steps are substituted from
what earlier steps produced (`{{steps.A.outputs.result}}`), expanded by their loops
and skipped when their `when` is false. A group fails when a step fails that has no
`continueOn` for it; the Steps node then fails with the group's message.
"""

from __future__ import annotations

import re
from typing import Any

from kflow.api.argo import contracts as c
from kflow.controllers.workflows.execution import Call, Execution
from kflow.controllers.workflows.loops import expand, is_loop, run_exit_hook
from kflow.controllers.workflows.nodes import Node, fulfilled, unsuccessful
from kflow.controllers.workflows.references import (
    UnresolvedReference,
    resolve_call,
    template_outputs,
)
from kflow.controllers.workflows.scope import Scope
from kflow.controllers.workflows.templates import Source, template_type
from kflow.workflows.errors import TemplateError
from kflow.workflows.when import evaluate_when

Obj = dict[str, Any]
_ITERATION = re.compile(r"(\d+):[^()]*\)$")


def continues_on(call: Obj, phase: str) -> bool:
    """Whether a failure in `phase` of this step or task lets the others go on."""
    on = call.get("continueOn") or {}
    return bool(
        (phase == c.NodePhase.FAILED.value and on.get("failed"))
        or (phase == c.NodePhase.ERROR.value and on.get("error"))
    )


def update_outbound(ex: Execution, node: Node, tmpl: Obj) -> None:
    """A Steps node's outbound nodes: those of its last started group's children."""
    for i in range(len(tmpl.get("steps") or []) - 1, -1, -1):
        group = ex.nodes.get(f"{node['name']}[{i}]")
        if group is not None:
            out = [o for child in group.get("children") or [] for o in ex.nodes.outbound(child)]
            ex.nodes.set(node, "outboundNodes", out)
            return


def execute_steps(ex: Execution, call: Call, tmpl: Obj, source: Source) -> Node | None:
    node = ex.nodes.get(call.name) or ex.init_node(call, c.NodeType.STEPS, tmpl)
    scope = ex.workflow_scope()
    for i, group in enumerate(tmpl.get("steps") or []):
        sg_name = f"{call.name}[{i}]"
        sg = ex.nodes.get(sg_name)
        if sg is None:
            sg = ex.nodes.init(
                sg_name,
                c.NodeType.STEP_GROUP,
                c.NodePhase.RUNNING,
                template=str(tmpl.get("name") or ""),
                template_scope=source.scope,
                boundary_id=node["id"],
            )
        if i == 0:
            ex.nodes.add_child(node, sg["id"])
        else:
            previous = ex.nodes.get(f"{call.name}[{i - 1}]")
            if previous is not None and not previous.get("children"):
                ex.nodes.add_child(previous, sg["id"])
            for child in (previous or {}).get("children") or []:
                for out in ex.nodes.outbound(child):
                    ex.nodes.add_child(ex.nodes.by_id.get(out), sg["id"])
        sg = _execute_group(ex, list(group or []), sg, scope, source, node["id"])
        if not fulfilled(sg):
            return node
        if unsuccessful(sg):
            update_outbound(ex, node, tmpl)
            return ex.nodes.mark(node, c.NodePhase.FAILED, str(sg.get("message") or ""))
        for step in group or []:
            _add_to_scope(ex, scope, sg_name, step, tmpl, source)
    update_outbound(ex, node, tmpl)
    try:
        outputs = template_outputs(tmpl, ex.globals, scope)
    except (UnresolvedReference, TemplateError) as error:
        return ex.nodes.mark(node, c.NodePhase.ERROR, str(error))
    if outputs:
        ex.nodes.set(node, "outputs", outputs)
        ex.publish_outputs(outputs)
    return ex.nodes.mark(node, c.NodePhase.SUCCEEDED, "")


def _add_to_scope(
    ex: Execution, scope: Scope, sg_name: str, step: Obj, tmpl: Obj, source: Source
) -> None:
    prefix = f"steps.{step.get('name')}"
    child = ex.nodes.get(f"{sg_name}.{step.get('name')}")
    if child is not None and not is_loop(step):
        scope.add_node(prefix, child, ex.nodes)
        return
    start = f"{sg_name}.{step.get('name')}("
    children = loop_children(ex, start)
    script = False
    try:
        called, _ = ex.resolver.resolve(step, source)
        script = template_type(called) == "script"
    except LookupError:
        pass
    scope.add_aggregate(prefix, children, script)


def loop_children(ex: Execution, start: str) -> list[Node]:
    """The iterations of a loop, in order: nodes named `<start><index>:<item>)`."""
    found: list[tuple[int, Node]] = []
    for node in ex.nodes.by_id.values():
        name = str(node.get("name", ""))
        if not name.startswith(start) or node.get("type") == c.NodeType.SKIPPED.value:
            continue
        match = _ITERATION.match(name, len(start))
        if match is not None:
            found.append((int(match[1]), node))
    return [node for _, node in sorted(found, key=lambda pair: pair[0])]


def _execute_group(
    ex: Execution, steps: list[Obj], sg: Node, scope: Scope, source: Source, boundary_id: str
) -> Node:
    if fulfilled(sg):
        return sg
    expanded: list[Obj] = []
    try:
        for step in steps:
            resolved = resolve_call(step, ex.globals, scope)
            copies = expand(resolved)
            if copies is None:
                expanded.append(resolved)
            elif not copies:
                empty = f"{sg['name']}.{step.get('name')}"
                skipped = ex.nodes.get(empty) or ex.nodes.init(
                    empty,
                    c.NodeType.SKIPPED,
                    c.NodePhase.SKIPPED,
                    template=step.get("template"),
                    template_scope=source.scope,
                    boundary_id=boundary_id,
                    message="Skipped, empty params",
                )
                ex.nodes.add_child(sg, skipped["id"])
            else:
                expanded.extend(copies)
    except (UnresolvedReference, TemplateError) as error:
        return ex.nodes.mark(sg, c.NodePhase.ERROR, str(error))
    by_name: dict[str, Obj] = {}
    waiting = False
    for step in expanded:
        child_name = f"{sg['name']}.{step['name']}"
        when = str(step.get("when") or "")
        try:
            proceed = evaluate_when(when)
        except TemplateError as error:
            failed = ex.error_node(Call(child_name, step, source, None, boundary_id), str(error))
            ex.nodes.add_child(sg, failed["id"])
            return ex.nodes.mark(sg, c.NodePhase.ERROR, str(error))
        if not proceed:
            if ex.nodes.get(child_name) is None:
                skipped = ex.nodes.init(
                    child_name,
                    c.NodeType.SKIPPED,
                    c.NodePhase.SKIPPED,
                    template=step.get("template"),
                    template_scope=source.scope,
                    boundary_id=boundary_id,
                    message=f"when '{when}' evaluated false",
                )
                ex.nodes.add_child(sg, skipped["id"])
            continue
        child = ex.execute(Call(child_name, step, source, step.get("arguments"), boundary_id))
        if child is None:
            waiting = True  # not started yet (parallelism, suspend): the group goes on
            continue
        by_name[child["name"]] = step
        ex.nodes.add_child(sg, child["id"])
    if waiting:
        return sg
    for child_id in sg.get("children") or []:
        child = ex.nodes.by_id.get(child_id)
        if not fulfilled(child):
            return sg
        assert child is not None
        step = by_name.get(child["name"], {})
        has_hook, hook = run_exit_hook(
            ex, step, child, boundary_id, source, f"steps.{step.get('name')}"
        )
        if has_hook and not fulfilled(hook):
            return sg
    for child_id in sg.get("children") or []:
        child = ex.nodes.by_id[child_id]
        step = by_name.get(child["name"], {})
        if unsuccessful(child) and not continues_on(step, child["phase"]):
            return ex.nodes.mark(sg, c.NodePhase.FAILED, f"child '{child_id}' failed")
    return ex.nodes.mark(sg, c.NodePhase.SUCCEEDED, "")
