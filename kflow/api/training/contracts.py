"""The upstream contract of each training-job kind, in one table.

Kubeflow's training operator fixes, per kind, the names that users' YAML, the
operator's pods and the SDKs all agree on: the replica-spec field, the replica types,
the default container name, port and restartPolicy, the labels on every replica pod,
and the condition reasons (`<Kind><Reason>`, e.g. `TFJobCreated`). This module is the
one place kflow writes them down; the API defaulters and validators, the training
controllers, the docs and the tests all read `TRAINING_KINDS`. Values follow
`kubeflow/training-operator` `pkg/apis/kubeflow.org/v1/*_types.go`, `common_types.go`
and `pkg/util/status.go`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType

GROUP = "kubeflow.org"
VERSION = "v1"
API_VERSION = f"{GROUP}/{VERSION}"

# --- labels every replica pod and service carries ---------------------------------------
JOB_NAME_LABEL = "training.kubeflow.org/job-name"
"""The job's name."""
REPLICA_TYPE_LABEL = "training.kubeflow.org/replica-type"
"""The replica type, lowercased (`worker`, `ps`, `master`)."""
REPLICA_INDEX_LABEL = "training.kubeflow.org/replica-index"
"""The replica's index within its type, as a decimal string."""
JOB_ROLE_LABEL = "training.kubeflow.org/job-role"
"""`master` on the replica that decides the job's fate (see `is_master_role`)."""
OPERATOR_NAME_LABEL = "training.kubeflow.org/operator-name"
"""The controller that owns the pod (`TrainingKind.operator_name`)."""
JOB_ROLE_MASTER = "master"
"""The value of `JOB_ROLE_LABEL` on the master replica."""

# --- restart and clean-pod policies --------------------------------------------------------
RESTART_POLICIES = ("Always", "OnFailure", "Never", "ExitCode")
"""ReplicaSpec.restartPolicy values; ExitCode: 1-127 permanent, >= 128 retryable."""
CLEAN_POD_POLICIES = ("All", "Running", "None")
"""RunPolicy.cleanPodPolicy values."""
SUCCESS_POLICIES = ("", "AllWorkers")
"""TFJob spec.successPolicy values: "" (chief, or worker 0) or all workers."""

# --- conditions ----------------------------------------------------------------------------
CONDITION_CREATED = "Created"
CONDITION_RUNNING = "Running"
CONDITION_RESTARTING = "Restarting"
CONDITION_SUCCEEDED = "Succeeded"
CONDITION_FAILED = "Failed"
CONDITION_SUSPENDED = "Suspended"
CONDITION_TYPES = (
    CONDITION_CREATED,
    CONDITION_RUNNING,
    CONDITION_RESTARTING,
    CONDITION_SUCCEEDED,
    CONDITION_FAILED,
    CONDITION_SUSPENDED,
)
"""JobCondition types, in the order a job normally passes through them."""

REASON_CREATED = "Created"
REASON_RUNNING = "Running"
REASON_RESTARTING = "Restarting"
REASON_SUCCEEDED = "Succeeded"
REASON_FAILED = "Failed"
REASON_SUSPENDED = "Suspended"
REASON_RESUMED = "Resumed"
REASON_FAILED_VALIDATION = "FailedValidation"
REASONS = (
    REASON_CREATED,
    REASON_RUNNING,
    REASON_RESTARTING,
    REASON_SUCCEEDED,
    REASON_FAILED,
    REASON_SUSPENDED,
    REASON_RESUMED,
    REASON_FAILED_VALIDATION,
)
"""Reason suffixes; a condition's reason is `<Kind><suffix>` (`reason(kind, suffix)`)."""


def reason(kind: str, suffix: str) -> str:
    """The condition reason upstream writes: `reason("TFJob", "Created") == "TFJobCreated"`."""
    return f"{kind}{suffix}"


@dataclasses.dataclass(frozen=True)
class TrainingKind:
    """The fixed names of one training-job kind, exactly as upstream spells them."""

    kind: str
    """`TFJob`, `PyTorchJob`, ..."""
    plural: str
    """The resource name under `/apis/kubeflow.org/v1/namespaces/<ns>/`."""
    singular: str
    replica_specs_field: str
    """The spec field holding the map of replica type to ReplicaSpec."""
    replica_types: tuple[str, ...]
    """Allowed replica types in canonical casing; defaulting camel-cases keys to these."""
    default_container_name: str
    """The container the operator configures; validation requires one in every template."""
    default_port_name: str
    default_port: int
    """Added to the default container (or the first one) when it lacks the named port."""
    default_restart_policy: str
    framework_name: str
    """Upstream's framework name (`tensorflow`, `pytorch`, `mpi`, ...)."""
    operator_name: str
    """The value of `OPERATOR_NAME_LABEL` on the kind's pods."""
    short_names: tuple[str, ...] = ()
    """Upstream CRDs declare none; kept for completeness."""
    default_clean_pod_policy: str = "None"
    """RunPolicy.cleanPodPolicy when the user gives none."""
    master_types: tuple[str, ...] = ()
    """Replica types whose replica 0 carries `job-role: master` (empty: worker 0 does)."""
    default_replicas: Mapping[str, int] = dataclasses.field(
        default_factory=lambda: MappingProxyType({})
    )
    """Per-type default replicas where upstream differs from 1 (MPIJob Worker: 0)."""
    single_replica_types: tuple[str, ...] = ()
    """Types whose replicas must be exactly 1 when present (PyTorchJob Master, ...)."""
    worker_zero_is_master: bool = False
    """Worker 0 is the master role when no master type is present (TFJob, JAXJob)."""
    adds_default_port: bool = True
    """Defaulting adds the default port (upstream MPIJob does not)."""
    requires_default_container: bool = True
    """Validation requires a container named `default_container_name` (not MPIJob)."""
    required_types: tuple[str, ...] = ()
    """Replica types that must be present (MPIJob Launcher, XGBoostJob Master)."""

    @property
    def api_version(self) -> str:
        return API_VERSION

    @property
    def resource(self) -> str:
        """The store key, `tfjobs.kubeflow.org`."""
        return f"{self.plural}.{GROUP}"

    def canonical_type(self, name: str) -> str | None:
        """The canonical spelling of a replica type given in any case, or None if unknown."""
        for rtype in self.replica_types:
            if rtype.lower() == name.lower():
                return rtype
        return None

    def default_replicas_for(self, rtype: str) -> int:
        return self.default_replicas.get(rtype, 1)

    def reason(self, suffix: str) -> str:
        """`TFJob` + `Created` -> `TFJobCreated`."""
        return reason(self.kind, suffix)


TFJOB = TrainingKind(
    kind="TFJob",
    plural="tfjobs",
    singular="tfjob",
    replica_specs_field="tfReplicaSpecs",
    replica_types=("Chief", "Master", "PS", "Worker", "Evaluator"),
    default_container_name="tensorflow",
    default_port_name="tfjob-port",
    default_port=2222,
    default_restart_policy="Never",
    framework_name="tensorflow",
    operator_name="tfjob-controller",
    master_types=("Chief", "Master"),
    worker_zero_is_master=True,
)
PYTORCHJOB = TrainingKind(
    kind="PyTorchJob",
    plural="pytorchjobs",
    singular="pytorchjob",
    replica_specs_field="pytorchReplicaSpecs",
    replica_types=("Master", "Worker"),
    default_container_name="pytorch",
    default_port_name="pytorchjob-port",
    default_port=23456,
    default_restart_policy="OnFailure",
    framework_name="pytorch",
    operator_name="pytorchjob-controller",
    master_types=("Master",),
    single_replica_types=("Master",),
)
MPIJOB = TrainingKind(
    kind="MPIJob",
    plural="mpijobs",
    singular="mpijob",
    replica_specs_field="mpiReplicaSpecs",
    replica_types=("Launcher", "Worker"),
    default_container_name="mpi",
    default_port_name="mpi-port",
    default_port=9999,
    default_restart_policy="Never",
    framework_name="mpi",
    operator_name="mpijob-controller",
    master_types=("Launcher",),
    default_replicas=MappingProxyType({"Launcher": 1, "Worker": 0}),
    single_replica_types=("Launcher",),
    adds_default_port=False,
    requires_default_container=False,
    required_types=("Launcher",),
)
XGBOOSTJOB = TrainingKind(
    kind="XGBoostJob",
    plural="xgboostjobs",
    singular="xgboostjob",
    replica_specs_field="xgbReplicaSpecs",
    replica_types=("Master", "Worker"),
    default_container_name="xgboost",
    default_port_name="xgboostjob-port",
    default_port=9999,
    default_restart_policy="Never",
    framework_name="xgboost",
    operator_name="xgboostjob-controller",
    master_types=("Master",),
    single_replica_types=("Master",),
    required_types=("Master",),
)
JAXJOB = TrainingKind(
    kind="JAXJob",
    plural="jaxjobs",
    singular="jaxjob",
    replica_specs_field="jaxReplicaSpecs",
    replica_types=("Worker",),
    default_container_name="jax",
    default_port_name="jaxjob-port",
    default_port=6666,
    default_restart_policy="Never",
    framework_name="jax",
    operator_name="jaxjob-controller",
    worker_zero_is_master=True,
)
PADDLEJOB = TrainingKind(
    kind="PaddleJob",
    plural="paddlejobs",
    singular="paddlejob",
    replica_specs_field="paddleReplicaSpecs",
    replica_types=("Master", "Worker"),
    default_container_name="paddle",
    default_port_name="master",
    default_port=36543,
    default_restart_policy="OnFailure",
    framework_name="paddle",
    operator_name="paddlejob-controller",
    master_types=("Master",),
)

TRAINING_KINDS: Mapping[str, TrainingKind] = MappingProxyType(
    {k.kind: k for k in (TFJOB, PYTORCHJOB, MPIJOB, XGBOOSTJOB, JAXJOB, PADDLEJOB)}
)
"""Every training-job kind by its `kind` name, in the order discovery lists them."""


def is_master_role(
    contract: TrainingKind, rtype: str, index: int, present_types: Iterable[str]
) -> bool:
    """Whether replica `index` of type `rtype` is labelled `job-role: master`.

    Upstream's `IsMasterRole`: any replica of a master type (Chief/Master for TFJob,
    Master, Launcher); when the job has none of those and the kind falls back to a
    worker (`worker_zero_is_master`: TFJob, JAXJob), worker 0.
    """
    if rtype in contract.master_types:
        return True
    if contract.worker_zero_is_master and not set(contract.master_types) & set(present_types):
        return rtype == "Worker" and index == 0
    return False
