"""Katib's validation of an Experiment: every cause with its field path."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api.errors import Invalid
from kflow.api.katib import is_meta_reference
from tests.api.katib.katib_support import admitted, experiment


def messages(obj: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    with pytest.raises(Invalid) as info:
        admitted(obj, old)
    return [str(c) for c in info.value.causes]


def with_parameters(*parameters: dict[str, Any]) -> dict[str, Any]:
    obj = experiment(parameters=list(parameters))
    obj["spec"]["trialTemplate"]["trialParameters"][0]["reference"] = parameters[0]["name"]
    return obj


def test_valid_experiment_is_admitted() -> None:
    assert admitted(experiment())["metadata"]["name"] == "tune"


def test_name_at_most_40_characters_and_dns1123() -> None:
    obj = experiment()
    obj["metadata"]["name"] = "a" * 41
    assert messages(obj) == [
        f'metadata.name: Invalid value: "{"a" * 41}": must be no more than 40 characters '
        "(Katib derives trial and suggestion names from it)"
    ]
    obj["metadata"]["name"] = "a.b"
    assert messages(obj)[0].startswith(
        'metadata.name: Invalid value: "a.b": a lowercase RFC 1123 label'
    )


def test_objective_and_algorithm_required() -> None:
    assert messages(experiment(objective=None, algorithm=None)) == [
        "spec.objective: Required value",
        "spec.algorithm: Required value",
    ]


def test_objective_type_metric_and_additional_metrics() -> None:
    got = messages(experiment(objective={"type": "best", "additionalMetricNames": ["acc"]}))
    assert got == [
        'spec.objective.type: Unsupported value: "best": supported values: "minimize", "maximize"',
        "spec.objective.objectiveMetricName: Required value",
    ]
    got = messages(
        experiment(
            objective={
                "type": "maximize",
                "objectiveMetricName": "acc",
                "additionalMetricNames": ["acc"],
            }
        )
    )
    assert got == [
        'spec.objective.additionalMetricNames: Invalid value: "acc": must not repeat '
        "spec.objective.objectiveMetricName"
    ]


def test_unknown_algorithm_lists_the_known_ones() -> None:
    got = messages(experiment(algorithm={"algorithmName": "magic"}))
    assert got[0].startswith(
        'spec.algorithm.algorithmName: Unsupported value: "magic": supported values: "random"'
    )


def test_trial_counts() -> None:
    got = messages(experiment(parallelTrialCount=5, maxTrialCount=4, maxFailedTrialCount=6))
    assert got == [
        "spec.maxFailedTrialCount: Invalid value: 6: must be less than or equal to spec.maxTrialCount",
        "spec.parallelTrialCount: Invalid value: 5: must be less than or equal to spec.maxTrialCount",
    ]
    got = messages(experiment(parallelTrialCount=0, maxTrialCount=0, maxFailedTrialCount=-1))
    assert got[:3] == [
        "spec.maxFailedTrialCount: Invalid value: -1: must not be less than 0",
        "spec.maxTrialCount: Invalid value: 0: must be greater than 0",
        "spec.parallelTrialCount: Invalid value: 0: must be greater than 0",
    ]
    assert admitted(experiment(parallelTrialCount=4, maxTrialCount=4))["spec"]["maxTrialCount"] == 4


def test_counts_must_be_integers() -> None:
    got = messages(experiment(maxTrialCount="many"))
    assert got == [
        'spec.maxTrialCount: Invalid value: "many": input should be a valid integer, unable to parse string as an integer'
    ]


def test_resume_policy() -> None:
    assert messages(experiment(resumePolicy="Sometimes")) == [
        'spec.resumePolicy: Unsupported value: "Sometimes": supported values: '
        '"Never", "LongRunning", "FromVolume"'
    ]


def test_parameter_type_and_distribution() -> None:
    got = messages(
        with_parameters(
            {
                "name": "lr",
                "parameterType": "float",
                "feasibleSpace": {"min": "1", "max": "2", "distribution": "beta"},
            }
        )
    )
    assert got == [
        'spec.parameters[0].parameterType: Unsupported value: "float": supported values: '
        '"double", "int", "discrete", "categorical"',
        'spec.parameters[0].feasibleSpace.distribution: Unsupported value: "beta": supported '
        'values: "uniform", "logUniform", "normal", "logNormal"',
    ]


def test_numeric_feasible_space_rules() -> None:
    got = messages(
        with_parameters(
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.1", "max": "0.1"},
            },
            {
                "name": "n",
                "parameterType": "int",
                "feasibleSpace": {"min": "1.5", "max": "4", "step": "0"},
            },
            {"name": "w", "parameterType": "double", "feasibleSpace": {"min": "a", "list": ["1"]}},
            {
                "name": "d",
                "parameterType": "double",
                "feasibleSpace": {"min": "0", "max": "1", "distribution": "logUniform"},
            },
        )
    )
    assert got == [
        'spec.parameters[0].feasibleSpace.min: Invalid value: "0.1": must be less than max (0.1)',
        'spec.parameters[1].feasibleSpace.min: Invalid value: "1.5": must be an integer',
        'spec.parameters[1].feasibleSpace.step: Invalid value: "0": must be greater than 0',
        "spec.parameters[2].feasibleSpace.list: Forbidden: not supported for parameterType double",
        'spec.parameters[2].feasibleSpace.min: Invalid value: "a": must be a number',
        "spec.parameters[2].feasibleSpace.max: Required value: must be set for parameterType double",
        'spec.parameters[3].feasibleSpace.min: Invalid value: "0": must be positive for a '
        "logUniform distribution",
    ]


def test_list_feasible_space_rules() -> None:
    got = messages(
        with_parameters(
            {
                "name": "opt",
                "parameterType": "categorical",
                "feasibleSpace": {"list": [], "max": "3"},
            },
            {"name": "bs", "parameterType": "discrete", "feasibleSpace": {"list": ["32", "x"]}},
            {"name": "opt", "parameterType": "categorical"},
        )
    )
    assert got == [
        "spec.parameters[0].feasibleSpace.max: Forbidden: not supported for parameterType "
        "categorical; use list",
        "spec.parameters[0].feasibleSpace.list: Required value: must list the values of a "
        "categorical parameter",
        'spec.parameters[1].feasibleSpace.list[1]: Invalid value: "x": must be a number',
        'spec.parameters[2].name: Duplicate value: "opt"',
        "spec.parameters[2].feasibleSpace: Required value: feasibleSpace must be specified",
    ]


def test_feasible_space_numbers_are_strings_as_in_katib() -> None:
    got = messages(
        with_parameters(
            {"name": "lr", "parameterType": "double", "feasibleSpace": {"min": 0.1, "max": "1"}}
        )
    )
    assert got == [
        "spec.parameters[0].feasibleSpace.min: Invalid value: 0.1: input should be a valid string"
    ]


def test_parameters_required() -> None:
    obj = experiment(parameters=None)
    obj["spec"]["trialTemplate"]["trialParameters"][0]["reference"] = "${trialSpec.Name}"
    assert messages(obj) == [
        "spec.parameters: Required value: spec.parameters or spec.nasConfig must be specified"
    ]


def test_trial_template_needs_exactly_one_source() -> None:
    obj = experiment()
    obj["spec"]["trialTemplate"]["configMap"] = {"configMapName": "t"}
    assert messages(obj) == [
        "spec.trialTemplate: Forbidden: only one of trialSpec and configMap may be set"
    ]
    del obj["spec"]["trialTemplate"]["trialSpec"]
    del obj["spec"]["trialTemplate"]["configMap"]
    got = messages(obj)
    assert (
        "spec.trialTemplate.trialSpec: Required value: one of trialSpec or configMap must be set"
        in got
    )


def test_config_map_source_needs_its_fields() -> None:
    obj = experiment()
    del obj["spec"]["trialTemplate"]["trialSpec"]
    obj["spec"]["trialTemplate"].update(
        configMap={"configMapName": "t"}, successCondition="s", failureCondition="f"
    )
    assert messages(obj) == [
        "spec.trialTemplate.configMap.configMapNamespace: Required value",
        "spec.trialTemplate.configMap.templatePath: Required value",
    ]


def test_trial_parameters_reference_and_placeholders() -> None:
    obj = experiment()
    template = obj["spec"]["trialTemplate"]
    template["trialParameters"] = [
        {"name": "learningRate", "reference": "rate"},
        {"name": "unused", "reference": "${trialSpec.Name}"},
        {"name": "learningRate", "reference": "lr"},
    ]
    template["trialSpec"]["spec"]["template"]["spec"]["containers"][0]["args"] = [
        "--batch=${trialParameters.batchSize}"
    ]
    assert messages(obj) == [
        'spec.trialTemplate.trialParameters[0].reference: Invalid value: "rate": must name one '
        "of spec.parameters or be a ${trialSpec.<Name|Namespace|Kind|APIVersion|Labels[key]|"
        "Annotations[key]>} reference",
        'spec.trialTemplate.trialParameters[1].name: Invalid value: "unused": '
        "${trialParameters.unused} is not used in spec.trialTemplate.trialSpec",
        'spec.trialTemplate.trialParameters[2].name: Duplicate value: "learningRate"',
        'spec.trialTemplate.trialSpec: Invalid value: "${trialParameters.batchSize}": is not '
        "declared in spec.trialTemplate.trialParameters",
    ]


def test_trial_template_primary_container_kind_and_no_name() -> None:
    obj = experiment()
    template = obj["spec"]["trialTemplate"]
    del template["primaryContainerName"]
    template["trialSpec"]["metadata"] = {"name": "fixed"}
    del template["trialSpec"]["kind"]
    assert messages(obj) == [
        "spec.trialTemplate.primaryContainerName: Required value",
        "spec.trialTemplate.successCondition: Required value: must be set for a trialSpec kind "
        "Katib has no default for",
        "spec.trialTemplate.failureCondition: Required value: must be set for a trialSpec kind "
        "Katib has no default for",
        "spec.trialTemplate.trialSpec.metadata.name: Forbidden: must be omitted; each trial "
        "names its own workload",
        "spec.trialTemplate.trialSpec.kind: Required value",
    ]


def test_meta_references() -> None:
    assert is_meta_reference("${trialSpec.Name}")
    assert is_meta_reference("${trialSpec.Labels[app]}")
    assert is_meta_reference("${trialSpec.Annotations[a.b/c]}")
    assert not is_meta_reference("${trialSpec.Image}")
    assert not is_meta_reference("lr")


def test_metrics_collector_rules() -> None:
    got = messages(experiment(metricsCollectorSpec={"collector": {"kind": "Carrier"}}))
    assert got[0].startswith(
        'spec.metricsCollectorSpec.collector.kind: Unsupported value: "Carrier"'
    )
    file = {
        "collector": {"kind": "File"},
        "source": {"fileSystemPath": {"path": "metrics.log", "format": "XML"}},
    }
    assert messages(experiment(metricsCollectorSpec=file)) == [
        'spec.metricsCollectorSpec.source.fileSystemPath.path: Invalid value: "metrics.log": '
        "must be an absolute path",
        'spec.metricsCollectorSpec.source.fileSystemPath.format: Unsupported value: "XML": '
        'supported values: "TEXT", "JSON"',
    ]
    stdout = {
        "collector": {"kind": "StdOut"},
        "source": {"filter": {"metricsFormat": ["(", "([a-z]+)=.*"]}},
    }
    got = messages(experiment(metricsCollectorSpec=stdout))
    assert got[0].startswith(
        'spec.metricsCollectorSpec.source.filter.metricsFormat[0]: Invalid value: "(": not a regular expression'
    )
    assert got[1] == (
        'spec.metricsCollectorSpec.source.filter.metricsFormat[1]: Invalid value: "([a-z]+)=.*": '
        "needs two groups: the metric name, then its value"
    )
    assert messages(experiment(metricsCollectorSpec={"collector": {"kind": "Custom"}})) == [
        "spec.metricsCollectorSpec.collector.customCollector: Required value"
    ]


def test_update_may_change_only_the_trial_counts() -> None:
    old = admitted(experiment(maxTrialCount=10))
    new = dict(old, spec=dict(old["spec"], maxTrialCount=20, parallelTrialCount=4))
    assert admitted(new, old)["spec"]["maxTrialCount"] == 20
    new = dict(old, spec=dict(old["spec"], algorithm={"algorithmName": "tpe"}))
    assert messages(new, old) == [
        "spec: Forbidden: only spec.parallelTrialCount, spec.maxTrialCount and "
        "spec.maxFailedTrialCount are editable"
    ]


def test_finished_experiment_restarts_only_when_resumable() -> None:
    old = admitted(experiment(maxTrialCount=4))
    old["status"] = {
        "trials": 4,
        "conditions": [
            {"type": "Succeeded", "status": "True", "reason": "ExperimentMaxTrialsReached"}
        ],
    }
    raised = dict(old, spec=dict(old["spec"], maxTrialCount=8))
    assert messages(raised, old)[0].startswith('spec.resumePolicy: Invalid value: "Never"')
    old["spec"]["resumePolicy"] = "LongRunning"
    raised = dict(old, spec=dict(old["spec"], maxTrialCount=8))
    assert admitted(raised, old)["spec"]["maxTrialCount"] == 8
    same = dict(old, spec=dict(old["spec"], maxTrialCount=3))
    assert messages(same, old) == [
        "spec.maxTrialCount: Invalid value: 3: must be greater than status.trials (4)"
    ]
