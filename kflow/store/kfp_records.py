"""KFP's records: pipelines, versions, experiments, runs and recurring runs.

KFP keeps these in its own database beside the Kubernetes objects (a run's Argo
Workflow lives in the object store; the run record outlives it, and holds what the
API says about it). kflow does the same: one small port, a JSON document per record,
keyed by (kind, id), with two things a database must enforce:

- `unique`: a key no two records of a kind may share (a pipeline's name in its
  namespace, a version's name in its pipeline, an experiment's name in its
  namespace), so two clients racing to create one get one winner and one
  `RecordExists`;
- `update(kind, id, change)`: read-modify-write as one transaction, so the API and
  the scheduler never lose each other's writes to a run or recurring run.

`parent` groups records for listing (a version's pipeline, a run's experiment).
Lists come back in insertion order; sorting and filtering as KFP's API does them is
the caller's (`kflow.api.kfp.listing`).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable
from typing import Any

Record = dict[str, Any]
Change = Callable[[Record], Record | None]
"""Given a copy of the stored record, return the new record, or None to leave it."""


class RecordKind(str, enum.Enum):
    """The kinds of KFP records."""

    PIPELINE = "pipeline"
    PIPELINE_VERSION = "pipeline_version"
    EXPERIMENT = "experiment"
    RUN = "run"
    RECURRING_RUN = "recurring_run"


class RecordExists(Exception):
    """A record with this id, or this unique key, is already stored."""

    def __init__(self, kind: RecordKind, key: str) -> None:
        super().__init__(f"a {kind.value} record with key {key!r} already exists")
        self.kind = kind
        self.key = key


class KfpRecordStore(abc.ABC):
    """JSON records of KFP's kinds; every method is one transaction."""

    @abc.abstractmethod
    def insert(
        self,
        kind: RecordKind,
        record_id: str,
        record: Record,
        *,
        parent: str = "",
        unique: str | None = None,
    ) -> None:
        """Store a new record; RecordExists if `record_id` or `unique` is taken."""

    @abc.abstractmethod
    def get(self, kind: RecordKind, record_id: str) -> Record | None:
        """The record, or None."""

    @abc.abstractmethod
    def find(self, kind: RecordKind, unique: str) -> Record | None:
        """The record holding the unique key, or None."""

    @abc.abstractmethod
    def list(self, kind: RecordKind, *, parent: str | None = None) -> list[Record]:
        """Records of a kind (only `parent`'s when given), in insertion order."""

    @abc.abstractmethod
    def update(self, kind: RecordKind, record_id: str, change: Change) -> Record | None:
        """Apply `change` atomically; the record as stored after it, None if there is none."""

    @abc.abstractmethod
    def delete(self, kind: RecordKind, record_id: str) -> bool:
        """Forget a record (its unique key is free again); False if there was none."""

    def close(self) -> None:
        """Release connections."""
        return None
