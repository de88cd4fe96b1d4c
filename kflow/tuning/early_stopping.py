"""`should_stop`: whether a running trial should be stopped early, and why.

Two rules, both pure functions of the trial and the history:

* `medianstop` (spec.earlyStopping, Katib's settings `min_trials_required`, default 3,
  and `start_step`, default 4). Once the trial has made `start_step` reports, at its
  latest step s: stop it if its best objective value so far is strictly worse than the
  **median** of the other trials' values at step s (each one's latest report at or
  before s), counting only trials that reached step s, and only when at least
  `min_trials_required` of them did. Katib's medianstop service compares with the
  *mean* of completed trials' values instead, which one outlier drags; the median is
  what the median stopping rule (Golovin et al., Vizier) specifies.
* `asha` (the algorithm; kflow extension): asynchronous successive halving, Optuna's
  SuccessiveHalvingPruner rule replayed from history. Rung k is at step
  min_resource * reduction_factor^(min_early_stopping_rate + k). A trial is judged at
  the highest rung it has reached, by its value at its first report at or after that
  step, against the same value of every trial that reached the rung: it goes on only
  if it is in the top 1/reduction_factor (or is the best, while fewer than
  reduction_factor trials are there). `bootstrap_count` other trials must have reached
  the rung before anyone is stopped at it.

`hyperband` needs no rule here: each of its trials already runs with the budget of its
rung, and promotion happens in `suggest`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

from kflow.tuning.history import TrialRecord
from kflow.tuning.search import Search, resolve


def _series(record: TrialRecord, metric: str) -> list[tuple[int, float]]:
    points = [
        (int(s), float(v)) for s, v in record.intermediate.get(metric, []) if math.isfinite(v)
    ]
    return sorted(points, key=lambda point: point[0])


def _at_or_before(series: list[tuple[int, float]], step: int) -> float | None:
    before = [value for s, value in series if s <= step]
    return before[-1] if before else None


def _at_or_after(series: list[tuple[int, float]], step: int) -> float | None:
    return next((value for s, value in series if s >= step), None)


def _median_stop(search: Search, trial: TrialRecord, history: Sequence[TrialRecord]) -> str | None:
    settings, metric = search.early_stopping_settings, search.objective.metric
    series = _series(trial, metric)
    if len(series) < settings["start_step"]:
        return None
    step = series[-1][0]
    values = [v for _, v in series]
    best = max(values) if search.objective.maximize else min(values)
    others = []
    for record in history:
        theirs = _series(record, metric) if record.name != trial.name else []
        if theirs and theirs[-1][0] >= step:
            value = _at_or_before(theirs, step)
            if value is not None:
                others.append(value)
    if len(others) < settings["min_trials_required"]:
        return None
    median = statistics.median(others)
    worse = best < median if search.objective.maximize else best > median
    if not worse:
        return None
    return (
        f"medianstop: best {metric} so far {best:g} at step {step} is worse than the median "
        f"{median:g} of the {len(others)} other trials that reached that step"
    )


def _asha_stop(search: Search, trial: TrialRecord, history: Sequence[TrialRecord]) -> str | None:
    settings, metric = search.settings, search.objective.metric
    factor = settings["reduction_factor"]
    series = _series(trial, metric)
    if not series:
        return None
    rung, rung_step = -1, 0
    while True:
        step = settings["min_resource"] * factor ** (settings["min_early_stopping_rate"] + rung + 1)
        if step > series[-1][0]:
            break
        rung, rung_step = rung + 1, step
    if rung < 0:
        return None
    own = _at_or_after(series, rung_step)
    assert own is not None
    competing = [own]
    for record in history:
        theirs = _series(record, metric) if record.name != trial.name else []
        value = _at_or_after(theirs, rung_step)
        if value is not None:
            competing.append(value)
    if len(competing) - 1 < settings["bootstrap_count"]:
        return None
    # Optuna's rule: the top len // factor go on; with fewer trials, only the best does.
    keep = max(len(competing) // factor, 1)
    ranked = sorted(competing, reverse=search.objective.maximize)
    threshold = ranked[keep - 1]
    promoted = own >= threshold if search.objective.maximize else own <= threshold
    if promoted:
        return None
    return (
        f"asha: {metric} {own:g} at rung {rung} (step {rung_step}) is not in the top {keep} "
        f"of the {len(competing)} trials that reached it"
    )


def should_stop(
    spec: dict[str, Any], trial: TrialRecord, history: Sequence[TrialRecord]
) -> str | None:
    """Why `trial` should stop now, or None to let it run (see the module docstring)."""
    search = resolve(spec)
    if search.early_stopping == "medianstop":
        reason = _median_stop(search, trial, history)
        if reason is not None:
            return reason
    if search.algorithm == "asha":
        return _asha_stop(search, trial, history)
    return None
