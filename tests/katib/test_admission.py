"""Search settings are checked at admission: a 422 naming the field, before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api import katib  # noqa: F401  (registers the kinds)
from kflow.api.admission import admit
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from kflow.controllers.katib.admission import register_search_validation
from tests.katib.harness import experiment

EXPERIMENTS = "experiments.kubeflow.org"


def admitted(body: dict[str, Any]) -> dict[str, Any]:
    register_search_validation()
    info = registry.by_resource(EXPERIMENTS)
    return admit(info, body, None, operation="CREATE", version="v1beta1")


def test_bad_algorithm_settings_are_refused() -> None:
    body = experiment("ok", "pass")
    body["spec"]["algorithm"] = {
        "algorithmName": "tpe",
        "algorithmSettings": [{"name": "n_startup_trials", "value": "3"}],
    }
    body["spec"]["algorithm"]["algorithmSettings"] += [
        {"name": "n_ei_candidates", "value": "many"},
        {"name": "bogus", "value": "1"},
    ]
    with pytest.raises(Invalid) as refused:
        admitted(body)
    fields = {c.field for c in refused.value.causes}
    assert fields == {
        "spec.algorithm.algorithmSettings[1].value",
        "spec.algorithm.algorithmSettings[2].name",
    }
    assert "allowed:" in str(refused.value)


def test_nas_is_refused_honestly() -> None:
    body = experiment("nas", "pass")
    body["spec"]["algorithm"] = {"algorithmName": "enas"}
    with pytest.raises(Invalid, match="not implemented"):
        admitted(body)


def test_good_settings_pass_and_registration_is_idempotent() -> None:
    register_search_validation()
    register_search_validation()
    info = registry.by_resource(EXPERIMENTS)
    assert sum(v.__name__ == "validate_search_settings" for v in info.validators) == 1
    body = experiment("fine", "pass")
    body["spec"]["algorithm"] = {
        "algorithmName": "cmaes",
        "algorithmSettings": [{"name": "sigma", "value": "0.3"}],
    }
    body["spec"]["parameters"].append(
        {"name": "y", "parameterType": "int", "feasibleSpace": {"min": "1", "max": "9"}}
    )
    assert admitted(body)["spec"]["algorithm"]["algorithmName"] == "cmaes"


def test_nsga2_is_accepted_with_a_direction_per_metric() -> None:
    body = experiment("pareto", "pass")
    body["spec"]["objective"]["additionalMetricNames"] = ["latency"]
    body["spec"]["objective"]["metricStrategies"] = None
    body["spec"]["algorithm"] = {
        "algorithmName": "nsga2",
        "algorithmSettings": [{"name": "directions", "value": "minimize,minimize"}],
    }
    assert admitted(body)["spec"]["algorithm"]["algorithmName"] == "nsga2"
    body["spec"]["algorithm"]["algorithmSettings"] = [{"name": "directions", "value": "up"}]
    with pytest.raises(Invalid):
        admitted(body)
