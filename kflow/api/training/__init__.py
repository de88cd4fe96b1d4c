"""The Kubeflow training-job kinds (`kubeflow.org/v1`): TFJob, PyTorchJob, MPIJob, ...

`contracts` holds each kind's upstream names (replica types, default container,
port, restartPolicy, labels, condition reasons) as one table, `TRAINING_KINDS`.
"""

from __future__ import annotations

from kflow.api.training.contracts import TRAINING_KINDS, TrainingKind

__all__ = ["TRAINING_KINDS", "TrainingKind"]
