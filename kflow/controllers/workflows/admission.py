"""DAG checks that need Argo's template language, added to the kinds' admission.

`kflow.api.argo` validates what it can read directly; a `depends` expression must be
parsed (`kflow.workflows.depends`), which the API layer may not import. This adds,
for Workflows, WorkflowTemplates and CronWorkflows: a `depends` that does not parse,
one naming a task that does not exist (`templates.main.tasks.B dependency 'X' not
defined`) and dependency cycles (`templates.main.tasks dependency cycle detected:
A->B->A`), with Argo's messages and the task's field path.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kflow.api.argo import contracts as c
from kflow.api.errors import Cause
from kflow.api.kinds import Registry, registry
from kflow.controllers.workflows.dag import task_depends
from kflow.workflows.errors import TemplateError

Obj = dict[str, Any]


def _dag_causes(template: Obj, path: str) -> list[Cause]:
    name = template.get("name")
    tasks = [t for t in (template.get("dag") or {}).get("tasks") or [] if isinstance(t, dict)]
    by_name = {str(t.get("name")): t for t in tasks}
    causes: list[Cause] = []
    deps: dict[str, list[str]] = {}
    for i, task in enumerate(tasks):
        task_name = str(task.get("name"))
        where = f"{path}.dag.tasks[{i}]"
        try:
            logic = task_depends(task, by_name)
        except TemplateError as error:
            causes.append(Cause(f"{where}.depends", f"templates.{name}.tasks.{task_name} {error}"))
            continue
        deps[task_name] = sorted(logic.tasks())
        if task.get("depends"):
            for dep in deps[task_name]:
                if dep not in by_name:
                    message = f"templates.{name}.tasks.{task_name} dependency '{dep}' not defined"
                    causes.append(Cause(f"{where}.depends", message))
    cycle = _cycle(deps)
    if cycle:
        first = next(i for i, t in enumerate(tasks) if t.get("name") == cycle[0])
        arrows = "->".join(cycle)
        causes.append(
            Cause(
                f"{path}.dag.tasks[{first}]",
                f"templates.{name}.tasks dependency cycle detected: {arrows}",
            )
        )
    return causes


def _cycle(deps: dict[str, list[str]]) -> list[str]:
    """A dependency cycle as `[A, B, A]`, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(task: str) -> list[str]:
        state[task] = 1
        path.append(task)
        for dep in deps.get(task, []):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep in deps and state.get(dep) is None:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[task] = 2
        return []

    for task in deps:
        if state.get(task) is None:
            found = visit(task)
            if found:
                return found
    return []


def _spec_causes(spec: object, path: str) -> list[Cause]:
    if not isinstance(spec, dict):
        return []
    causes: list[Cause] = []
    for i, template in enumerate(spec.get("templates") or []):
        if isinstance(template, dict) and isinstance(template.get("dag"), dict):
            causes += _dag_causes(template, f"{path}.templates[{i}]")
    return causes


def validate_dags(obj: Obj, old: Obj | None) -> list[Cause]:
    """`depends` parsing, unknown dependencies and cycles of every DAG template."""
    if obj.get("kind") == "CronWorkflow":
        return _spec_causes((obj.get("spec") or {}).get("workflowSpec"), "spec.workflowSpec")
    return _spec_causes(obj.get("spec"), "spec")


def register_workflow_validation(kinds: Registry = registry) -> None:
    """Add `validate_dags` to Argo's kinds (once each)."""
    for resource in (
        c.WORKFLOWS,
        c.WORKFLOW_TEMPLATES,
        c.CLUSTER_WORKFLOW_TEMPLATES,
        c.CRON_WORKFLOWS,
    ):
        try:
            info = kinds.by_resource(resource)
        except LookupError:
            continue
        if validate_dags not in info.validators:
            kinds.register(dataclasses.replace(info, validators=(*info.validators, validate_dags)))
