"""The training-job kinds as `KindInfo`s, and their registration into a kind registry.

Each kind is served at `kubeflow.org/v1` with the status subresource, its typed
schema, the upstream defaulter and validator, the converters of the old versions it
still accepts, and the columns the operator's CRDs print (`NAME`, `STATE` = the type
of the last condition, `AGE`).
"""

from __future__ import annotations

from kflow.api.kinds import Column, KindInfo, Obj, Registry, registry
from kflow.api.models.base import model_schema
from kflow.api.models.causes import typed_validator
from kflow.api.tables import age_column, name_column
from kflow.api.training.contracts import GROUP, TRAINING_KINDS, VERSION, TrainingKind
from kflow.api.training.conversion import CONVERTERS
from kflow.api.training.defaults import defaulter
from kflow.api.training.models import JOB_MODELS
from kflow.api.training.validation import validator


def job_state(obj: Obj) -> str:
    """The type of the job's last condition (the CRDs' `.status.conditions[-1:].type`)."""
    status = obj.get("status")
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if isinstance(conditions, list) and conditions and isinstance(conditions[-1], dict):
        return str(conditions[-1].get("type") or "")
    return ""


TRAINING_COLUMNS = (
    name_column(),
    Column("STATE", job_state, description="The type of the job's last condition."),
    age_column(),
)


def training_kind(contract: TrainingKind) -> KindInfo:
    """The `KindInfo` of one training kind."""
    model = JOB_MODELS[contract.kind]
    return KindInfo(
        group=GROUP,
        version=VERSION,
        kind=contract.kind,
        plural=contract.plural,
        short_names=contract.short_names,
        schema=model_schema(model),
        defaulters=(defaulter(contract),),
        validators=(typed_validator(model), validator(contract)),
        converters=dict(CONVERTERS.get(contract.kind, {})),
        columns=TRAINING_COLUMNS,
    )


def training_kinds() -> list[KindInfo]:
    """Every training kind kflow serves, in the order of `TRAINING_KINDS`."""
    return [training_kind(contract) for contract in TRAINING_KINDS.values()]


def register_training_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register the training kinds into `target` (the process registry by default); idempotent."""
    into = registry if target is None else target
    return [into.register(info) for info in training_kinds()]
