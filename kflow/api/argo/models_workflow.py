"""Pydantic models of Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow.

The spec shared by all of them (`WorkflowSpec`: entrypoint, arguments, templates,
volumes, exit handler, limits and clean-up), the node tree a Workflow's status
holds (`NodeStatus`), and a CronWorkflow's schedule. As for templates, bodies stay
dicts and unknown fields are kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from kflow.api.argo.models_template import (
    Arguments,
    Inputs,
    LifecycleHook,
    Outputs,
    RetryStrategy,
    Template,
    TemplateRef,
)
from kflow.api.models.base import K8sModel
from kflow.api.models.core import Volume
from kflow.api.models.meta import ObjectMeta


def _def(name: str) -> str:
    return f"io.argoproj.workflow.v1alpha1.{name}"


class TTLStrategy(K8sModel):
    """How long a finished workflow is kept."""

    definition = _def("TTLStrategy")

    secondsAfterCompletion: int | None = Field(None, description="After it finishes.")
    secondsAfterSuccess: int | None = Field(None, description="After it succeeds.")
    secondsAfterFailure: int | None = Field(None, description="After it fails.")


class PodGC(K8sModel):
    """When a workflow's pods are deleted."""

    definition = _def("PodGC")

    strategy: str | None = Field(
        None,
        description="OnPodCompletion, OnPodSuccess, OnWorkflowCompletion or OnWorkflowSuccess.",
    )
    labelSelector: dict[str, Any] | None = Field(None, description="Only pods matching this.")
    deleteDelayDuration: str | None = Field(None, description="Wait this long first.")


class WorkflowTemplateRef(K8sModel):
    """A WorkflowTemplate whose spec this workflow runs."""

    definition = _def("WorkflowTemplateRef")

    name: str | None = Field(None, description="The WorkflowTemplate's name.")
    clusterScope: bool | None = Field(None, description="A ClusterWorkflowTemplate.")


class PVCTemplate(K8sModel):
    """A PersistentVolumeClaim made for the workflow (`<workflow>-<name>`)."""

    definition = "io.k8s.api.core.v1.PersistentVolumeClaim"

    metadata: ObjectMeta | None = Field(None, description="Its name (required) and labels.")
    spec: dict[str, Any] | None = Field(None, description="Access modes and requested size.")


class WorkflowSpec(K8sModel):
    """What to run: templates, where to start, with which arguments, under which limits."""

    definition = _def("WorkflowSpec")

    entrypoint: str | None = Field(None, description="The template run first.")
    templates: list[Template] | None = Field(None, description="The templates.")
    arguments: Arguments | None = Field(None, description="The workflow's parameters.")
    workflowTemplateRef: WorkflowTemplateRef | None = Field(
        None, description="Run this WorkflowTemplate's spec."
    )
    onExit: str | None = Field(None, description="A template run when the workflow ends.")
    hooks: dict[str, LifecycleHook] | None = Field(None, description="Lifecycle hooks (`exit`).")
    parallelism: int | None = Field(None, description="How many pods run at once.")
    activeDeadlineSeconds: int | None = Field(None, description="A time limit for the workflow.")
    volumes: list[Volume] | None = Field(None, description="Volumes every pod may mount.")
    volumeClaimTemplates: list[PVCTemplate] | None = Field(
        None, description="Claims made for the workflow and deleted with it."
    )
    ttlStrategy: TTLStrategy | None = Field(None, description="When to delete it once finished.")
    podGC: PodGC | None = Field(None, description="When to delete its pods.")
    retryStrategy: RetryStrategy | None = Field(None, description="Default for every template.")
    serviceAccountName: str | None = Field(None, description="Service account of the pods.")
    podSpecPatch: str | None = Field(None, description="A patch merged into every pod's spec.")
    suspend: bool | None = Field(None, description="Start nothing new while true.")
    shutdown: str | None = Field(None, description="Stop (exit handlers run) or Terminate.")
    priority: int | None = Field(None, description="Priority (shown, not used by kflow).")
    podMetadata: dict[str, Any] | None = Field(None, description="Labels/annotations of pods.")
    nodeSelector: dict[str, str] | None = Field(None, description="Node selector (recorded).")
    failFast: bool | None = Field(None, description="Default of DAGs' failFast.")


class NodeStatus(K8sModel):
    """One node of a workflow's execution tree, as Argo writes it in `status.nodes`."""

    definition = _def("NodeStatus")

    id: str = Field(description="The node's id (`<workflow>-<hash of its name>`).")
    name: str = Field(description="Its full name, e.g. `wf.tasks.A` or `wf[0].step`.")
    displayName: str | None = Field(None, description="Its short name.")
    type: str = Field(description="Pod, Steps, StepGroup, DAG, TaskGroup, Retry, Skipped, Suspend.")
    templateName: str | None = Field(None, description="The template it ran.")
    templateRef: TemplateRef | None = Field(None, description="The referenced template it ran.")
    phase: str | None = Field(None, description="Pending, Running, Succeeded, Failed, ...")
    boundaryID: str | None = Field(None, description="The steps or dag node it belongs to.")
    children: list[str] | None = Field(None, description="Nodes run after (or inside) it.")
    outboundNodes: list[str] | None = Field(None, description="Its last nodes.")
    message: str | None = Field(None, description="Why it is in its phase.")
    startedAt: str | None = Field(None, description="When it started.")
    finishedAt: str | None = Field(None, description="When it finished.")
    inputs: Inputs | None = Field(None, description="Its resolved inputs.")
    outputs: Outputs | None = Field(None, description="Its outputs.")
    progress: str | None = Field(None, description="Pods succeeded of pods, e.g. `1/3`.")
    podName: str | None = Field(None, description="Its pod (Pod nodes).")


class WorkflowStatus(K8sModel):
    """A workflow's progress, written by its controller."""

    definition = _def("WorkflowStatus")

    phase: str | None = Field(None, description="Pending, Running, Succeeded, Failed or Error.")
    startedAt: str | None = Field(None, description="When it started.")
    finishedAt: str | None = Field(None, description="When it finished.")
    progress: str | None = Field(None, description="Pods succeeded of pods, e.g. `1/3`.")
    message: str | None = Field(None, description="Why it is in its phase.")
    nodes: dict[str, NodeStatus] | None = Field(None, description="The execution tree by id.")
    outputs: Outputs | None = Field(None, description="Global outputs (globalName).")
    conditions: list[dict[str, Any]] | None = Field(None, description="Completed, ...")
    persistentVolumeClaims: list[Volume] | None = Field(None, description="Claims it made.")
    storedWorkflowTemplateSpec: WorkflowSpec | None = Field(
        None, description="The WorkflowTemplate spec it runs, as it was when it started."
    )


class Workflow(K8sModel):
    """A run of templates: Argo's `Workflow`."""

    definition = _def("Workflow")

    apiVersion: str | None = Field(None, description="argoproj.io/v1alpha1.")
    kind: str | None = Field(None, description="Workflow.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: WorkflowSpec = Field(description="What to run.")
    status: WorkflowStatus | None = Field(None, description="How it runs (read-only).")


class WorkflowTemplate(K8sModel):
    """A stored workflow spec: submitted by reference, or a library of templates."""

    definition = _def("WorkflowTemplate")

    apiVersion: str | None = Field(None, description="argoproj.io/v1alpha1.")
    kind: str | None = Field(None, description="WorkflowTemplate.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: WorkflowSpec = Field(description="The workflow spec it holds.")


class CronWorkflowSpec(K8sModel):
    """When to start a workflow, and what to do with runs that overlap or pile up."""

    definition = _def("CronWorkflowSpec")

    schedule: str | None = Field(None, description='A cron schedule, e.g. "*/5 * * * *".')
    schedules: list[str] | None = Field(None, description="Several schedules.")
    timezone: str | None = Field(None, description='IANA time zone, e.g. "Europe/Paris".')
    concurrencyPolicy: str | None = Field(None, description="Allow (default), Forbid, Replace.")
    startingDeadlineSeconds: int | None = Field(
        None, description="A run missed by more than this is skipped."
    )
    successfulJobsHistoryLimit: int | None = Field(None, description="Succeeded runs kept (3).")
    failedJobsHistoryLimit: int | None = Field(None, description="Failed runs kept (1).")
    suspend: bool | None = Field(None, description="Start no runs while true.")
    workflowSpec: WorkflowSpec = Field(description="The workflow each run is.")
    workflowMetadata: ObjectMeta | None = Field(None, description="Labels/annotations of runs.")


class CronWorkflowStatus(K8sModel):
    """What a CronWorkflow has started."""

    definition = _def("CronWorkflowStatus")

    active: list[dict[str, Any]] | None = Field(None, description="Runs not finished.")
    lastScheduledTime: str | None = Field(None, description="The last schedule time run.")
    conditions: list[dict[str, Any]] | None = Field(None, description="SubmissionError, ...")
    succeeded: int | None = Field(None, description="Runs that succeeded.")
    failed: int | None = Field(None, description="Runs that failed.")
    phase: str | None = Field(None, description="Active or Stopped.")


class CronWorkflow(K8sModel):
    """A workflow started on a schedule."""

    definition = _def("CronWorkflow")

    apiVersion: str | None = Field(None, description="argoproj.io/v1alpha1.")
    kind: str | None = Field(None, description="CronWorkflow.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: CronWorkflowSpec = Field(description="The schedule and the workflow.")
    status: CronWorkflowStatus | None = Field(None, description="Runs (read-only).")


__all__ = [
    "CronWorkflow",
    "NodeStatus",
    "Outputs",
    "Workflow",
    "WorkflowSpec",
    "WorkflowTemplate",
]
