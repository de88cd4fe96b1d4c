"""kflow: Kubeflow's workloads, with the same YAML and clients, on one machine or on Kubernetes.

    from kflow import Client
    with Client() as kf:                 # the server `kflow up` started
        kf.apply(pod)
        for line in kf.logs("train", follow=True):
            print(line)

    kflow.train(fn, num_workers=2)       # a function as a PyTorchJob, logs streamed
    kflow.tune(objective, {"lr": kflow.search.loguniform(1e-4, 1e-1)})  # a Katib Experiment
    kflow.run_pipeline(my_pipeline, arguments={"x": 1})  # a kfp v2 pipeline, outputs back

Names are imported lazily, so `import kflow` stays cheap for the processes that only
need a submodule (every pod's supervisor imports the package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ApiError", "Client", "__version__", "report", "run_pipeline", "search", "train", "tune"]

if TYPE_CHECKING:
    from kflow.api.errors import ApiError
    from kflow.sdk import Client, search
    from kflow.sdk.pipelines import run_pipeline
    from kflow.sdk.training import train
    from kflow.sdk.trialrunner import report
    from kflow.sdk.tuning import tune

_LAZY = {
    "Client": "kflow.sdk",
    "ApiError": "kflow.api.errors",
    "train": "kflow.sdk.training",
    "tune": "kflow.sdk.tuning",
    "report": "kflow.sdk.trialrunner",
    "run_pipeline": "kflow.sdk.pipelines",
}
_MODULES = {"search": "kflow.sdk.search"}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    raise AttributeError(f"module 'kflow' has no attribute {name!r}")
