"""Pydantic models of the objects kflow reads, used for validation and OpenAPI."""

from kflow.api.models.base import DEFINITIONS, IntOrString, K8sModel, Quantity
from kflow.api.models.core import (
    ConfigMap,
    Container,
    Endpoints,
    Event,
    Namespace,
    PersistentVolumeClaim,
    Pod,
    PodSpec,
    RestartPolicy,
    Secret,
    Service,
    ServiceSpec,
)
from kflow.api.models.meta import ObjectMeta, OwnerReference

__all__ = [
    "DEFINITIONS",
    "ConfigMap",
    "Container",
    "Endpoints",
    "Event",
    "IntOrString",
    "K8sModel",
    "Namespace",
    "ObjectMeta",
    "OwnerReference",
    "PersistentVolumeClaim",
    "Pod",
    "PodSpec",
    "Quantity",
    "RestartPolicy",
    "Secret",
    "Service",
    "ServiceSpec",
]
