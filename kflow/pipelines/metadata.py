"""Pipeline metadata: what each task execution read and wrote — lineage and the cache.

KFP keeps this in ML Metadata; kflow keeps it beside its objects, in the kflow
database (`$KFLOW_HOME/kflow.db`, tables of its own). Every task's launcher records
one `Execution`: the run and task it belongs to, its cache key, its inputs (parameter
values, and artifact references with their content digests) and its outputs (values,
and the stored artifacts with their metadata). From those rows come:

- lineage: `producers(digest)` is every execution that wrote an artifact with that
  content, each with the inputs it read, so an artifact's history is a walk back;
- caching: `cached(key, since=...)` is the newest successful execution with the same
  cache key; a task that reuses it records an execution of its own, `CACHED`, that
  names where its outputs came from (`cached_from`).

A port with two adapters (`memory_metadata.py`, `sqlite_metadata.py`) and one
conformance suite, like the observation log.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
from typing import Any


class ExecutionState(str, enum.Enum):
    SUCCEEDED = "SUCCEEDED"  # the component ran and its outputs were stored
    CACHED = "CACHED"  # the outputs of an earlier execution were reused
    FAILED = "FAILED"  # the component (or the launcher) failed


@dataclasses.dataclass(frozen=True)
class Execution:
    id: str
    run: str  # the run's (Workflow's) uid
    run_name: str
    pipeline: str
    task: str  # the task's path in the pipeline: "exit-handler-1/train"
    state: ExecutionState
    created: float  # seconds since the epoch
    namespace: str = ""  # the run's (Workflow's) namespace: who may read this execution
    cache_key: str = ""
    cached_from: str = ""  # the execution whose outputs a CACHED one reused
    inputs: dict[str, Any] = dataclasses.field(default_factory=dict)  # parameters, artifacts
    outputs: dict[str, Any] = dataclasses.field(default_factory=dict)  # parameters, artifacts

    def output_artifacts(self) -> dict[str, dict[str, Any]]:
        return dict(self.outputs.get("artifacts") or {})

    def input_artifacts(self) -> dict[str, list[dict[str, Any]]]:
        return dict(self.inputs.get("artifacts") or {})


class PipelineMetadata(abc.ABC):
    """Executions with their inputs and outputs, by id, run, cache key and artifact."""

    @abc.abstractmethod
    def record(self, execution: Execution) -> None:
        """Store an execution (ids are unique; recording one twice is an error)."""

    @abc.abstractmethod
    def get(self, execution_id: str) -> Execution | None:
        """The execution with that id."""

    @abc.abstractmethod
    def run_executions(self, run: str) -> list[Execution]:
        """A run's executions, oldest first."""

    @abc.abstractmethod
    def cached(self, cache_key: str, *, since: float | None = None) -> Execution | None:
        """The newest SUCCEEDED execution with `cache_key`, created at or after `since`."""

    @abc.abstractmethod
    def producers(self, digest: str) -> list[Execution]:
        """The executions (SUCCEEDED or CACHED, oldest first) whose outputs have this digest."""

    @abc.abstractmethod
    def consumers(self, digest: str) -> list[Execution]:
        """The executions (oldest first) that read an artifact with this digest."""

    def close(self) -> None:
        """Release connections."""
        return None


def artifact_digests(io: dict[str, Any]) -> set[str]:
    """Every artifact digest in an execution's inputs or outputs."""
    found: set[str] = set()
    for value in (io.get("artifacts") or {}).values():
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, dict) and ref.get("digest"):
                found.add(str(ref["digest"]))
    return found
