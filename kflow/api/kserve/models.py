"""Pydantic models of KServe's InferenceService, for validation and the OpenAPI schema.

They follow `serving.kserve.io/v1beta1` (definition names `serving.kserve.io.v1beta1.*`)
for the parts kflow reads: the predictor (a framework field, `model`, or custom
`containers`) with its replicas, batcher and canary percentage, the transformer (a
custom container), and the status KServe writes. Everything else a user writes
(`explainer`, `logger`, pod fields beside `containers`) is kept, as KServe's CRD
keeps it.
"""

from __future__ import annotations

from pydantic import Field

from kflow.api.models.base import K8sModel
from kflow.api.models.core import Container, Volume
from kflow.api.models.meta import ObjectMeta


class ModelFormat(K8sModel):
    """The format of a model, by KServe's name (`sklearn`, `onnx`, ...)."""

    definition = "serving.kserve.io.v1beta1.ModelFormat"

    name: str = Field(description="The format's name: sklearn, xgboost, pytorch, onnx, ...")
    version: str | None = Field(None, description="The format's version (recorded).")


class PredictorExtensionSpec(K8sModel):
    """A framework predictor: where the model is, and the server container's fields."""

    definition = "serving.kserve.io.v1beta1.PredictorExtensionSpec"

    storageUri: str | None = Field(
        None, description="The model's location: a path, file://, pvc://CLAIM/PATH, s3://, gs://."
    )
    runtimeVersion: str | None = Field(None, description="The server's version (recorded).")
    protocolVersion: str | None = Field(None, description="v1, v2, grpc-v1 or grpc-v2.")
    args: list[str] | None = Field(None, description="Extra arguments to the model server.")
    env: list[dict[str, object]] | None = Field(None, description="Environment variables.")


class ModelSpec(PredictorExtensionSpec):
    """A predictor by model format (`spec.predictor.model`)."""

    definition = "serving.kserve.io.v1beta1.ModelSpec"

    modelFormat: ModelFormat = Field(description="The model's format.")
    runtime: str | None = Field(None, description="A ServingRuntime name (recorded).")


class Batcher(K8sModel):
    """Server-side batching of concurrent requests."""

    definition = "serving.kserve.io.v1beta1.Batcher"

    maxBatchSize: int | None = Field(None, description="Most rows per model call (default 32).")
    maxLatency: int | None = Field(
        None, description="Longest wait for a batch to fill, in milliseconds (default 500)."
    )
    timeout: int | None = Field(None, description="Request timeout in seconds (recorded).")


class PredictorSpec(K8sModel):
    """The predictor: one implementation, its replicas, batching and canary traffic."""

    definition = "serving.kserve.io.v1beta1.PredictorSpec"

    sklearn: PredictorExtensionSpec | None = Field(None, description="A scikit-learn model.")
    xgboost: PredictorExtensionSpec | None = Field(None, description="An XGBoost model.")
    tensorflow: PredictorExtensionSpec | None = Field(None, description="A SavedModel.")
    pytorch: PredictorExtensionSpec | None = Field(None, description="A PyTorch model.")
    triton: PredictorExtensionSpec | None = Field(None, description="A Triton repository.")
    onnx: PredictorExtensionSpec | None = Field(None, description="An ONNX model.")
    pmml: PredictorExtensionSpec | None = Field(None, description="A PMML model.")
    lightgbm: PredictorExtensionSpec | None = Field(None, description="A LightGBM model.")
    paddle: PredictorExtensionSpec | None = Field(None, description="A Paddle model.")
    huggingface: PredictorExtensionSpec | None = Field(None, description="A Hugging Face model.")
    model: ModelSpec | None = Field(None, description="A model by format and storage URI.")
    containers: list[Container] | None = Field(
        None, description="A custom predictor: its containers (the first serves on port 8080)."
    )
    volumes: list[Volume] | None = Field(None, description="Volumes the containers may mount.")
    minReplicas: int | None = Field(
        None, description="Fewest replicas (default 1; 0: scale to zero when idle)."
    )
    maxReplicas: int | None = Field(None, description="Most replicas (0 or unset: no limit).")
    scaleTarget: int | None = Field(
        None, description="What one replica should carry (default 100 concurrent, 200 rps)."
    )
    scaleMetric: str | None = Field(None, description="What to scale on: concurrency or rps.")
    containerConcurrency: int | None = Field(None, description="Requests per replica.")
    timeout: int | None = Field(
        None, description="Request timeout in seconds, waiting for a replica included (60)."
    )
    canaryTrafficPercent: int | None = Field(
        None,
        description="Percent of requests for the latest revision; the previously rolled-out "
        "revision takes the rest (0: roll back; unset or 100: promote).",
    )
    batcher: Batcher | None = Field(None, description="Server-side batching.")


class TransformerSpec(K8sModel):
    """A transformer: a custom container that turns requests into the predictor's inputs
    and its outputs into responses."""

    definition = "serving.kserve.io.v1beta1.TransformerSpec"

    containers: list[Container] = Field(
        description="The transformer's container; kflow adds --model_name, --predictor_host "
        "and --http_port to its args, as KServe does."
    )
    volumes: list[Volume] | None = Field(None, description="Volumes the container may mount.")
    minReplicas: int | None = Field(None, description="Fewest replicas (default 1).")
    maxReplicas: int | None = Field(None, description="Most replicas (recorded).")
    scaleTarget: int | None = Field(None, description="Autoscaling target (recorded).")
    scaleMetric: str | None = Field(None, description="Autoscaling metric (recorded).")
    containerConcurrency: int | None = Field(None, description="Requests per replica.")
    timeout: int | None = Field(None, description="Request timeout in seconds.")
    canaryTrafficPercent: int | None = Field(
        None, description="Percent of requests for the transformer's latest revision."
    )


class InferenceServiceSpec(K8sModel):
    """The desired state of an InferenceService."""

    definition = "serving.kserve.io.v1beta1.InferenceServiceSpec"

    predictor: PredictorSpec = Field(description="The model server.")
    transformer: TransformerSpec | None = Field(
        None, description="Pre- and post-processing in front of the predictor."
    )


class Addressable(K8sModel):
    """Where a component is reachable."""

    definition = "knative.dev.pkg.apis.duck.v1.Addressable"

    url: str | None = Field(None, description="The address.")


class TrafficTarget(K8sModel):
    """The share of traffic one revision takes."""

    definition = "knative.dev.serving.pkg.apis.serving.v1.TrafficTarget"

    tag: str | None = Field(None, description="`latest` or `prev`: the revision's own route.")
    revisionName: str | None = Field(None, description="The revision.")
    latestRevision: bool | None = Field(
        None, description="Whether the entry follows the latest ready revision."
    )
    percent: int | None = Field(None, description="Its share of requests.")
    url: str | None = Field(None, description="The tagged revision's own route.")


class ComponentStatusSpec(K8sModel):
    """The state of one component (the predictor)."""

    definition = "serving.kserve.io.v1beta1.ComponentStatusSpec"

    url: str | None = Field(None, description="The component's URL.")
    latestReadyRevision: str | None = Field(None, description="The latest ready revision.")
    latestCreatedRevision: str | None = Field(None, description="The latest created revision.")
    previousRolledoutRevision: str | None = Field(
        None, description="The revision rolled out before the latest."
    )
    latestRolledoutRevision: str | None = Field(None, description="The rolled-out revision.")
    traffic: list[TrafficTarget] | None = Field(None, description="Traffic by revision.")


class InferenceServiceStatus(K8sModel):
    """The observed state KServe writes."""

    definition = "serving.kserve.io.v1beta1.InferenceServiceStatus"

    url: str | None = Field(None, description="The gateway URL of the InferenceService.")
    address: Addressable | None = Field(None, description="The in-cluster address.")
    conditions: list[dict[str, object]] | None = Field(
        None, description="IngressReady, PredictorReady, TransformerReady, Ready."
    )
    components: dict[str, ComponentStatusSpec] | None = Field(
        None, description="Status by component (predictor, transformer)."
    )
    modelStatus: dict[str, object] | None = Field(
        None, description="The model's state, copies and last failure."
    )
    observedGeneration: int | None = Field(None, description="The generation last reconciled.")


class InferenceService(K8sModel):
    """A model served behind the gateway, with KServe's API."""

    definition = "serving.kserve.io.v1beta1.InferenceService"
    closed = True

    apiVersion: str | None = Field(None, description="serving.kserve.io/v1beta1")
    kind: str | None = Field(None, description="InferenceService")
    metadata: ObjectMeta | None = Field(None, description="Standard object metadata.")
    spec: InferenceServiceSpec = Field(description="Desired state.")
    status: InferenceServiceStatus | None = Field(None, description="Observed state (read-only).")
