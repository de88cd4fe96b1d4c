"""Rebuilding an Optuna study from the trial history, once per call.

kflow keeps no sampler in memory: each `suggest` replays every `TrialRecord` into a
fresh in-memory study (`optuna.trial.create_trial` + `study.add_trial`) and asks it for
new trials. What a sampler keeps between trials lives in trial system attributes
(CMA-ES's optimizer, the grid index, NSGA-II's generation), which `suggest` returns in
`Assignment.attrs["optuna"]` and gets back here; the few study-level attributes (the
Sobol sequence counter) travel the same way under `attrs["optuna_study"]`.

Unlike Katib, failed and early-stopped trials are replayed too (FAIL, and PRUNED with
their intermediate values), and running ones as RUNNING so samplers that spread
parallel proposals (TPE's constant liar, grid) see them. History is replayed in the
order the trials were proposed (`attrs["seq"]`), whatever order the caller passes.
"""

from __future__ import annotations

import copy
import datetime
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial
from optuna.trial import TrialState as OptunaState

from kflow.tuning.history import TrialRecord, TrialState
from kflow.tuning.search import Objective
from kflow.tuning.space import Parameter

Encode = Callable[[Parameter, str], Any]

# Every suggest builds a study; the in-memory storage logs each one at INFO, which in a
# long experiment is a line per trial that says nothing.
logging.getLogger("optuna.storages._in_memory").setLevel(logging.WARNING)


class _ReplayedTrial(FrozenTrial):
    """A history trial built for one study: copying it copies only its top-level dicts.

    `study.add_trial` deep-copies its template, which is most of a replay's cost (a
    deep copy of every distribution of every trial, on every call). These templates
    are built fresh per call and never shared, so one level of copying is enough.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenTrial:
        clone = copy.copy(self)
        for key, value in vars(clone).items():
            if isinstance(value, dict):
                setattr(clone, key, dict(value))
        return clone


def derive_seed(seed: int, *parts: int) -> int:
    """A 32-bit seed from several integers, stable across processes and Python versions."""
    return int(
        np.random.SeedSequence([abs(int(seed)), *(abs(int(p)) for p in parts)]).generate_state(1)[0]
    )


def ordered(history: Sequence[TrialRecord]) -> list[TrialRecord]:
    """History in proposal order: by `attrs["seq"]`, then trials kflow did not propose."""
    indexed = list(enumerate(history))
    indexed.sort(
        key=lambda item: (
            not isinstance(item[1].attrs.get("seq"), int),
            item[1].attrs.get("seq", 0),
            item[0],
        )
    )
    return [record for _, record in indexed]


def next_seq(history: Sequence[TrialRecord]) -> int:
    """The proposal number of the next new trial."""
    seqs: list[int] = [r.attrs["seq"] for r in history if isinstance(r.attrs.get("seq"), int)]
    return max([len(history) - 1, *seqs]) + 1


def _intermediate(record: TrialRecord, metric: str) -> dict[int, float]:
    values: dict[int, float] = {}
    for step, value in record.intermediate.get(metric, []):
        if math.isfinite(value):
            values[int(step)] = float(value)
    return values


def frozen_trial(
    record: TrialRecord,
    parameters: Sequence[Parameter],
    objective: Objective,
    distributions: dict[str, BaseDistribution],
    encode: Encode,
) -> FrozenTrial | None:
    """The record as an Optuna trial, or None if its values do not fit the space."""
    params = {}
    try:
        for p in parameters:
            params[p.name] = encode(p, record.parameters[p.name])
    except (KeyError, ValueError):
        return None
    intermediate = _intermediate(record, objective.metric)
    values = objective.values(record) if record.state is TrialState.SUCCEEDED else None
    if record.state is TrialState.SUCCEEDED and values is not None:
        state = OptunaState.COMPLETE
    elif record.state is TrialState.RUNNING:
        state = OptunaState.RUNNING
    elif record.state is TrialState.EARLY_STOPPED:
        state = OptunaState.PRUNED
    else:  # failed, metrics unavailable, or succeeded without a usable objective value
        state = OptunaState.FAIL
    # Built directly rather than with optuna.trial.create_trial, which validates it a
    # second time (study.add_trial validates it too) at a third of the replay's cost.
    now = datetime.datetime.now()
    return _ReplayedTrial(
        number=-1,
        trial_id=-1,
        state=state,
        value=None,
        values=values,
        datetime_start=now,
        datetime_complete=now if state.is_finished() else None,
        params=params,
        distributions={p.name: distributions[p.name] for p in parameters},
        user_attrs={},
        system_attrs=dict(record.attrs.get("optuna") or {}),
        intermediate_values=intermediate,
    )


def build_study(
    history: Sequence[TrialRecord],
    parameters: Sequence[Parameter],
    objective: Objective,
    sampler: BaseSampler,
    distributions: dict[str, BaseDistribution],
    encode: Encode = Parameter.encode,
) -> optuna.Study:
    """A fresh in-memory study holding the whole history, in proposal order."""
    storage = optuna.storages.InMemoryStorage()
    directions = [
        StudyDirection.MAXIMIZE if d == "maximize" else StudyDirection.MINIMIZE
        for d in objective.directions
    ]
    study_id = storage.create_new_study(directions, "kflow")
    study = optuna.Study(study_name="kflow", storage=storage, sampler=sampler)
    for record in ordered(history):
        for key, value in (record.attrs.get("optuna_study") or {}).items():
            storage.set_study_system_attr(study_id, key, value)
        trial = frozen_trial(record, parameters, objective, distributions, encode)
        if trial is not None:
            study.add_trial(trial)
    return study
