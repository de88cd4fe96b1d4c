"""Typed models of the `batch/v1` Job, for the parts kflow reads.

As with the core models, undeclared fields are kept; the declared ones document the
schema (`kubectl explain job.spec`) and check types at admission.
"""

from __future__ import annotations

import enum

from pydantic import Field

from kflow.api.models.base import K8sModel
from kflow.api.models.core import PodSpec
from kflow.api.models.meta import ObjectMeta


class CompletionMode(str, enum.Enum):
    """How a Job counts its completions."""

    NON_INDEXED = "NonIndexed"  # any `completions` successful pods complete the job
    INDEXED = "Indexed"  # one successful pod per index 0..completions-1


class PodTemplateSpec(K8sModel):
    """The pods a workload creates."""

    definition = "io.k8s.api.core.v1.PodTemplateSpec"

    metadata: ObjectMeta | None = Field(None, description="Metadata of the pods.")
    spec: PodSpec | None = Field(None, description="Specification of the pods.")


class JobSpec(K8sModel):
    """The desired state of a Job."""

    definition = "io.k8s.api.batch.v1.JobSpec"

    template: PodTemplateSpec = Field(description="The pods the job runs.")
    completions: int | None = Field(
        None, description="Successful pods needed to complete the job; defaults to 1."
    )
    parallelism: int | None = Field(None, description="Most pods running at once; defaults to 1.")
    backoffLimit: int | None = Field(
        None, description="Retries before the job is marked failed; defaults to 6."
    )
    activeDeadlineSeconds: int | None = Field(
        None, description="Seconds the job may be active before it is failed."
    )
    ttlSecondsAfterFinished: int | None = Field(
        None, description="Seconds after the job finishes before it is deleted."
    )
    suspend: bool | None = Field(None, description="True: no pods run; active ones are deleted.")
    completionMode: CompletionMode | None = Field(
        None, description="NonIndexed (the default) or Indexed."
    )
    manualSelector: bool | None = Field(
        None, description="True: the selector is the user's, not generated."
    )
    selector: dict[str, object] | None = Field(None, description="Label query over the pods.")


class JobStatus(K8sModel):
    """The observed state of a Job, written by the job controller."""

    definition = "io.k8s.api.batch.v1.JobStatus"

    active: int | None = Field(None, description="Pending or running pods.")
    succeeded: int | None = Field(None, description="Pods that reached phase Succeeded.")
    failed: int | None = Field(None, description="Pods that reached phase Failed.")
    ready: int | None = Field(None, description="Active pods with a Ready condition.")
    startTime: str | None = Field(None, description="When the controller started the job.")
    completionTime: str | None = Field(None, description="When the job completed.")
    conditions: list[dict[str, object]] | None = Field(
        None, description="Complete, Failed, Suspended."
    )


class Job(K8sModel):
    """A run-to-completion workload: pods until enough of them succeed."""

    definition = "io.k8s.api.batch.v1.Job"
    closed = True

    apiVersion: str | None = Field(None, description="Versioned schema of this object.")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: JobSpec = Field(description="Desired state of the job.")
    status: JobStatus | None = Field(None, description="Observed state of the job (read-only).")
