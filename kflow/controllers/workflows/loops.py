"""Loops and exit hooks of steps and tasks.

`expand` turns a step or task with `withItems`, `withParam` or `withSequence` into
one copy per item, each named `name(index:item)` with `{{item}}` (and
`{{item.key}}`) substituted, as Argo's `expandStep`/`expandTask` do. `exit_hook`
finds what runs when a step or task ends (`hooks.exit`, or the older `onExit`), and
`run_exit_hook` runs it as the node `<node>.onExit`, its arguments able to read the
finished node's outputs (`{{steps.A.outputs.result}}`, `{{tasks.A.status}}`).
"""

from __future__ import annotations

from typing import Any

from kflow.controllers.workflows.execution import Call, Execution
from kflow.controllers.workflows.nodes import Node
from kflow.controllers.workflows.scope import Scope
from kflow.controllers.workflows.templates import Source
from kflow.workflows.params import (
    expand_sequence,
    item_scope,
    items_from_param,
    loop_node_name,
)
from kflow.workflows.variables import substitute_tree

Obj = dict[str, Any]
LOOP_FIELDS = ("withItems", "withParam", "withSequence")


def is_loop(call: Obj) -> bool:
    return any(call.get(f) not in (None, "") for f in LOOP_FIELDS)


def loop_items(call: Obj) -> list[object] | None:
    """The items a step or task loops over; None when it does not loop."""
    if call.get("withItems") is not None:
        return list(call["withItems"])
    if call.get("withParam") not in (None, ""):
        return items_from_param(str(call["withParam"]))
    sequence = call.get("withSequence")
    if isinstance(sequence, dict):
        return list(
            expand_sequence(
                count=sequence.get("count"),
                start=sequence.get("start"),
                end=sequence.get("end"),
                format=str(sequence.get("format") or ""),
            )
        )
    return None


def expand(call: Obj) -> list[Obj] | None:
    """One copy of `call` per item, or None when it does not loop (`ParameterError`)."""
    items = loop_items(call)
    if items is None:
        return None
    base = {k: v for k, v in call.items() if k not in LOOP_FIELDS}
    out = []
    for index, item in enumerate(items):
        child = substitute_tree(base, item_scope(item), strict=False)
        child["name"] = loop_node_name(str(call["name"]), index, item)
        if "template" in base:
            child["template"] = base["template"]
        out.append(child)
    return out


def exit_hook(holder: Obj) -> Obj | None:
    """The hook run when a step, task or workflow ends: `hooks.exit` or `onExit`."""
    hooks = holder.get("hooks")
    hook = hooks.get("exit") if isinstance(hooks, dict) else None
    if isinstance(hook, dict) and (hook.get("template") or hook.get("templateRef")):
        return hook
    if holder.get("onExit"):
        return {"template": holder["onExit"]}
    return None


def run_exit_hook(
    ex: Execution, holder: Obj, parent: Node, boundary_id: str, source: Source, prefix: str
) -> tuple[bool, Node | None]:
    """(whether `holder` has an exit hook, its node) once `parent` has completed."""
    hook = exit_hook(holder)
    if hook is None:
        return False, None
    scope = Scope()
    scope.add_node(prefix, parent, ex.nodes)
    arguments = substitute_tree(
        hook.get("arguments") or {}, {**ex.globals, **scope.params}, strict=False
    )
    call = Call(f"{parent['name']}.onExit", hook, source, arguments, boundary_id)
    node = ex.execute(call, on_exit=True)
    if node is not None:
        ex.nodes.add_child(parent, node["id"])
    return True, node
