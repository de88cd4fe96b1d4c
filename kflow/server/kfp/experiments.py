"""Experiments: named groups of runs and recurring runs, unique by name in a namespace.

As KFP's single-user mode, there is a `Default` experiment (created on start, never
deleted) for runs that name none. Archiving an experiment archives its runs and
disables its recurring runs; unarchiving it restores only the experiment, as KFP.
"""

from __future__ import annotations

from typing import Any

from kflow.api.kfp import listing
from kflow.api.kfp.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from kflow.api.kfp.states import RecurringRunMode, RecurringRunStatus, StorageState
from kflow.server.kfp.backend import KfpBackend, optional_str, render
from kflow.store.kfp_records import Record, RecordExists, RecordKind

EXPERIMENT = RecordKind.EXPERIMENT
DEFAULT_NAME = "Default"
DEFAULT_DESCRIPTION = "All runs created without specifying an experiment will be grouped here."

EXPERIMENTS = listing.Listing(
    "Experiment",
    "experiment_id",
    {
        "experiment_id": listing.field("experiment_id"),
        "id": listing.field("experiment_id"),
        "display_name": listing.field("display_name"),
        "name": listing.field("display_name"),
        "description": listing.field("description"),
        "created_at": listing.field("created_at", 0),
        "namespace": listing.field("namespace"),
        "storage_state": listing.field("storage_state"),
        "last_run_created_at": listing.field("last_run_created_at", 0),
    },
)


def experiment_json(record: Record) -> Record:
    return render(record, ("created_at", "last_run_created_at"))


class Experiments:
    """Experiments, with their runs' and recurring runs' storage kept in step."""

    def __init__(self, backend: KfpBackend) -> None:
        self.backend = backend
        self.records = backend.records

    def create(self, body: dict[str, Any]) -> Record:
        name = optional_str(body, "display_name", "experiment.display_name")
        if not name:
            raise InvalidArgument("Experiment must have a non-empty name (display_name)")
        return self._insert(
            name,
            optional_str(body, "description", "experiment.description"),
            optional_str(body, "namespace", "experiment.namespace"),
        )

    def _insert(self, name: str, description: str, namespace: str) -> Record:
        record: Record = {
            "experiment_id": self.backend.new_id(),
            "display_name": name,
            "description": description,
            "created_at": self.backend.now(),
            "namespace": namespace,
            "storage_state": StorageState.AVAILABLE.value,
            "last_run_created_at": 0,
        }
        try:
            self.records.insert(
                EXPERIMENT, record["experiment_id"], record, unique=f"{namespace}/{name}"
            )
        except RecordExists:
            raise AlreadyExists(
                f"Failed to create a new experiment. The name {name} already exists. "
                "Please specify a new name"
            ) from None
        return record

    def default(self) -> Record:
        """The `Default` experiment, created the first time it is needed."""
        found = self.records.find(EXPERIMENT, f"/{DEFAULT_NAME}")
        if found is not None:
            return found
        try:
            return self._insert(DEFAULT_NAME, DEFAULT_DESCRIPTION, "")
        except AlreadyExists:  # another caller created it meanwhile
            return self.default()

    def get(self, experiment_id: str) -> Record:
        record = self.records.get(EXPERIMENT, experiment_id)
        if record is None:
            raise NotFound(f"Experiment {experiment_id} not found")
        return record

    def namespace_of(self, experiment_id: str) -> str:
        """The namespace of an experiment ("" for shared, or one since deleted)."""
        record = self.records.get(EXPERIMENT, experiment_id)
        return str(record["namespace"]) if record else ""

    def list(self, namespace: str = "") -> list[Record]:
        return [
            r for r in self.records.list(EXPERIMENT) if not namespace or r["namespace"] == namespace
        ]

    def note_run(self, experiment_id: str, created_at: int) -> None:
        """A run was created in the experiment: its `last_run_created_at` moves."""

        def touch(record: Record) -> Record:
            record["last_run_created_at"] = max(record.get("last_run_created_at", 0), created_at)
            return record

        self.records.update(EXPERIMENT, experiment_id, touch)

    def archive(self, experiment_id: str) -> None:
        self.get(experiment_id)
        now = self.backend.now()

        def disable(record: Record) -> Record:
            record["mode"] = RecurringRunMode.DISABLE.value
            record["status"] = RecurringRunStatus.DISABLED.value
            record["updated_at"] = now
            return record

        for recurring in self.records.list(RecordKind.RECURRING_RUN, parent=experiment_id):
            self.records.update(RecordKind.RECURRING_RUN, recurring["recurring_run_id"], disable)
        for run in self.records.list(RecordKind.RUN, parent=experiment_id):
            self.records.update(RecordKind.RUN, run["run_id"], _archive)
        self.records.update(EXPERIMENT, experiment_id, _archive)

    def unarchive(self, experiment_id: str) -> None:
        self.get(experiment_id)

        def restore(record: Record) -> Record:
            record["storage_state"] = StorageState.AVAILABLE.value
            return record

        self.records.update(EXPERIMENT, experiment_id, restore)

    def delete(self, experiment_id: str) -> None:
        record = self.get(experiment_id)
        if record["namespace"] == "" and record["display_name"] == DEFAULT_NAME:
            raise FailedPrecondition(
                f"Failed to delete experiment {experiment_id}. The default experiment cannot be deleted"
            )
        self.records.delete(EXPERIMENT, experiment_id)


def _archive(record: Record) -> Record:
    record["storage_state"] = StorageState.ARCHIVED.value
    return record
