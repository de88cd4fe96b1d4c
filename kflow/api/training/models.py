"""Pydantic models of the training-job kinds, for validation and the OpenAPI schema.

They follow `kubeflow.org/v1` as the training operator serves it (definition names
`kubeflow.org.v1.TFJob`, ...), so `kubectl explain tfjob.spec` and the Kubeflow SDK's
generated models see the same shape. Pod templates are full PodSpecs with unknown
fields preserved, as everywhere in kflow.
"""

from __future__ import annotations

import enum

from pydantic import Field

from kflow.api.models.base import K8sModel, Quantity
from kflow.api.models.core import PodSpec
from kflow.api.models.meta import ObjectMeta


class ReplicaRestartPolicy(str, enum.Enum):
    """How a replica's pods restart; ExitCode: 1-127 permanent, >= 128 retryable."""

    ALWAYS = "Always"
    ON_FAILURE = "OnFailure"
    NEVER = "Never"
    EXIT_CODE = "ExitCode"


class CleanPodPolicy(str, enum.Enum):
    """Which pods to delete once the job has finished."""

    ALL = "All"
    RUNNING = "Running"
    NONE = "None"


class PodTemplateSpec(K8sModel):
    """The pod each replica of a type runs."""

    definition = "io.k8s.api.core.v1.PodTemplateSpec"

    metadata: ObjectMeta | None = Field(None, description="Labels and annotations of the pods.")
    spec: PodSpec | None = Field(None, description="The pod spec of each replica.")


class ReplicaSpec(K8sModel):
    """One replica type of a job: how many, which pod, how it restarts."""

    definition = "kubeflow.org.v1.ReplicaSpec"

    replicas: int | None = Field(None, description="Desired number of replicas; defaults to 1.")
    template: PodTemplateSpec | None = Field(None, description="The pod of each replica.")
    restartPolicy: ReplicaRestartPolicy | None = Field(
        None, description="Overrides the template's restartPolicy; the default depends on the kind."
    )


class SchedulingPolicy(K8sModel):
    """Gang-scheduling settings."""

    definition = "kubeflow.org.v1.SchedulingPolicy"

    minAvailable: int | None = Field(None, description="Pods that must start together.")
    queue: str | None = Field(None, description="Scheduler queue.")
    minResources: dict[str, Quantity] | None = Field(None, description="Minimum resources.")
    priorityClass: str | None = Field(None, description="Priority class of the pod group.")
    scheduleTimeoutSeconds: int | None = Field(None, description="Scheduling timeout.")


class RunPolicy(K8sModel):
    """Runtime policies shared by every training job."""

    definition = "kubeflow.org.v1.RunPolicy"

    cleanPodPolicy: CleanPodPolicy | None = Field(
        None, description="Pods to delete once the job finishes; defaults to None."
    )
    ttlSecondsAfterFinished: int | None = Field(
        None, description="Seconds after the job finishes before it is deleted."
    )
    activeDeadlineSeconds: int | None = Field(
        None, description="Seconds from startTime the job may be active before it is failed."
    )
    backoffLimit: int | None = Field(None, description="Retries before the job is failed.")
    schedulingPolicy: SchedulingPolicy | None = Field(None, description="Gang scheduling.")
    suspend: bool | None = Field(None, description="True suspends the job (deletes its pods).")
    managedBy: str | None = Field(None, description="The controller that manages the job.")


class JobCondition(K8sModel):
    """One observed state of a job (Created, Running, Restarting, Succeeded, ...)."""

    definition = "kubeflow.org.v1.JobCondition"

    type: str = Field(description="Created, Running, Restarting, Succeeded, Failed, Suspended.")
    status: str = Field(description="True, False or Unknown.")
    reason: str | None = Field(None, description="`<Kind><Reason>`, e.g. TFJobCreated.")
    message: str | None = Field(None, description="Human-readable details.")
    lastUpdateTime: str | None = Field(None, description="When the condition was last updated.")
    lastTransitionTime: str | None = Field(None, description="When the status last changed.")


class ReplicaStatus(K8sModel):
    """Pod counts of one replica type."""

    definition = "kubeflow.org.v1.ReplicaStatus"

    active: int | None = Field(None, description="Running pods.")
    succeeded: int | None = Field(None, description="Pods that succeeded.")
    failed: int | None = Field(None, description="Pods that failed.")
    labelSelector: dict[str, object] | None = Field(None, description="Deprecated: selector.")
    selector: str | None = Field(None, description="Label selector of the replica's pods.")


class JobStatus(K8sModel):
    """The observed state of a training job, written by its controller."""

    definition = "kubeflow.org.v1.JobStatus"

    conditions: list[JobCondition] | None = Field(None, description="Observed conditions.")
    replicaStatuses: dict[str, ReplicaStatus] | None = Field(
        None, description="Pod counts per replica type."
    )
    startTime: str | None = Field(None, description="When the controller acknowledged the job.")
    completionTime: str | None = Field(None, description="When the job finished.")
    lastReconcileTime: str | None = Field(None, description="When the job was last reconciled.")


ReplicaSpecs = dict[str, ReplicaSpec]

_REPLICAS = "Replica type (e.g. {types}) to ReplicaSpec."


class TFJobSpec(K8sModel):
    """The desired state of a TFJob."""

    definition = "kubeflow.org.v1.TFJobSpec"

    runPolicy: RunPolicy | None = Field(None, description="Runtime policies.")
    successPolicy: str | None = Field(
        None, description='"" (chief, or worker 0, decides) or "AllWorkers".'
    )
    tfReplicaSpecs: ReplicaSpecs | None = Field(
        None, description=_REPLICAS.format(types="Chief, PS, Worker, Evaluator")
    )
    enableDynamicWorker: bool | None = Field(None, description="Allow workers to scale.")


class RDZVConf(K8sModel):
    definition = "kubeflow.org.v1.RDZVConf"

    key: str | None = None
    value: str | None = None


class ElasticPolicy(K8sModel):
    """torchrun elastic settings of a PyTorchJob."""

    definition = "kubeflow.org.v1.ElasticPolicy"

    minReplicas: int | None = Field(None, description="Lower limit of workers.")
    maxReplicas: int | None = Field(None, description="Upper limit of workers.")
    rdzvBackend: str | None = Field(None, description="c10d, etcd or etcd-v2.")
    rdzvPort: int | None = Field(None, description="Rendezvous port.")
    rdzvHost: str | None = Field(None, description="Rendezvous host.")
    rdzvId: str | None = Field(None, description="Rendezvous id.")
    rdzvConf: list[RDZVConf] | None = Field(None, description="Extra rendezvous settings.")
    standalone: bool | None = Field(None, description="torchrun --standalone.")
    nProcPerNode: int | None = Field(None, description="Deprecated: use spec.nprocPerNode.")
    maxRestarts: int | None = Field(None, description="torchrun --max-restarts.")
    metrics: list[dict[str, object]] | None = Field(None, description="Autoscaling metrics.")


class PyTorchJobSpec(K8sModel):
    """The desired state of a PyTorchJob."""

    definition = "kubeflow.org.v1.PyTorchJobSpec"

    runPolicy: RunPolicy | None = Field(None, description="Runtime policies.")
    elasticPolicy: ElasticPolicy | None = Field(None, description="Elastic training.")
    pytorchReplicaSpecs: ReplicaSpecs | None = Field(
        None, description=_REPLICAS.format(types="Master, Worker")
    )
    nprocPerNode: str | None = Field(
        None, description='Processes per node: "auto", "cpu", "gpu" or a number; defaults to auto.'
    )


class MPIJobSpec(K8sModel):
    """The desired state of an MPIJob."""

    definition = "kubeflow.org.v1.MPIJobSpec"

    slotsPerWorker: int | None = Field(None, description="Slots per worker in the hostfile.")
    cleanPodPolicy: CleanPodPolicy | None = Field(
        None, description="Deprecated: use runPolicy.cleanPodPolicy."
    )
    mpiReplicaSpecs: ReplicaSpecs | None = Field(
        None, description=_REPLICAS.format(types="Launcher, Worker")
    )
    mainContainer: str | None = Field(None, description="The container that runs MPI.")
    runPolicy: RunPolicy | None = Field(None, description="Runtime policies.")


class XGBoostJobSpec(K8sModel):
    """The desired state of an XGBoostJob."""

    definition = "kubeflow.org.v1.XGBoostJobSpec"

    runPolicy: RunPolicy | None = Field(None, description="Runtime policies.")
    xgbReplicaSpecs: ReplicaSpecs | None = Field(
        None, description=_REPLICAS.format(types="Master, Worker")
    )


class JAXJobSpec(K8sModel):
    """The desired state of a JAXJob."""

    definition = "kubeflow.org.v1.JAXJobSpec"

    runPolicy: RunPolicy | None = Field(None, description="Runtime policies.")
    jaxReplicaSpecs: ReplicaSpecs | None = Field(None, description=_REPLICAS.format(types="Worker"))


class PaddleElasticPolicy(K8sModel):
    definition = "kubeflow.org.v1.PaddleElasticPolicy"

    minReplicas: int | None = Field(None, description="Lower limit of workers.")
    maxReplicas: int | None = Field(None, description="Upper limit of workers.")
    maxRestarts: int | None = Field(None, description="Restarts allowed in elastic mode.")
    metrics: list[dict[str, object]] | None = Field(None, description="Autoscaling metrics.")


class PaddleJobSpec(K8sModel):
    """The desired state of a PaddleJob."""

    definition = "kubeflow.org.v1.PaddleJobSpec"

    runPolicy: RunPolicy | None = Field(None, description="Runtime policies.")
    elasticPolicy: PaddleElasticPolicy | None = Field(None, description="Elastic training.")
    paddleReplicaSpecs: ReplicaSpecs | None = Field(
        None, description=_REPLICAS.format(types="Master, Worker")
    )


class _Job(K8sModel):
    closed = True

    apiVersion: str | None = Field(None, description="kubeflow.org/v1")
    kind: str | None = Field(None, description="Kind of this object.")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    status: JobStatus | None = Field(None, description="Observed state (read-only).")


class TFJob(_Job):
    """A distributed TensorFlow training job."""

    definition = "kubeflow.org.v1.TFJob"
    spec: TFJobSpec = Field(description="Desired state of the TFJob.")


class PyTorchJob(_Job):
    """A distributed PyTorch training job."""

    definition = "kubeflow.org.v1.PyTorchJob"
    spec: PyTorchJobSpec = Field(description="Desired state of the PyTorchJob.")


class MPIJob(_Job):
    """An MPI job: a launcher and workers."""

    definition = "kubeflow.org.v1.MPIJob"
    spec: MPIJobSpec = Field(description="Desired state of the MPIJob.")


class XGBoostJob(_Job):
    """A distributed XGBoost training job."""

    definition = "kubeflow.org.v1.XGBoostJob"
    spec: XGBoostJobSpec = Field(description="Desired state of the XGBoostJob.")


class JAXJob(_Job):
    """A distributed JAX training job."""

    definition = "kubeflow.org.v1.JAXJob"
    spec: JAXJobSpec = Field(description="Desired state of the JAXJob.")


class PaddleJob(_Job):
    """A distributed PaddlePaddle training job."""

    definition = "kubeflow.org.v1.PaddleJob"
    spec: PaddleJobSpec = Field(description="Desired state of the PaddleJob.")


JOB_MODELS: dict[str, type[K8sModel]] = {
    m.__name__: m for m in (TFJob, PyTorchJob, MPIJob, XGBoostJob, JAXJob, PaddleJob)
}
"""The model of each training kind, by kind name."""
