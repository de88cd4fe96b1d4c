"""Trial templates: Katib's substitution, meta references and pod additions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kflow.api.katib import default_experiment
from kflow.controllers.katib.templates import (
    DB_MANAGER_NAMES,
    METRICS_VOLUME,
    SERVICE_ACCOUNT_DIR,
    TemplateError,
    pod_templates,
    render_run_spec,
    template_source,
    trial_for,
    workload_for,
)
from kflow.store.memory import MemoryStore

SEED = Path(__file__).resolve().parents[2] / "examples" / "seeds" / "experiment-random-example.yaml"


def seed_experiment() -> dict[str, Any]:
    experiment: dict[str, Any] = yaml.safe_load(SEED.read_text())
    experiment["metadata"]["uid"] = "uid-1"
    default_experiment(experiment)
    return experiment


ASSIGNMENT = {
    "name": "random-example-abcdefgh",
    "parameterAssignments": [
        {"name": "lr", "value": "0.0217"},
        {"name": "num-layers", "value": "3"},
        {"name": "optimizer", "value": "adam"},
    ],
    "labels": {"pbt.suggestion.katib.kubeflow.org/generation": "0"},
}


def test_trial_from_the_seed_template() -> None:
    experiment = seed_experiment()
    trial = trial_for(experiment, template_source(MemoryStore(), experiment), ASSIGNMENT)
    assert trial["metadata"]["name"] == "random-example-abcdefgh"
    assert trial["metadata"]["labels"]["katib.kubeflow.org/experiment"] == "random-example"
    assert trial["metadata"]["ownerReferences"][0]["uid"] == "uid-1"
    spec = trial["spec"]
    container = spec["runSpec"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-3:] == ["--lr=0.0217", "--num-layers=3", "--optimizer=adam"]
    assert spec["runSpec"]["metadata"] == {
        "name": "random-example-abcdefgh",
        "namespace": "kubeflow-user-example-com",
    }
    assert spec["primaryContainerName"] == "training-container"
    assert spec["successCondition"].startswith("status.conditions.#(type==")
    assert spec["metricsCollector"]["collector"]["kind"] == "StdOut"
    assert spec["labels"] == ASSIGNMENT["labels"]
    assert spec["objective"]["objectiveMetricName"] == "Validation-accuracy"


def test_meta_references_and_escaping() -> None:
    experiment = seed_experiment()
    template = experiment["spec"]["trialTemplate"]
    template["trialParameters"] += [
        {"name": "trialName", "reference": "${trialSpec.Name}"},
        {"name": "ns", "reference": "${trialSpec.Namespace}"},
        {"name": "kind", "reference": "${trialSpec.Kind}"},
        {"name": "api", "reference": "${trialSpec.APIVersion}"},
        {"name": "team", "reference": "${trialSpec.Labels[team]}"},
        {"name": "note", "reference": "${trialSpec.Annotations[note]}"},
    ]
    source = template["trialSpec"]
    source["metadata"] = {"labels": {"team": "vision"}, "annotations": {"note": 'say "hi"'}}
    args = " ".join(
        f"${{trialParameters.{n}}}" for n in ("trialName", "ns", "kind", "api", "team", "note")
    )
    source["spec"]["template"]["spec"]["containers"][0]["args"] = [args]
    run = render_run_spec(
        experiment, source, "t-1", {"lr": "0.1", "num-layers": "2", "optimizer": "sgd"}
    )
    got = run["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert got == 't-1 kubeflow-user-example-com Job batch/v1 vision say "hi"'


def test_a_reference_without_a_value_is_an_error() -> None:
    experiment = seed_experiment()
    with pytest.raises(TemplateError, match="num-layers"):
        render_run_spec(experiment, template_source(MemoryStore(), experiment), "t", {"lr": "1"})


def test_template_from_a_config_map() -> None:
    experiment = seed_experiment()
    spec = experiment["spec"]
    source = spec["trialTemplate"].pop("trialSpec")
    spec["trialTemplate"]["configMap"] = {
        "configMapName": "templates",
        "configMapNamespace": "kubeflow",
        "templatePath": "job.yaml",
    }
    store = MemoryStore()
    store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubeflow"}}
    )
    with pytest.raises(TemplateError, match="not found"):
        template_source(store, experiment)
    store.create(
        "configmaps",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "templates", "namespace": "kubeflow"},
            "data": {"job.yaml": yaml.safe_dump(source)},
        },
    )
    assert template_source(store, experiment) == source


def trial_with(collector: dict[str, Any]) -> dict[str, Any]:
    experiment = seed_experiment()
    trial = trial_for(experiment, template_source(MemoryStore(), experiment), ASSIGNMENT)
    trial["metadata"]["uid"] = "trial-uid"
    trial["spec"]["metricsCollector"] = collector
    return trial


def test_workload_gets_katib_pod_additions() -> None:
    trial = trial_with({"collector": {"kind": "StdOut"}})
    before = copy.deepcopy(trial)
    workload = workload_for(trial)
    assert trial == before  # never mutates the stored trial
    assert workload["metadata"]["ownerReferences"][0]["uid"] == "trial-uid"
    (template,) = pod_templates(workload)
    assert template["metadata"]["labels"]["katib.kubeflow.org/trial"] == trial["metadata"]["name"]
    env = template["spec"]["containers"][0]["env"]
    assert {"name": "KATIB_TRIAL_NAME", "value": trial["metadata"]["name"]} in env
    assert "volumes" not in template["spec"]


def test_file_collector_gets_a_metrics_volume() -> None:
    trial = trial_with(
        {
            "collector": {"kind": "File"},
            "source": {"fileSystemPath": {"path": "/var/log/katib/metrics.log", "kind": "File"}},
        }
    )
    (template,) = pod_templates(workload_for(trial))
    assert {"name": METRICS_VOLUME, "emptyDir": {}} in template["spec"]["volumes"]
    mounts = template["spec"]["containers"][0]["volumeMounts"]
    assert {"name": METRICS_VOLUME, "mountPath": "/var/log/katib"} in mounts


def test_push_collector_can_reach_the_db_manager() -> None:
    trial = trial_with({"collector": {"kind": "Push"}})
    (template,) = pod_templates(workload_for(trial, db_manager_ip="127.0.75.1"))
    spec = template["spec"]
    assert spec["hostAliases"] == [{"ip": "127.0.75.1", "hostnames": list(DB_MANAGER_NAMES)}]
    mounts = spec["containers"][0]["volumeMounts"]
    assert any(vm["mountPath"] == SERVICE_ACCOUNT_DIR for vm in mounts)
    (volume,) = [v for v in spec["volumes"] if "downwardAPI" in v]
    assert volume["downwardAPI"]["items"][0]["fieldRef"]["fieldPath"] == "metadata.namespace"


def test_training_job_templates_all_get_labels() -> None:
    trial = trial_with({"collector": {"kind": "StdOut"}})
    container = {"name": "training-container", "image": "x", "command": ["true"]}
    trial["spec"]["runSpec"] = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "t"},
        "spec": {
            "pytorchReplicaSpecs": {
                role: {"replicas": 1, "template": {"spec": {"containers": [dict(container)]}}}
                for role in ("Master", "Worker")
            }
        },
    }
    templates = list(pod_templates(workload_for(trial)))
    assert len(templates) == 2
    for template in templates:
        assert "katib.kubeflow.org/trial" in template["metadata"]["labels"]
