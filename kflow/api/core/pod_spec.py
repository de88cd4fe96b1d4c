"""PodSpec defaults and validation, for pods and for the pod templates of workloads.

`default_pod_spec` fills what the API server fills upstream (`restartPolicy: Always`,
`imagePullPolicy` from the image tag, requests equal to limits, ...);
`validate_pod_spec` applies Kubernetes' PodSpec rules beyond the schema, under any
field prefix, so a job reports `spec.template.spec.containers[0].image`.
"""

from __future__ import annotations

from typing import Any

from kflow.api import meta as m
from kflow.api.core._common import as_dict, as_list
from kflow.api.core.containers import (
    each_container,
    validate_env,
    validate_ports,
    validate_resources,
)
from kflow.api.errors import Cause
from kflow.api.kinds import Obj


def default_pod_spec(spec: Obj) -> None:
    """The upstream PodSpec defaults (also used for pod templates of jobs)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for _, _, container in each_container(spec):
        image = str(container.get("image") or "")
        tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
        latest = image.endswith(":latest") or not tagged
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        for port in as_list(container.get("ports")):
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
        resources = container.get("resources")
        if isinstance(resources, dict):
            limits = as_dict(resources.get("limits"))
            # a limit without a request means "request exactly the limit"
            if limits:
                requests = resources.setdefault("requests", {})
                if isinstance(requests, dict):
                    for name, value in limits.items():
                        requests.setdefault(name, value)
        else:
            container["resources"] = {}
    for volume in as_list(spec.get("volumes")):
        if isinstance(volume, dict) and not any(k != "name" for k in volume):
            volume["emptyDir"] = {}  # a volume with no source is an emptyDir upstream


def check_relative_path(path: Any, field: str) -> list[Cause]:
    """A path inside a volume (subPath, items[].path) may never leave it."""
    if not path:
        return []
    text = str(path)
    if text.startswith("/"):
        return [Cause(field, f'Invalid value: "{text}": must be a relative path')]
    if ".." in text.split("/"):
        return [Cause(field, f"Invalid value: \"{text}\": must not contain '..'")]
    return []


def validate_pod_spec(spec: Obj, prefix: str = "spec") -> list[Cause]:
    """Kubernetes' PodSpec rules beyond the schema (also for pod templates)."""
    causes: list[Cause] = []
    if not as_list(spec.get("containers")):
        causes.append(Cause(f"{prefix}.containers", "Required value", "FieldValueRequired"))
    volumes: set[str] = set()
    for i, volume in enumerate(as_list(spec.get("volumes"))):
        name = as_dict(volume).get("name")
        field = f"{prefix}.volumes[{i}].name"
        if isinstance(name, str) and name:
            causes += m.check_name(name, field, label=True)
            if name in volumes:
                causes.append(Cause(field, f'Duplicate value: "{name}"', "FieldValueDuplicate"))
            volumes.add(name)
        for source in ("configMap", "secret"):
            for k, item in enumerate(as_list(as_dict(as_dict(volume).get(source)).get("items"))):
                item_at = f"{prefix}.volumes[{i}].{source}.items[{k}]"
                if not as_dict(item).get("path"):
                    causes.append(Cause(f"{item_at}.path", "Required value", "FieldValueRequired"))
                causes += check_relative_path(as_dict(item).get("path"), f"{item_at}.path")
    names: set[str] = set()
    for kind, i, container in each_container(spec):
        at = f"{prefix}.{kind}[{i}]"
        name = container.get("name")
        if isinstance(name, str) and name:
            causes += m.check_name(name, f"{at}.name", label=True)
            if name in names:
                causes.append(
                    Cause(f"{at}.name", f'Duplicate value: "{name}"', "FieldValueDuplicate")
                )
            names.add(name)
        if not container.get("image"):
            causes.append(Cause(f"{at}.image", "Required value", "FieldValueRequired"))
        causes += validate_ports(container, at)
        causes += validate_env(container, at)
        causes += validate_resources(container, at)
        for j, mount in enumerate(as_list(container.get("volumeMounts"))):
            mount_at = f"{at}.volumeMounts[{j}]"
            if not as_dict(mount).get("mountPath"):
                causes.append(
                    Cause(f"{mount_at}.mountPath", "Required value", "FieldValueRequired")
                )
            causes += check_relative_path(as_dict(mount).get("subPath"), f"{mount_at}.subPath")
            mount_name = as_dict(mount).get("name")
            if isinstance(mount_name, str) and mount_name and mount_name not in volumes:
                causes.append(
                    Cause(
                        f"{at}.volumeMounts[{j}].name",
                        f'Not found: "{mount_name}"',
                        "FieldValueNotFound",
                    )
                )
    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace < 0:
        causes.append(
            Cause(
                f"{prefix}.terminationGracePeriodSeconds",
                f"Invalid value: {grace}: must be greater than or equal to 0",
            )
        )
    return causes
