"""The Suggestion controller: asks the search algorithm for as many parameter sets as
the experiment requested, and writes them down before any trial runs them.

Katib runs each algorithm as a Deployment behind gRPC and keeps its state in that
process. Here the algorithm is a pure function of the experiment and its trials
(`kflow.tuning.suggest`), called in a worker thread; everything it needs to continue
— each assignment with the algorithm's own `attrs` — is in `status.suggestions`,
written with the Suggestion's resourceVersion, so a restart (even kill -9) never loses
the search state and never hands out a suggestion twice: the experiment controller
creates Trials only from what this status holds.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
from collections.abc import Hashable
from typing import Any, cast

from kflow.api import meta as m
from kflow.api.errors import Conflict, NotFound
from kflow.api.katib import conditions as cond
from kflow.api.selectors import parse_label_selector
from kflow.controllers.events import EventRecorder
from kflow.controllers.katib import state
from kflow.controllers.katib.records import EXPERIMENT_LABEL, pending_record, record_of
from kflow.controllers.manager import Controller, Result, WatchSpec
from kflow.store.interface import Store
from kflow.store.observations import ObservationLog
from kflow.tuning import suggest
from kflow.tuning.history import TrialRecord

Obj = dict[str, Any]
log = logging.getLogger(__name__)

EXPERIMENTS = "experiments.kubeflow.org"
SUGGESTIONS = "suggestions.kubeflow.org"
TRIALS = "trials.kubeflow.org"
COMPONENT = "suggestion-controller"


def seed_of(experiment: Obj) -> int:
    """A stable seed per experiment (an algorithm's `random_state` setting wins)."""
    uid = str(m.meta(experiment).get("uid") or m.name_of(experiment))
    return int(hashlib.sha256(uid.encode()).hexdigest()[:8], 16)


def trials_of(store: Store, experiment: Obj) -> list[Obj]:
    """The experiment's trials, oldest first."""
    selector = parse_label_selector(f"{EXPERIMENT_LABEL}={m.name_of(experiment)}")
    uid = m.meta(experiment).get("uid")
    items = [
        t
        for t in store.list(TRIALS, m.namespace_of(experiment), labels=selector).items
        if any(r.get("uid") == uid for r in m.meta(t).get("ownerReferences") or [])
    ]
    return sorted(items, key=lambda t: (m.meta(t).get("creationTimestamp") or "", m.name_of(t)))


def history_of(
    experiment: Obj,
    suggestion: Obj,
    trials: list[Obj],
    log_: ObservationLog | None,
    key: bytes,
) -> list[TrialRecord]:
    """Every suggestion so far, in the order it was made, as the algorithm sees it
    (with only the algorithm state this control plane signed)."""
    objective = (experiment.get("spec") or {}).get("objective") or {}
    by_name = {m.name_of(t): t for t in trials}
    history: list[TrialRecord] = []
    for assignment in (suggestion.get("status") or {}).get("suggestions") or []:
        attrs = state.verified_attrs(key, assignment)
        trial = by_name.pop(str(assignment.get("name")), None)
        if trial is None:
            history.append(pending_record({**assignment, "attrs": attrs}))
        else:
            history.append(record_of(trial, objective, log_, attrs))
    # trials with no suggestion entry (their Suggestion was deleted and re-made)
    history += [record_of(t, objective, log_) for t in by_name.values()]
    return history


class SuggestionController(Controller):
    """Fills each Suggestion's `status.suggestions` up to `spec.requests`."""

    name = COMPONENT
    workers = 2

    def __init__(
        self,
        store: Store,
        observations: ObservationLog | None = None,
        recorder: EventRecorder | None = None,
        *,
        key: bytes | None = None,
    ) -> None:
        self.store = store
        self.observations = observations
        # without a key of the control plane's, state lives as long as this process
        self.key = key or state.new_key()
        self.recorder = recorder or EventRecorder(store, component=COMPONENT)

    def watches(self) -> list[WatchSpec]:
        return [WatchSpec(SUGGESTIONS), WatchSpec(EXPERIMENTS)]

    async def reconcile(self, key: Hashable) -> Result:
        namespace, name = cast(tuple[str, str], key)
        try:
            suggestion = self.store.get(SUGGESTIONS, namespace, name)
            experiment = self.store.get(EXPERIMENTS, namespace, name)
        except NotFound:
            return Result()
        if m.meta(suggestion).get("deletionTimestamp"):
            return Result()
        status = m.clone(suggestion.get("status") or {})
        if not status.get("startTime"):
            status["startTime"] = m.timestamp()
            cond.set_condition(status, cond.SUGGESTION_CREATED)
        if cond.finished(suggestion):
            return Result()
        cond.set_condition(status, cond.SUGGESTION_RUNNING)
        made = list(status.get("suggestions") or [])
        want = int((suggestion.get("spec") or {}).get("requests") or 0) - len(made)
        if want > 0:
            history = history_of(
                experiment,
                suggestion,
                trials_of(self.store, experiment),
                self.observations,
                self.key,
            )
            spec = experiment.get("spec") or {}
            try:
                answer = await asyncio.to_thread(
                    suggest, spec, history, want, seed=seed_of(experiment)
                )
            except Exception as err:  # an algorithm's failure fails the search, visibly
                log.exception("suggestion %s/%s failed", namespace, name)
                message = f"Suggestion has failed: {err}"
                cond.set_condition(status, cond.SUGGESTION_FAILED, message=message)
                self.recorder.record(suggestion, "Warning", "SuggestionFailed", message)
                return self._write(suggestion, status)
            taken = {str(s.get("name")) for s in made}
            for proposed in answer.assignments:
                trial_name = f"{name}-{m.random_suffix(8)}"
                while trial_name in taken:
                    trial_name = f"{name}-{m.random_suffix(8)}"
                taken.add(trial_name)
                entry: Obj = {
                    "name": trial_name,
                    "parameterAssignments": [
                        {"name": k, "value": v} for k, v in proposed.parameters.items()
                    ],
                }
                if proposed.labels:
                    entry["labels"] = dict(proposed.labels)
                if proposed.attrs:
                    entry["attrs"] = proposed.attrs
                    state.sign(self.key, entry)
                made.append(entry)
            status["suggestions"] = made
            status["suggestionCount"] = len(made)
            if answer.exhausted and len(answer.assignments) < want:
                cond.set_condition(status, cond.SUGGESTION_EXHAUSTED)
                self.recorder.record(
                    suggestion, "Normal", "SuggestionExhausted", "Search space is exhausted"
                )
        status["suggestionCount"] = len(made)
        status["algorithmSettings"] = copy.deepcopy(
            ((experiment.get("spec") or {}).get("algorithm") or {}).get("algorithmSettings") or []
        )
        return self._write(suggestion, status)

    def _write(self, suggestion: Obj, status: Obj) -> Result:
        if status == (suggestion.get("status") or {}):
            return Result()
        body = m.clone(suggestion)
        body["status"] = status
        try:
            self.store.update_status(SUGGESTIONS, body)
        except Conflict:
            return Result(requeue_after=0.05)  # read again and decide again
        except NotFound:
            pass
        return Result()
