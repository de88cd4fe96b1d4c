"""Pipeline metadata in memory, for tests: nothing survives the process."""

from __future__ import annotations

import threading

from kflow.pipelines.metadata import (
    Execution,
    ExecutionState,
    PipelineMetadata,
    artifact_digests,
)

_PRODUCED = (ExecutionState.SUCCEEDED, ExecutionState.CACHED)


class MemoryPipelineMetadata(PipelineMetadata):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executions: dict[str, Execution] = {}  # insertion order is recording order

    def record(self, execution: Execution) -> None:
        with self._lock:
            if execution.id in self._executions:
                raise ValueError(f"execution {execution.id} is already recorded")
            self._executions[execution.id] = execution

    def _all(self) -> list[Execution]:
        with self._lock:
            return list(self._executions.values())

    def get(self, execution_id: str) -> Execution | None:
        with self._lock:
            return self._executions.get(execution_id)

    def run_executions(self, run: str) -> list[Execution]:
        return [e for e in self._all() if e.run == run]

    def cached(self, cache_key: str, *, since: float | None = None) -> Execution | None:
        hits = [
            e
            for e in self._all()
            if e.cache_key == cache_key
            and e.state is ExecutionState.SUCCEEDED
            and (since is None or e.created >= since)
        ]
        return max(hits, key=lambda e: e.created) if hits else None

    def producers(self, digest: str) -> list[Execution]:
        return [
            e for e in self._all() if e.state in _PRODUCED and digest in artifact_digests(e.outputs)
        ]

    def consumers(self, digest: str) -> list[Execution]:
        return [e for e in self._all() if digest in artifact_digests(e.inputs)]
