"""The predictor pod of an InferenceService: the model server as a local process.

A framework or `model` predictor becomes one container running `kflow serve` on the
model at `storageUri`, listening on the port the runtime gives container port 8080
(`KFLOW_PORT_8080`, and its gRPC port 8081 as `KFLOW_PORT_8081`; `sh -c 'exec "$@"
--port ...'` reads them, so no user value is ever parsed by a shell). A
`pvc://CLAIM/PATH` URI mounts the claim read-only at
`/mnt/pvc`, as KServe does, and the server reads `/mnt/pvc/PATH`. A batcher turns
on the server's adaptive batching. A custom predictor runs its own container, given
port 8080 if it declares none. Pods restart their containers (`Always`).
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import unquote, urlparse

from kflow.api.kserve import contracts as c
from kflow.api.kserve.admission import predictor_implementations

Obj = dict[str, Any]

SERVER_IMAGE = "kflow-model-server"
"""The image recorded on kflow's model server container (nothing is pulled)."""
DEFAULT_MAX_BATCH_SIZE = 32
DEFAULT_MAX_LATENCY_MS = 500
"""KServe's batcher defaults (`maxBatchSize` 32, `maxLatency` 500 ms)."""


def model_format(predictor: Obj) -> str | None:
    """The format to pass `kflow serve`, or None to let it tell from the files."""
    kind = predictor_implementations(predictor)[0]
    if kind == "containers":
        return None
    name = (
        str((predictor["model"].get("modelFormat") or {}).get("name") or "")
        if kind == "model"
        else kind
    )
    return name.lower() if name.lower() in c.SERVABLE_FORMATS else None


def _storage(uri: str) -> tuple[str, list[Obj], list[Obj]]:
    """(the path or URI the server reads, pod volumes, volume mounts) for a storage URI."""
    parsed = urlparse(uri)
    if parsed.scheme != "pvc":
        return uri, [], []
    path = unquote(parsed.path).lstrip("/")
    volume = {
        "name": c.PVC_VOLUME,
        "persistentVolumeClaim": {"claimName": parsed.netloc, "readOnly": True},
    }
    mount = {"name": c.PVC_VOLUME, "mountPath": c.PVC_MOUNT_PATH, "readOnly": True}
    where = f"{c.PVC_MOUNT_PATH}/{path}" if path else c.PVC_MOUNT_PATH
    return where, [volume], [mount]


def _server_container(name: str, predictor: Obj) -> tuple[Obj, list[Obj]]:
    kind = predictor_implementations(predictor)[0]
    impl: Obj = predictor[kind]
    where, volumes, mounts = _storage(str(impl.get("storageUri") or ""))
    args = [sys.executable, "-m", "kflow", "serve", where, "--name", name, "--host", "127.0.0.1"]
    fmt = model_format(predictor)
    if fmt:
        args += ["--format", fmt]
    batcher = predictor.get("batcher")
    if isinstance(batcher, dict):
        size = batcher.get("maxBatchSize") or DEFAULT_MAX_BATCH_SIZE
        latency = batcher.get("maxLatency") or DEFAULT_MAX_LATENCY_MS
        args += ["--max-batch-size", str(size), "--max-latency-ms", str(latency)]
    args += [str(a) for a in impl.get("args") or []]
    port_var = f"KFLOW_PORT_{c.CONTAINER_PORT}"
    grpc_var = f"KFLOW_PORT_{c.GRPC_CONTAINER_PORT}"  # each replica its own gRPC port
    container: Obj = {
        "name": c.CONTAINER_NAME,
        "image": SERVER_IMAGE,
        "command": [
            "/bin/sh",
            "-c",
            f'exec "$@" --port "${port_var}" --grpc-port "${grpc_var}"',
            "sh",
        ],
        "args": args,
        "ports": [
            {"name": "http1", "containerPort": c.CONTAINER_PORT, "protocol": "TCP"},
            {"name": "grpc", "containerPort": c.GRPC_CONTAINER_PORT, "protocol": "TCP"},
        ],
        "env": list(impl.get("env") or []),
    }
    if mounts:
        container["volumeMounts"] = mounts
    return container, volumes


def predictor_pod_spec(name: str, predictor: Obj) -> Obj:
    """The PodSpec of one predictor replica of InferenceService `name`."""
    kind = predictor_implementations(predictor)[0]
    if kind == "containers":
        container = dict(predictor["containers"][0])
        if not container.get("ports"):
            container["ports"] = [
                {"name": "http1", "containerPort": c.CONTAINER_PORT, "protocol": "TCP"}
            ]
        volumes = list(predictor.get("volumes") or [])
    else:
        container, volumes = _server_container(name, predictor)
    spec: Obj = {"containers": [container], "restartPolicy": "Always"}
    if volumes:
        spec["volumes"] = volumes
    return spec


def serving_port(pod_spec: Obj) -> int:
    """The container port the model server listens on (the first declared)."""
    for container in pod_spec.get("containers") or []:
        for port in container.get("ports") or []:
            return int(port.get("containerPort") or c.CONTAINER_PORT)
    return c.CONTAINER_PORT


def runs_kflow_serve(pod_spec: Obj) -> bool:
    """Whether the pod is kflow's own model server (not a user's container)."""
    containers = pod_spec.get("containers") or [{}]
    return bool(containers[0].get("image") == SERVER_IMAGE)


def readiness_path(pod_spec: Obj) -> str:
    """A custom container's `readinessProbe.httpGet.path`, else the V2 ready endpoint."""
    for container in pod_spec.get("containers") or []:
        probe = ((container.get("readinessProbe") or {}).get("httpGet") or {}).get("path")
        if probe:
            return str(probe)
    return c.READY_PATH
