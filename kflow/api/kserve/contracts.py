"""KServe's InferenceService contract, in one table.

The names KServe's YAML, its controller and its clients agree on: the group and
version, the predictor implementations (framework fields and `modelFormat` names),
the labels on every predictor pod, the condition types, the port the model server
listens on, and the path of the gateway route. The API defaulter and validator, the
InferenceService controller, the gateway, the CLI, the docs and the tests all read
this module. Values follow `kserve/kserve` `pkg/apis/serving/v1beta1` and
`pkg/constants/constants.go`.
"""

from __future__ import annotations

GROUP = "serving.kserve.io"
VERSION = "v1beta1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "InferenceService"
PLURAL = "inferenceservices"
RESOURCE = f"{PLURAL}.{GROUP}"
SHORT_NAMES = ("isvc",)

FRAMEWORKS = (
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "pmml",
    "lightgbm",
    "paddle",
    "huggingface",
)
"""The predictor's framework fields (`spec.predictor.sklearn`, ...), in KServe's order."""

SERVABLE_FORMATS = ("sklearn", "xgboost", "lightgbm", "pytorch", "onnx", "tensorflow", "custom")
"""Formats kflow's model server loads; other frameworks are accepted but cannot run."""

PROTOCOL_VERSIONS = ("v1", "v2", "grpc-v1", "grpc-v2")
"""`protocolVersion` values KServe accepts."""

STORAGE_URI_PREFIXES = ("gs://", "s3://", "pvc://", "file://", "https://", "http://", "hdfs://")
"""The schemes KServe's validator accepts; plain absolute or relative paths also work here."""

# --- predictor pods ---------------------------------------------------------------------
ISVC_LABEL = "serving.kserve.io/inferenceservice"
"""The InferenceService's name, on every predictor pod and its Service."""
COMPONENT_LABEL = "component"
"""`predictor` (KServe labels each component's pods so)."""
REVISION_LABEL = "serving.knative.dev/revision"
"""The revision a pod belongs to (`<name>-predictor-00001`), as Knative labels it."""
READY_ADDRESS_ANNOTATION = "serving.kflow.dev/ready-address"
"""`127.0.0.1:<port>`, on a predictor pod whose readiness probe (`/v2/health/ready`)
last answered 200; removed when it stops answering. The gateway sends requests only
to the addresses it finds here."""
PREDICTOR = "predictor"
CONTAINER_NAME = "kserve-container"
"""The container running the model server (KServe's name)."""
CONTAINER_PORT = 8080
"""The port the model server listens on inside the pod; locally it becomes
`KFLOW_PORT_8080` (see `kflow.runtime`)."""
GRPC_CONTAINER_PORT = 8081
"""The model server's gRPC port inside the pod (KServe's), `KFLOW_PORT_8081` locally."""
PVC_MOUNT_PATH = "/mnt/pvc"
"""Where a `pvc://` claim is mounted in the predictor pod (KServe's mount path)."""
PVC_VOLUME = "kserve-pvc-source"
READY_PATH = "/v2/health/ready"
"""What the controller probes to judge a replica ready."""
DEFAULT_MIN_REPLICAS = 1

# --- conditions (KServe's apis.ConditionType values) ----------------------------------
CONDITION_PREDICTOR_READY = "PredictorReady"
CONDITION_INGRESS_READY = "IngressReady"
CONDITION_READY = "Ready"
CONDITION_TYPES = (CONDITION_INGRESS_READY, CONDITION_PREDICTOR_READY, CONDITION_READY)

# --- the gateway ------------------------------------------------------------------------
GATEWAY_PREFIX = "/serving"
"""The kflow server routes `/serving/<namespace>/<name>/...` to a ready replica."""


def gateway_path(namespace: str, name: str) -> str:
    """`/serving/<namespace>/<name>`: the InferenceService's root behind the gateway."""
    return f"{GATEWAY_PREFIX}/{namespace}/{name}"


def predictor_service_name(name: str) -> str:
    """`<name>-predictor`: the Service selecting the predictor pods (KServe's name)."""
    return f"{name}-{PREDICTOR}"


def revision_name(name: str, generation: int) -> str:
    """`<name>-predictor-00003`: a Knative-style revision name for a spec generation."""
    return f"{name}-{PREDICTOR}-{generation:05d}"
