"""The transformer pod of an InferenceService: the user's container, told where the predictor is.

KServe runs a custom transformer's first container and adds to its args, unless
they are there already, `--model_name <name>`, `--predictor_host
<name>-predictor.<namespace>` and `--http_port 8080` (`CustomTransformer.GetContainer`);
the transformer then asks the predictor at `http://<predictor_host>/v1/models/<name>:predict`
(`/v2/models/<name>/infer` with `--protocol v2`). kflow adds the same arguments, with
two local differences: the predictor host is the cluster-local gateway's route to
the predictor (`127.x.y.z:port/serving/<namespace>/<name>-predictor`: the URLs above
work unchanged, and the predictor's canary split applies to them), and the port is
the one the runtime gives the container's serving port (`KFLOW_PORT_8080`, read by
`sh -c 'exec "$@" --http_port "$KFLOW_PORT_8080"'`, so no user value is ever parsed
by a shell). Like KServe's server, `kflow serve` accepts these arguments.
"""

from __future__ import annotations

import copy
from typing import Any

from kflow.api.kserve import contracts as c
from kflow.controllers.serving.predictor import serving_port

Obj = dict[str, Any]


def _has(args: list[str], flag: str) -> bool:
    return any(a == flag or a.startswith(f"{flag}=") for a in args)


def transformer_pod_spec(name: str, transformer: Obj, predictor_host: str) -> Obj:
    """The PodSpec of one transformer replica of InferenceService `name`."""
    container: Obj = copy.deepcopy(transformer["containers"][0])
    args = [str(a) for a in container.get("args") or []]
    if not _has(args, c.ARG_MODEL_NAME):
        args += [c.ARG_MODEL_NAME, name]
    if not _has(args, c.ARG_PREDICTOR_HOST):
        args += [c.ARG_PREDICTOR_HOST, predictor_host]
    if not container.get("ports"):
        container["ports"] = [
            {"name": "http1", "containerPort": c.CONTAINER_PORT, "protocol": "TCP"}
        ]
    command = [str(part) for part in container.get("command") or []]
    if command and not _has(args, c.ARG_HTTP_PORT):
        port_var = f"KFLOW_PORT_{serving_port({'containers': [container]})}"
        script = f'exec "$@" {c.ARG_HTTP_PORT} "${port_var}"'
        container["command"] = ["/bin/sh", "-c", script, "sh", *command]
    container["args"] = args
    spec: Obj = {"containers": [container], "restartPolicy": "Always"}
    volumes = transformer.get("volumes")
    if volumes:
        spec["volumes"] = list(volumes)
    return spec
