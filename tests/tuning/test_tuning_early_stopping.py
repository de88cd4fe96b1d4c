"""should_stop: medianstop with a true median, ASHA rungs, and nothing for hyperband."""

from __future__ import annotations

from kflow.tuning import TrialRecord, TrialState, should_stop
from tests.tuning.searchkit import SQUARE, experiment

MEDIANSTOP = {
    "algorithmName": "medianstop",
    "algorithmSettings": [{"name": "min_trials_required", "value": "3"}],
}


def trial(
    name: str, values: list[float], state: TrialState = TrialState.RUNNING, start: int = 1
) -> TrialRecord:
    series = [(start + i, v) for i, v in enumerate(values)]
    return TrialRecord(name, {"x": "0", "y": "0"}, state, intermediate={"loss": series})


def spec(
    objective: str = "minimize", stopping: dict[str, object] | None = MEDIANSTOP
) -> dict[str, object]:
    return experiment("random", SQUARE, objective=objective, early_stopping=stopping)


# three finished trials whose values at step 5 are 1, 2 and 100: mean 34.3, median 2
OTHERS = [
    trial("a", [9, 8, 7, 6, 1, 1], TrialState.SUCCEEDED),
    trial("b", [9, 8, 7, 6, 2, 2], TrialState.SUCCEEDED),
    trial("c", [150, 140, 130, 120, 100, 90], TrialState.SUCCEEDED),
]


def test_a_trial_worse_than_the_median_is_stopped_even_when_better_than_the_mean() -> None:
    slow = trial("me", [9, 8, 7, 5, 3])  # best 3 by step 5: median 2 < 3 < mean 34.3
    reason = should_stop(spec(), slow, [*OTHERS, slow])
    assert reason is not None and "median 2" in reason and "step 5" in reason
    good = trial("me", [9, 8, 7, 5, 1.5])
    assert should_stop(spec(), good, [*OTHERS, good]) is None


def test_only_trials_that_reached_the_step_count_and_enough_must_have() -> None:
    short = [trial("a", [1, 1, 1], TrialState.SUCCEEDED), *OTHERS[1:]]  # "a" stopped at step 3
    slow = trial("me", [9, 8, 7, 5, 3])
    assert should_stop(spec(), slow, [*short, slow]) is None  # 2 trials reached step 5, 3 required


def test_nothing_happens_before_start_step() -> None:
    early = trial("me", [500, 400, 300])
    assert should_stop(spec(), early, [*OTHERS, early]) is None


def test_maximize_flips_the_comparison() -> None:
    others = [
        trial(n, [0.1, 0.2, 0.3, 0.4, v], TrialState.SUCCEEDED)
        for n, v in (("a", 0.9), ("b", 0.8), ("c", 0.1))
    ]
    low = trial("me", [0.1, 0.2, 0.3, 0.4, 0.5])
    assert should_stop(spec("maximize"), low, [*others, low]) is not None
    high = trial("me", [0.1, 0.2, 0.3, 0.4, 0.85])
    assert should_stop(spec("maximize"), high, [*others, high]) is None


def asha(**settings: str) -> dict[str, object]:
    return experiment(
        "asha", SQUARE, settings={"min_resource": "1", "reduction_factor": "3", **settings}
    )


def test_asha_keeps_the_top_third_at_each_rung() -> None:
    # rungs at steps 1, 3, 9; six trials reached step 3 with these values there
    others = [
        trial(n, [5.0, 4.0, v]) for n, v in zip("abcde", [1.0, 2.0, 3.0, 4.0, 5.0], strict=True)
    ]
    second = trial("me", [5.0, 4.0, 1.5])  # 2nd of 6: top 6 // 3 = 2 go on
    assert should_stop(asha(), second, [*others, second]) is None
    third = trial("me", [5.0, 4.0, 2.5])
    reason = should_stop(asha(), third, [*others, third])
    assert reason is not None and "rung 1 (step 3)" in reason and "top 2 of the 6" in reason
    # before any rung is reached (min_early_stopping_rate 1 puts the first rung at step 3)
    assert should_stop(asha(min_early_stopping_rate="1"), trial("me", [9.0]), others) is None


def test_asha_waits_for_bootstrap_count_trials_at_a_rung() -> None:
    others = [trial("a", [1.0])]
    worse = trial("me", [2.0])
    assert should_stop(asha(), worse, [*others, worse]) is not None  # only the best of < 3 goes on
    assert should_stop(asha(bootstrap_count="2"), worse, [*others, worse]) is None


def test_without_early_stopping_or_for_hyperband_nothing_is_stopped() -> None:
    slow = trial("me", [9, 8, 7, 5, 3])
    assert should_stop(spec(stopping=None), slow, [*OTHERS, slow]) is None
    hyperband = experiment("hyperband", SQUARE, settings={"resource_name": "x", "r_l": "9"})
    assert should_stop(hyperband, slow, [*OTHERS, slow]) is None
