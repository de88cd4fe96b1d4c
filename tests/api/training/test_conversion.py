"""Old TFJob and PyTorchJob versions convert to v1 on admission."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kflow.api.admission import admit
from kflow.api.errors import Invalid
from kflow.api.kinds import registry
from kflow.api.training import ANNOTATION_PYTORCH_BACKEND, ANNOTATION_TERMINATION_CHIEF


def convert(text: str) -> dict[str, Any]:
    obj = yaml.safe_load(text)
    obj["metadata"].setdefault("namespace", "default")
    info, version = registry.for_object(obj)
    return admit(info, obj, None, operation="CREATE", version=version)


TF_V1ALPHA1 = """
apiVersion: kubeflow.org/v1alpha1
kind: TFJob
metadata: {name: old}
spec:
  terminationPolicy: {chief: {replicaName: WORKER, replicaIndex: 1}}
  replicaSpecs:
  - replicas: 1
    tfReplicaType: MASTER
    tfPort: 3333
    template:
      spec:
        containers: [{name: tensorflow, image: img}]
        restartPolicy: OnFailure
  - replicas: 2
    tfReplicaType: WORKER
    template: {spec: {containers: [{name: tensorflow, image: img}]}}
"""


def test_tfjob_v1alpha1() -> None:
    body = convert(TF_V1ALPHA1)
    assert body["apiVersion"] == "kubeflow.org/v1"
    specs = body["spec"]["tfReplicaSpecs"]
    assert set(specs) == {"Master", "Worker"}
    assert "replicaSpecs" not in body["spec"] and "terminationPolicy" not in body["spec"]
    master = specs["Master"]
    assert master["restartPolicy"] == "OnFailure"  # from the template, as v1alpha1 read it
    assert master["template"]["spec"]["containers"][0]["ports"] == [
        {"name": "tfjob-port", "containerPort": 3333}
    ]
    assert specs["Worker"]["replicas"] == 2 and specs["Worker"]["restartPolicy"] == "Never"
    assert body["metadata"]["annotations"] == {ANNOTATION_TERMINATION_CHIEF: "Worker/1"}


def test_tfjob_v1alpha1_default_chief_needs_no_annotation() -> None:
    body = convert(
        TF_V1ALPHA1.replace("replicaName: WORKER, replicaIndex: 1", "replicaName: MASTER")
    )
    assert "annotations" not in body["metadata"]


def test_tfjob_v1alpha1_duplicate_type_is_invalid() -> None:
    text = TF_V1ALPHA1.replace("tfReplicaType: WORKER", "tfReplicaType: master")
    with pytest.raises(Invalid) as info:
        convert(text)
    assert str(info.value.causes[0]) == (
        'spec.replicaSpecs[1].tfReplicaType: Duplicate value: "master"'
    )


def test_tfjob_v1alpha2_run_policy() -> None:
    body = convert(
        """
apiVersion: kubeflow.org/v1alpha2
kind: TFJob
metadata: {name: two}
spec:
  cleanPodPolicy: All
  ttlSecondsAfterFinished: 60
  backoffLimit: 3
  activeDeadlineSeconds: 600
  tfReplicaSpecs:
    worker:
      template: {spec: {containers: [{name: tensorflow, image: img}]}}
"""
    )
    assert body["spec"]["runPolicy"] == {
        "cleanPodPolicy": "All",
        "ttlSecondsAfterFinished": 60,
        "backoffLimit": 3,
        "activeDeadlineSeconds": 600,
    }
    assert list(body["spec"]["tfReplicaSpecs"]) == ["Worker"]


def test_pytorchjob_v1alpha1() -> None:
    body = convert(
        """
apiVersion: kubeflow.org/v1alpha1
kind: PyTorchJob
metadata: {name: pt}
spec:
  backend: gloo
  masterPort: "29500"
  replicaSpecs:
  - replicaType: MASTER
    template: {spec: {containers: [{name: pytorch, image: img}]}}
  - replicas: 2
    replicaType: WORKER
    template: {spec: {containers: [{name: pytorch, image: img}]}}
"""
    )
    specs = body["spec"]["pytorchReplicaSpecs"]
    assert specs["Master"]["replicas"] == 1 and specs["Worker"]["replicas"] == 2
    for spec in specs.values():
        assert spec["template"]["spec"]["containers"][0]["ports"] == [
            {"name": "pytorchjob-port", "containerPort": 29500}
        ]
    assert body["metadata"]["annotations"] == {ANNOTATION_PYTORCH_BACKEND: "gloo"}
    assert "backend" not in body["spec"] and "masterPort" not in body["spec"]
