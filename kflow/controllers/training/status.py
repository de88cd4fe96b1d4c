"""Job conditions and replica counts, with upstream's rules for how they change.

A training job's `status` is what the Kubeflow SDKs wait on, so it follows
`kubeflow/training-operator` exactly: `conditions` of type Created, Running,
Restarting, Succeeded, Failed and Suspended with `<Kind><Reason>` reasons, where
Running and Restarting replace each other and Succeeded/Failed turn Running False;
`replicaStatuses` per replica type (active = running pods) with the label selector
of that type's pods; `startTime`, `completionTime`, `lastReconcileTime`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from kflow.api import meta as m
from kflow.api.training import contracts as c

Obj = dict[str, Any]


@dataclasses.dataclass
class Counts:
    """Pods of one replica type by phase, as upstream's `updateJobReplicaStatuses`."""

    active: int = 0  # Running, not being deleted
    succeeded: int = 0
    failed: int = 0  # Failed, not being deleted (a pod being recreated does not count)


def conditions(status: Obj) -> list[Obj]:
    return list(status.get("conditions") or [])


def has(status: Obj, type_: str) -> bool:
    return any(
        cond.get("type") == type_ and cond.get("status") == "True" for cond in conditions(status)
    )


def finished(status: Obj) -> bool:
    return has(status, c.CONDITION_SUCCEEDED) or has(status, c.CONDITION_FAILED)


def set_condition(status: Obj, type_: str, reason: str, message: str, value: str = "True") -> bool:
    """Upstream's `UpdateJobConditions`; says whether anything changed.

    An unchanged (status, reason) keeps the condition as it is. Running and
    Restarting replace each other; Succeeded or Failed turn Running False.
    """
    current = next((cond for cond in conditions(status) if cond.get("type") == type_), None)
    if current and current.get("status") == value and current.get("reason") == reason:
        return False
    now = m.timestamp()
    new = {
        "type": type_,
        "status": value,
        "reason": reason,
        "message": message,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
    }
    if current and current.get("status") == value:
        new["lastTransitionTime"] = current.get("lastTransitionTime", now)
    kept: list[Obj] = []
    for cond in conditions(status):
        kind = cond.get("type")
        if kind == type_:
            continue
        if {type_, kind} == {c.CONDITION_RUNNING, c.CONDITION_RESTARTING}:
            continue
        ends = type_ in (c.CONDITION_SUCCEEDED, c.CONDITION_FAILED)
        if ends and kind == c.CONDITION_RUNNING and cond.get("status") != "False":
            cond = {**cond, "status": "False", "lastTransitionTime": now}
        kept.append(cond)
    kept.append(new)
    status["conditions"] = kept
    return True


def selector_labels(contract: c.TrainingKind, job_name: str, rtype: str) -> dict[str, str]:
    """The labels every pod of replica type `rtype` of the job carries."""
    return {
        c.OPERATOR_NAME_LABEL: contract.operator_name,
        c.JOB_NAME_LABEL: job_name,
        c.REPLICA_TYPE_LABEL: rtype.lower(),
    }


def replica_status(contract: c.TrainingKind, job_name: str, rtype: str, counts: Counts) -> Obj:
    labels = selector_labels(contract, job_name, rtype)
    entry: Obj = {
        "labelSelector": {"matchLabels": labels},
        "selector": ",".join(f"{k}={v}" for k, v in sorted(labels.items())),
    }
    # upstream omits zero counts (`omitempty`)
    for field in ("active", "succeeded", "failed"):
        value = getattr(counts, field)
        if value:
            entry[field] = value
    return entry
