"""Training-job controllers: one replicated-job engine, one plug-in per kind.

`engine.py` turns a job into pods and services and applies upstream's lifecycle;
each kind's module (`tensorflow.py`, `pytorch.py`, `mpi.py`, `xgboost.py`,
`jax.py`, `paddle.py`) adds its env contract and success rule; `status.py` holds
the condition rules. `training_controllers` builds a controller for every kind.
"""

from __future__ import annotations

from kflow.controllers.events import EventRecorder
from kflow.controllers.training.engine import LEADER_WAIT_SECONDS, Framework, JobController
from kflow.controllers.training.jax import JAX
from kflow.controllers.training.mpi import MPI
from kflow.controllers.training.paddle import Paddle
from kflow.controllers.training.pytorch import PyTorch
from kflow.controllers.training.tensorflow import TensorFlow
from kflow.controllers.training.xgboost import XGBoost
from kflow.runtime.interface import Runtime
from kflow.store.interface import Store

FRAMEWORKS: tuple[type[Framework], ...] = (TensorFlow, PyTorch, MPI, XGBoost, JAX, Paddle)
"""One plug-in per training kind."""


def training_controllers(
    store: Store,
    runtime: Runtime,
    recorder: EventRecorder | None = None,
    *,
    leader_wait_seconds: float | None = None,
) -> list[JobController]:
    """A controller for every training kind, sharing one event recorder."""
    wait = LEADER_WAIT_SECONDS if leader_wait_seconds is None else leader_wait_seconds
    return [
        JobController(store, runtime, framework(), recorder, leader_wait_seconds=wait)
        for framework in FRAMEWORKS
    ]


__all__ = ["FRAMEWORKS", "Framework", "JobController", "training_controllers"]
