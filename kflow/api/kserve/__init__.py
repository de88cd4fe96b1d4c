"""KServe's InferenceService (`serving.kserve.io/v1beta1`).

`contracts` holds KServe's names (frameworks, labels, conditions, the server port,
the gateway path) as one table the API, the controller, the gateway and the CLI
read; `models` and `admission` are the schema and admission hooks; `registration`
ties them into a `KindInfo`. Importing this package registers the kind;
`register_kserve_kinds()` does it again harmlessly.
"""

from __future__ import annotations

from kflow.api.kserve.admission import (
    default_inference_service,
    predictor_implementations,
    validate_inference_service,
)
from kflow.api.kserve.contracts import API_VERSION, GROUP, KIND, RESOURCE, VERSION
from kflow.api.kserve.registration import ISVC_COLUMNS, register_kserve_kinds

__all__ = [
    "API_VERSION",
    "GROUP",
    "ISVC_COLUMNS",
    "KIND",
    "RESOURCE",
    "VERSION",
    "default_inference_service",
    "predictor_implementations",
    "register_kserve_kinds",
    "validate_inference_service",
]

register_kserve_kinds()
