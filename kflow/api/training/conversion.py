"""Old training-job versions, converted on admission to `kubeflow.org/v1`.

The seed tutorials (2018-2019) use versions the operator has long stopped serving:

- TFJob `v1alpha1`: `spec.replicaSpecs` is a list of `{replicas, tfReplicaType:
  MASTER|WORKER|PS, tfPort, template}`; `spec.terminationPolicy.chief{replicaName,
  replicaIndex}` names the replica whose exit ends the job.
- TFJob `v1alpha2`: already `tfReplicaSpecs` keyed by type, but `cleanPodPolicy`,
  `ttlSecondsAfterFinished`, `activeDeadlineSeconds` and `backoffLimit` sit on the spec.
- PyTorchJob `v1alpha1`: `spec.replicaSpecs` is a list of `{replicas, replicaType:
  MASTER|WORKER, template}`, with a spec-level `masterPort` and `backend`.

Each converter returns the v1 body; v1 defaulting and validation then run as for any
v1 object, so a converted job is stored and served exactly like a v1 one. What v1
cannot say is kept in annotations (`ANNOTATION_*`), never silently dropped. The
replica's `restartPolicy` came from the pod template in v1alpha1; it is copied to the
v1 ReplicaSpec, which takes precedence upstream.
"""

from __future__ import annotations

from typing import Any

from kflow.api.errors import Cause, Invalid
from kflow.api.kinds import Converter, Obj
from kflow.api.training.contracts import GROUP, PYTORCHJOB, TFJOB, TrainingKind

ANNOTATION_TERMINATION_CHIEF = "kflow.dev/termination-chief"
"""TFJob v1alpha1 `terminationPolicy.chief` that v1 cannot express, as `<Type>/<index>`.

v1 ends a TFJob with its Chief/Master, else worker 0; a v1alpha1 chief elsewhere
(e.g. worker 2) is recorded here for the controller."""
ANNOTATION_PYTORCH_BACKEND = "kflow.dev/pytorch-backend"
"""PyTorchJob v1alpha1 `spec.backend` (`tcp`, `gloo`, `nccl`, `mpi`): the
`torch.distributed` backend the old operator's examples were told to use."""

_RUN_POLICY_FIELDS = (
    "cleanPodPolicy",
    "ttlSecondsAfterFinished",
    "activeDeadlineSeconds",
    "backoffLimit",
)


def _dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _type_name(raw: Any) -> str:
    """MASTER -> Master, PS stays PS: the v1 spelling of an old upper-case type."""
    text = str(raw or "")
    return text if text.upper() == "PS" else text[:1].upper() + text[1:].lower()


def _annotate(body: Obj, key: str, value: str) -> None:
    metadata = body.setdefault("metadata", {})
    if isinstance(metadata, dict):
        annotations = metadata.setdefault("annotations", {})
        if isinstance(annotations, dict):
            annotations[key] = value


def _add_port(contract: TrainingKind, replica: Obj, port: Any) -> None:
    """Give the default container the kind's named port with `port` as its number."""
    try:
        number = int(port)
    except (TypeError, ValueError):
        return  # validation of the v1 body reports nothing useful; leave the default
    containers = _dict(_dict(replica.get("template")).get("spec")).get("containers")
    if not isinstance(containers, list) or not containers:
        return
    target = next(
        (c for c in containers if _dict(c).get("name") == contract.default_container_name),
        containers[0],
    )
    if not isinstance(target, dict):
        return
    ports = target.setdefault("ports", [])
    if isinstance(ports, list) and not any(
        _dict(p).get("name") == contract.default_port_name for p in ports
    ):
        ports.append({"name": contract.default_port_name, "containerPort": number})


def _replica_list(
    contract: TrainingKind, body: Obj, type_field: str, port_field: str | None
) -> tuple[Obj, list[Cause]]:
    """`spec.replicaSpecs` (a list) as the v1 map of type -> ReplicaSpec."""
    spec = _dict(body.get("spec"))
    out: Obj = {}
    causes: list[Cause] = []
    items = spec.get("replicaSpecs")
    if not isinstance(items, list):
        if items is not None:
            causes.append(Cause("spec.replicaSpecs", "Invalid value: must be a list"))
        return out, causes
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            causes.append(Cause(f"spec.replicaSpecs[{i}]", "Invalid value: must be an object"))
            continue
        item = dict(item)
        raw_type = item.pop(type_field, None)
        if not raw_type:
            causes.append(
                Cause(
                    f"spec.replicaSpecs[{i}].{type_field}", "Required value", "FieldValueRequired"
                )
            )
            continue
        rtype = _type_name(raw_type)
        if rtype in out:
            causes.append(
                Cause(
                    f"spec.replicaSpecs[{i}].{type_field}",
                    f'Duplicate value: "{raw_type}"',
                    "FieldValueDuplicate",
                )
            )
            continue
        port = item.pop(port_field, None) if port_field else None
        if port is not None:
            _add_port(contract, item, port)
        template_policy = _dict(_dict(item.get("template")).get("spec")).get("restartPolicy")
        if template_policy and not item.get("restartPolicy"):
            item["restartPolicy"] = template_policy
        out[rtype] = item
    return out, causes


def tfjob_from_v1alpha1(body: Obj) -> Obj:
    """A TFJob v1alpha1 body as v1."""
    spec = _dict(body.get("spec"))
    specs, causes = _replica_list(TFJOB, body, "tfReplicaType", "tfPort")
    if causes:
        raise Invalid.of(
            "TFJob", str(_dict(body.get("metadata")).get("name") or ""), causes, group=GROUP
        )
    chief = _dict(_dict(spec.pop("terminationPolicy", None)).get("chief"))
    if chief:
        rtype = _type_name(chief.get("replicaName") or "MASTER")
        index = chief.get("replicaIndex") or 0
        has_master = any(t in specs for t in ("Chief", "Master"))
        natural = (rtype in ("Master", "Chief") and index == 0) or (
            rtype == "Worker" and index == 0 and not has_master
        )
        if not natural:
            _annotate(body, ANNOTATION_TERMINATION_CHIEF, f"{rtype}/{index}")
    spec.pop("replicaSpecs", None)
    spec["tfReplicaSpecs"] = specs
    body["spec"] = spec
    body.pop("status", None)  # an old status has another shape; the controller writes v1
    return body


def tfjob_from_v1alpha2(body: Obj) -> Obj:
    """A TFJob v1alpha2 body as v1: spec-level run policies move into `runPolicy`."""
    spec = _dict(body.get("spec"))
    run_policy = spec.setdefault("runPolicy", {})
    if isinstance(run_policy, dict):
        for key in _RUN_POLICY_FIELDS:
            if key in spec:
                run_policy.setdefault(key, spec.pop(key))
    body["spec"] = spec
    body.pop("status", None)
    return body


def pytorchjob_from_v1alpha1(body: Obj) -> Obj:
    """A PyTorchJob v1alpha1 body as v1: `masterPort` becomes the `pytorchjob-port`."""
    spec = _dict(body.get("spec"))
    specs, causes = _replica_list(PYTORCHJOB, body, "replicaType", "masterPort")
    if causes:
        raise Invalid.of(
            "PyTorchJob", str(_dict(body.get("metadata")).get("name") or ""), causes, group=GROUP
        )
    master_port = spec.pop("masterPort", None)
    if master_port is not None:
        for replica in specs.values():
            _add_port(PYTORCHJOB, replica, master_port)
    backend = spec.pop("backend", None)
    if backend:
        _annotate(body, ANNOTATION_PYTORCH_BACKEND, str(backend))
    spec.pop("replicaSpecs", None)
    spec["pytorchReplicaSpecs"] = specs
    body["spec"] = spec
    body.pop("status", None)
    return body


CONVERTERS: dict[str, dict[str, Converter]] = {
    "TFJob": {"v1alpha1": tfjob_from_v1alpha1, "v1alpha2": tfjob_from_v1alpha2},
    "PyTorchJob": {"v1alpha1": pytorchjob_from_v1alpha1},
}
"""Older versions each kind still accepts, with their conversion to v1."""
