"""Where a task's input comes from, as Argo sees it.

An IR task names the source of each input: an input of the enclosing DAG
(`componentInputParameter`), another task's output (`taskOutputParameter`), a constant
(`runtimeValue`), the final status of the task an exit handler wraps
(`taskFinalStatus`), and optionally a JSON field of it (`parameterExpressionSelector`,
what `ParallelFor` items' `.field` compile to). `Source` carries the same input in the
two forms the workflow needs: the `{{...}}` text of a DAG task argument, and an
expr-lang operand for a condition.

Artifacts cross the engine as parameters too: a JSON reference (uri, type, metadata,
digest) that the producing launcher writes and the consuming one reads; the artifact's
bytes stay in the artifact store, where they were written once.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from kflow.pipelines.conditions import Operand
from kflow.pipelines.errors import SpecError
from kflow.pipelines.ir import Component, Pipeline
from kflow.pipelines.values import ParameterType, encode, from_ir


def quote(text: str) -> str:
    """An expr-lang string literal that can sit inside `{{= }}` (no braces in it)."""
    return json.dumps(text).replace("{", "\\u007b").replace("}", "\\u007d")


def no_tags(text: str) -> str:
    """Text that Argo's substitution leaves alone: JSON with `{{` escaped inside strings.

    Compact JSON never has `{{` outside a string (an object is never a bare value of
    another object), so escaping every `{` that follows a `{` is enough and still
    decodes to the same text.
    """
    return text.replace("{{", "{\\u007b")


def to_json(value: Any) -> str:
    return no_tags(json.dumps(value, separators=(",", ":"), sort_keys=True))


@dataclasses.dataclass(frozen=True)
class Source:
    text: str  # the DAG task argument's value: "{{inputs.parameters.x}}", "3", "{{=...}}"
    operand: Operand  # the same value for a condition


_SELECTOR = re.compile(r"parseJson\(string_value\)((?:\[(?:\"[^\"]*\"|'[^']*'|\d+)\])+)")
_KEY = re.compile(r"\[(\"[^\"]*\"|'[^']*'|\d+)\]")


def _select(expression: str, selector: str, field: str) -> str:
    match = _SELECTOR.fullmatch(selector.strip())
    if match is None:
        raise SpecError(
            f"{field}.parameterExpressionSelector",
            f'unsupported selector {selector!r} (kflow reads parseJson(string_value)["key"]...)',
        )
    out = f"fromJSON({expression})"
    for key in _KEY.findall(match.group(1)):
        out += f"[{key}]" if key.isdigit() else f"[{quote(key[1:-1])}]"
    return out


class Scope:
    """The DAG whose tasks are being translated: its inputs, tasks and absent inputs."""

    def __init__(self, pipeline: Pipeline, component: Component, absent: frozenset[str]) -> None:
        self.pipeline = pipeline
        self.component = component
        self.absent = absent

    def output_type(self, task: str, key: str, field: str) -> ParameterType:
        producer = self.component.tasks.get(task)
        if producer is None:
            raise SpecError(field, f"no task {task!r} in this DAG")
        outputs = self.pipeline.components[producer.component].outputs.parameters
        if key not in outputs:
            raise SpecError(field, f"task {task!r} has no output parameter {key!r}")
        return outputs[key].type

    def parameter(self, raw: dict[str, Any], type_: ParameterType, field: str) -> Source | None:
        """The source of a parameter input of type `type_`, or None when it has no value."""
        source = self._plain(raw, type_, field)
        selector = raw.get("parameterExpressionSelector")
        if source is None or not selector:
            return source
        picked = _select(source.operand.expression, str(selector), field)
        return Source("{{=" + picked + "}}", Operand(picked, type_, typed=True))

    def _plain(self, raw: dict[str, Any], type_: ParameterType, field: str) -> Source | None:
        if "componentInputParameter" in raw:
            name = str(raw["componentInputParameter"])
            declared = self.component.inputs.parameters.get(name)
            if name in self.absent or declared is None:
                return None
            return Source(
                f"{{{{inputs.parameters.{name}}}}}",
                Operand(f"inputs.parameters[{quote(name)}]", declared.type),
            )
        if "taskOutputParameter" in raw:
            ref = raw["taskOutputParameter"] or {}
            task, key = str(ref.get("producerTask")), str(ref.get("outputParameterKey"))
            produced = self.output_type(task, key, f"{field}.taskOutputParameter")
            return Source(
                f"{{{{tasks.{task}.outputs.parameters.{key}}}}}",
                Operand(f"tasks[{quote(task)}].outputs.parameters[{quote(key)}]", produced),
            )
        if "runtimeValue" in raw:
            constant = (raw["runtimeValue"] or {}).get("constant")
            text = encode(from_ir(constant, type_))
            # a literal `{{` would be read as a tag: such a constant is an expression
            argument = "{{=" + quote(text) + "}}" if "{{" in text else text
            return Source(argument, Operand(quote(text), type_))
        if "taskFinalStatus" in raw:
            task = str((raw["taskFinalStatus"] or {}).get("producerTask"))
            status = (
                '{"state":"{{tasks.' + task + '.status}}",'
                '"pipelineJobResourceName":"{{workflow.name}}",'
                f'"pipelineTaskName":{json.dumps(task)}' + "}"
            )
            return Source(status, Operand(quote(status), ParameterType.TASK_FINAL_STATUS))
        raise SpecError(field, f"unsupported input source {sorted(raw)}")

    def artifact(self, raw: dict[str, Any], field: str) -> str | None:
        """The `{{...}}` text of an input artifact's reference, or None when absent."""
        if "componentInputArtifact" in raw:
            name = str(raw["componentInputArtifact"])
            if name in self.absent or name not in self.component.inputs.artifacts:
                return None
            return f"{{{{inputs.parameters.{name}}}}}"
        if "taskOutputArtifact" in raw:
            ref = raw["taskOutputArtifact"] or {}
            task, key = str(ref.get("producerTask")), str(ref.get("outputArtifactKey"))
            producer = self.component.tasks.get(task)
            if producer is None:
                raise SpecError(f"{field}.taskOutputArtifact", f"no task {task!r} in this DAG")
            if key not in self.pipeline.components[producer.component].outputs.artifacts:
                raise SpecError(
                    f"{field}.taskOutputArtifact", f"task {task!r} has no output artifact {key!r}"
                )
            return f"{{{{tasks.{task}.outputs.parameters.{key}}}}}"
        raise SpecError(field, f"unsupported artifact source {sorted(raw)}")
