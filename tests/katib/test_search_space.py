"""`kflow.search`: typed spaces become Katib parameters, and trial strings become values."""

from __future__ import annotations

from typing import Any

import pytest

import kflow
from kflow.sdk.search import InvalidSearchSpace, katib_parameters, typed_assignments

search = kflow.search


def test_each_space_becomes_katibs_parameter() -> None:
    spaces = {
        "lr": search.loguniform(1e-4, 1e-1),
        "momentum": search.uniform(0.5, 0.99, step=0.01),
        "noise": search.normal(-1, 1),
        "scale": search.lognormal(0.1, 10),
        "layers": search.integer(1, 5),
        "units": search.integer(16, 256, step=16, log=True),
        "optimizer": search.choice(["adam", "sgd"]),
        "batch": search.choice([16, 32, 64]),
        "flag": search.choice([True, False, None]),
    }
    assert katib_parameters(spaces) == [
        {
            "name": "lr",
            "parameterType": "double",
            "feasibleSpace": {"min": "0.0001", "max": "0.1", "distribution": "logUniform"},
        },
        {
            "name": "momentum",
            "parameterType": "double",
            "feasibleSpace": {
                "min": "0.5",
                "max": "0.99",
                "distribution": "uniform",
                "step": "0.01",
            },
        },
        {
            "name": "noise",
            "parameterType": "double",
            "feasibleSpace": {"min": "-1.0", "max": "1.0", "distribution": "normal"},
        },
        {
            "name": "scale",
            "parameterType": "double",
            "feasibleSpace": {"min": "0.1", "max": "10.0", "distribution": "logNormal"},
        },
        {
            "name": "layers",
            "parameterType": "int",
            "feasibleSpace": {"min": "1", "max": "5", "distribution": "uniform"},
        },
        {
            "name": "units",
            "parameterType": "int",
            "feasibleSpace": {
                "min": "16",
                "max": "256",
                "distribution": "logUniform",
                "step": "16",
            },
        },
        {
            "name": "optimizer",
            "parameterType": "categorical",
            "feasibleSpace": {"list": ["adam", "sgd"]},
        },
        {
            "name": "batch",
            "parameterType": "discrete",
            "feasibleSpace": {"list": ["16", "32", "64"]},
        },
        {
            "name": "flag",
            "parameterType": "categorical",
            "feasibleSpace": {"list": ["true", "false", "null"]},
        },
    ]


def test_trial_strings_come_back_typed() -> None:
    spaces = {
        "lr": search.loguniform(1e-4, 1e-1),
        "layers": search.integer(1, 5),
        "batch": search.choice([16, 32.5]),
        "flag": search.choice([True, None, "x"]),
    }
    assignments = [
        {"name": "lr", "value": "0.00123"},
        {"name": "layers", "value": "3"},
        {"name": "batch", "value": "32.5"},
        {"name": "flag", "value": "null"},
    ]
    typed = typed_assignments(spaces, assignments)
    assert typed == {"lr": 0.00123, "layers": 3, "batch": 32.5, "flag": None}
    assert [type(v) for v in typed.values()] == [float, int, float, type(None)]
    # a number written another way still finds the listed object
    assert spaces["batch"].typed("16.0") == 16 and isinstance(spaces["batch"].typed("16.0"), int)
    assert spaces["flag"].typed("true") is True
    with pytest.raises(ValueError, match="not one of"):
        spaces["flag"].typed("maybe")


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (search.uniform(0.1, 0.01), r"parameters\['p'\]: low must be below high \(0.1 >= 0.01\)"),
        (search.loguniform(0, 1), r"parameters\['p'\]: low must be above 0 for a logUniform"),
        (search.lognormal(-1, 1), r"parameters\['p'\]: low must be above 0 for a logNormal"),
        (search.uniform(0, 1, step=0), r"parameters\['p'\]: step must be above 0"),
        (search.uniform("0", 1), r"parameters\['p'\]: low must be a number, not '0'"),  # type: ignore[arg-type]
        (search.integer(1, 5, step=0), r"parameters\['p'\]: step must be at least 1"),
        (search.integer(0, 5, log=True), r"parameters\['p'\]: low must be at least 1 on a log"),
        (search.integer(1.5, 5), r"parameters\['p'\]: low must be an int, not 1.5"),  # type: ignore[arg-type]
        (search.choice([]), r"parameters\['p'\]: choice needs at least one value"),
        (search.choice([1, "1"]), r"parameters\['p'\]: choice values must differ as text"),
        (search.choice([[1, 2]]), r"parameters\['p'\]: choice values must be str, int"),  # type: ignore[list-item]
    ],
)
def test_errors_name_the_parameter(space: Any, message: str) -> None:
    with pytest.raises(InvalidSearchSpace, match=message):
        katib_parameters({"p": space})


def test_a_string_or_a_bad_name_is_refused_with_a_hint() -> None:
    with pytest.raises(InvalidSearchSpace, match=r"must be a search space such as kflow.search"):
        katib_parameters({"lr": "0.01-0.1"})  # type: ignore[dict-item]
    with pytest.raises(InvalidSearchSpace, match=r"parameters\['learning rate'\]: a parameter"):
        katib_parameters({"learning rate": search.uniform(0, 1)})
    with pytest.raises(InvalidSearchSpace, match="non-empty dict"):
        katib_parameters({})
    with pytest.raises(InvalidSearchSpace, match="list of values"):
        search.choice("abc")
