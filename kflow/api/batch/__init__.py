"""The `batch` group: the Kubernetes Job (`batch/v1`), which Katib trials often run.

`jobs` holds the kind and the names the job controller, docs and tests share.
Importing this package registers the kind; `register_batch_kinds()` does it again
harmlessly.
"""

from __future__ import annotations

from kflow.api.batch.jobs import API_VERSION, JOB_COLUMNS, job_kind, job_status
from kflow.api.kinds import KindInfo, Registry, registry


def register_batch_kinds(target: Registry | None = None) -> list[KindInfo]:
    """Register the batch kinds into `target` (the process registry by default)."""
    into = registry if target is None else target
    return [into.register(job_kind())]


__all__ = ["API_VERSION", "JOB_COLUMNS", "job_kind", "job_status", "register_batch_kinds"]

register_batch_kinds()
