"""`python -m kflow.demo`: the walk-through without the CLI (KFLOW_DEMO_HOME picks its home)."""

from __future__ import annotations

import os
from pathlib import Path

from kflow.demo.walkthrough import run

raise SystemExit(
    run(Path(os.environ["KFLOW_DEMO_HOME"]) if "KFLOW_DEMO_HOME" in os.environ else None)
)
