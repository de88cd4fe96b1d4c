"""Kubernetes' patch metadata: which lists merge element by element, and by what key.

One table read by the strategic-merge patcher (`patches.py`) and written into the
OpenAPI schemas (`x-kubernetes-patch-merge-key` / `x-kubernetes-patch-strategy`), so
kubectl's client-side apply computes the same minimal patches it computes against a
real API server instead of replacing whole lists.
"""

from __future__ import annotations

# list fields merged element by element, by this key (Kubernetes' patchMergeKey)
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "imagePullSecrets": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "ownerReferences": "uid",
    "conditions": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "containerStatuses": "name",
    "initContainerStatuses": "name",
}
# primitive lists whose patch strategy is "merge" (a set union), not replace
MERGED_PRIMITIVE_LISTS = frozenset({"finalizers"})

SERVICE_PORT_KEY = "port"
CONTAINER_PORT_KEY = "containerPort"


def merge_key(owner: str, field: str) -> str | None:
    """The merge key of list `field` in the model named `owner` (ports differ by owner)."""
    if field == "ports":
        return SERVICE_PORT_KEY if owner == "ServiceSpec" else CONTAINER_PORT_KEY
    return MERGE_KEYS.get(field)
