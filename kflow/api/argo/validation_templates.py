"""Argo's checks of one template: its type, inputs, outputs, steps and DAG tasks.

Each cause names the field (`spec.templates[1].dag.tasks[0].template`) and says what
Argo's own validator says (`templates.main.tasks.A template name 'echo' undefined`),
so a message can be searched upstream. Checks that need Argo's template language (a
`depends` expression's task names, dependency cycles) are added by the workflow
controller (`kflow.controllers.workflows.admission`), which may use that layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from kflow.api.argo import contracts as c
from kflow.api.errors import Cause

Obj = dict[str, Any]
Emit = Callable[[str, str], None]
"""Records one cause: (field path, Argo's message)."""

_FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
_PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
_FIELD_NAME_MESSAGE = (
    "name must consist of alpha-numeric characters or '-', and must start with an "
    "alpha-numeric character (e.g. My-name1-2, 123-NAME)"
)
_PARAM_NAME_MESSAGE = (
    "Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' "
    "e.g. my_param_1, MY-PARAM-1"
)
_TYPES_HINT = (
    "choose one of: container, steps, script, resource, dag, suspend, template, template ref"
)
MAX_NAME_LENGTH = 128
TYPE_NAMES = {
    "container": "Container",
    "steps": "Steps",
    "script": "Script",
    "resource": "Resource",
    "dag": "DAG",
    "suspend": "Suspend",
}
"""Argo's name of each template type (its `TemplateType`), as messages print it."""


def template_types(template: Obj) -> list[str]:
    """The type fields a template sets (`container`, `dag`, ...); exactly one is valid."""
    return [t for t in c.TEMPLATE_TYPES if template.get(t) is not None]


def check_names(items: object, path: str, prefix: str, emit: Emit, *, params: bool) -> None:
    """Argo's `validateWorkflowFieldNames`: present, well-formed and unique names."""
    if not isinstance(items, list):
        return
    seen: set[str] = set()
    pattern, message = (
        (_PARAM_NAME, _PARAM_NAME_MESSAGE) if params else (_FIELD_NAME, _FIELD_NAME_MESSAGE)
    )
    for i, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        where = f"{path}[{i}].name"
        if not name or not isinstance(name, str):
            emit(where, f"{prefix}[{i}].name is required")
            continue
        if len(name) > MAX_NAME_LENGTH or not pattern.match(name):
            why = (
                f"must be no more than {MAX_NAME_LENGTH} characters"
                if len(name) > MAX_NAME_LENGTH
                else message
            )
            emit(where, f"{prefix}[{i}].name: '{name}' is invalid: {why}")
        elif name in seen:
            emit(where, f"{prefix}[{i}].name '{name}' is not unique")
        seen.add(name)


def _check_call(call: Obj, path: str, what: str, names: set[str], emit: Emit) -> None:
    """A step's or task's template reference and loop fields."""
    template, ref = call.get("template"), call.get("templateRef")
    if ref is not None and template:
        emit(path, f"{what} template name cannot be specified with templateRef.")
    elif isinstance(ref, dict):
        if not ref.get("name"):
            emit(f"{path}.templateRef.name", f"{what} resource name is required")
        if not ref.get("template"):
            emit(f"{path}.templateRef.template", f"{what} template name is required")
    elif template and isinstance(template, str) and template not in names:
        emit(f"{path}.template", f"{what} template name '{template}' undefined")
    elif not template and call.get("inline") is None:
        emit(path, f"{what} template name is required")
    loops = [k for k in ("withItems", "withParam", "withSequence") if call.get(k)]
    if len(loops) > 1:
        emit(path, f"{what} only one of withItems, withParam, withSequence can be specified")
    sequence = call.get("withSequence")
    if (
        isinstance(sequence, dict)
        and sequence.get("count") is not None
        and sequence.get("end") is not None
    ):
        emit(
            f"{path}.withSequence",
            f"{what} only one of count or end can be defined in withSequence",
        )


def check_steps(template: Obj, path: str, names: set[str], emit: Emit) -> None:
    """Argo's `validateSteps`: named, unique steps calling defined templates."""
    name = template.get("name")
    seen: set[str] = set()
    for i, group in enumerate(template.get("steps") or []):
        for j, step in enumerate(group if isinstance(group, list) else []):
            where = f"{path}.steps[{i}][{j}]"
            step_name = step.get("name") if isinstance(step, dict) else None
            if not step_name:
                emit(f"{where}.name", f"templates.{name}.steps[{i}].name is required")
                continue
            if step_name in seen:
                emit(
                    f"{where}.name", f"templates.{name}.steps[{i}].name '{step_name}' is not unique"
                )
            elif not _FIELD_NAME.match(str(step_name)):
                emit(
                    f"{where}.name",
                    f"templates.{name}.steps[{i}].name '{step_name}' is invalid: {_FIELD_NAME_MESSAGE}",
                )
            seen.add(step_name)
            _check_call(step, where, f"templates.{name}.steps[{i}].{step_name}", names, emit)


def check_dag(template: Obj, path: str, names: set[str], emit: Emit) -> None:
    """Argo's `validateDAG`, except what needs `depends` parsed (see the module doc)."""
    name = template.get("name")
    dag = template.get("dag") or {}
    tasks = dag.get("tasks") if isinstance(dag, dict) else None
    if not tasks:
        emit(f"{path}.dag.tasks", f"templates.{name} must have at least one task")
        return
    check_names(tasks, f"{path}.dag.tasks", f"templates.{name}.tasks", emit, params=False)
    task_names = {t.get("name") for t in tasks if isinstance(t, dict)}
    using_depends = any(isinstance(t, dict) and t.get("depends") for t in tasks)
    for i, task in enumerate(tasks):
        if not isinstance(task, dict) or not task.get("name"):
            continue
        where, task_name = f"{path}.dag.tasks[{i}]", str(task["name"])
        what = f"templates.{name}.tasks.{task_name}"
        if task_name[0].isdigit():
            emit(
                f"{where}.name",
                f"{what} name cannot begin with a digit when using either 'depends' or 'dependencies'",
            )
        if using_depends and task.get("dependencies"):
            emit(
                where,
                f"templates.{name} cannot use both 'depends' and 'dependencies' in the same DAG template",
            )
        if using_depends and task.get("continueOn") is not None:
            emit(
                f"{where}.continueOn",
                f"templates.{name} cannot use 'continueOn' when using 'depends'. "
                "Instead use 'dep-task.Failed'/'dep-task.Errored'",
            )
        for k, dep in enumerate(task.get("dependencies") or []):
            if dep not in task_names:
                emit(f"{where}.dependencies[{k}]", f"{what} dependency '{dep}' not defined")
        _check_call(task, where, what, names, emit)
    for target in str(dag.get("target") or "").split():
        if target not in task_names and "{{" not in target:
            emit(
                f"{path}.dag.target", f"templates.{name}.targets: target '{target}' is not defined"
            )


def check_io(template: Obj, path: str, emit: Emit) -> None:
    """Inputs and outputs: names, artifact paths, output parameters' sources."""
    name, kinds = template.get("name"), template_types(template)
    leaf = bool(kinds) and kinds[0] in c.LEAF_TYPES
    for side in ("inputs", "outputs"):
        holder = template.get(side) or {}
        if not isinstance(holder, dict):
            continue
        for field in ("parameters", "artifacts"):
            check_names(
                holder.get(field),
                f"{path}.{side}.{field}",
                f"templates.{name}.{side}.{field}",
                emit,
                params=True,
            )
        for i, art in enumerate(holder.get("artifacts") or []):
            if not isinstance(art, dict):
                continue
            ref, where = (
                f"templates.{name}.{side}.artifacts.{art.get('name')}",
                f"{path}.{side}.artifacts[{i}]",
            )
            if leaf and not art.get("path"):
                emit(f"{where}.path", f"{ref}.path not specified")
            elif not leaf and art.get("path") and kinds:
                emit(f"{where}.path", f"{ref}.path only valid in container/script templates")
            if side == "inputs" and (art.get("from") or art.get("fromExpression")):
                emit(f"{where}.from", f"{ref}.from not valid in inputs")
    for i, param in enumerate((template.get("outputs") or {}).get("parameters") or []):
        if isinstance(param, dict):
            _check_output_parameter(param, f"{path}.outputs.parameters[{i}]", name, kinds, emit)


def _check_output_parameter(
    param: Obj, where: str, name: object, kinds: list[str], emit: Emit
) -> None:
    ref = f"templates.{name}.outputs.parameters.{param.get('name')}"
    source = param.get("valueFrom")
    if source is not None and param.get("value") is not None:
        emit(where, f"{ref} has both valueFrom and value specified. Choose one.")
        return
    if param.get("value") is not None:
        return
    if not isinstance(source, dict):
        emit(where, f"{ref} does not have valueFrom or value specified")
        return
    chosen = [
        k
        for k in ("path", "jqFilter", "jsonPath", "parameter", "expression", "supplied")
        if source.get(k) is not None
    ]
    if not chosen:
        emit(
            f"{where}.valueFrom",
            "valueFrom type unspecified. choose one of: path, jqFilter, jsonPath, parameter, raw, expression",
        )
    elif len(chosen) > 1:
        emit(
            f"{where}.valueFrom",
            "multiple valueFrom types specified. choose one of: path, jqFilter, jsonPath, parameter, raw",
        )
    kind = kinds[0] if kinds else ""
    if kind in ("container", "script") and not source.get("path"):
        emit(
            f"{where}.valueFrom.path",
            f"{ref}.path must be specified for {TYPE_NAMES[kind]} templates",
        )
    elif kind == "resource" and not (source.get("jsonPath") or source.get("jqFilter")):
        emit(
            f"{where}.valueFrom",
            f"{ref} .jqFilter or jsonPath must be specified for Resource templates",
        )
    elif kind in ("steps", "dag") and not (source.get("parameter") or source.get("expression")):
        label = "Steps" if kind == "steps" else "DAG"
        emit(
            f"{where}.valueFrom",
            f"{ref}.parameter or fromExpression must be specified for {label} templates",
        )


def check_leaf(template: Obj, path: str, emit: Emit) -> None:
    """What only pods (or only steps and DAGs) may have."""
    name, kinds = template.get("name"), template_types(template)
    kind = kinds[0] if kinds else ""
    if kind in c.LEAF_TYPES and template.get("parallelism") is not None:
        emit(
            f"{path}.parallelism",
            f"templates.{name}.parallelism is only valid for steps and dag templates",
        )
    if kind in ("steps", "dag") and template.get("activeDeadlineSeconds") is not None:
        emit(
            f"{path}.activeDeadlineSeconds",
            f"templates.{name}.activeDeadlineSeconds is only valid for leaf templates",
        )
    for box in ("container", "script"):
        body = template.get(box)
        if isinstance(body, dict) and not body.get("image"):
            emit(f"{path}.{box}.image", f"templates.{name}.{box}.image may not be empty")
    resource = template.get("resource")
    if isinstance(resource, dict):
        action = str(resource.get("action") or "")
        if "{{" not in action and action not in c.RESOURCE_ACTIONS:
            emit(
                f"{path}.resource.action",
                f"templates.{name}.resource.action must be one of: {', '.join(c.RESOURCE_ACTIONS)}",
            )
        manifest = resource.get("manifest")
        if isinstance(manifest, str) and "{{" not in manifest:
            try:
                yaml.safe_load(manifest)
            except yaml.YAMLError:
                emit(
                    f"{path}.resource.manifest",
                    f"templates.{name}.resource.manifest must be a valid yaml",
                )
    strategy = template.get("retryStrategy")
    policy = strategy.get("retryPolicy") if isinstance(strategy, dict) else None
    if policy and policy not in {p.value for p in c.RetryPolicy}:
        emit(f"{path}.retryStrategy.retryPolicy", f"{policy} is not a valid RetryPolicy")
    timeout = template.get("timeout")
    if timeout and kind not in c.LEAF_TYPES:
        emit(
            f"{path}.timeout",
            f"{TYPE_NAMES.get(kind, kind)} template doesn't support timeout field.",
        )


def check_template(template: Obj, path: str, names: set[str], emit: Emit) -> None:
    """Every check of one template (its name is checked with its siblings)."""
    name = template.get("name")
    kinds = template_types(template)
    if not kinds and template.get("template") is None and template.get("templateRef") is None:
        emit(path, f"templates.{name} template type unspecified. {_TYPES_HINT}")
    elif len(kinds) > 1:
        emit(path, f"templates.{name} multiple template types specified. {_TYPES_HINT}")
    check_io(template, path, emit)
    check_leaf(template, path, emit)
    if "steps" in kinds:
        check_steps(template, path, names, emit)
    if "dag" in kinds:
        check_dag(template, path, names, emit)


def causes_of(found: list[tuple[str, str]]) -> list[Cause]:
    return [Cause(field, message) for field, message in found]
