"""The pipeline-spec IR that `kfp.compiler` writes, read into typed, checked pieces.

kflow runs the IR itself (`schemaVersion` 2.x, the YAML `kfp.compiler.Compiler`
produces), not the DSL: so a pipeline compiled anywhere, by any kfp 2 release, runs.
Only the parts the translation and the launcher need are typed here; each component
and executor also keeps its raw dict, which the launcher receives whole. A field kflow
cannot honour is refused with its path, never silently dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from kflow.pipelines.errors import SpecError
from kflow.pipelines.values import ParameterType, from_ir, parameter_type

Raw = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ParameterSpec:
    type: ParameterType
    optional: bool = False
    has_default: bool = False
    default: Any = None  # already typed by `values.from_ir`


@dataclasses.dataclass(frozen=True)
class ArtifactSpec:
    schema_title: str  # "system.Dataset", "system.Model", ...
    schema_version: str = "0.0.1"
    is_list: bool = False  # Input[List[Dataset]] / a Collected artifact
    optional: bool = False


@dataclasses.dataclass(frozen=True)
class Interface:
    """A component's inputDefinitions or outputDefinitions."""

    parameters: dict[str, ParameterSpec]
    artifacts: dict[str, ArtifactSpec]

    def names(self) -> list[str]:
        return [*self.parameters, *self.artifacts]


@dataclasses.dataclass(frozen=True)
class Task:
    """One task of a DAG (`PipelineTaskSpec`)."""

    name: str  # the key in dag.tasks
    component: str  # componentRef.name
    parameters: dict[str, Raw]  # inputs.parameters: how each input gets its value
    artifacts: dict[str, Raw]  # inputs.artifacts
    dependent_tasks: tuple[str, ...]
    condition: str  # triggerPolicy.condition (CEL), "" for none
    runs_after_all: bool  # triggerPolicy.strategy ALL_UPSTREAM_TASKS_COMPLETED: an exit task
    enable_cache: bool
    cache_key: str
    retry: Raw  # retryPolicy
    iterator: Raw  # parameterIterator / artifactIterator, {} for none
    parallelism: int  # iteratorPolicy.parallelismLimit, 0 for none
    display_name: str
    field: str  # where the task is in the IR, for messages


@dataclasses.dataclass(frozen=True)
class Component:
    name: str
    inputs: Interface
    outputs: Interface
    tasks: dict[str, Task]  # a DAG component's tasks; empty for an executor
    dag_outputs: Raw  # dag.outputs
    executor_label: str  # "" for a DAG
    raw: Raw

    @property
    def is_dag(self) -> bool:
        return not self.executor_label


@dataclasses.dataclass(frozen=True)
class Pipeline:
    name: str
    root: Component
    components: dict[str, Component]
    executors: dict[str, Raw]  # deploymentSpec.executors
    default_root: str  # defaultPipelineRoot, "" for none
    platforms: Raw  # platform_spec.platforms (kfp-kubernetes), {} for none
    raw: Raw


def _dict(value: Any, field: str) -> Raw:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SpecError(field, f"must be a mapping, got {type(value).__name__}")
    return dict(value)


def interface(raw: Any, field: str) -> Interface:
    body = _dict(raw, field)
    parameters: dict[str, ParameterSpec] = {}
    for name, p in _dict(body.get("parameters"), f"{field}.parameters").items():
        p = _dict(p, f"{field}.parameters.{name}")
        where = f"{field}.parameters.{name}.parameterType"
        type_ = parameter_type(str(p.get("parameterType", "")), where)
        parameters[name] = ParameterSpec(
            type=type_,
            optional=bool(p.get("isOptional", False)),
            has_default="defaultValue" in p,
            default=from_ir(p.get("defaultValue"), type_),
        )
    artifacts: dict[str, ArtifactSpec] = {}
    for name, a in _dict(body.get("artifacts"), f"{field}.artifacts").items():
        a = _dict(a, f"{field}.artifacts.{name}")
        schema = _dict(a.get("artifactType"), f"{field}.artifacts.{name}.artifactType")
        artifacts[name] = ArtifactSpec(
            schema_title=str(schema.get("schemaTitle", "system.Artifact")),
            schema_version=str(schema.get("schemaVersion", "0.0.1")),
            is_list=bool(a.get("isArtifactList", False)),
            optional=bool(a.get("isOptional", False)),
        )
    return Interface(parameters, artifacts)


def _task(name: str, raw: Any, field: str) -> Task:
    body = _dict(raw, field)
    inputs = _dict(body.get("inputs"), f"{field}.inputs")
    trigger = _dict(body.get("triggerPolicy"), f"{field}.triggerPolicy")
    strategy = str(trigger.get("strategy", "ALL_UPSTREAM_TASKS_SUCCEEDED"))
    if strategy not in ("ALL_UPSTREAM_TASKS_SUCCEEDED", "ALL_UPSTREAM_TASKS_COMPLETED"):
        raise SpecError(f"{field}.triggerPolicy.strategy", f"unknown strategy {strategy!r}")
    iterator = body.get("parameterIterator") or body.get("artifactIterator") or {}
    if body.get("artifactIterator"):
        iterator = {"artifact": True, **_dict(iterator, f"{field}.artifactIterator")}
    caching = _dict(body.get("cachingOptions"), f"{field}.cachingOptions")
    component = _dict(body.get("componentRef"), f"{field}.componentRef").get("name")
    if not component:
        raise SpecError(f"{field}.componentRef.name", "required")
    policy = _dict(body.get("iteratorPolicy"), f"{field}.iteratorPolicy")
    return Task(
        name=name,
        component=str(component),
        parameters=_dict(inputs.get("parameters"), f"{field}.inputs.parameters"),
        artifacts=_dict(inputs.get("artifacts"), f"{field}.inputs.artifacts"),
        dependent_tasks=tuple(body.get("dependentTasks") or ()),
        condition=str(trigger.get("condition") or ""),
        runs_after_all=strategy == "ALL_UPSTREAM_TASKS_COMPLETED",
        enable_cache=bool(caching.get("enableCache", False)),
        cache_key=str(caching.get("cacheKey") or ""),
        retry=_dict(body.get("retryPolicy"), f"{field}.retryPolicy"),
        iterator=dict(iterator),
        parallelism=int(policy.get("parallelismLimit") or 0),
        display_name=str(_dict(body.get("taskInfo"), f"{field}.taskInfo").get("name") or name),
        field=field,
    )


def component(name: str, raw: Any, field: str) -> Component:
    body = _dict(raw, field)
    dag = _dict(body.get("dag"), f"{field}.dag")
    label = str(body.get("executorLabel") or "")
    if not dag and not label:
        raise SpecError(field, "a component needs either 'dag' or 'executorLabel'")
    tasks = {
        t: _task(t, spec, f"{field}.dag.tasks.{t}")
        for t, spec in _dict(dag.get("tasks"), f"{field}.dag.tasks").items()
    }
    return Component(
        name=name,
        inputs=interface(body.get("inputDefinitions"), f"{field}.inputDefinitions"),
        outputs=interface(body.get("outputDefinitions"), f"{field}.outputDefinitions"),
        tasks=tasks,
        dag_outputs=_dict(dag.get("outputs"), f"{field}.dag.outputs"),
        executor_label=label,
        raw=body,
    )


def load(spec: Any) -> Pipeline:
    """Check and type a pipeline spec (the dict `yaml.safe_load` gives for the IR)."""
    body = _dict(spec, "")
    if "pipelineSpec" in body and "root" not in body:  # a PipelineJob wrapping the spec
        body = _dict(body["pipelineSpec"], "pipelineSpec")
    version = str(body.get("schemaVersion", ""))
    if not version.startswith("2."):
        raise SpecError(
            "schemaVersion",
            f"expected a KFP v2 pipeline spec (schemaVersion 2.x, as kfp 2 compiles it), got {version!r}",
        )
    components = {
        name: component(name, raw, f"components.{name}")
        for name, raw in _dict(body.get("components"), "components").items()
    }
    root = component("root", body.get("root"), "root")
    if not root.is_dag:
        raise SpecError("root.dag", "the root component must be a DAG")
    executors = _dict(_dict(body.get("deploymentSpec"), "deploymentSpec").get("executors"), "")
    for comp in [root, *components.values()]:
        for task in comp.tasks.values():
            if task.component not in components:
                raise SpecError(
                    f"{task.field}.componentRef.name", f"no component {task.component!r}"
                )
        if comp.executor_label and comp.executor_label not in executors:
            raise SpecError(
                f"components.{comp.name}.executorLabel", f"no executor {comp.executor_label!r}"
            )
    info = _dict(body.get("pipelineInfo"), "pipelineInfo")
    return Pipeline(
        name=str(info.get("name") or "pipeline"),
        root=root,
        components=components,
        executors={k: _dict(v, f"deploymentSpec.executors.{k}") for k, v in executors.items()},
        default_root=str(body.get("defaultPipelineRoot") or ""),
        platforms=_dict(body.get("platforms"), "platforms"),
        raw=body,
    )
