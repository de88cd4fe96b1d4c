"""Runs as the API lists and renders them: the sortable and filterable fields, the JSON.

Records keep times as seconds and a few fields of kflow's own (`_namespace`,
`_workflow`, `_terminating`); the API shows times as RFC 3339, the task details under
`run_details`, and none of kflow's fields, though a list may filter on `namespace`.
"""

from __future__ import annotations

from kflow.api.kfp import listing, times
from kflow.server.kfp.backend import render
from kflow.store.kfp_records import Record

RUN_TIMES = ("created_at", "scheduled_at", "finished_at")

RUNS = listing.Listing(
    "Run",
    "run_id",
    {
        "run_id": listing.field("run_id"),
        "id": listing.field("run_id"),
        "display_name": listing.field("display_name"),
        "name": listing.field("display_name"),
        "description": listing.field("description"),
        "created_at": listing.field("created_at", 0),
        "scheduled_at": listing.field("scheduled_at", 0),
        "finished_at": listing.field("finished_at", 0),
        "storage_state": listing.field("storage_state"),
        "state": listing.field("state"),
        "status": listing.field("state"),
        "namespace": listing.field("_namespace"),
        "experiment_id": listing.field("experiment_id"),
        "recurring_run_id": listing.field("recurring_run_id"),
        "pipeline_id": lambda r: (r.get("pipeline_version_reference") or {}).get("pipeline_id", ""),
        "pipeline_version_id": lambda r: (r.get("pipeline_version_reference") or {}).get(
            "pipeline_version_id", ""
        ),
    },
)


def run_json(record: Record) -> Record:
    out = render(record, RUN_TIMES, hidden=("task_details",))
    out["state_history"] = [
        {**entry, "update_time": times.render(entry["update_time"])}
        for entry in record.get("state_history") or []
    ]
    if record.get("runtime_config"):
        out["runtime_config"] = render(record["runtime_config"], ())
    if record.get("task_details"):
        out["run_details"] = {"task_details": record["task_details"]}
    return out
