"""kflow: Kubeflow's workloads, with the same YAML and clients, on one machine or on Kubernetes.

    from kflow import Client
    with Client() as kf:                 # the server `kflow up` started
        kf.apply(pod)
        for line in kf.logs("train", follow=True):
            print(line)

    kflow.train(fn, num_workers=2)       # a function as a PyTorchJob, logs streamed

Names are imported lazily, so `import kflow` stays cheap for the processes that only
need a submodule (every pod's supervisor imports the package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ApiError", "Client", "__version__", "train"]

if TYPE_CHECKING:
    from kflow.api.errors import ApiError
    from kflow.sdk import Client
    from kflow.sdk.training import train

_LAZY = {"Client": "kflow.sdk", "ApiError": "kflow.api.errors", "train": "kflow.sdk.training"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kflow' has no attribute {name!r}")
