"""The core `v1` kinds: Namespace, Pod, Service, Event, ConfigMap, Secret, PVC, Endpoints.

Each kind registers here with its upstream defaults (`restartPolicy: Always`, Secret
`type: Opaque`, ...), its validation rules in Kubernetes wording and its `kubectl get`
columns. Importing this module registers them; `register_core_kinds()` does it again
harmlessly, for tests and for code that wants the registration to be explicit.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any

from kflow.api import meta as m
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj, Registry, registry
from kflow.api.models import core as models
from kflow.api.models.base import K8sModel, model_schema
from kflow.api.models.causes import (
    check_config_key,
    check_dns1035_label,
    check_port_name,
    check_port_number,
    model_causes,
)
from kflow.api.quantity import QuantityError, parse_quantity
from kflow.api.tables import age_column, human_age, name_column

_COMPUTE = ("cpu", "memory")
POD_MUTABLE_FIELDS_MESSAGE = (
    "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _typed(model: type[K8sModel]) -> Any:
    """A validator that checks the whole body against `model`."""

    def validate(obj: Obj, old: Obj | None) -> list[Cause]:
        return model_causes(model, obj)

    validate.__name__ = f"validate_{model.__name__}"
    return validate


# --- pods -----------------------------------------------------------------------------


def _containers(spec: Obj) -> Iterator[tuple[str, int, Obj]]:
    for field in ("initContainers", "containers"):
        for i, container in enumerate(_list(spec.get(field))):
            if isinstance(container, dict):
                yield field, i, container


def default_pod_spec(spec: Obj) -> None:
    """The upstream PodSpec defaults (also used for pod templates of jobs)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for _, _, container in _containers(spec):
        image = str(container.get("image") or "")
        tagged = ":" in image.rsplit("/", 1)[-1] or "@" in image
        latest = image.endswith(":latest") or not tagged
        container.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        for port in _list(container.get("ports")):
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")
        resources = container.get("resources")
        if isinstance(resources, dict):
            limits = _dict(resources.get("limits"))
            # a limit without a request means "request exactly the limit"
            if limits:
                requests = resources.setdefault("requests", {})
                if isinstance(requests, dict):
                    for name, value in limits.items():
                        requests.setdefault(name, value)
        else:
            container["resources"] = {}
    for volume in _list(spec.get("volumes")):
        if isinstance(volume, dict) and not any(k != "name" for k in volume):
            volume["emptyDir"] = {}  # a volume with no source is an emptyDir upstream


def qos_class(spec: Obj) -> str:
    """Guaranteed, Burstable or BestEffort, as the kubelet classifies a pod."""
    containers = [c for _, _, c in _containers(spec)]
    any_set = False
    guaranteed = True
    for container in containers:
        resources = _dict(container.get("resources"))
        requests = _dict(resources.get("requests"))
        limits = _dict(resources.get("limits"))
        for name in _COMPUTE:
            if name in requests or name in limits:
                any_set = True
            limit = limits.get(name)
            request = requests.get(name, limit)
            if limit is None or not _same_quantity(request, limit):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _same_quantity(a: Any, b: Any) -> bool:
    try:
        return parse_quantity(a) == parse_quantity(b)
    except (QuantityError, TypeError):
        return False


def _default_pod(obj: Obj) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec)


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
    if not _list(spec.get("containers")):
        causes.append(Cause(f"{prefix}.containers", "Required value", "FieldValueRequired"))
    volumes: set[str] = set()
    for i, volume in enumerate(_list(spec.get("volumes"))):
        name = _dict(volume).get("name")
        field = f"{prefix}.volumes[{i}].name"
        if isinstance(name, str) and name:
            causes += m.check_name(name, field, label=True)
            if name in volumes:
                causes.append(Cause(field, f'Duplicate value: "{name}"', "FieldValueDuplicate"))
            volumes.add(name)
        for source in ("configMap", "secret"):
            for k, item in enumerate(_list(_dict(_dict(volume).get(source)).get("items"))):
                item_at = f"{prefix}.volumes[{i}].{source}.items[{k}]"
                if not _dict(item).get("path"):
                    causes.append(Cause(f"{item_at}.path", "Required value", "FieldValueRequired"))
                causes += check_relative_path(_dict(item).get("path"), f"{item_at}.path")
    names: set[str] = set()
    for kind, i, container in _containers(spec):
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
        causes += _validate_ports(container, at)
        causes += _validate_env(container, at)
        causes += _validate_resources(container, at)
        for j, mount in enumerate(_list(container.get("volumeMounts"))):
            mount_at = f"{at}.volumeMounts[{j}]"
            if not _dict(mount).get("mountPath"):
                causes.append(
                    Cause(f"{mount_at}.mountPath", "Required value", "FieldValueRequired")
                )
            causes += check_relative_path(_dict(mount).get("subPath"), f"{mount_at}.subPath")
            mount_name = _dict(mount).get("name")
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


def _validate_ports(container: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for j, port in enumerate(_list(container.get("ports"))):
        port = _dict(port)
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


def _validate_env(container: Obj, at: str) -> list[Cause]:
    causes: list[Cause] = []
    for j, env in enumerate(_list(container.get("env"))):
        env = _dict(env)
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


def _validate_resources(container: Obj, at: str) -> list[Cause]:
    resources = _dict(container.get("resources"))
    requests = _dict(resources.get("requests"))
    limits = _dict(resources.get("limits"))
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


def _validate_pod(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = obj.get("spec")
    causes = validate_pod_spec(spec) if isinstance(spec, dict) else []
    if (
        old is not None
        and isinstance(spec, dict)
        and _pod_spec_changed(spec, _dict(old.get("spec")))
    ):
        causes.append(Cause("spec", POD_MUTABLE_FIELDS_MESSAGE, "FieldValueForbidden"))
    return causes


def _pod_spec_changed(new: Obj, old: Obj) -> bool:
    """True if an update changes more than Kubernetes lets a pod update change."""

    def comparable(spec: Obj) -> Obj:
        spec = m.clone(spec)
        for _, _, container in _containers(spec):
            container.pop("image", None)
        for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
            spec.pop(key, None)
        return spec

    if comparable(new) != comparable(old):
        return True
    old_tolerations = _list(old.get("tolerations"))
    new_tolerations = _list(new.get("tolerations"))
    if any(t not in new_tolerations for t in old_tolerations):
        return True
    old_grace, new_grace = (
        old.get("terminationGracePeriodSeconds"),
        new.get("terminationGracePeriodSeconds"),
    )
    return bool(
        old_grace != new_grace
        and not (isinstance(old_grace, int) and old_grace < 0 and new_grace == 1)
    )


def pod_status_reason(pod: Obj) -> str:
    """The STATUS column of `kubectl get pods`, computed as kubectl's printer does."""
    status = _dict(pod.get("status"))
    spec = _dict(pod.get("spec"))
    reason = str(status.get("phase") or "")
    if status.get("reason"):
        reason = str(status["reason"])
    initializing = False
    init_statuses = _list(status.get("initContainerStatuses"))
    for i, cs in enumerate(init_statuses):
        state = _dict(_dict(cs).get("state"))
        terminated = state.get("terminated")
        waiting = state.get("waiting")
        if isinstance(terminated, dict) and terminated.get("exitCode") == 0:
            continue
        if isinstance(terminated, dict):
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif terminated.get("signal"):
                reason = f"Init:Signal:{terminated['signal']}"
            else:
                reason = f"Init:ExitCode:{terminated.get('exitCode')}"
        elif (
            isinstance(waiting, dict)
            and waiting.get("reason")
            and waiting["reason"] != "PodInitializing"
        ):
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{i}/{len(_list(spec.get('initContainers')))}"
        initializing = True
        break
    if not initializing or _condition_true(status, "Initialized"):
        has_running = False
        for cs in reversed(_list(status.get("containerStatuses"))):
            cs = _dict(cs)
            state = _dict(cs.get("state"))
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if isinstance(waiting, dict) and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif isinstance(terminated, dict) and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif isinstance(terminated, dict):
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{terminated.get('exitCode')}"
            elif cs.get("ready") and isinstance(state.get("running"), dict):
                has_running = True
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    deleting = m.meta(pod).get("deletionTimestamp")
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and status.get("phase") not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return reason


def _condition_true(status: Obj, type_: str) -> bool:
    return any(
        _dict(c).get("type") == type_ and _dict(c).get("status") == "True"
        for c in _list(status.get("conditions"))
    )


def _pod_ready(pod: Obj) -> str:
    statuses = _list(_dict(pod.get("status")).get("containerStatuses"))
    ready = sum(
        1
        for cs in statuses
        if _dict(cs).get("ready") and isinstance(_dict(_dict(cs).get("state")).get("running"), dict)
    )
    total = len(_list(_dict(pod.get("spec")).get("containers")))
    return f"{ready}/{total}"


def _pod_restarts(pod: Obj) -> str:
    status = _dict(pod.get("status"))
    restarts = 0
    last = ""
    for cs in _list(status.get("initContainerStatuses")) + _list(status.get("containerStatuses")):
        cs = _dict(cs)
        restarts += int(cs.get("restartCount") or 0)
        finished = _dict(_dict(cs.get("lastState")).get("terminated")).get("finishedAt")
        if isinstance(finished, str) and finished > last:
            last = finished
    if restarts and last:
        return f"{restarts} ({human_age(last)} ago)"
    return str(restarts)


def _none(value: Any) -> str:
    return str(value) if value not in (None, "") else "<none>"


POD_COLUMNS = (
    name_column(),
    Column("READY", _pod_ready, description="The number of ready containers of the pod."),
    Column("STATUS", pod_status_reason, description="The aggregate status of the containers."),
    Column("RESTARTS", _pod_restarts, description="The number of container restarts."),
    age_column(),
    Column(
        "IP",
        lambda p: _none(_dict(p.get("status")).get("podIP")),
        priority=1,
        description="The IP address of the pod.",
    ),
    Column(
        "NODE",
        lambda p: _none(_dict(p.get("spec")).get("nodeName")),
        priority=1,
        description="The node the pod runs on.",
    ),
    Column(
        "NOMINATED NODE",
        lambda p: _none(_dict(p.get("status")).get("nominatedNodeName")),
        priority=1,
        description="The node the pod is nominated to.",
    ),
    Column(
        "READINESS GATES",
        lambda p: _none(len(_list(_dict(p.get("spec")).get("readinessGates"))) or None),
        priority=1,
        description="The pod's readiness gates.",
    ),
)


# --- services ----------------------------------------------------------------------------------


def _default_service(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    for port in _list(spec.get("ports")):
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
    if spec.get("clusterIP") and not spec.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]]


def _validate_service(obj: Obj, old: Obj | None) -> list[Cause]:
    causes: list[Cause] = []
    name = m.name_of(obj)
    if name and not m.check_name(name):
        causes += check_dns1035_label(name, "metadata.name")
    spec = _dict(obj.get("spec"))
    ports = _list(spec.get("ports"))
    if not ports and spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None":
        causes.append(Cause("spec.ports", "Required value", "FieldValueRequired"))
    seen: set[str] = set()
    for i, port in enumerate(ports):
        port = _dict(port)
        causes += check_port_number(port.get("port"), f"spec.ports[{i}].port")
        target = port.get("targetPort")
        if isinstance(target, int):
            causes += check_port_number(target, f"spec.ports[{i}].targetPort")
        else:
            causes += check_port_name(target, f"spec.ports[{i}].targetPort")
        pname = port.get("name")
        if len(ports) > 1 and not pname:
            causes.append(Cause(f"spec.ports[{i}].name", "Required value", "FieldValueRequired"))
        if isinstance(pname, str) and pname:
            if pname in seen:
                causes.append(
                    Cause(
                        f"spec.ports[{i}].name",
                        f'Duplicate value: "{pname}"',
                        "FieldValueDuplicate",
                    )
                )
            seen.add(pname)
    if old is not None:
        before = _dict(old.get("spec")).get("clusterIP")
        after = spec.get("clusterIP")
        if before and after and before != after:
            causes.append(Cause("spec.clusterIP", f'Invalid value: "{after}": field is immutable'))
    return causes


def _service_ports(svc: Obj) -> str:
    parts = []
    for port in _list(_dict(svc.get("spec")).get("ports")):
        port = _dict(port)
        text = str(port.get("port"))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        parts.append(f"{text}/{port.get('protocol') or 'TCP'}")
    return ",".join(parts) or "<none>"


def _external_ip(svc: Obj) -> str:
    spec = _dict(svc.get("spec"))
    kind = spec.get("type") or "ClusterIP"
    external = [str(ip) for ip in _list(spec.get("externalIPs"))]
    if kind == "ExternalName":
        return str(spec.get("externalName") or "<none>")
    if kind == "LoadBalancer":
        ingress = _list(_dict(_dict(svc.get("status")).get("loadBalancer")).get("ingress"))
        found = external + [str(_dict(i).get("ip") or _dict(i).get("hostname")) for i in ingress]
        return ",".join(found) if found else "<pending>"
    return ",".join(external) if external else "<none>"


SERVICE_COLUMNS = (
    name_column(),
    Column(
        "TYPE",
        lambda s: str(_dict(s.get("spec")).get("type") or "ClusterIP"),
        description="The type of the service.",
    ),
    Column(
        "CLUSTER-IP",
        lambda s: _none(_dict(s.get("spec")).get("clusterIP")),
        description="The IP address of the service.",
    ),
    Column("EXTERNAL-IP", _external_ip, description="External addresses of the service."),
    Column("PORT(S)", _service_ports, description="The ports the service exposes."),
    age_column(),
    Column(
        "SELECTOR",
        lambda s: (
            ",".join(f"{k}={v}" for k, v in _dict(_dict(s.get("spec")).get("selector")).items())
            or "<none>"
        ),
        priority=1,
        description="The labels of the pods behind the service.",
    ),
)


# --- namespaces -------------------------------------------------------------------------------------


def _default_namespace(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if isinstance(spec, dict):
        spec.setdefault("finalizers", ["kubernetes"])
    status = obj.setdefault("status", {})
    if isinstance(status, dict):
        status.setdefault("phase", "Active")
    # Kubernetes labels every namespace with its own name
    labels = m.meta(obj).setdefault("labels", {})
    if isinstance(labels, dict) and m.name_of(obj):
        labels.setdefault("kubernetes.io/metadata.name", m.name_of(obj))


def _validate_namespace(obj: Obj, old: Obj | None) -> list[Cause]:
    name = m.name_of(obj)
    if name and not m.check_name(name):
        return m.check_name(name, label=True)
    return []


NAMESPACE_COLUMNS = (
    name_column(),
    Column(
        "STATUS",
        lambda n: str(_dict(n.get("status")).get("phase") or ""),
        description="The phase of the namespace.",
    ),
    age_column(),
)


# --- config maps and secrets ---------------------------------------------------------------------------


def _validate_keys(obj: Obj, fields: tuple[str, ...]) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for field in fields:
        for key in _dict(obj.get(field)):
            causes += check_config_key(str(key), f"{field}[{key}]")
            if key in seen:
                causes.append(
                    Cause(f"{field}[{key}]", f'Duplicate value: "{key}"', "FieldValueDuplicate")
                )
            seen.add(str(key))
    return causes


def _validate_immutable_data(obj: Obj, old: Obj | None, fields: tuple[str, ...]) -> list[Cause]:
    if old is None or not old.get("immutable"):
        return []
    causes = []
    for field in fields:
        if obj.get(field) != old.get(field):
            causes.append(
                Cause(
                    field,
                    "Forbidden: field is immutable when `immutable` is set",
                    "FieldValueForbidden",
                )
            )
    if not obj.get("immutable"):
        causes.append(
            Cause(
                "immutable",
                "Forbidden: field is immutable when `immutable` is set",
                "FieldValueForbidden",
            )
        )
    return causes


def _validate_configmap(obj: Obj, old: Obj | None) -> list[Cause]:
    return _validate_keys(obj, ("data", "binaryData")) + _validate_immutable_data(
        obj, old, ("data", "binaryData")
    )


def _default_secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")
    plain = obj.pop("stringData", None)
    if isinstance(plain, dict) and plain:
        data = obj.get("data")
        if not isinstance(data, dict):
            data = obj["data"] = {}
        for key, value in plain.items():
            # stringData wins over data for the same key, as upstream
            if isinstance(value, str):
                data[key] = base64.b64encode(value.encode()).decode()
            else:
                data[key] = value  # reported by validation as a non-string value


def _validate_secret(obj: Obj, old: Obj | None) -> list[Cause]:
    causes = _validate_keys(obj, ("data",))
    for key, value in _dict(obj.get("data")).items():
        if isinstance(value, str):
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                causes.append(
                    Cause(
                        f"data[{key}]",
                        'Invalid value: "<secret contents redacted>": illegal base64 data',
                    )
                )
    if old is not None and old.get("type") and obj.get("type") != old.get("type"):
        causes.append(Cause("type", f'Invalid value: "{obj.get("type")}": field is immutable'))
    return causes + _validate_immutable_data(obj, old, ("data",))


def _data_count(obj: Obj) -> int:
    return len(_dict(obj.get("data"))) + len(_dict(obj.get("binaryData")))


CONFIGMAP_COLUMNS = (
    name_column(),
    Column("DATA", _data_count, type="integer", description="The number of keys."),
    age_column(),
)
SECRET_COLUMNS = (
    name_column(),
    Column("TYPE", lambda s: str(s.get("type") or "Opaque"), description="The type of the secret."),
    Column("DATA", _data_count, type="integer", description="The number of keys."),
    age_column(),
)


# --- persistent volume claims ------------------------------------------------------------------------------

_ACCESS_MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def _default_pvc(obj: Obj) -> None:
    spec = obj.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("volumeMode", "Filesystem")
    status = obj.get("status")
    if not isinstance(status, dict):
        status = obj["status"] = {}
    # locally a claim is a directory, so it is bound as soon as it exists
    status.setdefault("phase", "Bound")
    if "accessModes" in spec:
        status.setdefault("accessModes", m.clone(spec["accessModes"]))
    storage = _dict(_dict(spec.get("resources")).get("requests")).get("storage")
    if storage is not None:
        status.setdefault("capacity", {"storage": storage})


def _validate_pvc(obj: Obj, old: Obj | None) -> list[Cause]:
    spec = _dict(obj.get("spec"))
    causes: list[Cause] = []
    modes = _list(spec.get("accessModes"))
    if not modes:
        causes.append(
            Cause(
                "spec.accessModes",
                "Required value: at least 1 access mode is required",
                "FieldValueRequired",
            )
        )
    for i, mode in enumerate(modes):
        if mode not in _ACCESS_MODES:
            allowed = ", ".join(f'"{v}"' for v in sorted(_ACCESS_MODES))
            causes.append(
                Cause(
                    f"spec.accessModes[{i}]",
                    f'Unsupported value: "{mode}": supported values: {allowed}',
                    "FieldValueNotSupported",
                )
            )
    if "storage" not in _dict(_dict(spec.get("resources")).get("requests")):
        causes.append(Cause("spec.resources[storage]", "Required value", "FieldValueRequired"))
    return causes


PVC_COLUMNS = (
    name_column(),
    Column(
        "STATUS",
        lambda p: str(_dict(p.get("status")).get("phase") or ""),
        description="The phase of the claim.",
    ),
    Column(
        "VOLUME",
        lambda p: str(_dict(p.get("spec")).get("volumeName") or ""),
        description="The volume bound to the claim.",
    ),
    Column(
        "CAPACITY",
        lambda p: str(_dict(_dict(p.get("status")).get("capacity")).get("storage") or ""),
        description="The capacity of the bound volume.",
    ),
    Column(
        "ACCESS MODES",
        lambda p: ",".join(
            _ACCESS_MODES.get(str(x), str(x))
            for x in _list(_dict(p.get("status")).get("accessModes"))
        ),
        description="The access modes of the bound volume.",
    ),
    Column(
        "STORAGECLASS",
        lambda p: _none(_dict(p.get("spec")).get("storageClassName")),
        description="The storage class of the claim.",
    ),
    age_column(),
    Column(
        "VOLUMEMODE",
        lambda p: str(_dict(p.get("spec")).get("volumeMode") or ""),
        priority=1,
        description="The volume mode.",
    ),
)


# --- events and endpoints ---------------------------------------------------------------------------------


def _event_last_seen(event: Obj) -> str:
    when = (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or m.meta(event).get("creationTimestamp")
    )
    return human_age(when)


def _event_object(event: Obj) -> str:
    ref = _dict(event.get("involvedObject"))
    return f"{str(ref.get('kind') or '').lower()}/{ref.get('name') or ''}"


def _default_event(obj: Obj) -> None:
    obj.setdefault("type", "Normal")
    if obj.get("count") is None and not obj.get("series"):
        obj["count"] = 1


def _validate_event(obj: Obj, old: Obj | None) -> list[Cause]:
    if obj.get("type") not in ("Normal", "Warning"):
        return [
            Cause(
                "type",
                f'Unsupported value: "{obj.get("type")}": supported values: "Normal", "Warning"',
                "FieldValueNotSupported",
            )
        ]
    return []


EVENT_COLUMNS = (
    Column("LAST SEEN", _event_last_seen, description="Time since the event last happened."),
    Column("TYPE", lambda e: str(e.get("type") or ""), description="Normal or Warning."),
    Column("REASON", lambda e: str(e.get("reason") or ""), description="Why the event happened."),
    Column("OBJECT", _event_object, description="The object the event is about."),
    Column("MESSAGE", lambda e: str(e.get("message") or "").strip(), description="What happened."),
    Column(
        "SUBOBJECT",
        lambda e: str(_dict(e.get("involvedObject")).get("fieldPath") or ""),
        priority=1,
        description="The part of the object.",
    ),
    Column(
        "SOURCE",
        lambda e: str(_dict(e.get("source")).get("component") or e.get("reportingComponent") or ""),
        priority=1,
        description="Who reported the event.",
    ),
    Column(
        "FIRST SEEN",
        lambda e: human_age(e.get("firstTimestamp") or e.get("eventTime")),
        priority=1,
        description="Time since the event first happened.",
    ),
    Column(
        "COUNT",
        lambda e: int(e.get("count") or 1),
        type="integer",
        priority=1,
        description="How many times it happened.",
    ),
    Column("NAME", m.name_of, priority=1, description="Name of the event."),
)


def _endpoints(ep: Obj) -> str:
    found = []
    for subset in _list(ep.get("subsets")):
        subset = _dict(subset)
        ports = [_dict(p).get("port") for p in _list(subset.get("ports"))] or [None]
        for address in _list(subset.get("addresses")):
            for port in ports:
                ip = _dict(address).get("ip")
                found.append(f"{ip}:{port}" if port is not None else str(ip))
    if not found:
        return "<none>"
    shown = ",".join(found[:3])
    return shown + (f" + {len(found) - 3} more..." if len(found) > 3 else "")


ENDPOINTS_COLUMNS = (
    name_column(),
    Column("ENDPOINTS", _endpoints, description="Addresses of the pods behind the service."),
    age_column(),
)


# --- registration --------------------------------------------------------------------------------------


def core_kinds() -> list[KindInfo]:
    """Every core v1 kind kflow serves."""
    return [
        KindInfo(
            group="",
            version="v1",
            kind="Namespace",
            plural="namespaces",
            namespaced=False,
            short_names=("ns",),
            subresources=("status", "finalize"),
            schema=model_schema(models.Namespace),
            defaulters=(_default_namespace,),
            validators=(_typed(models.Namespace), _validate_namespace),
            columns=NAMESPACE_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="Pod",
            plural="pods",
            short_names=("po",),
            categories=("all",),
            subresources=("status", "log"),
            schema=model_schema(models.Pod),
            defaulters=(_default_pod,),
            validators=(_typed(models.Pod), _validate_pod),
            columns=POD_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="Service",
            plural="services",
            short_names=("svc",),
            categories=("all",),
            schema=model_schema(models.Service),
            defaulters=(_default_service,),
            validators=(_typed(models.Service), _validate_service),
            columns=SERVICE_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="Event",
            plural="events",
            short_names=("ev",),
            subresources=(),
            has_status=False,
            schema=model_schema(models.Event),
            defaulters=(_default_event,),
            validators=(_typed(models.Event), _validate_event),
            columns=EVENT_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="ConfigMap",
            plural="configmaps",
            short_names=("cm",),
            subresources=(),
            has_status=False,
            schema=model_schema(models.ConfigMap),
            validators=(_typed(models.ConfigMap), _validate_configmap),
            columns=CONFIGMAP_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="Secret",
            plural="secrets",
            subresources=(),
            has_status=False,
            schema=model_schema(models.Secret),
            defaulters=(_default_secret,),
            validators=(_typed(models.Secret), _validate_secret),
            columns=SECRET_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="PersistentVolumeClaim",
            plural="persistentvolumeclaims",
            short_names=("pvc",),
            schema=model_schema(models.PersistentVolumeClaim),
            defaulters=(_default_pvc,),
            validators=(_typed(models.PersistentVolumeClaim), _validate_pvc),
            columns=PVC_COLUMNS,
        ),
        KindInfo(
            group="",
            version="v1",
            kind="Endpoints",
            plural="endpoints",
            short_names=("ep",),
            subresources=(),
            has_status=False,
            schema=model_schema(models.Endpoints),
            validators=(_typed(models.Endpoints),),
            columns=ENDPOINTS_COLUMNS,
        ),
    ]


def register_core_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register the core kinds into `target` (the process registry by default); idempotent."""
    into = registry if target is None else target
    return [into.register(info) for info in core_kinds()]


register_core_kinds()
