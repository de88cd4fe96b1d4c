"""The `batch/v1` Job kind: Kubernetes' defaults, validation wording and columns.

The names the job controller, the docs and the tests share (labels, condition types
and reasons, event reasons, defaults) are the constants at the top: one table.

One difference from Kubernetes: the API server there generates the `controller-uid`
selector from the job's own uid, which kflow's store assigns only after admission;
kflow generates a fresh uid for the selector instead. Selection behaves the same (the
value is unique to the job); it just differs from `metadata.uid`.
"""

from __future__ import annotations

from kflow.api import meta as m
from kflow.api.core._common import as_dict, as_list
from kflow.api.core.pod_spec import default_pod_spec, validate_pod_spec
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj
from kflow.api.models import batch as models
from kflow.api.models.base import model_schema
from kflow.api.models.causes import model_causes
from kflow.api.tables import age_column, human_duration, name_column

GROUP, VERSION = "batch", "v1"
API_VERSION = f"{GROUP}/{VERSION}"

DEFAULT_COMPLETIONS = 1
DEFAULT_PARALLELISM = 1
DEFAULT_BACKOFF_LIMIT = 6
JOB_RESTART_POLICIES = ("OnFailure", "Never")

CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
LEGACY_CONTROLLER_UID_LABEL = "controller-uid"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
LEGACY_JOB_NAME_LABEL = "job-name"
COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"

CONDITION_COMPLETE = "Complete"
CONDITION_FAILED = "Failed"
CONDITION_SUSPENDED = "Suspended"
REASON_COMPLETIONS_REACHED = "CompletionsReached"
REASON_BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"
REASON_DEADLINE_EXCEEDED = "DeadlineExceeded"
REASON_JOB_SUSPENDED = "JobSuspended"
REASON_JOB_RESUMED = "JobResumed"
MESSAGE_BACKOFF_LIMIT_EXCEEDED = "Job has reached the specified backoff limit"
MESSAGE_DEADLINE_EXCEEDED = "Job was active longer than specified deadline"
MESSAGE_COMPLETIONS_REACHED = "Reached expected number of succeeded pods"
MESSAGE_SUSPENDED = "Job suspended"
MESSAGE_RESUMED = "Job resumed"

_IMMUTABLE = ("selector", "template", "completionMode")


def _default_job(obj: Obj) -> None:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = DEFAULT_COMPLETIONS
    spec.setdefault("parallelism", DEFAULT_PARALLELISM)
    spec.setdefault("backoffLimit", DEFAULT_BACKOFF_LIMIT)
    spec.setdefault("completionMode", models.CompletionMode.NON_INDEXED.value)
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    template = spec.setdefault("template", {})
    if not isinstance(template, dict):
        return
    pod_spec = template.setdefault("spec", {})
    if isinstance(pod_spec, dict):
        default_pod_spec(pod_spec)
    if spec.get("manualSelector") is True or spec.get("selector"):
        return
    # what Kubernetes' generateSelector writes (see the module note on the uid)
    uid = m.new_uid()
    labels = as_dict(template.setdefault("metadata", {})).setdefault("labels", {})
    if isinstance(labels, dict):
        labels.update(
            {
                LEGACY_CONTROLLER_UID_LABEL: uid,
                CONTROLLER_UID_LABEL: uid,
                LEGACY_JOB_NAME_LABEL: m.name_of(obj),
                JOB_NAME_LABEL: m.name_of(obj),
            }
        )
    spec["selector"] = {"matchLabels": {CONTROLLER_UID_LABEL: uid}}


def _non_negative(spec: Obj, field: str) -> list[Cause]:
    value = spec.get(field)
    if isinstance(value, int) and value < 0:
        return [
            Cause(f"spec.{field}", f"Invalid value: {value}: must be greater than or equal to 0")
        ]
    return []


def _validate_job(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = model_causes(models.Job, obj)
    name = m.name_of(obj)
    if name:
        causes += m.check_name(name)
    spec = as_dict(obj.get("spec"))
    for field in ("completions", "parallelism", "backoffLimit"):
        causes += _non_negative(spec, field)
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and deadline <= 0:
        causes.append(
            Cause(
                "spec.activeDeadlineSeconds",
                f"Invalid value: {deadline}: must be greater than 0",
            )
        )
    if spec.get("completionMode") == "Indexed" and spec.get("completions") is None:
        causes.append(
            Cause(
                "spec.completions",
                "Required value: when completion mode is Indexed",
                "FieldValueRequired",
            )
        )
    template = as_dict(spec.get("template"))
    pod_spec = template.get("spec")
    if isinstance(pod_spec, dict):
        causes += validate_pod_spec(pod_spec, "spec.template.spec")
        policy = pod_spec.get("restartPolicy")
        if policy not in JOB_RESTART_POLICIES:
            causes.append(
                Cause(
                    "spec.template.spec.restartPolicy",
                    f'Unsupported value: "{policy}": supported values: "OnFailure", "Never"',
                    "FieldValueNotSupported",
                )
            )
    selector = as_dict(spec.get("selector"))
    if not selector:
        causes.append(Cause("spec.selector", "Required value", "FieldValueRequired"))
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    wanted = as_dict(selector.get("matchLabels"))
    if selector and any(labels.get(k) != v for k, v in wanted.items()):
        causes.append(
            Cause(
                "spec.template.metadata.labels",
                f"Invalid value: {labels}: `selector` does not match template `labels`",
            )
        )
    if old is not None:
        before = as_dict(old.get("spec"))
        for field in _IMMUTABLE:
            if field in spec and spec.get(field) != before.get(field):
                causes.append(Cause(f"spec.{field}", "Invalid value: field is immutable"))
    return causes


def job_status(job: Obj) -> str:
    """The STATUS column of `kubectl get jobs` (Kubernetes 1.30)."""
    status = as_dict(job.get("status"))
    for condition in as_list(status.get("conditions")):
        condition = as_dict(condition)
        if condition.get("status") != "True":
            continue
        if condition.get("type") in (CONDITION_COMPLETE, CONDITION_FAILED):
            return str(condition["type"])
        if condition.get("type") == CONDITION_SUSPENDED:
            return "Suspended"
        if condition.get("type") == "FailureTarget":
            return "FailureTarget"
    return "Running"


def _completions(job: Obj) -> str:
    spec, status = as_dict(job.get("spec")), as_dict(job.get("status"))
    succeeded = int(status.get("succeeded") or 0)
    completions = spec.get("completions")
    if completions is not None:
        return f"{succeeded}/{completions}"
    parallelism = int(spec.get("parallelism") or 0)
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _duration(job: Obj) -> str:
    status = as_dict(job.get("status"))
    start = status.get("startTime")
    if not isinstance(start, str):
        return ""
    end = status.get("completionTime")
    finish = m.parse_timestamp(end) if isinstance(end, str) else m.now()
    return human_duration(int((finish - m.parse_timestamp(start)).total_seconds()))


def _containers(job: Obj, field: str) -> str:
    pod_spec = as_dict(as_dict(as_dict(job.get("spec")).get("template")).get("spec"))
    return ",".join(str(as_dict(c).get(field) or "") for c in as_list(pod_spec.get("containers")))


def _selector(job: Obj) -> str:
    selector = as_dict(as_dict(job.get("spec")).get("selector"))
    labels = as_dict(selector.get("matchLabels"))
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>"


JOB_COLUMNS = (
    name_column(),
    Column("STATUS", job_status, description="Status of the job."),
    Column(
        "COMPLETIONS",
        _completions,
        description="The number of pods which reached phase Succeeded.",
    ),
    Column("DURATION", _duration, description="Time required to complete the job."),
    age_column(),
    Column(
        "CONTAINERS",
        lambda j: _containers(j, "name"),
        priority=1,
        description="Names of each container in the template.",
    ),
    Column(
        "IMAGES",
        lambda j: _containers(j, "image"),
        priority=1,
        description="Images referenced by each container in the template.",
    ),
    Column("SELECTOR", _selector, priority=1, description="A label query over pods."),
)


def job_kind() -> KindInfo:
    """`jobs.batch`, served at `/apis/batch/v1`."""
    return KindInfo(
        group=GROUP,
        version=VERSION,
        kind="Job",
        plural="jobs",
        categories=("all",),
        schema=model_schema(models.Job),
        defaulters=(_default_job,),
        validators=(_validate_job,),
        columns=JOB_COLUMNS,
    )
