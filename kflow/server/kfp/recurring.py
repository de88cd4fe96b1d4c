"""Recurring runs: a pipeline started on a cron or periodic schedule (KFP's "jobs").

A recurring run keeps its template (a pipeline version, a pipeline's latest
version at each trigger, or an inline spec), its runtime config, its trigger and
`max_concurrency` (1 to 10, as KFP allows), `no_catchup` and whether it is enabled.
The scheduler (`scheduler.py`) starts its runs; what it has done is kept in the
record (`_last_triggered`, `_last_index`) so a restart neither repeats nor loses a
scheduled time.
"""

from __future__ import annotations

from typing import Any

from kflow.api.argo.naming import fnv32a
from kflow.api.kfp import listing, schedules
from kflow.api.kfp.errors import FailedPrecondition, InvalidArgument, NotFound
from kflow.api.kfp.states import RecurringRunMode, RecurringRunStatus, StorageState
from kflow.server.kfp.backend import KfpBackend, optional_str, render
from kflow.server.kfp.catalog import Catalog
from kflow.server.kfp.experiments import Experiments
from kflow.server.kfp.run_inputs import check_v2_parameters, pipeline_source, runtime_config
from kflow.store.kfp_records import Record, RecordKind

RECURRING = RecordKind.RECURRING_RUN
MIN_CONCURRENCY, MAX_CONCURRENCY = 1, 10

RECURRING_RUNS = listing.Listing(
    "RecurringRun",
    "recurring_run_id",
    {
        "recurring_run_id": listing.field("recurring_run_id"),
        "id": listing.field("recurring_run_id"),
        "display_name": listing.field("display_name"),
        "name": listing.field("display_name"),
        "description": listing.field("description"),
        "created_at": listing.field("created_at", 0),
        "updated_at": listing.field("updated_at", 0),
        "namespace": listing.field("namespace"),
        "experiment_id": listing.field("experiment_id"),
        "mode": listing.field("mode"),
        "status": listing.field("status"),
        "pipeline_id": lambda r: (r.get("pipeline_version_reference") or {}).get("pipeline_id", ""),
    },
)


def recurring_json(record: Record) -> Record:
    out = render(record, ("created_at", "updated_at"))
    if record.get("runtime_config"):
        out["runtime_config"] = render(record["runtime_config"], ())
    out["max_concurrency"] = str(record["max_concurrency"])
    out["no_catchup"] = bool(record.get("no_catchup"))
    return out


def trigger_of(record: Record) -> schedules.Trigger | None:
    """The record's trigger (None for a one-off recurring run)."""
    return schedules.parse_trigger(record["trigger"]) if record.get("trigger") else None


def run_name(record: Record, index: int) -> str:
    """The name of a recurring run's `index`-th run, as the ScheduledWorkflow names them."""
    base = f"{record['display_name']}-{index}"
    return f"{base}-{fnv32a(base)}"


def _max_concurrency(raw: Any) -> int:
    try:
        value = int(raw or 0)
    except (TypeError, ValueError):
        raise InvalidArgument(f"max_concurrency must be an integer, not {raw!r}") from None
    if not MIN_CONCURRENCY <= value <= MAX_CONCURRENCY:
        raise InvalidArgument(
            "The max concurrency of the recurring run is out of range. "
            f"Support {MIN_CONCURRENCY}-{MAX_CONCURRENCY}. Received {value}."
        )
    return value


def _normal_trigger(raw: Any) -> dict[str, Any] | None:
    """The trigger as the API writes it back (snake_case, int64 as strings)."""
    if raw in (None, {}):
        return None
    trigger = schedules.parse_trigger(raw)
    spec = (raw.get("cron_schedule") or raw.get("cronSchedule")) or (
        raw.get("periodic_schedule") or raw.get("periodicSchedule")
    )
    bounds = {
        key: spec.get(key, spec.get(camel))
        for key, camel in (("start_time", "startTime"), ("end_time", "endTime"))
        if spec.get(key, spec.get(camel))
    }
    if trigger.cron is not None:
        return {"cron_schedule": {**bounds, "cron": trigger.cron}}
    return {"periodic_schedule": {**bounds, "interval_second": str(trigger.interval)}}


class RecurringRuns:
    """Recurring runs' records; the scheduler acts on them."""

    def __init__(self, backend: KfpBackend, catalog: Catalog, experiments: Experiments) -> None:
        self.backend = backend
        self.records = backend.records
        self.catalog = catalog
        self.experiments = experiments

    def create(self, body: dict[str, Any]) -> Record:
        name = optional_str(body, "display_name", "recurring_run.display_name")
        if not name:
            raise InvalidArgument("The recurring run name is empty. Please specify a valid name")
        package, reference, inline = pipeline_source(body, self.catalog, "recurring_run")
        config = runtime_config(body, "recurring_run")
        check_v2_parameters(package, config["parameters"])
        if reference is not None and not (body.get("pipeline_version_reference") or {}).get(
            "pipeline_version_id"
        ):
            reference = {"pipeline_id": reference["pipeline_id"]}  # the latest, at each trigger
        max_concurrency = _max_concurrency(body.get("max_concurrency"))
        trigger = _normal_trigger(body.get("trigger"))
        experiment_id = optional_str(body, "experiment_id", "recurring_run.experiment_id")
        experiment = (
            self.experiments.get(experiment_id) if experiment_id else self.experiments.default()
        )
        if experiment["storage_state"] == StorageState.ARCHIVED.value:
            raise FailedPrecondition(
                f"Failed to create a recurring run: experiment {experiment['experiment_id']} is archived"
            )
        enabled = body.get("mode") != RecurringRunMode.DISABLE.value
        now = self.backend.now()
        record: Record = {
            "recurring_run_id": self.backend.new_id(),
            "display_name": name,
            "description": optional_str(body, "description", "recurring_run.description"),
            "pipeline_version_reference": reference,
            "pipeline_spec": inline,
            "runtime_config": config if (config["parameters"] or config["pipeline_root"]) else None,
            "service_account": optional_str(
                body, "service_account", "recurring_run.service_account"
            ),
            "max_concurrency": max_concurrency,
            "trigger": trigger,
            "mode": (RecurringRunMode.ENABLE if enabled else RecurringRunMode.DISABLE).value,
            "status": (
                RecurringRunStatus.ENABLED if enabled else RecurringRunStatus.DISABLED
            ).value,
            "created_at": now,
            "updated_at": now,
            "no_catchup": bool(body.get("no_catchup")),
            "namespace": experiment["namespace"],
            "experiment_id": experiment["experiment_id"],
            "_last_triggered": None,
            "_last_index": 0,
        }
        self.records.insert(
            RECURRING, record["recurring_run_id"], record, parent=experiment["experiment_id"]
        )
        return record

    def get(self, recurring_run_id: str) -> Record:
        record = self.records.get(RECURRING, recurring_run_id)
        if record is None:
            raise NotFound(f"Recurring run {recurring_run_id} not found")
        return record

    def list(self, *, experiment_id: str = "", namespace: str = "") -> list[Record]:
        return [
            r
            for r in self.records.list(RECURRING, parent=experiment_id or None)
            if not namespace or r.get("namespace") == namespace
        ]

    def set_enabled(self, recurring_run_id: str, enabled: bool) -> None:
        self.get(recurring_run_id)
        now = self.backend.now()

        def switch(record: Record) -> Record:
            mode = RecurringRunMode.ENABLE if enabled else RecurringRunMode.DISABLE
            status = RecurringRunStatus.ENABLED if enabled else RecurringRunStatus.DISABLED
            record.update(mode=mode.value, status=status.value, updated_at=now)
            return record

        self.records.update(RECURRING, recurring_run_id, switch)

    def delete(self, recurring_run_id: str) -> None:
        self.get(recurring_run_id)
        self.records.delete(RECURRING, recurring_run_id)

    def run_body(self, record: Record, index: int) -> dict[str, Any]:
        """The body of the run a trigger starts."""
        body: dict[str, Any] = {
            "display_name": run_name(record, index),
            "experiment_id": record["experiment_id"],
            "service_account": record.get("service_account") or "",
        }
        if record.get("pipeline_spec"):
            body["pipeline_spec"] = record["pipeline_spec"]
        else:
            body["pipeline_version_reference"] = record["pipeline_version_reference"]
        if record.get("runtime_config"):
            body["runtime_config"] = record["runtime_config"]
        return body
