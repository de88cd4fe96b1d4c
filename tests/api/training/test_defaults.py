"""Upstream defaulting of the training kinds, and the contracts table it reads."""

from __future__ import annotations

from typing import Any

import pytest

from kflow.api.admission import admit
from kflow.api.kinds import registry
from kflow.api.training import TRAINING_KINDS, is_master_role
from kflow.api.training.contracts import MPIJOB, TFJOB


def job(kind: str, specs: dict[str, Any], **spec: Any) -> dict[str, Any]:
    field = TRAINING_KINDS[kind].replica_specs_field
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": kind,
        "metadata": {"name": "j", "namespace": "default"},
        "spec": {field: specs, **spec},
    }


def replica(container: str, **extra: Any) -> dict[str, Any]:
    return {"template": {"spec": {"containers": [{"name": container, "image": "img"}]}}, **extra}


def admitted(obj: dict[str, Any]) -> dict[str, Any]:
    info = registry.by_resource(TRAINING_KINDS[obj["kind"]].resource)
    return admit(info, obj, None, operation="CREATE", version="v1")


def test_contracts_are_upstream_values() -> None:
    assert list(TRAINING_KINDS) == [
        "TFJob",
        "PyTorchJob",
        "MPIJob",
        "XGBoostJob",
        "JAXJob",
        "PaddleJob",
    ]
    rows = {
        k.kind: (k.default_container_name, k.default_port_name, k.default_port)
        for k in TRAINING_KINDS.values()
    }
    assert rows == {
        "TFJob": ("tensorflow", "tfjob-port", 2222),
        "PyTorchJob": ("pytorch", "pytorchjob-port", 23456),
        "MPIJob": ("mpi", "mpi-port", 9999),
        "XGBoostJob": ("xgboost", "xgboostjob-port", 9999),
        "JAXJob": ("jax", "jaxjob-port", 6666),
        "PaddleJob": ("paddle", "master", 36543),
    }
    assert TFJOB.reason("Created") == "TFJobCreated"
    assert is_master_role(TFJOB, "Worker", 0, ["Worker", "PS"])
    assert not is_master_role(TFJOB, "Worker", 0, ["Chief", "Worker"])


@pytest.mark.parametrize("contract", list(TRAINING_KINDS.values()), ids=lambda c: c.kind)
def test_every_kind_gets_its_defaults(contract: Any) -> None:
    rtype = contract.replica_types[-1]
    lower = {rtype.lower(): replica(contract.default_container_name)}
    if contract.required_types:
        lower[contract.required_types[0].upper()] = replica(contract.default_container_name)
    body = admitted(job(contract.kind, lower))
    specs = body["spec"][contract.replica_specs_field]
    assert rtype in specs and rtype.lower() not in specs  # camel-cased
    got = specs[rtype]
    assert got["replicas"] == contract.default_replicas_for(rtype)
    assert got["restartPolicy"] == contract.default_restart_policy
    assert body["spec"]["runPolicy"]["cleanPodPolicy"] == "None"
    ports = got["template"]["spec"]["containers"][0].get("ports", [])
    if contract.adds_default_port:
        assert ports == [
            {"name": contract.default_port_name, "containerPort": contract.default_port}
        ]
    else:
        assert ports == []


def test_port_goes_to_the_default_container_and_is_not_duplicated() -> None:
    spec = {
        "containers": [
            {"name": "sidecar", "image": "a"},
            {
                "name": "tensorflow",
                "image": "b",
                "ports": [{"name": "tfjob-port", "containerPort": 9}],
            },
        ]
    }
    body = admitted(job("TFJob", {"Worker": {"template": {"spec": spec}}}))
    containers = body["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"]
    assert "ports" not in containers[0]
    assert containers[1]["ports"] == [{"name": "tfjob-port", "containerPort": 9}]


def test_tfjob_success_policy_and_explicit_values_are_kept() -> None:
    body = admitted(
        job(
            "TFJob",
            {"Chief": replica("tensorflow", replicas=1, restartPolicy="OnFailure")},
            runPolicy={"cleanPodPolicy": "All"},
        )
    )
    assert body["spec"]["successPolicy"] == ""
    assert body["spec"]["runPolicy"]["cleanPodPolicy"] == "All"
    assert body["spec"]["tfReplicaSpecs"]["Chief"]["restartPolicy"] == "OnFailure"


def test_mpijob_cleans_pod_policy_in_both_places_and_worker_replicas_default_zero() -> None:
    body = admitted(job("MPIJob", {"Launcher": replica("mpi"), "Worker": replica("mpi")}))
    assert body["spec"]["cleanPodPolicy"] == "None"
    assert body["spec"]["runPolicy"]["cleanPodPolicy"] == "None"
    assert body["spec"]["mpiReplicaSpecs"]["Worker"]["replicas"] == 0
    assert MPIJOB.default_replicas_for("Launcher") == 1


def test_pytorch_elastic_and_nproc_defaults() -> None:
    body = admitted(
        job(
            "PyTorchJob",
            {"Worker": replica("pytorch", replicas=3)},
            elasticPolicy={"rdzvBackend": "c10d"},
        )
    )
    assert body["spec"]["elasticPolicy"]["minReplicas"] == 3
    assert body["spec"]["elasticPolicy"]["maxReplicas"] == 3
    assert body["spec"]["nprocPerNode"] == "auto"
    body = admitted(
        job("PyTorchJob", {"Worker": replica("pytorch")}, elasticPolicy={"maxReplicas": 4})
    )
    assert body["spec"]["elasticPolicy"]["minReplicas"] == 4
    body = admitted(
        job("PyTorchJob", {"Worker": replica("pytorch")}, elasticPolicy={"nProcPerNode": 2})
    )
    assert "nprocPerNode" not in body["spec"]
