"""A minimal valid Experiment to vary, and admission through the registry."""

from __future__ import annotations

import copy
from typing import Any

import kflow.api.katib  # noqa: F401  (registers Katib's kinds)
from kflow.api.admission import admit
from kflow.api.kinds import registry

_EXPERIMENT: dict[str, Any] = {
    "apiVersion": "kubeflow.org/v1beta1",
    "kind": "Experiment",
    "metadata": {"name": "tune", "namespace": "default"},
    "spec": {
        "objective": {"type": "minimize", "objectiveMetricName": "loss"},
        "algorithm": {"algorithmName": "random"},
        "parameters": [
            {
                "name": "lr",
                "parameterType": "double",
                "feasibleSpace": {"min": "0.01", "max": "0.1"},
            }
        ],
        "trialTemplate": {
            "primaryContainerName": "main",
            "trialParameters": [{"name": "learningRate", "reference": "lr"}],
            "trialSpec": {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "main",
                                    "image": "img",
                                    "command": ["train", "--lr=${trialParameters.learningRate}"],
                                }
                            ],
                            "restartPolicy": "Never",
                        }
                    }
                },
            },
        },
    },
}


def experiment(**spec: Any) -> dict[str, Any]:
    """A valid Experiment with `spec` keys replaced (None removes a key)."""
    obj = copy.deepcopy(_EXPERIMENT)
    for key, value in spec.items():
        if value is None:
            obj["spec"].pop(key, None)
        else:
            obj["spec"][key] = value
    return obj


def admitted(obj: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    info = registry.by_resource(f"{obj['kind'].lower()}s.kubeflow.org")
    operation = "CREATE" if old is None else "UPDATE"
    return admit(info, obj, old, operation=operation, version="v1beta1")
