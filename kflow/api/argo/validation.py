"""Argo's validation of a Workflow, WorkflowTemplate or CronWorkflow, with field paths.

Argo validates a workflow when it is submitted (`argo submit`, the API server) and
again when its controller first sees it; kflow does it once, at admission, so
`kubectl create` answers 422 with every problem: the field it is about, and Argo's
own message (`spec.entrypoint: spec.entrypoint is required`,
`spec.templates[0].dag.tasks[1].dependencies[0]: templates.main.tasks.B dependency
'X' not defined`). A WorkflowTemplate may leave `entrypoint` out; a Workflow that
names a `workflowTemplateRef` may not have templates of its own.
"""

from __future__ import annotations

from typing import Any

from kflow.api.argo import contracts as c
from kflow.api.argo.schedule import check as check_schedule
from kflow.api.argo.validation_templates import causes_of, check_names, check_template
from kflow.api.errors import Cause

Obj = dict[str, Any]


def _check_arguments(arguments: object, path: str, emit: Any, *, need_values: bool) -> None:
    if not isinstance(arguments, dict):
        return
    for field in ("parameters", "artifacts"):
        check_names(
            arguments.get(field), f"{path}.{field}", f"spec.arguments.{field}", emit, params=True
        )
    for i, param in enumerate(arguments.get("parameters") or []):
        if not isinstance(param, dict):
            continue
        name, value, enum = param.get("name"), param.get("value"), param.get("enum")
        where = f"{path}.parameters[{i}]"
        if need_values and value is None and param.get("valueFrom") is None:
            emit(f"{where}.value", f"spec.arguments.{name}.value is required")
        if isinstance(enum, list):
            if not enum:
                emit(
                    f"{where}.enum", f"spec.arguments.{name}.enum should contain at least one value"
                )
            elif value is not None and str(value) not in {str(v) for v in enum}:
                emit(
                    f"{where}.value",
                    f"spec.arguments.{name}.value should be present in spec.arguments.{name}.enum list",
                )


def spec_findings(spec: object, path: str, *, need_entrypoint: bool) -> list[tuple[str, str]]:
    """Every problem of a workflow spec at `path`, as (field, message)."""
    found: list[tuple[str, str]] = []

    def emit(field: str, message: str) -> None:
        found.append((field, message))

    if not isinstance(spec, dict):
        return found
    templates = spec.get("templates") or []
    if spec.get("workflowTemplateRef") is not None:
        if templates:
            emit(
                f"{path}.templates",
                "Templates is invalid field in spec if workflow referred WorkflowTemplate reference",
            )
        _check_arguments(spec.get("arguments"), f"{path}.arguments", emit, need_values=False)
        return found
    if not isinstance(templates, list):
        return found
    check_names(templates, f"{path}.templates", "spec.templates", emit, params=False)
    names = {str(t.get("name")) for t in templates if isinstance(t, dict) and t.get("name")}
    _check_arguments(spec.get("arguments"), f"{path}.arguments", emit, need_values=need_entrypoint)
    entrypoint = spec.get("entrypoint")
    if not entrypoint:
        if need_entrypoint:
            emit(f"{path}.entrypoint", "spec.entrypoint is required")
    elif entrypoint not in names and "{{" not in str(entrypoint):
        emit(f"{path}.entrypoint", f"template name '{entrypoint}' undefined")
    on_exit = spec.get("onExit")
    if on_exit and on_exit not in names:
        emit(f"{path}.onExit", f"template name '{on_exit}' undefined")
    exit_hook = (
        ((spec.get("hooks") or {}).get("exit") or {}) if isinstance(spec.get("hooks"), dict) else {}
    )
    if (
        isinstance(exit_hook, dict)
        and exit_hook.get("template")
        and exit_hook["template"] not in names
    ):
        emit(f"{path}.hooks.exit.template", f"template name '{exit_hook['template']}' undefined")
    gc = spec.get("podGC")
    strategy = gc.get("strategy") if isinstance(gc, dict) else None
    if strategy and strategy not in {s.value for s in c.PodGCStrategy}:
        emit(f"{path}.podGC.strategy", f"podGC.strategy unknown strategy '{strategy}'")
    for i, claim in enumerate(spec.get("volumeClaimTemplates") or []):
        if not isinstance(claim, dict) or not (claim.get("metadata") or {}).get("name"):
            emit(
                f"{path}.volumeClaimTemplates[{i}].metadata.name",
                f"volumeClaimTemplates[{i}].metadata.name is required",
            )
    for i, template in enumerate(templates):
        if isinstance(template, dict):
            check_template(template, f"{path}.templates[{i}]", names, emit)
    return found


def validate_workflow(obj: Obj, old: Obj | None) -> list[Cause]:
    """A Workflow's problems, Argo's way."""
    return causes_of(spec_findings(obj.get("spec"), "spec", need_entrypoint=True))


def validate_workflow_template(obj: Obj, old: Obj | None) -> list[Cause]:
    """A (Cluster)WorkflowTemplate's problems: a workflow spec whose entrypoint is optional."""
    return causes_of(spec_findings(obj.get("spec"), "spec", need_entrypoint=False))


def validate_cron_workflow(obj: Obj, old: Obj | None) -> list[Cause]:
    """A CronWorkflow's problems: its schedule and policies, then its workflow spec."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    found: list[tuple[str, str]] = []
    for problem in check_schedule(spec):
        field = "spec.timezone" if problem.startswith("invalid timezone") else "spec.schedule"
        found.append((field, problem))
    policy = spec.get("concurrencyPolicy")
    if policy and policy not in {p.value for p in c.ConcurrencyPolicy}:
        found.append(("spec.concurrencyPolicy", f"'{policy}' is not a valid concurrencyPolicy"))
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and deadline < 0:
        found.append(("spec.startingDeadlineSeconds", "startingDeadlineSeconds must be positive"))
    for field, message in spec_findings(
        spec.get("workflowSpec"), "spec.workflowSpec", need_entrypoint=True
    ):
        found.append((field, f"cannot validate Workflow: {message}"))
    return causes_of(found)
