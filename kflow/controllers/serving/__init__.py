"""Model serving controllers: the InferenceService controller and its component pods.

`predictor.py` turns a predictor spec into a PodSpec running `kflow serve` (or the
user's container), `transformer.py` a transformer's container into one told where
the predictor is; `revisions.py` records each revision's spec, `rollout.py` decides
the canary traffic split, `status.py` writes KServe's status, and
`inferenceservices.py` is the reconcile loop.
"""

from __future__ import annotations

from kflow.controllers.serving.inferenceservices import InferenceServiceController

__all__ = ["InferenceServiceController"]
