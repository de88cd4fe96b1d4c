"""Recurring runs over HTTP: KFP's RecurringRunService (authorized as `jobs`, as in KFP)."""

from __future__ import annotations

from typing import Any

from kflow.api.kfp import listing
from kflow.server.kfp.calls import Call, Route, allow_list_by_experiment, list_query, list_response
from kflow.server.kfp.recurring import RECURRING_RUNS, recurring_json
from kflow.store.kfp_records import Record


async def create_recurring_run(call: Call) -> dict[str, Any]:
    body = await call.body()
    experiments = call.platform.experiments
    experiment_id = str(body.get("experiment_id") or "")
    namespace = experiments.get(experiment_id)["namespace"] if experiment_id else ""
    call.allow("create", "jobs", namespace, str(body.get("display_name") or ""))
    return recurring_json(call.platform.recurring.create(body))


async def list_recurring_runs(call: Call) -> dict[str, Any]:
    experiment_id, namespace = allow_list_by_experiment(call, "jobs")
    records = call.platform.recurring.list(experiment_id=experiment_id, namespace=namespace)
    page = listing.page(RECURRING_RUNS, records, **list_query(call))
    return list_response(page, "recurringRuns", recurring_json)


def _recurring(call: Call, verb: str) -> Record:
    record = call.platform.recurring.get(call.params["recurring_run_id"])
    call.allow(verb, "jobs", record.get("namespace") or "", record["display_name"])
    return record


async def get_recurring_run(call: Call) -> dict[str, Any]:
    return recurring_json(_recurring(call, "get"))


async def delete_recurring_run(call: Call) -> dict[str, Any]:
    call.platform.recurring.delete(_recurring(call, "delete")["recurring_run_id"])
    return {}


async def enable_recurring_run(call: Call) -> dict[str, Any]:
    call.platform.recurring.set_enabled(_recurring(call, "enable")["recurring_run_id"], True)
    return {}


async def disable_recurring_run(call: Call) -> dict[str, Any]:
    call.platform.recurring.set_enabled(_recurring(call, "disable")["recurring_run_id"], False)
    return {}


ROUTES = [
    Route("POST", "/recurringruns", create_recurring_run),
    Route("GET", "/recurringruns", list_recurring_runs),
    Route("GET", "/recurringruns/{recurring_run_id}", get_recurring_run),
    Route("DELETE", "/recurringruns/{recurring_run_id}", delete_recurring_run),
    Route("POST", "/recurringruns/{recurring_run_id}:enable", enable_recurring_run),
    Route("POST", "/recurringruns/{recurring_run_id}:disable", disable_recurring_run),
]
