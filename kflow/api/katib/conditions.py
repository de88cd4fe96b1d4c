"""Katib's condition types, reasons and messages, and how a condition is set.

One table for the experiment, suggestion and trial controllers, the SDK and the docs.
The setter follows Katib's `setCondition`/`Mark...Status...` helpers: a finishing
condition (Succeeded, Failed, EarlyStopped, MetricsUnavailable, Killed) turns Running
False; Running and Restarting replace each other.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kflow.api import meta as m

Obj = dict[str, Any]

CREATED, RUNNING, RESTARTING = "Created", "Running", "Restarting"
SUCCEEDED, FAILED = "Succeeded", "Failed"
KILLED, EARLY_STOPPED, METRICS_UNAVAILABLE = "Killed", "EarlyStopped", "MetricsUnavailable"
FINISHING = (SUCCEEDED, FAILED, KILLED, EARLY_STOPPED, METRICS_UNAVAILABLE)


class Reason(NamedTuple):
    type: str
    reason: str
    message: str


EXPERIMENT_CREATED = Reason(CREATED, "ExperimentCreated", "Experiment is created")
EXPERIMENT_RUNNING = Reason(RUNNING, "ExperimentRunning", "Experiment is running")
EXPERIMENT_RESTARTING = Reason(RESTARTING, "ExperimentRestarting", "Experiment is restarting")
EXPERIMENT_GOAL_REACHED = Reason(
    SUCCEEDED,
    "ExperimentGoalReached",
    "Experiment has succeeded because Objective goal has reached",
)
EXPERIMENT_MAX_TRIALS_REACHED = Reason(
    SUCCEEDED,
    "ExperimentMaxTrialsReached",
    "Experiment has succeeded because max trial count has reached",
)
EXPERIMENT_SUGGESTION_END_REACHED = Reason(
    SUCCEEDED,
    "ExperimentSuggestionEndReached",
    "Experiment has succeeded because suggestion service has reached the end",
)
EXPERIMENT_FAILED = Reason(
    FAILED, "ExperimentFailed", "Experiment has failed because max failed count has reached"
)
EXPERIMENT_SUGGESTION_FAILED = Reason(FAILED, "ExperimentFailed", "Suggestion has failed")

SUGGESTION_CREATED = Reason(CREATED, "SuggestionCreated", "Suggestion is created")
SUGGESTION_RUNNING = Reason(RUNNING, "SuggestionRunning", "Suggestion is running")
SUGGESTION_EXHAUSTED = Reason(SUCCEEDED, "SuggestionExhausted", "Suggestion is exhausted")
SUGGESTION_SUCCEEDED = Reason(SUCCEEDED, "SuggestionSucceeded", "Suggestion is succeeded")
SUGGESTION_FAILED = Reason(FAILED, "SuggestionFailed", "Suggestion has failed")

TRIAL_CREATED = Reason(CREATED, "TrialCreated", "Trial is created")
TRIAL_RUNNING = Reason(RUNNING, "TrialRunning", "Trial is running")
TRIAL_SUCCEEDED = Reason(SUCCEEDED, "TrialSucceeded", "Trial has succeeded")
TRIAL_FAILED = Reason(FAILED, "TrialFailed", "Trial has failed")
TRIAL_METRICS_UNAVAILABLE = Reason(
    METRICS_UNAVAILABLE, "MetricsUnavailable", "Metrics are not available"
)
TRIAL_EARLY_STOPPED = Reason(EARLY_STOPPED, "TrialEarlyStopped", "Trial is early stopped")
TRIAL_KILLED = Reason(KILLED, "TrialKilled", "Trial is killed")


def conditions(obj: Obj) -> list[Obj]:
    return list((obj.get("status") or {}).get("conditions") or [])


def is_true(obj: Obj, type_: str) -> bool:
    return any(c.get("type") == type_ and c.get("status") == "True" for c in conditions(obj))


def reason_of(obj: Obj, type_: str) -> str:
    for cond in conditions(obj):
        if cond.get("type") == type_ and cond.get("status") == "True":
            return str(cond.get("reason") or "")
    return ""


def finished(obj: Obj) -> bool:
    """True once any finishing condition holds (Katib's `IsCompleted`)."""
    return any(is_true(obj, t) for t in FINISHING)


def set_condition(
    status: Obj, what: Reason, *, message: str | None = None, value: str = "True"
) -> bool:
    """Write `what` into `status["conditions"]`; say whether anything changed."""
    text = message if message is not None else what.message
    now = m.timestamp()
    kept: list[Obj] = []
    transition = now
    for cond in status.get("conditions") or []:
        kind = cond.get("type")
        if kind == what.type:
            if (cond.get("status"), cond.get("reason"), cond.get("message")) == (
                value,
                what.reason,
                text,
            ):
                return False
            if cond.get("status") == value:
                transition = cond.get("lastTransitionTime", now)
            continue
        replaces = {what.type, kind} == {RUNNING, RESTARTING} and value == "True"
        if replaces:
            continue
        ends = what.type in FINISHING and value == "True"
        if ends and kind == RUNNING and cond.get("status") == "True":
            cond = {**cond, "status": "False", "lastUpdateTime": now, "lastTransitionTime": now}
        if what.type in (RUNNING, RESTARTING) and kind in FINISHING and value == "True":
            cond = {**cond, "status": "False", "lastUpdateTime": now, "lastTransitionTime": now}
        kept.append(cond)
    kept.append(
        {
            "type": what.type,
            "status": value,
            "reason": what.reason,
            "message": text,
            "lastUpdateTime": now,
            "lastTransitionTime": transition,
        }
    )
    status["conditions"] = kept
    return True
