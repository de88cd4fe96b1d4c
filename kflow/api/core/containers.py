"""The containers of a PodSpec, and the rules each container follows on its own.

Pods and every workload with a pod template share these: `each_container` walks init and
regular containers alike (defaulting, validation and the QoS class all need both),
and the `validate_*` checks report ports, `env[].valueFrom` and resource requests
that Kubernetes would refuse, at the field path the caller gives.
"""

from __future__ import annotations

from collections.abc import Iterator

from kflow.api.core._common import as_dict, as_list
from kflow.api.errors import Cause
from kflow.api.kinds import Obj
from kflow.api.models.causes import check_port_name, check_port_number
from kflow.api.quantity import QuantityError, parse_quantity


def each_container(spec: Obj) -> Iterator[tuple[str, int, Obj]]:
    for field in ("initContainers", "containers"):
        for i, container in enumerate(as_list(spec.get(field))):
            if isinstance(container, dict):
                yield field, i, container


def validate_ports(container: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for j, port in enumerate(as_list(container.get("ports"))):
        port = as_dict(port)
        causes += check_port_number(port.get("containerPort"), f"{at}.ports[{j}].containerPort")
        if port.get("hostPort") not in (None, 0):
            causes += check_port_number(port.get("hostPort"), f"{at}.ports[{j}].hostPort")
        name = port.get("name")
        causes += check_port_name(name, f"{at}.ports[{j}].name")
        if isinstance(name, str) and name:
            if name in seen:
                causes.append(
                    Cause(
                        f"{at}.ports[{j}].name", f'Duplicate value: "{name}"', "FieldValueDuplicate"
                    )
                )
            seen.add(name)
    return causes


def validate_env(container: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    for j, env in enumerate(as_list(container.get("env"))):
        env = as_dict(env)
        source = env.get("valueFrom")
        if not isinstance(source, dict):
            continue
        field = f"{at}.env[{j}].valueFrom"
        if env.get("value"):
            causes.append(
                Cause(
                    field,
                    'Invalid value: "": may not be specified when `value` is not empty',
                )
            )
        chosen = [
            k
            for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
            if source.get(k) is not None
        ]
        if not chosen:
            causes.append(
                Cause(
                    field,
                    'Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
                )
            )
        elif len(chosen) > 1:
            causes.append(
                Cause(
                    field, 'Invalid value: "": may not have more than one field specified at a time'
                )
            )
    return causes


def validate_resources(container: Obj, at: str) -> list[Cause]:
    resources = as_dict(container.get("resources"))
    requests = as_dict(resources.get("requests"))
    limits = as_dict(resources.get("limits"))
    causes: list[Cause] = []
    for name, request in requests.items():
        if name not in limits:
            continue
        try:
            too_big = parse_quantity(request) > parse_quantity(limits[name])
        except (QuantityError, TypeError):
            continue  # the schema check reports the bad quantity
        if too_big:
            causes.append(
                Cause(
                    f"{at}.resources.requests",
                    f'Invalid value: "{request}": must be less than or equal to {name} limit of {limits[name]}',
                )
            )
    return causes
