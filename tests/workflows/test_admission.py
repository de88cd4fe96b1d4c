"""Argo's kinds through the one admission path: the seed's workflow passes, and bad
workflows are refused with the field they are about and Argo's own message."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kflow.api import argo, core  # noqa: F401  (registers the kinds)
from kflow.api.admission import admit
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from tests.training.conftest import ROOT

SEED = ROOT / "examples" / "seeds" / "argo-kubeflow-test.yaml"


def admitted(body: dict[str, Any], resource: str = "workflows.argoproj.io") -> dict[str, Any]:
    body.setdefault("metadata", {}).setdefault("name", "wf")
    if registry.by_resource(resource).namespaced:
        body["metadata"].setdefault("namespace", "default")
    return admit(registry.by_resource(resource), body, None, operation="CREATE", version="v1alpha1")


def causes(body: dict[str, Any], resource: str = "workflows.argoproj.io") -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        admitted(body, resource)
    return {c.field: c.message for c in caught.value.causes}


def workflow(templates: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "spec": {"entrypoint": templates[0]["name"], "templates": templates, **spec},
    }


ECHO = {"name": "echo", "container": {"image": "alpine", "command": ["echo", "hi"]}}


def test_the_seed_workflow_is_admitted_as_written() -> None:
    body = yaml.safe_load(SEED.read_text())
    body["metadata"]["name"] = "kubeflow-test-abcde"
    assert admitted(body)["spec"]["templates"][1]["metadata"] == {"annotations": None}


def test_short_names_and_scopes() -> None:
    assert registry.resolve("wf").kind == "Workflow"
    assert registry.resolve("wftmpl").kind == "WorkflowTemplate"
    assert registry.resolve("cwf").kind == "CronWorkflow"
    assert registry.resolve("cwft").namespaced is False


def test_entrypoint_is_required_and_must_name_a_template() -> None:
    body = workflow([ECHO])
    del body["spec"]["entrypoint"]
    assert causes(body) == {"spec.entrypoint": "spec.entrypoint is required"}
    body["spec"]["entrypoint"] = "nope"
    assert causes(body) == {"spec.entrypoint": "template name 'nope' undefined"}


def test_a_workflow_template_may_leave_the_entrypoint_out() -> None:
    body = {"apiVersion": "argoproj.io/v1alpha1", "kind": "WorkflowTemplate"}
    body["spec"] = {"templates": [ECHO]}
    assert admitted(body, "workflowtemplates.argoproj.io")["spec"]["templates"] == [ECHO]


def test_template_names_are_unique_and_one_type_each() -> None:
    both = {"name": "two", "container": {"image": "a"}, "script": {"image": "a", "source": "x"}}
    none: dict[str, Any] = {"name": "none"}
    got = causes(workflow([ECHO, dict(ECHO), both, none]))
    assert got["spec.templates[1].name"] == "spec.templates[1].name 'echo' is not unique"
    assert got["spec.templates[2]"].startswith("templates.two multiple template types specified.")
    assert got["spec.templates[3]"].startswith("templates.none template type unspecified.")


def test_dag_tasks_refer_to_known_tasks_and_templates() -> None:
    dag = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "A", "template": "echo"},
                {"name": "B", "template": "missing", "dependencies": ["A", "C"]},
            ]
        },
    }
    got = causes(workflow([dag, ECHO]))
    assert got == {
        "spec.templates[0].dag.tasks[1].dependencies[1]": "templates.main.tasks.B dependency 'C' not defined",
        "spec.templates[0].dag.tasks[1].template": "templates.main.tasks.B template name 'missing' undefined",
    }


def test_depends_and_dependencies_do_not_mix() -> None:
    dag = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "A", "template": "echo"},
                {"name": "B", "template": "echo", "depends": "A"},
                {"name": "C", "template": "echo", "dependencies": ["A"]},
            ]
        },
    }
    assert causes(workflow([dag, ECHO]))["spec.templates[0].dag.tasks[2]"] == (
        "templates.main cannot use both 'depends' and 'dependencies' in the same DAG template"
    )


def test_steps_need_unique_names_and_known_templates() -> None:
    steps = {
        "name": "main",
        "steps": [[{"name": "a", "template": "echo"}], [{"name": "a", "template": "gone"}]],
    }
    got = causes(workflow([steps, ECHO]))
    assert got["spec.templates[0].steps[1][0].name"] == (
        "templates.main.steps[1].name 'a' is not unique"
    )
    steps["steps"][1][0]["name"] = "b"
    assert causes(workflow([steps, ECHO])) == {
        "spec.templates[0].steps[1][0].template": "templates.main.steps[1].b template name 'gone' undefined"
    }


def test_outputs_parameters_need_a_source_fit_for_the_template() -> None:
    bad = dict(
        ECHO,
        outputs={"parameters": [{"name": "x"}, {"name": "y", "valueFrom": {"parameter": "z"}}]},
    )
    got = causes(workflow([bad]))
    assert got["spec.templates[0].outputs.parameters[0]"] == (
        "templates.echo.outputs.parameters.x does not have valueFrom or value specified"
    )
    assert got["spec.templates[0].outputs.parameters[1].valueFrom.path"] == (
        "templates.echo.outputs.parameters.y.path must be specified for Container templates"
    )


def test_leaf_and_parent_only_fields() -> None:
    leaf = dict(ECHO, parallelism=2, retryStrategy={"retryPolicy": "Sometimes"})
    got = causes(workflow([leaf]))
    assert got["spec.templates[0].parallelism"] == (
        "templates.echo.parallelism is only valid for steps and dag templates"
    )
    assert (
        got["spec.templates[0].retryStrategy.retryPolicy"] == "Sometimes is not a valid RetryPolicy"
    )


def test_arguments_need_values_within_their_enum() -> None:
    body = workflow(
        [ECHO],
        arguments={"parameters": [{"name": "a"}, {"name": "b", "value": "x", "enum": ["y"]}]},
    )
    assert causes(body) == {
        "spec.arguments.parameters[0].value": "spec.arguments.a.value is required",
        "spec.arguments.parameters[1].value": "spec.arguments.b.value should be present in spec.arguments.b.enum list",
    }


def test_pod_gc_strategy_is_argo_s() -> None:
    got = causes(workflow([ECHO], podGC={"strategy": "Whenever"}))
    assert got == {"spec.podGC.strategy": "podGC.strategy unknown strategy 'Whenever'"}


def test_cron_workflow_policies_and_spec() -> None:
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "spec": {
            "schedule": "* * * * *",
            "concurrencyPolicy": "Sometimes",
            "workflowSpec": {"templates": [ECHO]},
        },
    }
    assert causes(body, "cronworkflows.argoproj.io") == {
        "spec.concurrencyPolicy": "'Sometimes' is not a valid concurrencyPolicy",
        "spec.workflowSpec.entrypoint": "cannot validate Workflow: spec.entrypoint is required",
    }


def test_depends_is_parsed_and_cycles_are_found() -> None:
    from kflow.controllers.workflows import register_workflow_validation

    register_workflow_validation()
    dag = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "A", "template": "echo", "depends": "C.Succeeded"},
                {"name": "B", "template": "echo", "depends": "A && ghost"},
                {"name": "C", "template": "echo", "depends": "B.Failed || B.Weird"},
            ]
        },
    }
    got = causes(workflow([dag, ECHO]))
    assert got["spec.templates[0].dag.tasks[1].depends"] == (
        "templates.main.tasks.B dependency 'ghost' not defined"
    )
    assert got["spec.templates[0].dag.tasks[2].depends"] == (
        "templates.main.tasks.C task result 'Weird' for task 'B' is invalid"
    )
    dag["dag"]["tasks"][2]["depends"] = "B.Failed"
    del dag["dag"]["tasks"][1]["depends"]
    dag["dag"]["tasks"][1]["depends"] = "A"
    assert causes(workflow([dag, ECHO])) == {
        "spec.templates[0].dag.tasks[0]": "templates.main.tasks dependency cycle detected: A->C->B->A"
    }
