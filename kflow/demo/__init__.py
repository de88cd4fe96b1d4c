"""`kflow demo`: the MNIST walk-through (`walkthrough.py`), one module per capability.

`walkthrough.run` drives the steps in order; `tuning.py` is the Katib step.
"""

from __future__ import annotations

from kflow.demo.walkthrough import run

__all__ = ["run"]
