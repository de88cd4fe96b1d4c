"""IR DAGs as Argo DAG templates, the way KFP's own Argo compiler lays them out.

One DAG template per IR DAG component (the root, every condition branch, loop body,
exit-handler group and nested pipeline), one DAG task per IR task:

- `dependentTasks` -> `depends: "a && b"`;
- `triggerPolicy.condition` (If/Elif/Else) -> `when: "{{=...}}"` (see `conditions`);
- `parameterIterator` (ParallelFor) -> an iterator template holding one task,
  `iteration`, with `withParam` over the items and `parallelism` from
  `iteratorPolicy.parallelismLimit`; the loop body's outputs come back as Argo's
  aggregated JSON lists, which is what `dsl.Collected` reads;
- an exit task (`ALL_UPSTREAM_TASKS_COMPLETED`, from `dsl.ExitHandler`) -> the
  `hooks.exit` of the task it guards, so it runs however that task ends while the
  task's failure still fails the run;
- `dag.outputs` -> output parameters `valueFrom.parameter` (`valueFrom.expression`
  for `dsl.OneOf`, the first branch that succeeded).
"""

from __future__ import annotations

from typing import Any

from kflow.pipelines import contract
from kflow.pipelines.conditions import Operand, to_expression
from kflow.pipelines.errors import SpecError
from kflow.pipelines.executors import Template, container_template
from kflow.pipelines.ir import Component, Pipeline, Task
from kflow.pipelines.sources import Scope, no_tags, quote
from kflow.pipelines.values import ParameterType, encode

ITEMS_PARAMETER = "kflow-items"


class Templates:
    """Every template of one workflow, named uniquely, each built once."""

    def __init__(self, pipeline: Pipeline, options: dict[str, Any]) -> None:
        self.pipeline = pipeline
        self.options = options
        self.by_name: dict[str, Template] = {}
        self._dags: dict[tuple[str, frozenset[str]], str] = {}

    def _add(self, base: str, template: Template) -> str:
        """Register `template` under `base` (or `base-2`...); an identical one is reused."""
        name, n = base, 1
        while name in self.by_name:
            candidate = dict(self.by_name[name], name=base)
            if candidate == dict(template, name=base):
                return name
            n += 1
            name = f"{base}-{n}"
        template["name"] = name
        self.by_name[name] = template
        return name

    def dag(self, component: Component, absent: frozenset[str], path: str, name: str = "") -> str:
        key = (component.name, absent)
        if key in self._dags:
            return self._dags[key]
        scope = Scope(self.pipeline, component, absent)
        inputs = [n for n in component.inputs.names() if n not in absent]
        template: Template = {
            "name": name or component.name,
            "inputs": {"parameters": [{"name": n} for n in inputs]},
            "outputs": {"parameters": self._dag_outputs(component)},
            "dag": {"tasks": self._tasks(scope, path)},
        }
        registered = self._add(name or component.name, template)
        self._dags[key] = registered
        return registered

    def _tasks(self, scope: Scope, path: str) -> list[dict[str, Any]]:
        component = scope.component
        if not component.tasks:
            raise SpecError(f"components.{component.name}.dag.tasks", "a DAG needs tasks")
        built = {
            t.name: self._task(scope, t, f"{path}/{t.name}" if path else t.name)
            for t in component.tasks.values()
        }
        for exit_task in (t for t in component.tasks.values() if t.runs_after_all):
            guarded = exit_task.dependent_tasks
            if len(guarded) != 1 or guarded[0] not in built or guarded[0] == exit_task.name:
                raise SpecError(
                    f"{exit_task.field}.dependentTasks",
                    "an exit task must depend on exactly the one task (the ExitHandler group) it guards",
                )
            hook = built.pop(exit_task.name)
            exit_hook: dict[str, Any] = {"template": hook["template"]}
            if hook.get("arguments"):
                exit_hook["arguments"] = hook["arguments"]
            built[guarded[0]]["hooks"] = {"exit": exit_hook}
        return [built[name] for name in sorted(built)]

    def _task(self, scope: Scope, task: Task, path: str) -> dict[str, Any]:
        child = self.pipeline.components[task.component]
        arguments, absent = self._arguments(scope, task, child)
        item_input = str(task.iterator.get("itemInput") or "")
        if item_input:
            absent = absent - {item_input}
        if child.is_dag:
            template = self.dag(child, frozenset(absent), path)
        else:
            given = [n for n in child.inputs.names() if n not in absent]
            collected = self._collected(scope, task)
            options = {**self.options, "collected": collected} if collected else self.options
            body = container_template(child.name, self.pipeline, task, child, path, options, given)
            template = self._add(child.name, body)
        dag_task: dict[str, Any] = {"name": task.name, "template": template}
        if task.iterator:
            template, arguments = self._iterator(scope, task, child, template, arguments)
            dag_task["template"] = template
        if arguments:
            dag_task["arguments"] = {"parameters": arguments}
        depends = [d for d in task.dependent_tasks if d in scope.component.tasks]
        if depends and not task.runs_after_all:
            dag_task["depends"] = " && ".join(depends)
        if task.condition:
            dag_task["when"] = "{{=" + self._condition(scope, task, child) + "}}"
        return dag_task

    def _arguments(
        self, scope: Scope, task: Task, child: Component
    ) -> tuple[list[dict[str, str]], set[str]]:
        arguments: list[dict[str, str]] = []
        absent: set[str] = set()
        for name, spec in child.inputs.parameters.items():
            raw = task.parameters.get(name)
            field = f"{task.field}.inputs.parameters.{name}"
            source = scope.parameter(raw, spec.type, field) if raw else None
            if source is not None:
                arguments.append({"name": name, "value": source.text})
            elif spec.has_default and child.is_dag:
                arguments.append({"name": name, "value": no_tags(encode(spec.default))})
            else:
                absent.add(name)
        for name in child.inputs.artifacts:
            raw = task.artifacts.get(name)
            field = f"{task.field}.inputs.artifacts.{name}"
            text = scope.artifact(raw, field) if raw else None
            if text is None:
                absent.add(name)
            else:
                arguments.append({"name": name, "value": text})
        return arguments, absent

    def _collected(self, scope: Scope, task: Task) -> dict[str, str]:
        """Inputs fed by `dsl.Collected` -> the type of their items, for the launcher."""
        out: dict[str, str] = {}
        for name, raw in task.parameters.items():
            ref = raw.get("taskOutputParameter") or {}
            if ref:
                found = self._item_type(
                    scope.component,
                    str(ref.get("producerTask")),
                    str(ref.get("outputParameterKey")),
                )
                if found:
                    out[name] = found
        return out

    def _item_type(self, component: Component, task_name: str, key: str) -> str:
        """The item type when output `key` of task `task_name` is a loop's collected list."""
        task = component.tasks.get(task_name)
        child = self.pipeline.components.get(task.component) if task else None
        if task is None or child is None or not child.is_dag:
            return ""
        selector = ((child.dag_outputs.get("parameters") or {}).get(key) or {}).get(
            "valueFromParameter"
        ) or {}
        inner = child.tasks.get(str(selector.get("producerSubtask")))
        if inner is None:
            return ""
        inner_key = str(selector.get("outputParameterKey"))
        if not task.iterator:
            return self._item_type(child, inner.name, inner_key)
        if inner.iterator:
            return ParameterType.LIST.value
        produced = self.pipeline.components[inner.component].outputs.parameters.get(inner_key)
        return produced.type.value if produced else ""

    def _condition(self, scope: Scope, task: Task, child: Component) -> str:
        def resolve(name: str) -> Operand:
            spec = child.inputs.parameters.get(name)
            raw = task.parameters.get(name)
            field = f"{task.field}.triggerPolicy.condition"
            source = scope.parameter(raw, spec.type, field) if spec and raw else None
            if source is None:
                raise SpecError(field, f"the condition reads input {name!r}, which has no value")
            return source.operand

        return to_expression(task.condition, resolve, f"{task.field}.triggerPolicy.condition")

    def _iterator(
        self,
        scope: Scope,
        task: Task,
        child: Component,
        body: str,
        arguments: list[dict[str, str]],
    ) -> tuple[str, list[dict[str, str]]]:
        """A ParallelFor: (the iterator template, the arguments the DAG task passes it)."""
        items = task.iterator.get("items") or {}
        field = f"{task.field}.parameterIterator.items"
        if "raw" in items:
            items_text = no_tags(str(items["raw"]))
        elif "inputParameter" in items or "inputArtifact" in items:
            name = str(items.get("inputParameter") or items.get("inputArtifact"))
            source = next((a["value"] for a in arguments if a["name"] == name), None)
            if source is None:
                raw = task.parameters.get(name) or task.artifacts.get(name)
                loop = (
                    scope.parameter(raw, child.inputs.parameters[name].type, field)
                    if (raw and name in child.inputs.parameters)
                    else None
                )
                source = loop.text if loop else None
            if source is None:
                raise SpecError(field, f"the loop's items come from {name!r}, which has no value")
            items_text = source
        else:
            raise SpecError(field, "a loop needs 'raw' items or an 'inputParameter'")
        item_input = str(task.iterator.get("itemInput") or "")
        if not item_input:
            raise SpecError(f"{task.field}.parameterIterator.itemInput", "required")
        inner = [
            {"name": a["name"], "value": f"{{{{inputs.parameters.{a['name']}}}}}"}
            for a in arguments
        ]
        inner.append({"name": item_input, "value": "{{item}}"})
        template: Template = {
            "name": f"{body}-iterator",
            "inputs": {
                "parameters": [{"name": a["name"]} for a in arguments] + [{"name": ITEMS_PARAMETER}]
            },
            "outputs": {
                "parameters": [
                    {
                        "name": o,
                        "valueFrom": {
                            "parameter": f"{{{{tasks.{contract.ITERATION_TASK}.outputs.parameters.{o}}}}}"
                        },
                    }
                    for o in child.outputs.names()
                ]
            },
            "dag": {
                "tasks": [
                    {
                        "name": contract.ITERATION_TASK,
                        "template": body,
                        "arguments": {"parameters": inner},
                        "withParam": f"{{{{inputs.parameters.{ITEMS_PARAMETER}}}}}",
                    }
                ]
            },
        }
        if task.parallelism > 0:
            template["parallelism"] = task.parallelism
        name = self._add(f"{body}-iterator", template)
        return name, [*arguments, {"name": ITEMS_PARAMETER, "value": items_text}]

    def _dag_outputs(self, component: Component) -> list[dict[str, Any]]:
        outputs: list[dict[str, Any]] = []
        field = f"components.{component.name}.dag.outputs"
        for kind, key_field in (
            ("parameters", "outputParameterKey"),
            ("artifacts", "outputArtifactKey"),
        ):
            for name, raw in (component.dag_outputs.get(kind) or {}).items():
                if kind == "parameters":
                    selectors = (
                        [raw["valueFromParameter"]]
                        if "valueFromParameter" in raw
                        else (raw.get("valueFromOneof") or {}).get("parameterSelectors") or []
                    )
                else:
                    selectors = raw.get("artifactSelectors") or []
                picks = [(str(s["producerSubtask"]), str(s[key_field])) for s in selectors]
                if not picks:
                    raise SpecError(f"{field}.{kind}.{name}", "names no producing task")
                outputs.append({"name": name, "valueFrom": _pick(picks)})
        return outputs


def _pick(picks: list[tuple[str, str]]) -> dict[str, str]:
    """One producer's output, or the first of several that succeeded (dsl.OneOf)."""
    if len(picks) == 1:
        task, key = picks[0]
        return {"parameter": f"{{{{tasks.{task}.outputs.parameters.{key}}}}}"}
    expression = "nil"
    for task, key in reversed(picks):
        ref = f"tasks[{quote(task)}]"
        expression = (
            f'{ref}.status == "Succeeded" ? {ref}.outputs.parameters[{quote(key)}] : {expression}'
        )
    return {"expression": expression}
