"""KServe's defaulting and validation of an InferenceService, with field paths.

Defaulting names unnamed custom containers `kserve-container`, and a transformer's
container always so, as KServe's webhook does. Validation follows
`inferenceservice_validation.go`: a DNS-1035 name, exactly one predictor
implementation, replica bounds, the canary percentage, the batcher, the protocol
version, and a storage URI of a supported form, for the predictor and the
transformer alike — each message is KServe's own, prefixed by the field it is about.
"""

from __future__ import annotations

import re
from typing import Any

from kflow.api.errors import Cause
from kflow.api.kinds import Obj
from kflow.api.kserve import contracts as c
from kflow.api.kserve.autoscaling import validate_scaling

_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def predictor_implementations(predictor: Obj) -> list[str]:
    """The implementation fields set on a predictor: frameworks, `model`, `containers`."""
    found = [f for f in (*c.FRAMEWORKS, "model") if isinstance(predictor.get(f), dict)]
    if predictor.get("containers"):
        found.append("containers")
    return found


def default_inference_service(obj: Obj) -> None:
    """KServe's webhook defaults, in place."""
    predictor = (obj.get("spec") or {}).get("predictor")
    if not isinstance(predictor, dict):
        return
    containers = predictor.get("containers")
    if isinstance(containers, list) and len(containers) == 1 and isinstance(containers[0], dict):
        containers[0].setdefault("name", c.CONTAINER_NAME)
    transformer = (obj.get("spec") or {}).get("transformer")
    if isinstance(transformer, dict):
        containers = transformer.get("containers")
        if isinstance(containers, list) and containers and isinstance(containers[0], dict):
            containers[0]["name"] = c.CONTAINER_NAME  # KServe's CustomTransformer.Default


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _storage_uri(uri: str, field: str) -> list[Cause]:
    if "://" not in uri or uri.startswith(c.STORAGE_URI_PREFIXES):
        return []
    prefixes = ", ".join(c.STORAGE_URI_PREFIXES)
    return [
        Cause(
            field,
            f"Unsupported value: storageUri, must be one of: [{prefixes}] or be an absolute or "
            f"relative local path. StorageUri [{uri}] is not supported.",
            "FieldValueNotSupported",
        )
    ]


def validate_inference_service(obj: Obj, old: Obj | None) -> list[Cause]:
    """What is wrong with an InferenceService, KServe's way."""
    causes: list[Cause] = []
    name = str((obj.get("metadata") or {}).get("name") or "")
    if name and not _DNS1035.match(name):
        causes.append(
            Cause(
                "metadata.name",
                f'Invalid value: "{name}": a InferenceService name must consist of lower case '
                "alphanumeric characters or '-', and must start with alphabetical character. "
                '(e.g. "my-name" or "abc-123", regex used for validation is '
                "'[a-z]([-a-z0-9]*[a-z0-9])?')",
            )
        )
    predictor = (obj.get("spec") or {}).get("predictor")
    if not isinstance(predictor, dict):
        return causes  # the typed model reports the missing predictor
    path = "spec.predictor"
    found = predictor_implementations(predictor)
    if len(found) != 1:
        choices = ", ".join((*c.FRAMEWORKS, "model", "containers"))
        causes.append(
            Cause(
                path,
                f"Invalid value: exactly one of [{choices}] must be specified in predictor"
                + (f" (found: {', '.join(found)})" if found else ""),
                "FieldValueRequired" if not found else "FieldValueInvalid",
            )
        )
    elif found[0] == "containers":
        if len(predictor["containers"]) > 1:
            causes.append(
                Cause(f"{path}.containers", "Invalid value: kflow runs one predictor container")
            )
    else:
        impl = predictor[found[0]]
        uri = impl.get("storageUri")
        if not uri:
            causes.append(
                Cause(
                    f"{path}.{found[0]}.storageUri",
                    "Required value: the model server loads the model from storageUri",
                    "FieldValueRequired",
                )
            )
        elif isinstance(uri, str):
            causes += _storage_uri(uri, f"{path}.{found[0]}.storageUri")
        protocol = impl.get("protocolVersion")
        if protocol is not None and protocol not in c.PROTOCOL_VERSIONS:
            allowed = ", ".join(f'"{p}"' for p in c.PROTOCOL_VERSIONS)
            causes.append(
                Cause(
                    f"{path}.{found[0]}.protocolVersion",
                    f'Unsupported value: "{protocol}": supported values: {allowed}',
                    "FieldValueNotSupported",
                )
            )
    causes += _extension(predictor, path)
    causes += validate_scaling(obj)
    batcher = predictor.get("batcher")
    if isinstance(batcher, dict):
        for field in ("maxBatchSize", "maxLatency"):
            value = _int(batcher.get(field))
            if value is not None and value <= 0:
                causes.append(
                    Cause(
                        f"{path}.batcher.{field}",
                        f"Invalid value: {value}: must be greater than 0",
                    )
                )
    transformer = (obj.get("spec") or {}).get("transformer")
    if isinstance(transformer, dict):
        causes += _transformer(transformer)
    return causes


def _extension(spec: Obj, path: str) -> list[Cause]:
    """KServe's checks of a component's extension fields: replicas and canary percent."""
    causes: list[Cause] = []
    low, high = _int(spec.get("minReplicas")), _int(spec.get("maxReplicas"))
    if low is not None and low < 0:
        causes.append(
            Cause(f"{path}.minReplicas", "Invalid value: MinReplicas cannot be less than 0")
        )
    if high is not None and high < 0:
        causes.append(
            Cause(f"{path}.maxReplicas", "Invalid value: MaxReplicas cannot be less than 0")
        )
    if high and low is not None and high < low:
        causes.append(
            Cause(
                f"{path}.maxReplicas",
                "Invalid value: MaxReplicas cannot be less than MinReplicas",
            )
        )
    canary = _int(spec.get("canaryTrafficPercent"))
    if canary is not None and not 0 <= canary <= 100:
        causes.append(
            Cause(
                f"{path}.canaryTrafficPercent",
                f"Invalid value: {canary}: TrafficPercent must be between [0, 100]",
            )
        )
    return causes


def _transformer(transformer: Obj) -> list[Cause]:
    path = "spec.transformer"
    causes = _extension(transformer, path)
    containers = transformer.get("containers")
    if isinstance(containers, list) and len(containers) != 1:
        causes.append(
            Cause(
                f"{path}.containers",
                "Invalid value: kflow runs one transformer container"
                if containers
                else "Required value: a transformer is a custom container",
                "FieldValueInvalid" if containers else "FieldValueRequired",
            )
        )
    return causes
