"""A dag template: tasks run as soon as what they depend on allows.

Argo's `executeDAG`: the template's node (type DAG) starts from its target tasks
(`dag.target`, or every task nothing depends on) and walks each one's dependencies
first. A task runs once its dependencies are fulfilled and its `depends` (or
`dependencies`) logic holds, and is Omitted when it can no longer hold; a loop task
becomes a TaskGroup node with one child per item. Tasks hang from their
dependencies' last nodes (root tasks from the DAG node), so `status.nodes` draws
the graph. The DAG's phase is Argo's `assessDAGPhase`: every branch is followed to
its target task, an omitted task inheriting its branch's phase, and the DAG fails
when a target's branch failed without `continueOn` (with `failFast`, the default, as
soon as that is known).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from kflow.api.argo import contracts as c
from kflow.controllers.workflows.execution import Call, Execution
from kflow.controllers.workflows.loops import exit_hook, expand, is_loop, run_exit_hook
from kflow.controllers.workflows.nodes import Node, completed, fulfilled, unsuccessful
from kflow.controllers.workflows.references import (
    UnresolvedReference,
    resolve_call,
    template_outputs,
)
from kflow.controllers.workflows.scope import Scope
from kflow.controllers.workflows.steps import continues_on, loop_children
from kflow.controllers.workflows.templates import Source, template_type
from kflow.workflows.depends import ContinueOn, Depends, TaskOutcome
from kflow.workflows.errors import TemplateError
from kflow.workflows.when import evaluate_when

Obj = dict[str, Any]


def task_depends(task: Obj, tasks: dict[str, Obj]) -> Depends:
    """A task's dependency logic, from `depends` or `dependencies` (`DependsError`)."""
    continue_on = {
        name: ContinueOn(failed=bool(on.get("failed")), error=bool(on.get("error")))
        for name, other in tasks.items()
        if isinstance(on := other.get("continueOn"), dict)
    }
    if task.get("depends"):
        return Depends.parse(str(task["depends"]), continue_on)
    return Depends.from_dependencies([str(d) for d in task.get("dependencies") or []], continue_on)


class DagRun:
    """One pass over one DAG node."""

    def __init__(self, ex: Execution, node: Node, tmpl: Obj, source: Source) -> None:
        self.ex = ex
        self.node = node
        self.tmpl = tmpl
        self.source = source
        self.tasks: dict[str, Obj] = {
            str(t["name"]): t for t in (tmpl.get("dag") or {}).get("tasks") or []
        }
        self.visited: set[str] = set()
        self._depends: dict[str, Depends] = {}
        self._ancestors: dict[str, set[str]] = {}

    def task_name(self, task: str) -> str:
        return f"{self.node['name']}.{task}"

    def task_node(self, task: str) -> Node | None:
        return self.ex.nodes.get(self.task_name(task))

    def depends(self, task: str) -> Depends:
        if task not in self._depends:
            self._depends[task] = task_depends(self.tasks[task], self.tasks)
        return self._depends[task]

    def targets(self) -> list[str]:
        target = str((self.tmpl.get("dag") or {}).get("target") or "")
        if target:
            return target.split()
        needed = {d for t in self.tasks for d in self.depends(t).tasks()}
        return sorted(t for t in self.tasks if t not in needed)

    def ancestors(self, task: str) -> set[str]:
        if task not in self._ancestors:
            self._ancestors[task] = set()
            found: set[str] = set()
            for dep in self.depends(task).tasks():
                if dep in self.tasks:
                    found |= {dep, *self.ancestors(dep)}
            self._ancestors[task] = found
        return self._ancestors[task]

    def scope_for(self, task: str) -> Scope:
        """Argo's `buildLocalScopeFromTask`: the outputs of the task's ancestors."""
        scope = self.ex.workflow_scope()
        for ancestor in sorted(self.ancestors(task)):
            node = self.task_node(ancestor)
            if node is None:
                continue
            prefix = f"tasks.{ancestor}"
            if node.get("type") == c.NodeType.TASK_GROUP.value:
                children = loop_children(self.ex, f"{node['name']}(")
                scope.add_aggregate(prefix, children, self._is_script(self.tasks[ancestor]))
            else:
                scope.add_node(prefix, node, self.ex.nodes)
        return scope

    def _is_script(self, task: Obj) -> bool:
        try:
            called, _ = self.ex.resolver.resolve(task, self.source)
        except LookupError:
            return False
        return template_type(called) == "script"

    def connect(self, child_name: str, task: str, group: Node | None) -> None:
        """Hang a task's node from its group, the DAG node, or its dependencies' last nodes."""
        child_id = self.ex.nodes.id_of(child_name)
        deps = [d for d in self.depends(task).tasks() if d in self.tasks]
        if group is not None:
            self.ex.nodes.add_child(group, child_id)
        elif not deps:
            self.ex.nodes.add_child(self.node, child_id)
        else:
            for dep in sorted(deps):
                dep_node = self.task_node(dep)
                if dep_node is None:
                    continue
                for out in self.ex.nodes.outbound(dep_node["id"]):
                    self.ex.nodes.add_child(self.ex.nodes.by_id.get(out), child_id)

    def _mark_new(
        self, task: str, name: str, phase: c.NodePhase, message: str, group: Node | None
    ) -> None:
        if self.ex.nodes.get(name) is None:
            self.connect(name, task, group)
            self.ex.nodes.init(
                name,
                c.NodeType.SKIPPED,
                phase,
                template=self.tasks[task].get("template"),
                template_scope=self.source.scope,
                boundary_id=self.node["id"],
                message=message,
            )

    def outcome(self, task: str) -> TaskOutcome | None:
        node = self.task_node(task)
        if node is None:
            return None
        hook_pending = False
        if completed(node) and exit_hook(self.tasks[task]) is not None:
            # its dependants wait for its exit hook, which may not even exist yet
            hook_pending = not fulfilled(self.ex.nodes.get(f"{node['name']}.onExit"))
        group = node.get("type") == c.NodeType.TASK_GROUP.value
        children = [
            str(self.ex.nodes.by_id.get(i, {}).get("phase")) for i in node.get("children") or []
        ]
        phase = "Running" if hook_pending else str(node.get("phase"))
        return TaskOutcome(phase=phase, children=tuple(children), is_group=group)

    def execute_task(self, task: str) -> None:
        """Argo's `executeDAGTask`: dependencies first, then this task if it may run."""
        if task in self.visited or task not in self.tasks:
            return
        self.visited.add(task)
        spec = self.tasks[task]
        name = self.task_name(task)
        node = self.task_node(task)
        if node is not None and fulfilled(node):
            if completed(node) and node.get("type") != c.NodeType.TASK_GROUP.value:
                run_exit_hook(self.ex, spec, node, self.node["id"], self.source, f"tasks.{task}")
            return
        group = (
            node if node is not None and node.get("type") == c.NodeType.TASK_GROUP.value else None
        )
        try:
            logic = self.depends(task)
            for dep in sorted(logic.tasks()):
                self.execute_task(dep)
            if node is None:
                ready = logic.readiness({d: self.outcome(d) for d in logic.tasks()})
                if ready.value == "Wait":
                    return
                if ready.value == "Omit":
                    self._mark_new(task, name, c.NodePhase.OMITTED, c.MESSAGE_OMITTED, None)
                    return
            resolved = resolve_call(spec, self.ex.globals, self.scope_for(task))
            copies = expand(resolved)
        except (UnresolvedReference, TemplateError) as error:
            self._mark_new(task, name, c.NodePhase.ERROR, str(error), None)
            return
        if copies is not None and group is None:
            self.connect(name, task, None)
            group = self.ex.nodes.init(
                name,
                c.NodeType.TASK_GROUP,
                c.NodePhase.RUNNING,
                template=spec.get("template"),
                template_scope=self.source.scope,
                boundary_id=self.node["id"],
            )
        waiting = False
        for copy in copies if copies is not None else [resolved]:
            child_name = self.task_name(str(copy["name"]))
            if self.ex.nodes.get(child_name) is None:
                when = str(copy.get("when") or "")
                try:
                    proceed = evaluate_when(when)
                except TemplateError as error:
                    self._mark_new(task, child_name, c.NodePhase.ERROR, str(error), group)
                    continue
                if not proceed:
                    message = f"when '{when}' evaluated false"
                    self._mark_new(task, child_name, c.NodePhase.SKIPPED, message, group)
                    continue
                self.connect(child_name, task, group)
            child = self.ex.execute(
                Call(child_name, copy, self.source, copy.get("arguments"), self.node["id"])
            )
            if child is None:
                waiting = True
            elif completed(child):
                prefix = f"tasks.{copy['name']}"
                has_hook, hook = run_exit_hook(
                    self.ex, copy, child, self.node["id"], self.source, prefix
                )
                waiting = waiting or (has_hook and not fulfilled(hook))
        if group is not None and not waiting:
            phase = c.NodePhase.SUCCEEDED.value
            for child_id in group.get("children") or []:
                child = self.ex.nodes.by_id.get(child_id)
                if not fulfilled(child):
                    return
                assert child is not None
                if unsuccessful(child):
                    phase = child["phase"]
            self.ex.nodes.mark(group, phase)

    def assess(self, targets: list[str]) -> str:
        """Argo's `assessDAGPhase`."""
        target_phases: dict[str, str] = {
            self.ex.nodes.id_of(self.task_name(t)): "" for t in targets
        }
        queue = deque(
            (child, c.NodePhase.SUCCEEDED.value) for child in self.node.get("children") or []
        )
        seen: set[tuple[str, str]] = set()
        while queue:
            node_id, branch = queue.popleft()
            if (node_id, branch) in seen:
                continue
            seen.add((node_id, branch))
            node = self.ex.nodes.by_id.get(node_id)
            if not fulfilled(node):
                return c.NodePhase.RUNNING.value
            assert node is not None
            if completed(node):
                branch = node["phase"]
            if node_id in target_phases and target_phases[node_id] not in ("Failed", "Error"):
                target_phases[node_id] = branch
            if node.get("type") == c.NodeType.RETRY.value:
                last = self.ex.nodes.child(node, -1)
                next_ids = (last or {}).get("children") or []
            else:
                next_ids = node.get("children") or []
            queue.extend((child, branch) for child in next_ids)
        fail_fast = (self.tmpl.get("dag") or {}).get("failFast") is not False
        result = c.NodePhase.SUCCEEDED.value
        for task in targets:
            branch = target_phases.get(self.ex.nodes.id_of(self.task_name(task)), "")
            if branch == "":
                result = c.NodePhase.RUNNING.value
                if not fail_fast:
                    break
            elif branch in ("Failed", "Error"):
                if continues_on(self.tasks.get(task, {}), branch):
                    continue
                result = branch
                if fail_fast:
                    break
        return result

    def update_outbound(self, targets: list[str]) -> None:
        out = []
        for task in targets:
            node = self.task_node(task)
            if node is not None:
                out.extend(self.ex.nodes.outbound(node["id"]))
        self.ex.nodes.set(self.node, "outboundNodes", out)


def execute_dag(ex: Execution, call: Call, tmpl: Obj, source: Source) -> Node | None:
    node = ex.nodes.get(call.name) or ex.init_node(call, c.NodeType.DAG, tmpl)
    run = DagRun(ex, node, tmpl, source)
    try:
        targets = run.targets()
        for task in targets:
            run.execute_task(task)
    except TemplateError as error:
        return ex.nodes.mark(node, c.NodePhase.ERROR, str(error))
    phase = run.assess(targets)
    if phase == c.NodePhase.RUNNING.value:
        return node
    run.update_outbound(targets)
    if phase != c.NodePhase.SUCCEEDED.value:
        return ex.nodes.mark(node, phase)
    scope = ex.workflow_scope()
    for task in run.tasks:
        task_node = run.task_node(task)
        if task_node is None:
            continue
        if task_node.get("type") == c.NodeType.TASK_GROUP.value:
            children = loop_children(ex, f"{task_node['name']}(")
            scope.add_aggregate(f"tasks.{task}", children, run._is_script(run.tasks[task]))
        else:
            scope.add_node(f"tasks.{task}", task_node, ex.nodes)
    try:
        outputs = template_outputs(tmpl, ex.globals, scope)
    except (UnresolvedReference, TemplateError) as error:
        return ex.nodes.mark(node, c.NodePhase.ERROR, str(error))
    if outputs:
        ex.nodes.set(node, "outputs", outputs)
        ex.publish_outputs(outputs)
    return ex.nodes.mark(node, c.NodePhase.SUCCEEDED, "")


__all__ = ["DagRun", "execute_dag", "is_loop", "task_depends"]
