"""Katib's kinds in the registry: names, status subresource, columns and schema."""

from __future__ import annotations

from typing import Any

import pytest

import kflow.api.katib
from kflow.api.errors import Invalid
from kflow.api.kinds import Registry, registry
from kflow.api.tables import to_table
from tests.api.katib.katib_support import admitted


def rows(kind: str, objs: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    table = to_table(registry.resolve(kind), objs)
    return [c["name"] for c in table["columnDefinitions"]], [r["cells"] for r in table["rows"]]


def test_public_names() -> None:
    assert sorted(kflow.api.katib.__all__) == [
        "API_VERSION",
        "GROUP",
        "KATIB_COLUMNS",
        "SUGGESTION_COLUMNS",
        "VERSION",
        "default_experiment",
        "is_meta_reference",
        "katib_kinds",
        "register_katib_kinds",
        "validate_experiment",
    ]


@pytest.mark.parametrize(
    ("name", "resource"),
    [
        ("experiments", "experiments.kubeflow.org"),
        ("experiment", "experiments.kubeflow.org"),
        ("trials.kubeflow.org", "trials.kubeflow.org"),
        ("suggestion", "suggestions.kubeflow.org"),
    ],
)
def test_kinds_resolve(name: str, resource: str) -> None:
    info = registry.resolve(name)
    assert info.resource == resource
    assert info.api_version == "kubeflow.org/v1beta1"
    assert info.namespaced and "status" in info.subresources
    assert info.categories == ("all", "kubeflow", "katib")


def test_registration_is_idempotent() -> None:
    into = Registry()
    first = kflow.api.katib.register_katib_kinds(into)
    again = kflow.api.katib.register_katib_kinds(into)
    assert (
        [i.kind for i in first] == [i.kind for i in again] == ["Experiment", "Trial", "Suggestion"]
    )


def test_experiment_and_trial_columns_show_state_and_objective() -> None:
    obj = {
        "metadata": {"name": "e"},
        "status": {
            "conditions": [
                {"type": "Created", "status": "True"},
                {"type": "Running", "status": "True"},
            ]
        },
    }
    names, cells = rows("experiments", [obj])
    assert names == ["NAME", "STATUS", "BEST", "TRIALS", "AGE"]
    assert cells[0][:2] == ["e", "Running"]
    names, cells = rows("trials", [obj])
    assert names == ["NAME", "STATUS", "OBJECTIVE", "PARAMETERS", "AGE"]
    assert cells[0][:2] == ["e", "Running"]


def test_suggestion_columns() -> None:
    obj = {"metadata": {"name": "s"}, "spec": {"requests": 3}, "status": {"suggestionCount": 2}}
    names, cells = rows("suggestions", [obj])
    assert names == ["NAME", "TYPE", "STATUS", "REQUESTED", "ASSIGNED", "AGE"]
    assert cells[0][:5] == ["s", "", "", 3, 2]


def test_schema_names_katibs_definitions() -> None:
    schema = registry.resolve("experiments").schema
    assert schema is not None
    assert "kubeflow.org.v1beta1.FeasibleSpace" in schema["$defs"]
    spec = schema["$defs"]["kubeflow.org.v1beta1.ExperimentSpec"]
    assert spec["x-kubernetes-preserve-unknown-fields"] is True


def test_trial_and_suggestion_are_checked_against_their_models() -> None:
    trial = {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Trial",
        "metadata": {"name": "t", "namespace": "default"},
        "spec": {"parameterAssignments": [{"name": "lr", "value": "0.1"}], "runSpec": {}},
    }
    assert admitted(trial)["spec"]["parameterAssignments"] == [{"name": "lr", "value": "0.1"}]
    suggestion = {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Suggestion",
        "metadata": {"name": "s", "namespace": "default"},
        "spec": {"requests": "three"},
    }
    with pytest.raises(Invalid, match=r"spec\.requests"):
        admitted(suggestion)
