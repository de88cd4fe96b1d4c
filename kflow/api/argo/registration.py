"""Argo's kinds as `KindInfo`s, and their registration into a kind registry.

Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow at
`argoproj.io/v1alpha1` with Argo's short names (`wf`, `wftmpl`, `cwft`, `cwf`), the
status subresource, typed schemas and Argo's validation. A Workflow prints what
`argo list` prints — NAME, STATUS, AGE, DURATION, PRIORITY, MESSAGE, and with
`-o wide` P/R/C (pods pending/running/completed) and PARAMETERS — so `kubectl get wf`
and `kflow get workflows` read like `argo list`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from kflow.api import meta as m
from kflow.api.argo import contracts as c
from kflow.api.argo.models_workflow import CronWorkflow, Workflow, WorkflowTemplate
from kflow.api.argo.schedule import ScheduleError, next_after
from kflow.api.argo.validation import (
    validate_cron_workflow,
    validate_workflow,
    validate_workflow_template,
)
from kflow.api.kinds import Column, KindInfo, Obj, Registry, registry
from kflow.api.models.base import model_schema
from kflow.api.models.causes import typed_validator
from kflow.api.tables import age_column, human_age, human_duration, name_column


def _status(obj: Obj) -> Obj:
    status = obj.get("status")
    return status if isinstance(status, dict) else {}


def _nodes(obj: Obj) -> list[Obj]:
    nodes = _status(obj).get("nodes")
    return [n for n in nodes.values() if isinstance(n, dict)] if isinstance(nodes, dict) else []


def is_suspended(obj: Obj) -> bool:
    """Suspended as a whole (`spec.suspend`) or at a suspend node that still waits."""
    if (obj.get("spec") or {}).get("suspend"):
        return True
    return any(
        n.get("type") == c.NodeType.SUSPEND.value and n.get("phase") == c.NodePhase.RUNNING.value
        for n in _nodes(obj)
    )


def workflow_status(obj: Obj) -> str:
    """What `argo list` prints as STATUS: the phase, with `(Suspended)`/`(Terminated)`."""
    phase = str(_status(obj).get("phase") or "")
    if phase == c.NodePhase.RUNNING.value and is_suspended(obj):
        return "Running (Suspended)"
    if phase == c.NodePhase.FAILED.value and (obj.get("spec") or {}).get("shutdown"):
        return "Failed (Terminated)"
    return phase or c.NodePhase.PENDING.value


def workflow_duration(obj: Obj, now: dt.datetime | None = None) -> str:
    """Time from `startedAt` to `finishedAt` (or to now, while it runs)."""
    status = _status(obj)
    started = status.get("startedAt")
    if not started:
        return "0s"
    finished = status.get("finishedAt")
    end = m.parse_timestamp(str(finished)) if finished else (now or m.now())
    return human_duration(int((end - m.parse_timestamp(str(started))).total_seconds()))


def pods_pending_running_completed(obj: Obj) -> str:
    """`argo list -o wide`'s P/R/C: Pod nodes pending, running and completed."""
    pods = [n for n in _nodes(obj) if n.get("type") == c.NodeType.POD.value]
    done = {p.value for p in c.FULFILLED}
    completed = sum(1 for n in pods if n.get("phase") in done)
    running = sum(1 for n in pods if n.get("phase") == c.NodePhase.RUNNING.value)
    return f"{len(pods) - completed - running}/{running}/{completed}"


def workflow_parameters(obj: Obj) -> str:
    """`name=value` of the workflow's arguments, as `argo list -o wide` shows them."""
    params = ((obj.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    return ",".join(
        f"{p.get('name')}={p.get('value')}"
        for p in params
        if isinstance(p, dict) and p.get("value") is not None
    )


def _priority(obj: Obj) -> int:
    value = (obj.get("spec") or {}).get("priority")
    return value if isinstance(value, int) else 0


WORKFLOW_COLUMNS = (
    name_column(),
    Column("STATUS", workflow_status, description="Status of the workflow."),
    age_column(),
    Column("DURATION", workflow_duration, description="How long it has run."),
    Column("PRIORITY", _priority, "integer", "The workflow's priority."),
    Column("MESSAGE", lambda o: str(_status(o).get("message") or ""), description="Why."),
    Column("P/R/C", pods_pending_running_completed, description="Pods.", priority=1),
    Column("PARAMETERS", workflow_parameters, description="Arguments.", priority=1),
)
"""`kubectl get workflows`: `argo list`'s columns."""


def _cron_last_run(obj: Obj) -> str:
    last = _status(obj).get("lastScheduledTime")
    return human_age(str(last)) if last else "N/A"


def _cron_schedule(obj: Obj) -> str:
    spec = obj.get("spec") or {}
    schedules = spec.get("schedules") or ([spec["schedule"]] if spec.get("schedule") else [])
    return ",".join(str(s) for s in schedules)


def _cron_next_run(obj: Obj) -> str:
    spec = obj.get("spec") or {}
    if spec.get("suspend"):
        return "N/A"
    try:
        when = next_after(spec, m.now())
    except ScheduleError:
        return "N/A"
    if when is None:
        return "N/A"
    return human_duration(int((when - m.now()).total_seconds()))


CRON_COLUMNS = (
    name_column(),
    age_column(),
    Column("LAST RUN", _cron_last_run, description="Since the last scheduled run."),
    Column("NEXT RUN", _cron_next_run, description="Until the next scheduled run."),
    Column("SCHEDULE", _cron_schedule, description="The cron schedule(s)."),
    Column(
        "TIMEZONE",
        lambda o: str((o.get("spec") or {}).get("timezone") or ""),
        description="Time zone.",
    ),
    Column(
        "SUSPENDED",
        lambda o: bool((o.get("spec") or {}).get("suspend")),
        "boolean",
        "Whether it starts no runs.",
    ),
)
"""`kubectl get cronworkflows`: `argo cron list`'s columns (NAME AGE LAST RUN NEXT RUN
SCHEDULE TIMEZONE SUSPENDED)."""


def argo_kinds() -> list[KindInfo]:
    """Workflow, WorkflowTemplate, ClusterWorkflowTemplate and CronWorkflow."""
    template = KindInfo(
        group=c.GROUP,
        version=c.VERSION,
        kind="WorkflowTemplate",
        plural="workflowtemplates",
        short_names=("wftmpl",),
        has_status=False,
        subresources=(),
        schema=model_schema(WorkflowTemplate),
        validators=(typed_validator(WorkflowTemplate), validate_workflow_template),
    )
    return [
        KindInfo(
            group=c.GROUP,
            version=c.VERSION,
            kind="Workflow",
            plural="workflows",
            short_names=("wf",),
            schema=model_schema(Workflow),
            validators=(typed_validator(Workflow), validate_workflow),
            columns=WORKFLOW_COLUMNS,
        ),
        template,
        # Argo's cluster-scoped template: the same spec and rules, visible to every namespace
        dataclasses.replace(
            template,
            kind="ClusterWorkflowTemplate",
            plural="clusterworkflowtemplates",
            namespaced=False,
            short_names=("clusterwftmpl", "cwft"),
        ),
        KindInfo(
            group=c.GROUP,
            version=c.VERSION,
            kind="CronWorkflow",
            plural="cronworkflows",
            short_names=("cwf", "cronwf"),
            schema=model_schema(CronWorkflow),
            validators=(typed_validator(CronWorkflow), validate_cron_workflow),
            columns=CRON_COLUMNS,
        ),
    ]


def register_argo_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register Argo's kinds into `target` (the process registry by default); idempotent."""
    into = registry if target is None else target
    return [into.register(info) for info in argo_kinds()]
