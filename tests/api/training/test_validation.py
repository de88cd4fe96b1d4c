"""Upstream validation of the training kinds: every cause with its field path."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api.errors import Invalid
from tests.api.training.test_defaults import admitted, job, replica


def messages(obj: dict[str, Any]) -> list[str]:
    with pytest.raises(Invalid) as info:
        admitted(obj)
    return [str(c) for c in info.value.causes]


def test_pytorch_master_must_be_one() -> None:
    got = messages(job("PyTorchJob", {"Master": replica("pytorch", replicas=2)}))
    assert got == ["spec.pytorchReplicaSpecs.Master.replicas: Invalid value: 2: must be 1"]


def test_default_container_must_exist() -> None:
    got = messages(job("TFJob", {"Worker": replica("main")}))
    assert got == [
        "spec.tfReplicaSpecs.Worker.template.spec.containers: Required value: must have a "
        'container named "tensorflow" (the TFJob default container)'
    ]


def test_image_required_with_its_path() -> None:
    obj = job(
        "XGBoostJob", {"Master": {"template": {"spec": {"containers": [{"name": "xgboost"}]}}}}
    )
    assert messages(obj) == [
        "spec.xgbReplicaSpecs.Master.template.spec.containers[0].image: Required value"
    ]


def test_unknown_replica_type_lists_the_allowed_ones() -> None:
    got = messages(job("PyTorchJob", {"Launcher": replica("pytorch")}))
    assert got == [
        'spec.pytorchReplicaSpecs.Launcher: Unsupported value: "Launcher": supported values: '
        '"Master", "Worker"'
    ]


def test_negative_replicas_and_run_policy() -> None:
    got = messages(
        job(
            "JAXJob",
            {"Worker": replica("jax", replicas=-1)},
            runPolicy={"backoffLimit": -2},
        )
    )
    assert got == [
        "spec.jaxReplicaSpecs.Worker.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.runPolicy.backoffLimit: Invalid value: -2: must be greater than or equal to 0",
    ]


def test_tfjob_at_most_one_chief_or_master() -> None:
    got = messages(job("TFJob", {"Chief": replica("tensorflow"), "Master": replica("tensorflow")}))
    assert got == ["spec.tfReplicaSpecs: Forbidden: must not have more than 1 Chief or Master role"]


def test_required_types_and_missing_specs() -> None:
    assert messages(job("MPIJob", {"Worker": replica("mpi")})) == [
        "spec.mpiReplicaSpecs.Launcher: Required value: MPIJob must have a Launcher replica"
    ]
    assert messages(job("PaddleJob", {})) == ["spec.paddleReplicaSpecs: Required value"]


def test_restart_policy_enum_and_name() -> None:
    obj = job("TFJob", {"Worker": replica("tensorflow", restartPolicy="Sometimes")})
    obj["metadata"]["name"] = "9bad"
    got = messages(obj)
    assert any(m.startswith("metadata.name: Invalid value") for m in got)
    assert (
        'spec.tfReplicaSpecs.Worker.restartPolicy: Unsupported value: "Sometimes": supported '
        'values: "Always", "ExitCode", "Never", "OnFailure"'
    ) in got
