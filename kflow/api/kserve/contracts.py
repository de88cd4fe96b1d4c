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
"""The InferenceService's name, on every component pod, Service and revision record."""
COMPONENT_LABEL = "component"
"""`predictor` or `transformer` (KServe labels each component's pods so)."""
REVISION_LABEL = "serving.knative.dev/revision"
"""The revision a pod belongs to (`<name>-predictor-00001`), as Knative labels it; the
gateway groups ready replicas by it to split traffic."""
READY_ADDRESS_ANNOTATION = "serving.kflow.dev/ready-address"
"""`127.0.0.1:<port>`, on a predictor pod whose readiness probe (`/v2/health/ready`)
last answered 200; removed when it stops answering. The gateway sends requests only
to the addresses it finds here."""
PREDICTOR = "predictor"
TRANSFORMER = "transformer"
COMPONENTS = (PREDICTOR, TRANSFORMER)
"""The components kflow runs, in the order a request passes them backwards (KServe's
`ComponentType`; explainers are not run)."""
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

# --- transformers (KServe's `constants.Argument*`, added to a custom transformer's args) ---
ARG_MODEL_NAME = "--model_name"
"""The model the transformer serves and asks the predictor about: the InferenceService's name."""
ARG_PREDICTOR_HOST = "--predictor_host"
"""Where the predictor answers. KServe passes `<name>-predictor.<namespace>`; kflow passes
the cluster-local gateway's route to the predictor (`127.x.y.z:port/serving/<ns>/<name>-predictor`)."""
ARG_HTTP_PORT = "--http_port"
"""The port the transformer listens on (the host port kflow gives container port 8080)."""
ARG_PROTOCOL = "--protocol"
"""How the transformer talks to the predictor: `v1` (default) or `v2` (KServe's `PredictorProtocol`)."""
PREDICTOR_PROTOCOLS = ("v1", "v2")
"""`--protocol` values a transformer hosted by `kflow serve` speaks to its predictor."""
PREDICTOR_HOST_ANNOTATION = "serving.kflow.dev/predictor-host"
"""On a transformer pod: the `--predictor_host` it was started with, so pods started for
an older cluster-local gateway address are replaced."""

# --- traffic (KServe's canary rollout over Knative's route) ----------------------------
TAG_ROUTING_ANNOTATION = "serving.kserve.io/enable-tag-routing"
""""true" gives the latest revision its own route (`latest-<name>-<component>`)."""
LATEST_TAG = "latest"
PREV_TAG = "prev"
"""The tags KServe puts on the latest and the previously rolled-out revision's traffic."""

# --- conditions (KServe's apis.ConditionType values) ----------------------------------
CONDITION_PREDICTOR_READY = "PredictorReady"
CONDITION_TRANSFORMER_READY = "TransformerReady"
CONDITION_INGRESS_READY = "IngressReady"
CONDITION_READY = "Ready"
CONDITION_TYPES = (
    CONDITION_INGRESS_READY,
    CONDITION_PREDICTOR_READY,
    CONDITION_TRANSFORMER_READY,
    CONDITION_READY,
)
READY_CONDITIONS = {PREDICTOR: CONDITION_PREDICTOR_READY, TRANSFORMER: CONDITION_TRANSFORMER_READY}
"""Each component's ready condition (KServe's `readyConditionsMap`)."""
REASON_REVISION_MISSING = "RevisionMissing"
"""Knative's reason while a component's latest revision is not ready yet."""
REASON_REVISION_FAILED = "RevisionFailed"
"""Knative's reason when a component's latest revision failed (its model did not load)."""

# --- the gateway ------------------------------------------------------------------------
GATEWAY_PREFIX = "/serving"
"""The kflow server routes `/serving/<namespace>/<name>/...` to a ready replica."""


def gateway_path(namespace: str, name: str) -> str:
    """`/serving/<namespace>/<name>`: the InferenceService's root behind the gateway.

    `name` may also be a component's route (`<name>-predictor`, straight to the
    predictor) or a tag's (`latest-<name>-predictor`, `prev-<name>-predictor`): the
    first label of the host names Knative gives them."""
    return f"{GATEWAY_PREFIX}/{namespace}/{name}"


def predictor_service_name(name: str) -> str:
    """`<name>-predictor`: the Service selecting the predictor pods (KServe's name)."""
    return f"{name}-{PREDICTOR}"


def component_service_name(name: str, component: str) -> str:
    """`<name>-predictor`, `<name>-transformer`: a component's Service and route."""
    return f"{name}-{component}"


def tag_route_name(tag: str, name: str, component: str) -> str:
    """`latest-<name>-predictor`: the route of a tagged revision (Knative's tag host)."""
    return f"{tag}-{name}-{component}"


def revision_name(name: str, number: int, component: str = PREDICTOR) -> str:
    """`<name>-predictor-00003`: a Knative-style name for a component's third revision."""
    return f"{name}-{component}-{number:05d}"
