"""The Experiment controller: Katib's experiment loop over Suggestions and Trials.

Each reconcile reads the experiment, its Suggestion and its Trials, and:
- creates a Trial for every assignment in the Suggestion's status that has none
  (trial names come from the Suggestion, so this is idempotent after a crash);
- asks the Suggestion for more (`spec.requests`) while fewer than
  `parallelTrialCount` trials are active and `maxTrialCount` is not used up;
- writes Katib's status: counts and lists of trials by state,
  `currentOptimalTrial` (by the objective's metric strategy), and the conditions
  Created / Running / Restarting / Succeeded (goal, max trials, suggestion end) /
  Failed (max failed trials, or the Suggestion failed);
- when the experiment ends, kills its still-active trials; and when a user raises
  `maxTrialCount` of an experiment that ended by reaching it (resumePolicy
  LongRunning or FromVolume), restarts it with the search state intact.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.errors import AlreadyExists, Conflict, Invalid, NotFound
from kflow.api.katib import conditions as cond
from kflow.api.katib.registration import metric_value
from kflow.controllers.events import EventRecorder
from kflow.controllers.katib.records import objective_value, parameters_of, state_of
from kflow.controllers.katib.suggestions import SUGGESTIONS, TRIALS, trials_of
from kflow.controllers.katib.templates import (
    TemplateError,
    pbt_checkpoint_dir,
    pbt_claim_name,
    template_source,
    trial_for,
)
from kflow.controllers.manager import Controller, Result, WatchSpec, owner_keys
from kflow.store.interface import Store
from kflow.tuning.history import TrialState

Obj = dict[str, Any]
log = logging.getLogger(__name__)

EXPERIMENTS = "experiments.kubeflow.org"
COMPONENT = "experiment-controller"

_LISTS = {
    "pending": "pendingTrialList",
    "running": "runningTrialList",
    "succeeded": "succeededTrialList",
    "failed": "failedTrialList",
    "killed": "killedTrialList",
    "earlyStopped": "earlyStoppedTrialList",
    "metricsUnavailable": "metricsUnavailableTrialList",
}
_COUNTS = {
    "pending": "trialsPending",
    "running": "trialsRunning",
    "succeeded": "trialsSucceeded",
    "failed": "trialsFailed",
    "killed": "trialsKilled",
    "earlyStopped": "trialsEarlyStopped",
    "metricsUnavailable": "trialMetricsUnavailable",
}
ACTIVE = ("pending", "running")


def bucket_of(trial: Obj) -> str:
    """Which of Katib's trial lists a trial belongs to."""
    if cond.is_true(trial, cond.KILLED):
        return "killed"
    state = state_of(trial)
    if state is TrialState.SUCCEEDED:
        return "succeeded"
    if state is TrialState.EARLY_STOPPED:
        return "earlyStopped"
    if state is TrialState.METRICS_UNAVAILABLE:
        return "metricsUnavailable"
    if state is TrialState.FAILED:
        return "failed"
    return "running" if cond.is_true(trial, cond.RUNNING) else "pending"


def _better(objective: Obj, value: float, than: float | None) -> bool:
    if than is None:
        return True
    return value > than if objective.get("type") == "maximize" else value < than


def optimal_trial(trials: list[Obj], objective: Obj) -> tuple[Obj | None, float | None]:
    """The best finished trial by the objective metric, and its value."""
    best: Obj | None = None
    best_value: float | None = None
    for trial in trials:
        if bucket_of(trial) not in ("succeeded", "earlyStopped"):
            continue
        value = objective_value(trial, objective)
        if value is not None and _better(objective, value, best_value):
            best, best_value = trial, value
    return best, best_value


def goal_reached(objective: Obj, best: float | None) -> bool:
    goal = objective.get("goal")
    if goal is None or best is None:
        return False
    return best >= float(goal) if objective.get("type") == "maximize" else best <= float(goal)


class ExperimentController(Controller):
    """Reconciles Experiments into a Suggestion and Trials, and writes their status."""

    name = COMPONENT
    workers = 2

    def __init__(self, store: Store, recorder: EventRecorder | None = None) -> None:
        self.store = store
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)

    def watches(self) -> list[WatchSpec]:
        return [
            WatchSpec(EXPERIMENTS),
            WatchSpec(SUGGESTIONS, owner_keys("Experiment")),
            WatchSpec(TRIALS, owner_keys("Experiment")),
        ]

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            experiment = self.store.get(EXPERIMENTS, namespace, name)
        except NotFound:
            return Result()
        if m.meta(experiment).get("deletionTimestamp"):
            return Result()
        spec = experiment.get("spec") or {}
        status = m.clone(experiment.get("status") or {})
        if not status.get("startTime"):
            status["startTime"] = m.timestamp()
            cond.set_condition(status, cond.EXPERIMENT_CREATED)
            self.recorder.record(experiment, "Normal", "ExperimentCreated", "Experiment is created")
        suggestion = self._suggestion(experiment)
        trials = trials_of(self.store, experiment)
        restarted = cond.finished(experiment) and self._restarting(experiment, status, trials)
        if cond.finished(experiment) and not restarted:
            self._kill_active(trials)
            self._summarize(experiment, status, trials)
            return self._write(experiment, status)

        made = list((suggestion.get("status") or {}).get("suggestions") or [])
        trials += self._create_trials(experiment, made, trials, status)
        counts = self._summarize(experiment, status, trials)
        best_value = self._best_value(status, spec)
        finished = self._judge(experiment, status, suggestion, counts, best_value)
        if finished:
            self._kill_active(trials)
            self._summarize(experiment, status, trials)
            return self._write(experiment, status)
        if not restarted:
            cond.set_condition(status, cond.EXPERIMENT_RUNNING)
        self._request_more(experiment, suggestion, made, counts)
        return self._write(experiment, status)

    # --- the Suggestion -------------------------------------------------------------

    def _suggestion(self, experiment: Obj) -> Obj:
        namespace, name = m.namespace_of(experiment), m.name_of(experiment)
        try:
            return self.store.get(SUGGESTIONS, namespace, name)
        except NotFound:
            pass
        spec = experiment.get("spec") or {}
        body: Obj = {
            "apiVersion": experiment.get("apiVersion"),
            "kind": "Suggestion",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": m.labels_of(experiment),
                "ownerReferences": [m.owner_reference(experiment)],
            },
            "spec": {
                "algorithm": m.clone(spec.get("algorithm") or {}),
                "requests": 0,
                "resumePolicy": spec.get("resumePolicy") or "Never",
            },
        }
        if spec.get("earlyStopping"):
            body["spec"]["earlyStopping"] = m.clone(spec["earlyStopping"])
        self._pbt_claim(experiment)
        try:
            return self.store.create(SUGGESTIONS, body)
        except AlreadyExists:
            return self.store.get(SUGGESTIONS, namespace, name)

    def _pbt_claim(self, experiment: Obj) -> None:
        """PBT keeps checkpoints on a claim of the experiment's (Katib's suggestion PVC)."""
        if pbt_checkpoint_dir(experiment) is None:
            return
        claim = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": pbt_claim_name(experiment),
                "namespace": m.namespace_of(experiment),
                "ownerReferences": [m.owner_reference(experiment)],
            },
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
        with contextlib.suppress(AlreadyExists):
            self.store.create("persistentvolumeclaims", claim)

    def _request_more(
        self, experiment: Obj, suggestion: Obj, made: list[Obj], counts: dict[str, int]
    ) -> None:
        if cond.finished(suggestion):
            return
        spec = experiment.get("spec") or {}
        parallel = int(spec.get("parallelTrialCount") or 3)
        active = counts["pending"] + counts["running"] + max(len(made) - counts["trials"], 0)
        room = parallel - active
        if spec.get("maxTrialCount") is not None:
            room = min(room, int(spec["maxTrialCount"]) - len(made))
        requests = len(made) + max(room, 0)
        current = int((suggestion.get("spec") or {}).get("requests") or 0)
        if requests <= current:
            return
        body = m.clone(suggestion)
        body["spec"]["requests"] = requests
        # on a conflict, the suggestion's own change brings us back here
        with contextlib.suppress(Conflict, NotFound):
            self.store.update(SUGGESTIONS, body)

    # --- Trials ---------------------------------------------------------------------

    def _create_trials(
        self, experiment: Obj, made: list[Obj], trials: list[Obj], status: Obj
    ) -> list[Obj]:
        have = {m.name_of(t) for t in trials}
        missing = [a for a in made if str(a.get("name")) not in have]
        if not missing:
            return []
        try:
            source = template_source(self.store, experiment)
        except TemplateError as err:
            self.recorder.record(experiment, "Warning", "TrialTemplateError", str(err))
            return []
        created: list[Obj] = []
        for assignment in missing:
            try:
                trial = trial_for(experiment, source, assignment)
                created.append(self.store.create(TRIALS, trial))
            except AlreadyExists:
                continue
            except (TemplateError, Invalid) as err:
                self.recorder.record(experiment, "Warning", "TrialTemplateError", str(err))
                continue
            self.recorder.record(
                experiment, "Normal", "TrialCreated", f"Trial {assignment['name']} is created"
            )
        return created

    def _kill_active(self, trials: list[Obj]) -> None:
        for trial in trials:
            if bucket_of(trial) not in ACTIVE:
                continue
            body = m.clone(trial)
            status = body.setdefault("status", {})
            cond.set_condition(status, cond.TRIAL_KILLED)
            status.setdefault("completionTime", m.timestamp())
            try:
                self.store.update_status(TRIALS, body)
            except (Conflict, NotFound):
                continue  # the trial changed: its next event brings us back

    # --- status -----------------------------------------------------------------------

    def _summarize(self, experiment: Obj, status: Obj, trials: list[Obj]) -> dict[str, int]:
        spec = experiment.get("spec") or {}
        objective = spec.get("objective") or {}
        lists: dict[str, list[str]] = {bucket: [] for bucket in _LISTS}
        for trial in trials:
            lists[bucket_of(trial)].append(m.name_of(trial))
        counts = {bucket: len(names) for bucket, names in lists.items()}
        counts["trials"] = len(trials)
        status["trials"] = len(trials)
        for bucket, field in _COUNTS.items():
            if counts[bucket]:
                status[field] = counts[bucket]
            else:
                status.pop(field, None)
        for bucket, field in _LISTS.items():
            if lists[bucket]:
                status[field] = lists[bucket]
            else:
                status.pop(field, None)
        best, _ = optimal_trial(trials, objective)
        if best is not None:
            metrics = ((best.get("status") or {}).get("observation") or {}).get("metrics") or []
            status["currentOptimalTrial"] = {
                "bestTrialName": m.name_of(best),
                "parameterAssignments": [
                    {"name": k, "value": v} for k, v in parameters_of(best).items()
                ],
                "observation": {"metrics": copy.deepcopy(metrics)},
            }
        else:
            status.setdefault(
                "currentOptimalTrial", {"bestTrialName": "", "observation": {"metrics": None}}
            )
        return counts

    def _best_value(self, status: Obj, spec: Obj) -> float | None:
        objective = spec.get("objective") or {}
        best = status.get("currentOptimalTrial") or {}
        if not best.get("bestTrialName"):
            return None
        return metric_value(objective, best.get("observation"))

    def _judge(
        self,
        experiment: Obj,
        status: Obj,
        suggestion: Obj,
        counts: dict[str, int],
        best_value: float | None,
    ) -> bool:
        """Set the finishing condition the experiment has reached, if any."""
        spec = experiment.get("spec") or {}
        completed = counts["trials"] - counts["pending"] - counts["running"]
        active = counts["pending"] + counts["running"]
        max_trials, max_failed = spec.get("maxTrialCount"), spec.get("maxFailedTrialCount")
        reason: cond.Reason | None = None
        if goal_reached(spec.get("objective") or {}, best_value):
            reason = cond.EXPERIMENT_GOAL_REACHED
        elif max_failed is not None and counts["failed"] > int(max_failed):
            reason = cond.EXPERIMENT_FAILED
        elif max_trials is not None and completed >= int(max_trials):
            reason = cond.EXPERIMENT_MAX_TRIALS_REACHED
        elif cond.is_true(suggestion, cond.FAILED):
            reason = cond.EXPERIMENT_SUGGESTION_FAILED
        elif cond.is_true(suggestion, cond.SUCCEEDED) and active == 0:
            made = len((suggestion.get("status") or {}).get("suggestions") or [])
            if made <= counts["trials"]:
                reason = cond.EXPERIMENT_SUGGESTION_END_REACHED
        if reason is None:
            return False
        cond.set_condition(status, reason)
        status["completionTime"] = m.timestamp()
        kind = "Warning" if reason.type == cond.FAILED else "Normal"
        self.recorder.record(experiment, kind, reason.reason, reason.message)
        return True

    def _restarting(self, experiment: Obj, status: Obj, trials: list[Obj]) -> bool:
        """Restart an experiment that reached maxTrialCount once the user raises it."""
        spec = experiment.get("spec") or {}
        if (spec.get("resumePolicy") or "Never") == "Never":
            return False
        if cond.reason_of(experiment, cond.SUCCEEDED) != cond.EXPERIMENT_MAX_TRIALS_REACHED.reason:
            return False
        max_trials = spec.get("maxTrialCount")
        if max_trials is None or int(max_trials) <= len(trials):
            return False
        cond.set_condition(status, cond.EXPERIMENT_RESTARTING)
        status.pop("completionTime", None)
        self.recorder.record(
            experiment, "Normal", "ExperimentRestarting", "Experiment is restarting"
        )
        return True

    def _write(self, experiment: Obj, status: Obj) -> Result:
        if status == (experiment.get("status") or {}):
            return Result()
        body = m.clone(experiment)
        body["status"] = status
        try:
            self.store.update_status(EXPERIMENTS, body)
        except Conflict:
            return Result(requeue_after=0.05)
        except NotFound:
            pass
        return Result()
