"""Model serving controllers: the InferenceService controller and its predictor pods.

`predictor.py` turns a predictor spec into a PodSpec running `kflow serve` (or the
user's container); `inferenceservices.py` is the reconcile loop.
"""

from __future__ import annotations

from kflow.controllers.serving.inferenceservices import InferenceServiceController

__all__ = ["InferenceServiceController"]
