"""Katib's defaulting of an Experiment, through the one admission path."""

from __future__ import annotations

from kflow.api.katib import contracts as c
from tests.api.katib.katib_support import admitted, experiment


def test_counts_policy_collector_and_distribution() -> None:
    spec = admitted(experiment())["spec"]
    assert spec["parallelTrialCount"] == 3
    assert spec["resumePolicy"] == "Never"
    assert spec["metricsCollectorSpec"] == {"collector": {"kind": "StdOut"}}
    assert spec["parameters"][0]["feasibleSpace"]["distribution"] == "uniform"


def test_given_values_are_kept() -> None:
    obj = experiment(parallelTrialCount=1, resumePolicy="LongRunning")
    obj["spec"]["parameters"][0]["feasibleSpace"]["distribution"] = "logUniform"
    spec = admitted(obj)["spec"]
    assert (spec["parallelTrialCount"], spec["resumePolicy"]) == (1, "LongRunning")
    assert spec["parameters"][0]["feasibleSpace"]["distribution"] == "logUniform"


def test_metric_strategies_follow_the_objective_type() -> None:
    objective = {
        "type": "maximize",
        "objectiveMetricName": "acc",
        "additionalMetricNames": ["loss", "f1"],
        "metricStrategies": [{"name": "f1", "value": "latest"}],
    }
    got = admitted(experiment(objective=objective))["spec"]["objective"]["metricStrategies"]
    assert got == [
        {"name": "f1", "value": "latest"},
        {"name": "acc", "value": "max"},
        {"name": "loss", "value": "max"},
    ]


def test_job_template_gets_job_conditions() -> None:
    template = admitted(experiment())["spec"]["trialTemplate"]
    assert template["successCondition"] == c.JOB_SUCCESS_CONDITION
    assert template["failureCondition"] == c.JOB_FAILURE_CONDITION
    assert "primaryPodLabels" not in template


def test_training_job_template_gets_conditions_and_master_label() -> None:
    obj = experiment()
    obj["spec"]["trialTemplate"]["trialSpec"].update(
        apiVersion="kubeflow.org/v1", kind="PyTorchJob"
    )
    template = admitted(obj)["spec"]["trialTemplate"]
    assert template["successCondition"] == c.KUBEFLOW_JOB_SUCCESS_CONDITION
    assert template["primaryPodLabels"] == {"training.kubeflow.org/job-role": "master"}


def test_file_collectors_get_default_paths() -> None:
    spec = admitted(experiment(metricsCollectorSpec={"collector": {"kind": "File"}}))["spec"]
    assert spec["metricsCollectorSpec"]["source"]["fileSystemPath"] == {
        "kind": "File",
        "path": "/var/log/katib/metrics.log",
        "format": "TEXT",
    }
    spec = admitted(experiment(metricsCollectorSpec={"collector": {"kind": "TensorFlowEvent"}}))[
        "spec"
    ]
    assert spec["metricsCollectorSpec"]["source"]["fileSystemPath"] == {
        "kind": "Directory",
        "path": "/var/log/katib/tfevent/",
    }
    spec = admitted(experiment(metricsCollectorSpec={"collector": {"kind": "PrometheusMetric"}}))[
        "spec"
    ]
    assert spec["metricsCollectorSpec"]["source"]["httpGet"] == {"path": "/metrics", "port": 8080}


def test_unknown_fields_survive() -> None:
    obj = experiment(futureField={"x": 1})
    obj["spec"]["objective"]["futureKnob"] = "y"
    spec = admitted(obj)["spec"]
    assert spec["futureField"] == {"x": 1}
    assert spec["objective"]["futureKnob"] == "y"
