"""Experiments and runs over HTTP: KFP's ExperimentService and RunService.

Authorization is KFP's: verbs on `experiments` and `runs` of `pipelines.kubeflow.org`
in the experiment's namespace (`archive`, `unarchive`, `terminate` and `retry` are
verbs of their own, as KFP's RBAC has them).
"""

from __future__ import annotations

from typing import Any

from kflow.api.kfp import listing
from kflow.api.kfp.states import StorageState
from kflow.server.kfp.backend import optional_str
from kflow.server.kfp.calls import Call, Route, allow_list_by_experiment, list_query, list_response
from kflow.server.kfp.experiments import EXPERIMENTS, experiment_json
from kflow.server.kfp.run_views import RUNS, run_json
from kflow.store.kfp_records import Record

# -- experiments -----------------------------------------------------------------------


async def create_experiment(call: Call) -> dict[str, Any]:
    body = await call.body()
    call.allow("create", "experiments", optional_str(body, "namespace", "experiment.namespace"))
    return experiment_json(call.platform.experiments.create(body))


async def list_experiments(call: Call) -> dict[str, Any]:
    namespace = call.query("namespace")
    call.allow("list", "experiments", namespace)
    records = call.platform.experiments.list(namespace)
    page = listing.page(EXPERIMENTS, records, **list_query(call))
    return list_response(page, "experiments", experiment_json)


def _experiment(call: Call, verb: str) -> Record:
    record = call.platform.experiments.get(call.params["experiment_id"])
    call.allow(verb, "experiments", record["namespace"], record["display_name"])
    return record


async def get_experiment(call: Call) -> dict[str, Any]:
    return experiment_json(_experiment(call, "get"))


async def delete_experiment(call: Call) -> dict[str, Any]:
    call.platform.experiments.delete(_experiment(call, "delete")["experiment_id"])
    return {}


async def archive_experiment(call: Call) -> dict[str, Any]:
    call.platform.experiments.archive(_experiment(call, "archive")["experiment_id"])
    return {}


async def unarchive_experiment(call: Call) -> dict[str, Any]:
    call.platform.experiments.unarchive(_experiment(call, "unarchive")["experiment_id"])
    return {}


# -- runs ------------------------------------------------------------------------------


async def create_run(call: Call) -> dict[str, Any]:
    body = await call.body()
    if not body.get("experiment_id") and call.query("experiment_id"):
        body["experiment_id"] = call.query("experiment_id")
    experiments = call.platform.experiments
    experiment = (
        experiments.get(body["experiment_id"])
        if body.get("experiment_id")
        else experiments.default()
    )
    call.allow(
        "create",
        "runs",
        experiment["namespace"],
        optional_str(body, "display_name", "run.display_name"),
    )
    return run_json(call.platform.runs.create(body))


async def list_runs(call: Call) -> dict[str, Any]:
    experiment_id, namespace = allow_list_by_experiment(call, "runs")
    records = call.platform.runs.list(experiment_id=experiment_id, namespace=namespace)
    return list_response(listing.page(RUNS, records, **list_query(call)), "runs", run_json)


def _run(call: Call, verb: str) -> Record:
    record = call.platform.runs.get(call.params["run_id"])
    namespace = call.platform.experiments.namespace_of(record["experiment_id"])
    call.allow(verb, "runs", namespace, record["display_name"])
    return record


async def get_run(call: Call) -> dict[str, Any]:
    return run_json(_run(call, "get"))


async def delete_run(call: Call) -> dict[str, Any]:
    call.platform.runs.delete(_run(call, "delete")["run_id"])
    return {}


async def archive_run(call: Call) -> dict[str, Any]:
    call.platform.runs.set_storage(_run(call, "archive")["run_id"], StorageState.ARCHIVED)
    return {}


async def unarchive_run(call: Call) -> dict[str, Any]:
    call.platform.runs.set_storage(_run(call, "unarchive")["run_id"], StorageState.AVAILABLE)
    return {}


async def terminate_run(call: Call) -> dict[str, Any]:
    call.platform.control.terminate(_run(call, "terminate")["run_id"])
    return {}


async def retry_run(call: Call) -> dict[str, Any]:
    await call.platform.control.retry(_run(call, "retry")["run_id"])
    return {}


ROUTES = [
    Route("POST", "/experiments", create_experiment),
    Route("GET", "/experiments", list_experiments),
    Route("GET", "/experiments/{experiment_id}", get_experiment),
    Route("DELETE", "/experiments/{experiment_id}", delete_experiment),
    Route("POST", "/experiments/{experiment_id}:archive", archive_experiment),
    Route("POST", "/experiments/{experiment_id}:unarchive", unarchive_experiment),
    Route("POST", "/runs", create_run),
    Route("GET", "/runs", list_runs),
    Route("GET", "/runs/{run_id}", get_run),
    Route("DELETE", "/runs/{run_id}", delete_run),
    Route("POST", "/runs/{run_id}:archive", archive_run),
    Route("POST", "/runs/{run_id}:unarchive", unarchive_run),
    Route("POST", "/runs/{run_id}:terminate", terminate_run),
    Route("POST", "/runs/{run_id}:retry", retry_run),
]
