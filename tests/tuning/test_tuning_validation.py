"""validate_search: Katib-style checks of algorithm settings, naming the field and the rule."""

from __future__ import annotations

import pytest

import kflow.tuning
from kflow.tuning import InvalidSearch, suggest, validate_search
from kflow.tuning.settings import ALGORITHM_SETTINGS
from tests.tuning.searchkit import MIXED, SQUARE, experiment, parameter

VALID = {
    "random": {"random_state": "3"},
    "grid": {},
    "tpe": {
        "n_startup_trials": "5",
        "n_EI_candidates": "48",
        "gamma": "0.2",
        "multivariate": "false",
    },
    "multivariate-tpe": {"n_ei_candidates": "24"},
    "bayesianoptimization": {"base_estimator": "GP", "n_initial_points": "5", "acq_func": "EI"},
    "cmaes": {"restart_strategy": "ipop", "sigma": "0.3"},
    "sobol": {},
    "hyperband": {"resource_name": "epochs", "r_l": "27", "eta": "3"},
    "pbt": {"suggestion_trial_dir": "/ckpt", "n_population": "8", "truncation_threshold": "0.2"},
    "asha": {"sampler": "random", "reduction_factor": "4"},
    "nsga2": {"directions": "minimize,maximize"},
}
GRID_SAFE = [
    parameter("momentum", "double", min="0.5", max="0.9", step="0.1"),
    parameter("epochs", "int", min=1, max=27),
    parameter("optimizer", "categorical", list=["sgd", "adam"]),
]


def test_every_algorithm_has_a_valid_example() -> None:
    assert set(VALID) == set(ALGORITHM_SETTINGS)


@pytest.mark.parametrize("algorithm", sorted(VALID))
def test_good_settings_pass(algorithm: str) -> None:
    spec = experiment(algorithm, GRID_SAFE, settings=VALID[algorithm], additional=["accuracy"])
    assert validate_search(spec) == []


@pytest.mark.parametrize(
    ("algorithm", "settings", "field", "message"),
    [
        (
            "random",
            {"seed": "1"},
            "spec.algorithm.algorithmSettings[0].name",
            "unknown setting 'seed' for algorithm random; allowed: random_state",
        ),
        (
            "tpe",
            {"random_state": "1", "n_startup_trials": "-1"},
            "spec.algorithm.algorithmSettings[1].value",
            "n_startup_trials must be an integer >= 0, not '-1'",
        ),
        (
            "tpe",
            {"gamma": "1.5"},
            "spec.algorithm.algorithmSettings[0].value",
            "gamma must be a number in (0, 1), not '1.5'",
        ),
        (
            "bayesianoptimization",
            {"base_estimator": "RF"},
            "spec.algorithm.algorithmSettings[0].value",
            "base_estimator must be one of GP, not 'RF'",
        ),
        (
            "cmaes",
            {"sigma": "abc"},
            "spec.algorithm.algorithmSettings[0].value",
            "sigma must be a number > 0, not 'abc'",
        ),
        (
            "hyperband",
            {"r_l": "9"},
            "spec.algorithm.algorithmSettings",
            "algorithm hyperband needs the setting resource_name (the name of an int or double parameter)",
        ),
        (
            "hyperband",
            {"r_l": "9", "resource_name": "epoch"},
            "spec.algorithm.algorithmSettings",
            "resource_name 'epoch' must name an int or double parameter (momentum, epochs)",
        ),
        (
            "pbt",
            {"suggestion_trial_dir": "/c", "n_population": "4", "truncation_threshold": "0.2"},
            "spec.algorithm.algorithmSettings[1].value",
            "n_population must be an integer >= 5, not '4'",
        ),
        (
            "nsga2",
            {"directions": "minimize"},
            "spec.algorithm.algorithmSettings[0].value",
            "directions must be a comma-separated list of minimize/maximize, one per metric, not 'minimize'",
        ),
        (
            "nsga2",
            {"directions": "maximize,maximize"},
            "spec.algorithm.algorithmSettings",
            "the first direction is for loss and must match spec.objective.type (minimize)",
        ),
        (
            "nsga2",
            {"directions": "minimize,maximize,minimize"},
            "spec.algorithm.algorithmSettings",
            "3 directions but only 2 metrics (objectiveMetricName, then additionalMetricNames)",
        ),
        (
            "enas",
            {},
            "spec.algorithm.algorithmName",
            "neural architecture search (enas) is not implemented in kflow; use Katib for NAS",
        ),
        (
            "darts",
            {},
            "spec.algorithm.algorithmName",
            "neural architecture search (darts) is not implemented in kflow; use Katib for NAS",
        ),
        (
            "simplex",
            {},
            "spec.algorithm.algorithmName",
            "unknown algorithm 'simplex'; kflow runs " + ", ".join(ALGORITHM_SETTINGS),
        ),
    ],
)
def test_bad_settings_name_the_field_and_what_is_allowed(
    algorithm: str, settings: dict[str, str], field: str, message: str
) -> None:
    spec = experiment(algorithm, GRID_SAFE, settings=settings, additional=["accuracy"])
    assert validate_search(spec) == [(field, message)]
    with pytest.raises(InvalidSearch) as caught:
        suggest(spec, [], 1, seed=0)
    assert caught.value.causes == [(field, message)]


def test_grid_needs_a_step_for_doubles_and_cmaes_two_numbers() -> None:
    assert validate_search(experiment("grid", SQUARE)) == [
        ("spec.parameters[0].feasibleSpace.step", "grid needs a step for the double parameter x"),
        ("spec.parameters[1].feasibleSpace.step", "grid needs a step for the double parameter y"),
    ]
    one_number = [
        parameter("x", "double", min="0", max="1"),
        parameter("opt", "categorical", list=["a", "b"]),
    ]
    assert validate_search(experiment("cmaes", one_number)) == [
        ("spec.parameters", "cmaes needs at least two int or double parameters")
    ]


def test_early_stopping_settings_are_checked_too() -> None:
    bad = {
        "algorithmName": "medianstop",
        "algorithmSettings": [
            {"name": "start_step", "value": "0"},
            {"name": "burn_in", "value": "1"},
        ],
    }
    assert validate_search(experiment("random", MIXED, early_stopping=bad)) == [
        (
            "spec.earlyStopping.algorithmSettings[0].value",
            "start_step must be an integer >= 1, not '0'",
        ),
        (
            "spec.earlyStopping.algorithmSettings[1].name",
            "unknown setting 'burn_in' for algorithm medianstop; allowed: min_trials_required, start_step",
        ),
    ]
    unknown = {"algorithmName": "curvefit"}
    assert validate_search(experiment("random", MIXED, early_stopping=unknown)) == [
        (
            "spec.earlyStopping.algorithmName",
            "unknown early stopping 'curvefit'; kflow runs medianstop",
        )
    ]


def test_the_public_names_are_pinned() -> None:
    assert sorted(kflow.tuning.__all__) == [
        "AlgorithmUnavailable",
        "Assignment",
        "InvalidSearch",
        "Suggested",
        "TrialRecord",
        "TrialState",
        "TuningError",
        "should_stop",
        "stops_early",
        "suggest",
        "validate_search",
    ]
    assert kflow.tuning.stops_early(experiment("asha", SQUARE))
    assert not kflow.tuning.stops_early(experiment("tpe", SQUARE))
