"""Hyperband and PBT: schedules written out from history, promotions and generations."""

from __future__ import annotations

import math
from collections import Counter

from kflow.tuning import Suggested, TrialRecord, TrialState, suggest
from kflow.tuning.algorithms.hyperband import brackets
from kflow.tuning.algorithms.pbt import GENERATION_LABEL, PARENT_LABEL
from tests.tuning.searchkit import SQUARE, experiment, parameter, record

HYPERBAND = experiment(
    "hyperband",
    [*SQUARE, parameter("epochs", "int", min=1, max=9)],
    settings={"resource_name": "epochs", "r_l": "9", "eta": "3"},
)


def finish(history: list[TrialRecord], loss: float | None = None) -> list[TrialRecord]:
    """Every running trial finished: succeeded with x^2 + y^2 (or `loss`), or failed if marked."""
    done = []
    for r in history:
        if r.state is TrialState.RUNNING:
            value = (
                float(r.parameters["x"]) ** 2 + float(r.parameters["y"]) ** 2
                if loss is None
                else loss
            )
            r = TrialRecord(
                r.name,
                r.parameters,
                TrialState.SUCCEEDED,
                {"loss": value},
                attrs=r.attrs,
                labels=r.labels,
            )
        done.append(r)
    return done


def add(history: list[TrialRecord], batch: Suggested) -> list[TrialRecord]:
    start = len(history)
    return history + [
        record(f"t{start + i}", a, TrialState.RUNNING) for i, a in enumerate(batch.assignments)
    ]


def test_katibs_brackets_for_r_9_eta_3() -> None:
    plans = brackets(9, 3)
    assert [(b.s, b.sizes) for b in plans] == [(2, (9, 3, 1)), (1, (5, 2)), (0, (3,))]
    assert [b.budgets for b in plans] == [(1, 3, 9), (3, 9), (9,)]


def test_hyperband_starts_every_bracket_then_promotes_the_best_with_more_budget() -> None:
    first = suggest(HYPERBAND, [], 100, seed=0)
    assert not first.exhausted
    epochs = Counter(a.parameters["epochs"] for a in first.assignments)
    assert epochs == {"1": 9, "3": 5, "9": 3}  # the first rung of each bracket
    history = add([], first)
    # nothing more until a rung finishes; a restart asking again gets nothing new either
    assert suggest(HYPERBAND, history, 100, seed=0).assignments == []
    history = finish(history)
    second = suggest(HYPERBAND, history, 100, seed=0)
    assert second == suggest(HYPERBAND, list(reversed(history)), 100, seed=0)
    bracket_two = [r for r in history if r.attrs["hyperband"]["bracket"] == 2]
    best_three = sorted(bracket_two, key=lambda r: r.metrics["loss"])[:3]
    promoted = [a for a in second.assignments if a.attrs["hyperband"]["bracket"] == 2]
    assert [a.attrs["hyperband"]["parent"] for a in promoted] == [r.name for r in best_three]
    for a, parent in zip(promoted, best_three, strict=True):
        assert a.parameters == {**parent.parameters, "epochs": "3"}
    bracket_one = [a for a in second.assignments if a.attrs["hyperband"]["bracket"] == 1]
    assert len(bracket_one) == 2 and {a.parameters["epochs"] for a in bracket_one} == {"9"}


def test_hyperband_runs_to_the_end_and_is_exhausted_exactly_then() -> None:
    history: list[TrialRecord] = []
    for _ in range(10):
        batch = suggest(HYPERBAND, history, 4, seed=1)
        history = finish(add(history, batch))
        if batch.exhausted:
            break
    assert batch.exhausted
    assert len(history) == 9 + 3 + 1 + 5 + 2 + 3
    assert suggest(HYPERBAND, history, 4, seed=1) == Suggested([], exhausted=True)


def test_hyperband_never_promotes_a_failed_trial() -> None:
    history = add([], suggest(HYPERBAND, [], 9, seed=0))
    failed = {r.name for r in history[:7]}
    history = [
        TrialRecord(r.name, r.parameters, TrialState.FAILED, attrs=r.attrs)
        if r.name in failed
        else r
        for r in history
    ]
    history = finish(history)
    promoted = [
        a
        for a in suggest(HYPERBAND, history, 100, seed=0).assignments
        if a.attrs["hyperband"]["rung"] == 1
    ]
    assert {a.attrs["hyperband"]["parent"] for a in promoted} == {"t7", "t8"}


PBT = experiment(
    "pbt",
    [
        parameter("lr", "double", min="0.001", max="0.1"),
        parameter("opt", "categorical", list=["sgd", "adam", "rmsprop"]),
    ],
    settings={
        "suggestion_trial_dir": "/var/log/katib/checkpoints/",
        "n_population": "5",
        "truncation_threshold": "0.4",
    },
    objective="maximize",
)


def test_pbt_generations_carry_katibs_labels_and_exploit_the_best() -> None:
    first = suggest(PBT, [], 10, seed=0)
    assert len(first.assignments) == 5
    assert {a.labels[GENERATION_LABEL] for a in first.assignments} == {"0"}
    assert all(PARENT_LABEL not in a.labels for a in first.assignments)
    history = add([], first)
    scores = {f"t{i}": float(i) for i in range(5)}  # t4 is the best (maximize)
    history = [
        TrialRecord(
            r.name,
            r.parameters,
            TrialState.SUCCEEDED,
            {"loss": scores[r.name]},
            attrs=r.attrs,
            labels=r.labels,
        )
        for r in history
    ]
    second = suggest(PBT, history, 10, seed=0)
    assert second == suggest(PBT, history, 10, seed=0)
    assert len(second.assignments) == 5
    assert {a.labels[GENERATION_LABEL] for a in second.assignments} == {"1"}
    parents = [a.labels[PARENT_LABEL] for a in second.assignments]
    assert all(p in scores for p in parents)
    # the bottom 40% (t0, t1) are replaced by exact copies of the top 40% (t4, t3)
    exploited = [
        a
        for a in second.assignments
        if a.parameters == history[int(a.labels[PARENT_LABEL][1:])].parameters
    ]
    assert len(exploited) >= 2 and {a.labels[PARENT_LABEL] for a in exploited} <= {"t3", "t4"}
    for a in second.assignments:
        lr = float(a.parameters["lr"])
        assert 0.001 <= lr <= 0.1 and a.parameters["opt"] in ("sgd", "adam", "rmsprop")
        assert a.attrs["pbt"]["checkpoint_dir"] == "/var/log/katib/checkpoints/"


def test_pbt_refills_a_failed_slot_and_waits_for_the_generation() -> None:
    history = add([], suggest(PBT, [], 5, seed=0))
    history[0] = TrialRecord(
        "t0",
        history[0].parameters,
        TrialState.FAILED,
        attrs=history[0].attrs,
        labels=history[0].labels,
    )
    refill = suggest(PBT, history, 5, seed=0)
    assert len(refill.assignments) == 1 and refill.assignments[0].labels[GENERATION_LABEL] == "0"
    history = add(history, refill)
    assert suggest(PBT, history, 5, seed=0).assignments == []  # generation 0 still running
    history = finish(history, loss=1.0)
    assert {a.labels[GENERATION_LABEL] for a in suggest(PBT, history, 5, seed=0).assignments} == {
        "1"
    }
    assert math.isclose(sum(r.state is TrialState.FAILED for r in history), 1)
