"""Upstream defaulting of the training-job kinds (`SetDefaults_<Kind>` in the operator).

Replica-type keys are camel-cased to their canonical spelling (`worker` -> `Worker`,
`MASTER` -> `Master`), each replica gets its kind's default `replicas` and
`restartPolicy`, the default-named container (or the first one) gets the default
port, and `runPolicy.cleanPodPolicy` becomes `None`. TFJob gets `successPolicy: ""`;
PyTorchJob gets `nprocPerNode: auto` and elastic min/max replicas. One deliberate
difference: upstream's MPIJob defaulter does not camel-case keys; kflow does it for
every kind, since a lowercase key can only ever mean the canonical type.
"""

from __future__ import annotations

from kflow.api.kinds import Defaulter, Obj
from kflow.api.training.contracts import PYTORCHJOB, TFJOB, TrainingKind

DEFAULT_NPROC_PER_NODE = "auto"


def _dict(value: object) -> Obj:
    return value if isinstance(value, dict) else {}


def camel_case_types(contract: TrainingKind, specs: Obj) -> None:
    """Rename replica-type keys given in any case to the canonical spelling, in place."""
    for key in list(specs):
        canonical = contract.canonical_type(str(key))
        if canonical is not None and canonical != key and canonical not in specs:
            specs[canonical] = specs.pop(key)


def default_port(contract: TrainingKind, pod_spec: Obj) -> None:
    """Add the kind's port to its default container (else the first) unless it is there."""
    containers = pod_spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return
    target = next(
        (c for c in containers if _dict(c).get("name") == contract.default_container_name),
        containers[0],
    )
    if not isinstance(target, dict):
        return
    ports = target.get("ports")
    if ports is None:
        ports = target["ports"] = []
    if not isinstance(ports, list):
        return
    if not any(_dict(p).get("name") == contract.default_port_name for p in ports):
        ports.append({"name": contract.default_port_name, "containerPort": contract.default_port})


def default_job(contract: TrainingKind, obj: Obj) -> None:
    """Fill the upstream defaults of a `contract.kind` object in place."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    run_policy = spec.setdefault("runPolicy", {})
    if contract.kind == "MPIJob":
        # MPIJob keeps the deprecated spec-level field; both are set only when neither is
        if not spec.get("cleanPodPolicy") and not _dict(run_policy).get("cleanPodPolicy"):
            spec["cleanPodPolicy"] = contract.default_clean_pod_policy
            if isinstance(run_policy, dict):
                run_policy["cleanPodPolicy"] = contract.default_clean_pod_policy
    elif isinstance(run_policy, dict):
        run_policy.setdefault("cleanPodPolicy", contract.default_clean_pod_policy)
    if contract is TFJOB:
        spec.setdefault("successPolicy", "")

    specs = spec.get(contract.replica_specs_field)
    if isinstance(specs, dict):
        camel_case_types(contract, specs)
        for rtype, replica in specs.items():
            if not isinstance(replica, dict):
                continue
            replica.setdefault("replicas", contract.default_replicas_for(str(rtype)))
            if not replica.get("restartPolicy"):
                replica["restartPolicy"] = contract.default_restart_policy
            pod_spec = _dict(_dict(replica.get("template")).get("spec"))
            if contract.adds_default_port and pod_spec:
                default_port(contract, pod_spec)

    if contract is PYTORCHJOB:
        _default_pytorch(spec)


def _default_pytorch(spec: Obj) -> None:
    elastic = spec.get("elasticPolicy")
    if isinstance(elastic, dict):
        low, high = elastic.get("minReplicas"), elastic.get("maxReplicas")
        if low is None and high is not None:
            elastic["minReplicas"] = high
        elif high is None and low is not None:
            elastic["maxReplicas"] = low
        elif low is None and high is None:
            workers = _dict(_dict(spec.get("pytorchReplicaSpecs")).get("Worker")).get("replicas")
            if workers is not None:
                elastic["minReplicas"] = elastic["maxReplicas"] = workers
    if not (isinstance(elastic, dict) and elastic.get("nProcPerNode") is not None):
        spec.setdefault("nprocPerNode", DEFAULT_NPROC_PER_NODE)


def defaulter(contract: TrainingKind) -> Defaulter:
    """The admission defaulter of one training kind."""

    def default(obj: Obj) -> None:
        default_job(contract, obj)

    default.__name__ = f"default_{contract.singular}"
    return default
