"""The core `v1` kinds: Namespace, Pod, Service, Event, ConfigMap, Secret, PVC, Endpoints.

Each kind registers with its upstream defaults (`restartPolicy: Always`, Secret
`type: Opaque`, ...), its validation rules in Kubernetes wording and its `kubectl get`
columns; one module holds each kind (`pods`, `services`, `config`, ...), and the
PodSpec rules that workload templates share live in `pod_spec` and `containers`.
Importing this package registers the kinds; `register_core_kinds()` does it again
harmlessly, for tests and for code that wants the registration to be explicit.
"""

from __future__ import annotations

from kflow.api.core.claims import PVC_COLUMNS
from kflow.api.core.config import CONFIGMAP_COLUMNS, SECRET_COLUMNS
from kflow.api.core.events import EVENT_COLUMNS
from kflow.api.core.namespaces import NAMESPACE_COLUMNS
from kflow.api.core.pod_spec import check_relative_path, default_pod_spec, validate_pod_spec
from kflow.api.core.pod_status import pod_status_reason, qos_class
from kflow.api.core.pods import POD_COLUMNS, POD_MUTABLE_FIELDS_MESSAGE
from kflow.api.core.registration import core_kinds, register_core_kinds
from kflow.api.core.services import ENDPOINTS_COLUMNS, SERVICE_COLUMNS

# Names the single-module `kflow.api.core` exposed by importing them, kept importable.
from kflow.api.errors import Cause
from kflow.api.kinds import Column, KindInfo, Obj, Registry, registry
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

__all__ = [
    "CONFIGMAP_COLUMNS",
    "ENDPOINTS_COLUMNS",
    "EVENT_COLUMNS",
    "NAMESPACE_COLUMNS",
    "POD_COLUMNS",
    "POD_MUTABLE_FIELDS_MESSAGE",
    "PVC_COLUMNS",
    "SECRET_COLUMNS",
    "SERVICE_COLUMNS",
    "Cause",
    "Column",
    "K8sModel",
    "KindInfo",
    "Obj",
    "QuantityError",
    "Registry",
    "age_column",
    "check_config_key",
    "check_dns1035_label",
    "check_port_name",
    "check_port_number",
    "check_relative_path",
    "core_kinds",
    "default_pod_spec",
    "human_age",
    "model_causes",
    "model_schema",
    "name_column",
    "parse_quantity",
    "pod_status_reason",
    "qos_class",
    "register_core_kinds",
    "registry",
    "validate_pod_spec",
]

register_core_kinds()
