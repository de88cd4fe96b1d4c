"""kflow's model server: TF Serving REST, KServe V1 and Open Inference Protocol V2;
V2 gRPC and TF Serving gRPC on a second port.

    kflow serve ./mnist                       # numbered versions watched, ports 8080, 8081

    from kflow.serving import ModelConfig, build_app
    app = build_app([ModelConfig(name="mnist", uri="pvc://models/mnist")])

A layer beside `kflow.runtime`: it imports only `kflow.api` and third-party libraries,
so the InferenceService controller can run it as a pod's process.
"""

from __future__ import annotations

from kflow.serving.app import build_app
from kflow.serving.batching import BatchingConfig
from kflow.serving.model import Model, TensorModel, TensorSpec
from kflow.serving.repository import ModelConfig, ModelRepository, VersionState
from kflow.serving.versions import VersionPolicy

__all__ = [
    "BatchingConfig",
    "Model",
    "ModelConfig",
    "ModelRepository",
    "TensorModel",
    "TensorSpec",
    "VersionPolicy",
    "VersionState",
    "build_app",
]
