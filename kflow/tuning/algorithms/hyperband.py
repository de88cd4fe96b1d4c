"""Hyperband as Katib defines it: brackets of successive halving over a resource parameter.

Settings are Katib's: `r_l` (the largest budget R), `eta` (default 3) and
`resource_name` (the int or double parameter that carries the budget, e.g. epochs).
With s_max = floor(log_eta(r_l)), bracket s (s_max down to 0) starts
n = ceil((s_max + 1) / (s + 1) * eta^s) random configurations at budget
r = r_l * eta^-s; each later rung keeps the best ceil(previous / eta) of the rung
before it (by the objective, once every trial of that rung has finished) and runs them
again with eta times the budget, until the last rung runs at r_l.

The whole schedule is a function of the history: each trial's `attrs["hyperband"]`
says its bracket, rung and the trial it was promoted from. Two differences from Katib:
brackets are independent, so while one waits for a rung to finish the next bracket's
first rung may start (Katib waits and asks parallelTrialCount >= eta^s_max instead);
and failed trials of a rung are never promoted (Katib raises an error and stops).
The experiment is exhausted once every rung of every bracket has been proposed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kflow.tuning.algorithms.replay import derive_seed, next_seq, ordered
from kflow.tuning.history import Assignment, Suggested, TrialRecord, TrialState
from kflow.tuning.search import Search


@dataclass(frozen=True)
class Bracket:
    """One bracket's schedule: how many trials each rung runs, and at what budget."""

    s: int
    sizes: tuple[int, ...]
    budgets: tuple[float, ...]


def brackets(r_l: float, eta: float) -> list[Bracket]:
    """Katib's brackets, largest s (most configurations, smallest budget) first."""
    # The epsilon keeps log(27)/log(3) = 3.0000000000000004 and 2.9999999999999996 alike at 3.
    s_max = int(math.log(r_l) / math.log(eta) + 1e-9)
    plans = []
    for s in range(s_max, -1, -1):
        n = math.ceil((s_max + 1) / (s + 1) * eta**s)
        sizes = [n]
        for i in range(1, s + 1):
            sizes.append(math.ceil(math.ceil(n * eta ** -(i - 1)) / eta))
        r = r_l * eta**-s
        plans.append(Bracket(s, tuple(sizes), tuple(r * eta**i for i in range(s + 1))))
    return plans


def _place(record: TrialRecord) -> tuple[int, int] | None:
    place = record.attrs.get("hyperband")
    if (
        isinstance(place, dict)
        and isinstance(place.get("bracket"), int)
        and isinstance(place.get("rung"), int)
    ):
        return place["bracket"], place["rung"]
    return None


def _value(search: Search, record: TrialRecord) -> list[float] | None:
    """The objective values of a finished trial that may be promoted, else None."""
    return search.objective.values(record) if record.state is TrialState.SUCCEEDED else None


def suggest(search: Search, history: Sequence[TrialRecord], count: int, seed: int) -> Suggested:
    """The next trials of the schedule: new configurations for first rungs, promotions after."""
    settings = search.settings
    resource = next(p for p in search.parameters if p.name == settings["resource_name"])
    others = [p for p in search.parameters if p is not resource]
    objective = search.objective
    rungs: dict[tuple[int, int], list[TrialRecord]] = defaultdict(list)
    for record in ordered(history):
        place = _place(record)
        if place is not None:
            rungs[place].append(record)
    seq = next_seq(history)
    rng = np.random.default_rng(derive_seed(search.seed(seed), seq))
    out: list[Assignment] = []
    complete = True  # every rung of every bracket fully proposed

    def propose(
        bracket: Bracket, rung: int, parameters: dict[str, str], parent: str | None
    ) -> None:
        parameters = {**parameters, resource.name: resource.snap(bracket.budgets[rung])}
        place = {"bracket": bracket.s, "rung": rung, "parent": parent}
        out.append(Assignment(parameters, attrs={"seq": seq + len(out), "hyperband": place}))

    for bracket in brackets(settings["r_l"], settings["eta"]):
        target_below = 0
        for rung, size in enumerate(bracket.sizes):
            members = rungs[(bracket.s, rung)]
            before = len(out)
            if rung == 0:
                target = size
                for _ in range(max(0, size - len(members))):
                    if len(out) < count:
                        propose(bracket, 0, {p.name: p.sample(rng) for p in others}, None)
            else:
                below = rungs[(bracket.s, rung - 1)]
                if len(below) < target_below or any(r.state is TrialState.RUNNING for r in below):
                    complete = False  # the rung below is not all proposed, or not all finished
                    break
                sign = -1.0 if objective.maximize else 1.0
                scored = [
                    (sign * v[0], i, r) for i, r in enumerate(below) if (v := _value(search, r))
                ]
                ranked = [r for _, _, r in sorted(scored, key=lambda item: item[:2])]
                target = min(size, len(ranked))
                promoted = {(m.attrs.get("hyperband") or {}).get("parent") for m in members}
                for record in ranked[:target]:
                    if record.name not in promoted and len(out) < count:
                        parameters = {p.name: record.parameters[p.name] for p in others}
                        propose(bracket, rung, parameters, record.name)
            if len(members) + len(out) - before < target:
                complete = False  # this rung still has trials to propose
                break
            target_below = target
    return Suggested(out, exhausted=complete)
