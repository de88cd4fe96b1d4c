"""The Kubeflow training-job kinds (`kubeflow.org/v1`): TFJob, PyTorchJob, MPIJob, ...

`contracts` holds each kind's upstream names (replica types, default container,
port, restartPolicy, labels, condition reasons) as one table, `TRAINING_KINDS`, that
the API, the training controllers, the docs and the tests read. `models`,
`defaults`, `validation` and `conversion` are the kinds' schema and admission hooks;
`registration` ties them into `KindInfo`s. Importing this package registers the
kinds; `register_training_kinds()` does it again harmlessly.
"""

from __future__ import annotations

from kflow.api.training.contracts import (
    API_VERSION,
    GROUP,
    JOB_NAME_LABEL,
    JOB_ROLE_LABEL,
    JOB_ROLE_MASTER,
    OPERATOR_NAME_LABEL,
    REPLICA_INDEX_LABEL,
    REPLICA_TYPE_LABEL,
    TRAINING_KINDS,
    VERSION,
    TrainingKind,
    is_master_role,
    reason,
)
from kflow.api.training.conversion import (
    ANNOTATION_PYTORCH_BACKEND,
    ANNOTATION_TERMINATION_CHIEF,
)
from kflow.api.training.defaults import default_job
from kflow.api.training.registration import (
    TRAINING_COLUMNS,
    job_state,
    register_training_kinds,
    training_kinds,
)
from kflow.api.training.validation import validate_job

__all__ = [
    "ANNOTATION_PYTORCH_BACKEND",
    "ANNOTATION_TERMINATION_CHIEF",
    "API_VERSION",
    "GROUP",
    "JOB_NAME_LABEL",
    "JOB_ROLE_LABEL",
    "JOB_ROLE_MASTER",
    "OPERATOR_NAME_LABEL",
    "REPLICA_INDEX_LABEL",
    "REPLICA_TYPE_LABEL",
    "TRAINING_COLUMNS",
    "TRAINING_KINDS",
    "VERSION",
    "TrainingKind",
    "default_job",
    "is_master_role",
    "job_state",
    "reason",
    "register_training_kinds",
    "training_kinds",
    "validate_job",
]

register_training_kinds()
