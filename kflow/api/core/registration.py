"""The list of core kinds, and their registration into a kind registry.

The order is the order discovery and the OpenAPI documents list the kinds in.
"""

from __future__ import annotations

from kflow.api.core.claims import pvc_kind
from kflow.api.core.config import configmap_kind, secret_kind
from kflow.api.core.events import event_kind
from kflow.api.core.namespaces import namespace_kind
from kflow.api.core.pods import pod_kind
from kflow.api.core.services import endpoints_kind, service_kind
from kflow.api.kinds import KindInfo, Registry, registry


def core_kinds() -> list[KindInfo]:
    """Every core v1 kind kflow serves."""
    return [
        namespace_kind(),
        pod_kind(),
        service_kind(),
        event_kind(),
        configmap_kind(),
        secret_kind(),
        pvc_kind(),
        endpoints_kind(),
    ]


def register_core_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register the core kinds into `target` (the process registry by default); idempotent."""
    into = registry if target is None else target
    return [into.register(info) for info in core_kinds()]
