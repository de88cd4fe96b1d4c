"""The sampler-based algorithms: proposals in the space, determinism, replay, history use."""

from __future__ import annotations

import math
import statistics
import sys
from typing import Any

import numpy as np
import optuna
import pytest

from kflow.tuning import (
    AlgorithmUnavailable,
    InvalidSearch,
    TrialRecord,
    TrialState,
    suggest,
)
from kflow.tuning.algorithms.replay import build_study
from kflow.tuning.search import resolve
from kflow.tuning.space import parse_space
from tests.tuning.searchkit import (
    MIXED,
    SQUARE,
    experiment,
    parameter,
    record,
    run,
    shifted_square,
)

SAMPLERS = ["random", "tpe", "multivariate-tpe", "bayesianoptimization", "cmaes", "sobol", "asha"]


def mixed_loss(values: dict[str, str]) -> dict[str, float]:
    return {
        "loss": math.log10(float(values["lr"])) ** 2
        + float(values["dropout"])
        + int(values["layers"])
    }


def assert_in_space(spec: dict[str, Any], values: dict[str, str]) -> None:
    for p in parse_space(spec):
        text = values[p.name]
        if p.type == "int":
            assert str(int(text)) == text
        if p.numeric:
            assert float(p.low) <= float(text) <= float(p.high)
            if p.step is not None:
                assert p.snap(float(text)) == text
        else:
            assert text in p.choices


@pytest.mark.parametrize("algorithm", SAMPLERS)
def test_proposals_stay_in_the_space_with_types_and_steps(algorithm: str) -> None:
    spec = experiment(
        algorithm,
        MIXED,
        settings={"n_initial_points": "4"} if algorithm == "bayesianoptimization" else None,
    )
    history = run(spec, mixed_loss, 14, parallel=2)
    assert len(history) == 14
    for trial in history:
        assert_in_space(spec, trial.parameters)
        assert trial.attrs["seq"] == int(trial.name[1:])


@pytest.mark.parametrize("algorithm", [*SAMPLERS, "grid"])
def test_same_seed_and_history_give_the_same_trials(algorithm: str) -> None:
    params = (
        SQUARE
        if algorithm != "grid"
        else [
            parameter("x", "double", min="0", max="1", step="0.1"),
            parameter("k", "int", min=1, max=5),
        ]
    )
    spec = experiment(
        algorithm,
        params,
        settings={"n_initial_points": "3"} if algorithm == "bayesianoptimization" else None,
    )

    def loss(values: dict[str, str]) -> dict[str, float]:
        return {"loss": sum((float(x) - 0.3) ** 2 for x in values.values())}

    history = run(spec, loss, 12, seed=7)
    again = suggest(spec, history, 3, seed=7)
    assert again == suggest(
        spec, list(reversed(history)), 3, seed=7
    )  # order of history does not matter
    assert [r.parameters for r in run(spec, loss, 12, seed=7)] == [r.parameters for r in history]
    if (
        algorithm != "bayesianoptimization"
    ):  # a fitted GP is deterministic: the seed only picks the first points
        assert suggest(spec, history, 3, seed=8).assignments != again.assignments
    assert [r.parameters for r in run(spec, loss, 12, seed=8)] != [r.parameters for r in history]


def test_a_restart_replays_the_same_history_and_cmaes_keeps_its_generations() -> None:
    spec = experiment(
        "cmaes",
        [*SQUARE, parameter("z", "double", min="-1", max="1")],
        settings={"random_state": "3"},
    )
    history = run(spec, lambda v: {"loss": sum(float(x) ** 2 for x in v.values())}, 40)
    generations = [r.attrs["optuna"].get("cma:generation") for r in history]
    # the first trial is random; CMA-ES then advances a generation per popsize (7 in 3-D)
    assert max(g for g in generations if g is not None) >= 4
    assert generations[1:] == sorted(generations[1:])
    # a controller restarted after a crash calls again with the same history: same answer
    first = suggest(spec, history, 2, seed=0)
    assert suggest(spec, history, 2, seed=0) == first
    assert first.assignments[0].attrs["optuna"]["cma:generation"] >= generations[-1]


def test_grid_visits_every_point_once_and_then_is_exhausted() -> None:
    spec = experiment(
        "grid",
        [
            parameter("x", "double", min="0", max="0.4", step="0.1"),
            parameter("opt", "categorical", list=["a", "b"]),
        ],
    )
    # a trial that fails still uses its point: the failure reaches the sampler
    history = run(
        spec,
        lambda v: None if v["opt"] == "a" and v["x"] == "0.2" else {"loss": float(v["x"])},
        100,
        parallel=3,
    )
    points = [(r.parameters["x"], r.parameters["opt"]) for r in history]
    assert len(points) == 10 and len(set(points)) == 10
    assert sum(r.state is TrialState.FAILED for r in history) == 1
    final = suggest(spec, history, 5, seed=0)
    assert final.assignments == [] and final.exhausted
    last = suggest(spec, history[:-1], 5, seed=0)
    assert len(last.assignments) == 1 and last.exhausted
    assert (last.assignments[0].parameters["x"], last.assignments[0].parameters["opt"]) == points[
        -1
    ]


def test_grid_never_repeats_a_point_when_a_trial_is_missing_from_history() -> None:
    spec = experiment("grid", [parameter("k", "int", min=1, max=6)])
    history = run(spec, lambda v: {"loss": float(v["k"])}, 4)
    del history[1]
    rest = suggest(spec, history, 10, seed=0)
    seen = [r.parameters["k"] for r in history] + [a.parameters["k"] for a in rest.assignments]
    assert sorted(seen) == ["1", "2", "3", "4", "5", "6"] and rest.exhausted


def test_sobol_continues_its_sequence_across_calls() -> None:
    spec = experiment("sobol", SQUARE)
    one_by_one = run(spec, shifted_square, 8)
    assert len({(r.parameters["x"], r.parameters["y"]) for r in one_by_one}) == 8
    at_once = suggest(spec, [], 8, seed=0).assignments
    assert [a.parameters for a in at_once] == [r.parameters for r in one_by_one]


def test_failed_early_stopped_and_unmeasured_trials_reach_the_sampler() -> None:
    spec = experiment("tpe", SQUARE)
    search = resolve(spec)
    a = suggest(spec, [], 5, seed=0).assignments
    history = [
        record("ok", a[0], TrialState.SUCCEEDED, loss=1.0),
        record("failed", a[1], TrialState.FAILED),
        TrialRecord(
            "stopped",
            a[2].parameters,
            TrialState.EARLY_STOPPED,
            intermediate={"loss": [(0, 9.0), (1, 8.0)]},
            attrs=a[2].attrs,
        ),
        record("unmeasured", a[3], TrialState.METRICS_UNAVAILABLE),
        record("running", a[4], TrialState.RUNNING),
    ]
    distributions = {p.name: p.sampler_distribution() for p in search.parameters}
    study = build_study(
        history,
        search.parameters,
        search.objective,
        optuna.samplers.RandomSampler(0),
        distributions,
    )
    states = [t.state for t in study.get_trials(deepcopy=False)]
    S = optuna.trial.TrialState
    assert states == [S.COMPLETE, S.FAIL, S.PRUNED, S.FAIL, S.RUNNING]
    assert study.get_trials(deepcopy=False)[2].intermediate_values == {0: 9.0, 1: 8.0}


def test_parallel_proposals_spread_out() -> None:
    spec = experiment("tpe", SQUARE)
    history = run(spec, shifted_square, 20)
    batch = suggest(spec, history, 4, seed=0).assignments
    assert len({(a.parameters["x"], a.parameters["y"]) for a in batch}) == 4
    assert [a.attrs["seq"] for a in batch] == [20, 21, 22, 23]


def test_maximize_is_honoured() -> None:
    spec = experiment("tpe", SQUARE, objective="maximize")
    history = run(spec, lambda v: {"loss": -shifted_square(v)["loss"]}, 40, seed=1)
    assert max(r.metrics["loss"] for r in history) > -2.0


def branin(values: dict[str, str]) -> dict[str, float]:
    x, y = float(values["x"]), float(values["y"])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return {"loss": (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10}


@pytest.mark.slow
def test_tpe_finds_a_better_optimum_than_random_in_the_same_budget() -> None:
    """Branin (optimum 0.397887), 40 trials, 10 fixed seeds: TPE's median best is lower."""
    best: dict[str, list[float]] = {"tpe": [], "random": []}
    for algorithm in best:
        for seed in range(10):
            history = run(experiment(algorithm, SQUARE), branin, 40, seed=seed)
            best[algorithm].append(min(r.metrics["loss"] for r in history) - 0.397887)
    assert statistics.median(best["tpe"]) < 0.5 * statistics.median(best["random"])
    assert sum(t < r for t, r in zip(sorted(best["tpe"]), sorted(best["random"]), strict=True)) >= 8


def test_nsga2_optimizes_two_metrics_with_their_directions() -> None:
    spec = experiment(
        "nsga2",
        SQUARE,
        settings={"directions": "minimize,maximize", "population_size": "6"},
        additional=["accuracy"],
    )
    history = run(spec, lambda v: {"loss": float(v["x"]) ** 2, "accuracy": float(v["y"])}, 24)
    assert len(history) == 24
    generations = [r.attrs["optuna"].get("NSGAIISampler:generation") for r in history]
    assert max(g for g in generations if g is not None) >= 2
    trial_without_second_metric = record(
        "x", suggest(spec, history, 1, seed=0).assignments[0], TrialState.SUCCEEDED, loss=1.0
    )
    study_state = suggest(spec, [*history, trial_without_second_metric], 1, seed=0)
    assert len(study_state.assignments) == 1


def test_bayesianoptimization_without_torch_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(AlgorithmUnavailable, match=r"pip install torch==2\.13\.0"):
        suggest(experiment("bayesianoptimization", SQUARE), [], 1, seed=0)


def test_nas_algorithms_are_refused_not_faked() -> None:
    with pytest.raises(InvalidSearch, match="not implemented in kflow"):
        suggest(experiment("darts", SQUARE), [], 1, seed=0)


def test_values_outside_the_space_are_left_out_of_the_replay() -> None:
    spec = experiment("tpe", SQUARE)
    stranger = TrialRecord("manual", {"x": "99", "y": "1"}, TrialState.SUCCEEDED, {"loss": 0.0})
    assert len(suggest(spec, [stranger], 2, seed=0).assignments) == 2
    rng = np.random.default_rng(0)
    assert rng is not None
