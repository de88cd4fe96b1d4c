"""Turns a Pod object into a `PodLaunch`: every reference resolved against the store.

The runtime never reads the store, so this is where the downward API
(`fieldRef`), `configMapKeyRef` / `secretKeyRef`, `envFrom`, `$(VAR)` expansion in
env, command and args, volumes (configMap/secret contents, claims that must exist)
and resource requests are worked out. A reference that cannot be resolved raises
`LaunchError` with the reason and message kubelet would give
(`CreateContainerConfigError: configmap "x" not found`).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from kflow.api.errors import NotFound
from kflow.api.quantity import parse_cpu, parse_memory
from kflow.runtime.interface import (
    Container,
    ContainerPort,
    PodLaunch,
    Volume,
    VolumeMount,
    VolumeType,
)
from kflow.store.interface import Store

Obj = dict[str, Any]

_VAR_REF = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")
GPU_RESOURCE = "nvidia.com/gpu"


class LaunchError(Exception):
    """A pod cannot start yet; `reason` is the container waiting reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: unknown references stay as written, `$$` escapes."""

    def repl(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))

    return _VAR_REF.sub(repl, text)


def _field_ref(pod: Obj, path: str) -> str:
    md = pod.get("metadata") or {}
    if m := re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path):
        return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": md.get("name"),
        "metadata.namespace": md.get("namespace"),
        "metadata.uid": md.get("uid"),
        "spec.nodeName": (pod.get("spec") or {}).get("nodeName", "kflow-local"),
        "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    if path not in simple:
        raise LaunchError("CreateContainerConfigError", f'unsupported fieldRef fieldPath "{path}"')
    return str(simple[path] or "")


class Resolver:
    """Reads ConfigMaps, Secrets and claims for one pod, caching within a launch."""

    def __init__(self, store: Store, pod: Obj) -> None:
        self.store = store
        self.pod = pod
        self.namespace = str((pod.get("metadata") or {}).get("namespace") or "default")
        self._cache: dict[tuple[str, str], Obj | None] = {}

    def _read(self, resource: str, name: str) -> Obj | None:
        key = (resource, name)
        if key not in self._cache:
            try:
                self._cache[key] = self.store.get(resource, self.namespace, name)
            except NotFound:
                self._cache[key] = None
        return self._cache[key]

    def data(self, resource: str, name: str, optional: bool) -> dict[str, str] | None:
        """A ConfigMap's or Secret's data as text (secrets decoded), None if optional."""
        obj = self._read(resource, name)
        singular = "configmap" if resource == "configmaps" else "secret"
        if obj is None:
            if optional:
                return None
            raise LaunchError("CreateContainerConfigError", f'{singular} "{name}" not found')
        if resource == "secrets":
            return {
                k: base64.b64decode(v).decode("utf-8", "replace")
                for k, v in (obj.get("data") or {}).items()
            }
        out = dict(obj.get("data") or {})
        for k, v in (obj.get("binaryData") or {}).items():
            out[k] = base64.b64decode(v).decode("utf-8", "replace")
        return out

    def raw_files(self, resource: str, name: str, optional: bool) -> dict[str, bytes] | None:
        obj = self._read(resource, name)
        if obj is None:
            if optional:
                return {}
            singular = "configmap" if resource == "configmaps" else "secret"
            raise LaunchError("CreateContainerConfigError", f'{singular} "{name}" not found')
        if resource == "secrets":
            return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
        files = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
        files.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
        return files

    def key_ref(self, resource: str, ref: Obj) -> str | None:
        data = self.data(resource, str(ref.get("name") or ""), bool(ref.get("optional")))
        if data is None:
            return None
        key = str(ref.get("key") or "")
        if key not in data:
            if ref.get("optional"):
                return None
            singular = "configmap" if resource == "configmaps" else "secret"
            raise LaunchError(
                "CreateContainerConfigError",
                f"couldn't find key {key} in {singular.capitalize()} {self.namespace}/{ref.get('name')}",
            )
        return data[key]

    def claim_exists(self, name: str) -> bool:
        return self._read("persistentvolumeclaims", name) is not None


def _env(container: Obj, resolver: Resolver) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for field, resource in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
            ref = source.get(field)
            if ref:
                data = resolver.data(resource, str(ref.get("name")), bool(ref.get("optional")))
                for k, v in (data or {}).items():
                    env[prefix + k] = v
    for var in container.get("env") or []:
        name = str(var.get("name"))
        if "value" in var or not var.get("valueFrom"):
            env[name] = expand(str(var.get("value") or ""), env)
            continue
        source = var["valueFrom"]
        value: str | None
        if "fieldRef" in source:
            value = _field_ref(resolver.pod, str(source["fieldRef"].get("fieldPath")))
        elif "configMapKeyRef" in source:
            value = resolver.key_ref("configmaps", source["configMapKeyRef"])
        elif "secretKeyRef" in source:
            value = resolver.key_ref("secrets", source["secretKeyRef"])
        elif "resourceFieldRef" in source:
            value = _resource_field(container, source["resourceFieldRef"])
        else:
            raise LaunchError("CreateContainerConfigError", f"env {name}: unsupported valueFrom")
        if value is not None:
            env[name] = value
    return env


def _resource_field(container: Obj, ref: Obj) -> str:
    kind, _, name = str(ref.get("resource") or "").partition(".")
    value = ((container.get("resources") or {}).get(kind) or {}).get(name)
    if value is None:
        return "0"
    if name == "cpu":
        return str(max(1, int(parse_cpu(value) + 0.999)))  # rounded up to whole cores
    return str(parse_memory(value))


def _requests(container: Obj) -> tuple[float, int, int]:
    resources = container.get("resources") or {}
    # Kubernetes defaults requests to limits when only limits are given
    merged = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
    cpu = parse_cpu(merged["cpu"]) if "cpu" in merged else 0.0
    memory = parse_memory(merged["memory"]) if "memory" in merged else 0
    gpu = int(merged.get(GPU_RESOURCE) or 0)
    return cpu, memory, gpu


def _container(raw: Obj, resolver: Resolver) -> Container:
    env = _env(raw, resolver)
    cpu, memory, gpu = _requests(raw)
    return Container(
        name=str(raw.get("name")),
        image=str(raw.get("image") or ""),
        command=[expand(str(c), env) for c in raw.get("command") or []],
        args=[expand(str(a), env) for a in raw.get("args") or []],
        env=env,
        working_dir=str(raw.get("workingDir") or ""),
        ports=[
            ContainerPort(
                int(p["containerPort"]),
                str(p.get("name") or ""),
                str(p.get("protocol") or "TCP"),
                int(p.get("hostPort") or 0),
            )
            for p in raw.get("ports") or []
            if p.get("containerPort")
        ],
        mounts=[
            VolumeMount(
                name=str(vm.get("name")),
                mount_path=str(vm.get("mountPath")),
                read_only=bool(vm.get("readOnly")),
                sub_path=str(vm.get("subPath") or ""),
            )
            for vm in raw.get("volumeMounts") or []
        ],
        cpu_request=cpu,
        memory_request=memory,
        gpu_request=gpu,
    )


def _volume(raw: Obj, resolver: Resolver) -> Volume:
    name = str(raw.get("name"))
    if "hostPath" in raw:
        return Volume(name, VolumeType.HOST_PATH, path=str(raw["hostPath"].get("path")))
    if "persistentVolumeClaim" in raw:
        claim = str(raw["persistentVolumeClaim"].get("claimName"))
        if not resolver.claim_exists(claim):
            raise LaunchError("Unschedulable", f'persistentvolumeclaim "{claim}" not found')
        return Volume(name, VolumeType.CLAIM, claim=claim)
    for field, resource, ref_name in (
        ("configMap", "configmaps", "name"),
        ("secret", "secrets", "secretName"),
    ):
        if field in raw:
            source = raw[field]
            files = (
                resolver.raw_files(
                    resource, str(source.get(ref_name)), bool(source.get("optional"))
                )
                or {}
            )
            items = source.get("items")
            if items:
                files = {str(i["path"]): files[i["key"]] for i in items if i.get("key") in files}
            return Volume(name, VolumeType.FILES, files=files, secret=resource == "secrets")
    if "downwardAPI" in raw:
        return Volume(
            name, VolumeType.FILES, files=_downward_files(resolver.pod, raw["downwardAPI"])
        )
    # emptyDir, and kinds with no local meaning (projected, ...) as scratch space
    return Volume(name, VolumeType.EMPTY_DIR)


def _downward_files(pod: Obj, source: Obj) -> dict[str, bytes]:
    """A downwardAPI volume's files: the pod's own fields (`metadata.namespace`, labels...)."""
    files: dict[str, bytes] = {}
    for item in source.get("items") or []:
        ref = item.get("fieldRef") or {}
        if item.get("path") and ref.get("fieldPath"):
            files[str(item["path"])] = _field_ref(pod, str(ref["fieldPath"])).encode()
    return files


HOSTS_VOLUME = "kflow-etc-hosts"


def _hosts_file(aliases: list[Obj]) -> bytes:
    """The machine's /etc/hosts plus the pod's `hostAliases`, as the kubelet writes it."""
    try:
        with open("/etc/hosts", "rb") as f:
            base = f.read()
    except OSError:
        base = b"127.0.0.1\tlocalhost\n"
    lines = [base.rstrip(b"\n"), b"", b"# Entries added by HostAliases."]
    for alias in aliases:
        names = " ".join(str(h) for h in alias.get("hostnames") or [])
        if alias.get("ip") and names:
            lines.append(f"{alias['ip']}\t{names}".encode())
    return b"\n".join(lines) + b"\n"


def _with_host_aliases(spec: Obj, volumes: list[Volume], containers: list[Container]) -> None:
    """Give every container an /etc/hosts with the pod's `hostAliases` (in its own mount
    namespace, like the kubelet's managed hosts file)."""
    aliases = spec.get("hostAliases") or []
    if not aliases:
        return
    volumes.append(Volume(HOSTS_VOLUME, VolumeType.FILES, files={"hosts": _hosts_file(aliases)}))
    for container in containers:
        container.mounts.append(
            VolumeMount(HOSTS_VOLUME, "/etc/hosts", read_only=True, sub_path="hosts")
        )


def build_launch(store: Store, pod: Obj) -> PodLaunch:
    """The runtime's view of `pod`, or LaunchError if a reference is missing."""
    spec = pod.get("spec") or {}
    md = pod.get("metadata") or {}
    resolver = Resolver(store, pod)
    containers = [_container(c, resolver) for c in spec.get("containers") or []]
    init_containers = [_container(c, resolver) for c in spec.get("initContainers") or []]
    volumes = [_volume(v, resolver) for v in spec.get("volumes") or []]
    _with_host_aliases(spec, volumes, [*init_containers, *containers])
    return PodLaunch(
        uid=str(md.get("uid")),
        namespace=str(md.get("namespace") or "default"),
        name=str(md.get("name")),
        containers=containers,
        init_containers=init_containers,
        volumes=volumes,
        restart_policy=str(spec.get("restartPolicy") or "Always"),
        termination_grace_period_seconds=int(spec.get("terminationGracePeriodSeconds", 30)),
    )
