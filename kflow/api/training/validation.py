"""Upstream validation of the training-job kinds, as causes with field paths.

The operator's webhooks reject a job whose replica specs are missing, name an
unknown replica type, lack containers, an image or the kind's default-named
container, or break a kind's rule (PyTorchJob, XGBoostJob and MPIJob launcher
replicas must be 1; a TFJob has at most one Chief or Master; MPIJob needs a
Launcher and XGBoostJob a Master). kflow reports every problem at once, each under
its field (`spec.pytorchReplicaSpecs.Master.replicas: Invalid value: 2: must be 1`),
and checks the pod templates with the same PodSpec rules pods get.
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.core import validate_pod_spec
from kflow.api.errors import Cause
from kflow.api.kinds import Obj, Validator
from kflow.api.models.causes import check_dns1035_label
from kflow.api.training.contracts import PYTORCHJOB, TFJOB, TrainingKind


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def validate_job(contract: TrainingKind, obj: Obj) -> list[Cause]:
    """What is wrong with a (defaulted) `contract.kind` object."""
    causes: list[Cause] = []
    name = m.name_of(obj)
    if name and not m.check_name(name):
        causes += check_dns1035_label(name, "metadata.name")
    spec = _dict(obj.get("spec"))
    field = f"spec.{contract.replica_specs_field}"
    specs = spec.get(contract.replica_specs_field)
    if not isinstance(specs, dict) or not specs:
        if specs is None or specs == {}:
            causes.append(Cause(field, "Required value", "FieldValueRequired"))
        return causes + _run_policy_causes(spec)

    for rtype, replica in specs.items():
        at = f"{field}.{rtype}"
        if rtype not in contract.replica_types:
            causes.append(
                Cause(
                    at,
                    f'Unsupported value: "{rtype}": supported values: '
                    + _quoted(contract.replica_types),
                    "FieldValueNotSupported",
                )
            )
            continue
        if not isinstance(replica, dict):
            continue  # the typed model reports the wrong type
        causes += _replica_causes(contract, str(rtype), replica, at)

    for rtype in contract.required_types:
        if rtype not in specs:
            causes.append(
                Cause(
                    f"{field}.{rtype}",
                    f"Required value: {contract.kind} must have a {rtype} replica",
                    "FieldValueRequired",
                )
            )
    if contract is TFJOB and sum(1 for t in ("Chief", "Master") if t in specs) > 1:
        causes.append(
            Cause(
                field,
                "Forbidden: must not have more than 1 Chief or Master role",
                "FieldValueForbidden",
            )
        )
    if contract is PYTORCHJOB:
        elastic = _dict(spec.get("elasticPolicy"))
        if spec.get("nprocPerNode") is not None and elastic.get("nProcPerNode") is not None:
            causes.append(
                Cause(
                    "spec.elasticPolicy.nProcPerNode",
                    "Forbidden: is deprecated and must not be set with spec.nprocPerNode",
                    "FieldValueForbidden",
                )
            )
        low, high = elastic.get("minReplicas"), elastic.get("maxReplicas")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            causes.append(
                Cause(
                    "spec.elasticPolicy.minReplicas",
                    f"Invalid value: {low}: must be less than or equal to maxReplicas ({high})",
                )
            )
    return causes + _run_policy_causes(spec)


def _replica_causes(contract: TrainingKind, rtype: str, replica: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    replicas = replica.get("replicas")
    if isinstance(replicas, int) and not isinstance(replicas, bool):
        if replicas < 0:
            causes.append(
                Cause(
                    f"{at}.replicas",
                    f"Invalid value: {replicas}: must be greater than or equal to 0",
                )
            )
        elif rtype in contract.single_replica_types and replicas != 1:
            causes.append(Cause(f"{at}.replicas", f"Invalid value: {replicas}: must be 1"))
    pod_spec = _dict(replica.get("template")).get("spec")
    if not isinstance(pod_spec, dict):
        causes.append(
            Cause(f"{at}.template.spec.containers", "Required value", "FieldValueRequired")
        )
        return causes
    causes += validate_pod_spec(pod_spec, f"{at}.template.spec")
    containers = [_dict(c) for c in pod_spec.get("containers") or [] if isinstance(c, dict)]
    if (
        contract.requires_default_container
        and containers
        and not any(c.get("name") == contract.default_container_name for c in containers)
    ):
        causes.append(
            Cause(
                f"{at}.template.spec.containers",
                f'Required value: must have a container named "{contract.default_container_name}"'
                f" (the {contract.kind} default container)",
                "FieldValueRequired",
            )
        )
    return causes


def _run_policy_causes(spec: Obj) -> list[Cause]:
    causes: list[Cause] = []
    policy = _dict(spec.get("runPolicy"))
    for key in ("ttlSecondsAfterFinished", "activeDeadlineSeconds", "backoffLimit"):
        value = policy.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            causes.append(
                Cause(
                    f"spec.runPolicy.{key}",
                    f"Invalid value: {value}: must be greater than or equal to 0",
                )
            )
    minimum = _dict(policy.get("schedulingPolicy")).get("minAvailable")
    if isinstance(minimum, int) and not isinstance(minimum, bool) and minimum < 0:
        causes.append(
            Cause(
                "spec.runPolicy.schedulingPolicy.minAvailable",
                f"Invalid value: {minimum}: must be greater than or equal to 0",
            )
        )
    return causes


def validator(contract: TrainingKind) -> Validator:
    """The admission validator of one training kind."""

    def validate(obj: Obj, old: Obj | None) -> list[Cause]:
        return validate_job(contract, obj)

    validate.__name__ = f"validate_{contract.singular}"
    return validate
