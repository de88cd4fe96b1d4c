"""Pydantic models of an Argo template and what it holds: parameters, artifacts, steps, tasks.

They follow `argoproj.io/v1alpha1` (definition names `io.argoproj.workflow.v1alpha1.*`)
for validation and the OpenAPI schema (`kubectl explain workflow.spec.templates`).
Bodies stay plain dicts: these models only say what a field may hold. Argo writes
many fields that may be a number or an `{{expression}}` as strings, and accepts
YAML numbers and booleans where it means strings (`value: 5`), so such fields take
either. Unknown fields are kept, as Argo's CRDs keep them.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kflow.api.models.base import K8sModel
from kflow.api.models.core import Container, Volume

Scalar = str | int | float | bool
"""A value Argo reads as a string (its `AnyString`): YAML numbers and booleans too."""
IntOrExpr = int | str
"""A count or an `{{expression}}` that becomes one."""


def _def(name: str) -> str:
    return f"io.argoproj.workflow.v1alpha1.{name}"


class ValueFrom(K8sModel):
    """Where an output parameter's value comes from."""

    definition = _def("ValueFrom")

    path: str | None = Field(None, description="A file the container wrote.")
    jsonPath: str | None = Field(None, description="A JSONPath into a resource template's object.")
    jqFilter: str | None = Field(None, description="A jq filter (not supported by kflow).")
    parameter: str | None = Field(None, description="An output parameter of a step or task.")
    expression: str | None = Field(None, description="An expression over the template's scope.")
    default: Scalar | None = Field(None, description="The value when the source has none.")
    supplied: dict[str, Any] | None = Field(None, description="Supplied later (by a resume).")
    event: str | None = Field(None, description="An event selector (not supported by kflow).")


class Parameter(K8sModel):
    """A named string value: an argument, an input or an output."""

    definition = _def("Parameter")

    name: str = Field(description="The parameter's name.")
    value: Scalar | None = Field(None, description="The literal value.")
    default: Scalar | None = Field(None, description="The value when none is given.")
    enum: list[Scalar] | None = Field(None, description="The values allowed.")
    valueFrom: ValueFrom | None = Field(None, description="Where the value comes from.")
    globalName: str | None = Field(
        None, description="Also publish it as `workflow.outputs.parameters.<globalName>`."
    )
    description: str | None = Field(None, description="What the parameter means.")


class Artifact(K8sModel):
    """A file or directory passed between templates through the artifact store."""

    definition = _def("Artifact")

    name: str = Field(description="The artifact's name.")
    path: str | None = Field(None, description="Where it is read from or placed in the container.")
    mode: int | None = Field(None, description="File mode bits of a loaded input artifact.")
    from_: str | None = Field(
        None, alias="from", description="An output artifact to pass (`{{tasks.A.outputs...}}`)."
    )
    fromExpression: str | None = Field(None, description="An expression choosing the artifact.")
    optional: bool | None = Field(None, description="A missing artifact is not an error.")
    globalName: str | None = Field(
        None, description="Also publish it as `workflow.outputs.artifacts.<globalName>`."
    )
    archive: dict[str, Any] | None = Field(
        None, description="How it is stored: `tar: {}` (tgz, the default), `none: {}`."
    )
    raw: dict[str, Any] | None = Field(None, description="Literal content: `raw: {data: ...}`.")
    subPath: str | None = Field(None, description="A path inside the artifact to pass.")


class Inputs(K8sModel):
    """What a template takes."""

    definition = _def("Inputs")

    parameters: list[Parameter] | None = Field(None, description="Input parameters.")
    artifacts: list[Artifact] | None = Field(None, description="Input artifacts.")


class Outputs(K8sModel):
    """What a template produces."""

    definition = _def("Outputs")

    parameters: list[Parameter] | None = Field(None, description="Output parameters.")
    artifacts: list[Artifact] | None = Field(None, description="Output artifacts.")
    result: str | None = Field(None, description="A script's (or container's) standard output.")
    exitCode: str | None = Field(None, description="The main container's exit code.")


class Arguments(K8sModel):
    """What a caller passes to a template (or a submitter to a workflow)."""

    definition = _def("Arguments")

    parameters: list[Parameter] | None = Field(None, description="Parameter values.")
    artifacts: list[Artifact] | None = Field(None, description="Artifacts.")


class Backoff(K8sModel):
    """How long to wait between retries."""

    definition = _def("Backoff")

    duration: IntOrExpr | None = Field(None, description='The first wait: "10s", "2m" or seconds.')
    factor: IntOrExpr | None = Field(None, description="Each wait is the previous one times this.")
    maxDuration: IntOrExpr | None = Field(None, description="No retry starts after this long.")


class RetryStrategy(K8sModel):
    """When and how often a failed template is run again."""

    definition = _def("RetryStrategy")

    limit: IntOrExpr | None = Field(None, description="Retries after the first attempt.")
    retryPolicy: str | None = Field(
        None, description="Always, OnFailure (the default), OnError or OnTransientError."
    )
    backoff: Backoff | None = Field(None, description="Waiting between attempts.")
    expression: str | None = Field(None, description="Retry only while this holds (lastRetry.*).")
    affinity: dict[str, Any] | None = Field(None, description="Node anti-affinity (recorded).")


class ContinueOn(K8sModel):
    """Which failures of a step or task let the rest go on."""

    definition = _def("ContinueOn")

    error: bool | None = Field(None, description="Go on when it errors.")
    failed: bool | None = Field(None, description="Go on when it fails.")


class Sequence(K8sModel):
    """A loop over numbers: `count` or `start`..`end`, each formatted by `format`."""

    definition = _def("Sequence")

    count: IntOrExpr | None = Field(None, description="How many numbers (from `start`).")
    start: IntOrExpr | None = Field(None, description="The first number (0 by default).")
    end: IntOrExpr | None = Field(None, description="The last number.")
    format: str | None = Field(None, description='A printf format, e.g. "%02d".')


class TemplateRef(K8sModel):
    """A template of a WorkflowTemplate (or ClusterWorkflowTemplate)."""

    definition = _def("TemplateRef")

    name: str | None = Field(None, description="The WorkflowTemplate's name.")
    template: str | None = Field(None, description="The template's name in it.")
    clusterScope: bool | None = Field(None, description="A ClusterWorkflowTemplate.")


class LifecycleHook(K8sModel):
    """A template run when something happens to a step, task or workflow (`exit`)."""

    definition = _def("LifecycleHook")

    template: str | None = Field(None, description="The template to run.")
    templateRef: TemplateRef | None = Field(None, description="Or a referenced template.")
    arguments: Arguments | None = Field(None, description="Its arguments.")
    expression: str | None = Field(None, description="Run when this holds (not for `exit`).")


class _Call(K8sModel):
    """What steps and tasks share: the template they call and how."""

    name: str = Field(description="The step's or task's name.")
    template: str | None = Field(None, description="The template to run.")
    templateRef: TemplateRef | None = Field(None, description="Or a referenced template.")
    inline: dict[str, Any] | None = Field(None, description="Or a template written in place.")
    arguments: Arguments | None = Field(None, description="Its arguments.")
    when: str | None = Field(None, description="Run only when this condition holds.")
    withItems: list[Any] | None = Field(None, description="Run once per item.")
    withParam: str | None = Field(None, description="Run once per item of this JSON list.")
    withSequence: Sequence | None = Field(None, description="Run once per number.")
    continueOn: ContinueOn | None = Field(None, description="Failures the rest tolerates.")
    onExit: str | None = Field(None, description="A template run when it ends (deprecated).")
    hooks: dict[str, LifecycleHook] | None = Field(None, description="Lifecycle hooks (`exit`).")


class WorkflowStep(_Call):
    """One step of a steps template."""

    definition = _def("WorkflowStep")


class DAGTask(_Call):
    """One task of a dag template."""

    definition = _def("DAGTask")

    dependencies: list[str] | None = Field(None, description="Tasks that must succeed first.")
    depends: str | None = Field(
        None, description='A condition on other tasks: "A && (B.Failed || C.Skipped)".'
    )


class DAGTemplate(K8sModel):
    """Tasks run as their dependencies allow."""

    definition = _def("DAGTemplate")

    tasks: list[DAGTask] = Field(description="The tasks.")
    target: str | None = Field(None, description="Only these tasks (and what they need).")
    failFast: bool | None = Field(
        None, description="Start no new task once one has failed (the default)."
    )


class ArgoContainer(Container):
    """A container whose name may be left out (Argo names it `main`)."""

    definition = _def("UserContainer")

    name: str | None = Field(None, description="The container's name (`main` by default).")  # type: ignore[assignment]


class ScriptTemplate(ArgoContainer):
    """A container whose program is given in place (`source`) and run by `command`."""

    definition = _def("ScriptTemplate")

    source: str = Field(description="The program; its standard output is `outputs.result`.")


class ResourceTemplate(K8sModel):
    """A Kubernetes object created, applied, patched or deleted."""

    definition = _def("ResourceTemplate")

    action: str = Field(description="get, create, apply, delete, replace or patch.")
    manifest: str | None = Field(None, description="The object as YAML or JSON.")
    mergeStrategy: str | None = Field(None, description="strategic, merge or json (patch).")
    successCondition: str | None = Field(None, description="Label-selector-like success test.")
    failureCondition: str | None = Field(None, description="Label-selector-like failure test.")
    setOwnerReference: bool | None = Field(None, description="Owned by the workflow.")
    flags: list[str] | None = Field(None, description="kubectl flags (recorded).")


class SuspendTemplate(K8sModel):
    """A pause, until resumed or for a `duration`."""

    definition = _def("SuspendTemplate")

    duration: IntOrExpr | None = Field(None, description='Resume by itself after "20s", "5m".')


class Metadata(K8sModel):
    """Labels and annotations for a template's pod."""

    definition = _def("Metadata")

    labels: dict[str, str] | None = Field(None, description="Pod labels.")
    annotations: dict[str, str] | None = Field(None, description="Pod annotations.")


class Template(K8sModel):
    """A reusable unit of work: exactly one of container, script, resource, suspend, steps, dag."""

    definition = _def("Template")

    name: str | None = Field(None, description="The template's name, unique in the workflow.")
    inputs: Inputs | None = Field(None, description="What it takes.")
    outputs: Outputs | None = Field(None, description="What it produces.")
    container: ArgoContainer | None = Field(None, description="Run a container.")
    script: ScriptTemplate | None = Field(None, description="Run a program given in place.")
    resource: ResourceTemplate | None = Field(None, description="Act on a Kubernetes object.")
    suspend: SuspendTemplate | None = Field(None, description="Pause.")
    steps: list[list[WorkflowStep]] | None = Field(
        None, description="Groups of steps: groups run in order, a group's steps in parallel."
    )
    dag: DAGTemplate | None = Field(None, description="Tasks run by their dependencies.")
    retryStrategy: RetryStrategy | None = Field(None, description="Run again on failure.")
    activeDeadlineSeconds: IntOrExpr | None = Field(None, description="A pod's time limit.")
    timeout: str | None = Field(None, description='A time limit for the node, e.g. "30s".')
    parallelism: int | None = Field(None, description="How many children at once (steps, dag).")
    failFast: bool | None = Field(None, description="Start nothing new once a child has failed.")
    volumes: list[Volume] | None = Field(None, description="Volumes of this template's pod.")
    initContainers: list[ArgoContainer] | None = Field(None, description="Run before main.")
    sidecars: list[ArgoContainer] | None = Field(None, description="Run beside main.")
    metadata: Metadata | None = Field(None, description="Labels and annotations of the pod.")
    podSpecPatch: str | None = Field(None, description="A patch merged into the pod's spec.")
    nodeSelector: dict[str, str] | None = Field(None, description="Node selector (recorded).")
    serviceAccountName: str | None = Field(None, description="Service account of the pod.")
    hooks: dict[str, LifecycleHook] | None = Field(None, description="Lifecycle hooks.")
