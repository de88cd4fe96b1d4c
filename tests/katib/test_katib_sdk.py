"""The real Katib SDK (`kubeflow-katib`'s KatibClient) driving kflow, unmodified.

It reads the kubeconfig `kflow up` writes and talks to kflow as to a cluster with
Katib installed: create an Experiment from the SDK's models, wait for it, read the
optimal trial, list trials, `tune()` a Python objective (metrics on stdout, and
pushed with `report_metrics` through the DB manager API), and delete.
"""

from __future__ import annotations

import pytest

from kflow.sdk import Client
from tests.training.conftest import Up

katib = pytest.importorskip("kubeflow.katib")
pytestmark = pytest.mark.slow


@pytest.fixture
def namespace(kf: Client) -> str:
    return kf.namespace


def sdk(up: Up) -> katib.KatibClient:
    return katib.KatibClient(config_file=str(up.home / "kubeconfig"))


def experiment_model(name: str) -> katib.V1beta1Experiment:
    """An Experiment written with the SDK's own models, as its docs show."""
    import sys

    from kubernetes.client import V1ObjectMeta

    code = (
        "import sys; x = float(sys.argv[1]); print(f'objective={-(x - 0.3) ** 2:.6f}', flush=True)"
    )
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "training-container",
                            "image": "python:3.11",
                            "command": [sys.executable, "-c", code, "${trialParameters.x}"],
                        }
                    ],
                }
            }
        },
    }
    return katib.V1beta1Experiment(
        api_version="kubeflow.org/v1beta1",
        kind="Experiment",
        metadata=V1ObjectMeta(name=name),
        spec=katib.V1beta1ExperimentSpec(
            max_trial_count=4,
            parallel_trial_count=2,
            max_failed_trial_count=1,
            algorithm=katib.V1beta1AlgorithmSpec(algorithm_name="random"),
            objective=katib.V1beta1ObjectiveSpec(
                type="maximize", objective_metric_name="objective"
            ),
            parameters=[
                katib.V1beta1ParameterSpec(
                    name="x",
                    parameter_type="double",
                    feasible_space=katib.V1beta1FeasibleSpace(min="0", max="1"),
                )
            ],
            trial_template=katib.V1beta1TrialTemplate(
                primary_container_name="training-container",
                trial_parameters=[
                    katib.V1beta1TrialParameterSpec(name="x", reference="x", description="x")
                ],
                trial_spec=job,
            ),
        ),
    )


def test_create_wait_optimal_list_delete(up: Up, namespace: str) -> None:
    client = sdk(up)
    client.create_experiment(experiment_model("sdk-exp"), namespace=namespace)
    done = client.wait_for_experiment_condition(
        name="sdk-exp", namespace=namespace, timeout=120, polling_interval=0.5
    )
    assert client.is_experiment_succeeded("sdk-exp", namespace=namespace)
    experiment = client.get_experiment("sdk-exp", namespace=namespace)
    assert experiment.status.trials_succeeded == 4
    assert done.status.conditions[-1].reason == "ExperimentMaxTrialsReached"

    optimal = client.get_optimal_hyperparameters("sdk-exp", namespace=namespace)
    (assignment,) = optimal.parameter_assignments
    assert assignment.name == "x"
    best = next(m for m in optimal.observation.metrics if m.name == "objective")
    assert float(best.max) == pytest.approx(-((float(assignment.value) - 0.3) ** 2), abs=1e-5)

    trials = client.list_trials("sdk-exp", namespace=namespace)
    assert len(trials) == 4
    assert all(t.status.conditions[-1].type == "Succeeded" for t in trials)
    assert {t.metadata.name for t in trials} == set(experiment.status.succeeded_trial_list)
    suggestion = client.get_suggestion("sdk-exp", namespace=namespace)
    assert suggestion.status.suggestion_count == 4

    client.delete_experiment("sdk-exp", namespace=namespace)
    with Client(home=up.home, namespace=namespace) as kf:
        from tests.conftest import wait_until

        wait_until(lambda: not kf.list("experiments").items, timeout=30)


def objective(parameters: dict[str, str]) -> None:
    x = float(parameters["x"])
    print(f"result={-((x - 0.5) ** 2)}")


def test_tune_with_an_objective_function(up: Up, namespace: str) -> None:
    client = sdk(up)
    client.tune(
        name="tuned",
        namespace=namespace,
        objective=objective,
        parameters={"x": katib.search.double(min=0.0, max=1.0)},
        objective_metric_name="result",
        objective_type="maximize",
        algorithm_name="tpe",
        max_trial_count=4,
        parallel_trial_count=2,
        base_image="python:3.11",
    )
    client.wait_for_experiment_condition(
        name="tuned", namespace=namespace, timeout=180, polling_interval=0.5
    )
    assert client.is_experiment_succeeded("tuned", namespace=namespace)
    best = client.get_optimal_hyperparameters("tuned", namespace=namespace)
    x = float(best.parameter_assignments[0].value)
    assert 0.0 <= x <= 1.0


def pushing_objective(parameters: dict[str, str]) -> None:
    import kubeflow.katib as katib

    x = float(parameters["x"])
    for step in range(3):
        katib.report_metrics({"result": -((x - 0.5) ** 2) - 0.1 * (2 - step)})


def test_tune_with_pushed_metrics(up: Up, namespace: str) -> None:
    client = sdk(up)
    client.tune(
        name="pushed",
        namespace=namespace,
        objective=pushing_objective,
        parameters={"x": katib.search.double(min=0.0, max=1.0)},
        objective_metric_name="result",
        objective_type="maximize",
        max_trial_count=2,
        parallel_trial_count=2,
        base_image="python:3.11",
        metrics_collector_config={"kind": "Push"},
    )
    client.wait_for_experiment_condition(
        name="pushed", namespace=namespace, timeout=180, polling_interval=0.5
    )
    assert client.is_experiment_succeeded("pushed", namespace=namespace)
    (trial, *_) = client.list_trials("pushed", namespace=namespace)
    assert trial.status.conditions[-1].type == "Succeeded"
    result = next(m for m in trial.status.observation.metrics if m.name == "result")
    x = float(trial.spec.parameter_assignments[0].value)
    assert float(result.latest) == pytest.approx(-((x - 0.5) ** 2), abs=1e-6)
