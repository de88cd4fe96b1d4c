"""`/apis/kubeflow.org/v1beta1/namespaces/<ns>/trials/<name>/observationlog`: a trial's
observation log as JSON, for the dashboard, the CLI and trials without gRPC.

Katib serves observation logs only over its DB manager gRPC API (`dbmanager.py`);
this is the same log in the shapes of Katib's `ObservationLog` JSON (the UI's
`metricLogs`, `timeStamp`, `metric.name`/`metric.value`), plus each row's `step`.

- `GET ?metricName=&startTime=&endTime=` reads rows in the order they were recorded;
  the times filter inclusively and may carry any offset. Allowed to whoever may `get`
  the Trial; a trial the object store no longer has is still readable while the log
  holds rows for it.
- `POST {"metricLogs": [...]}` appends rows, a kflow extension for trials that cannot
  reach the gRPC port; a row without `timeStamp` is stamped with the server's time.
  It needs `update` on `trials/status` (pushing metrics is writing the trial's
  results) and a Trial that exists.

The routes go through the same authenticator and authorizer as every resource route.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kflow.api.errors import BadRequest, MethodNotAllowed
from kflow.api.katib.contracts import GROUP, VERSION
from kflow.api.katib.observations import Observation
from kflow.server.context import ServerContext, Target
from kflow.server.responses import JSONResponse, parse_json
from kflow.store.observations import ObservationLog
from kflow.tuning.metrics import timestamps

PATH = f"/apis/{GROUP}/{VERSION}/namespaces/{{namespace}}/trials/{{name}}/observationlog"

Endpoint = Callable[[Request], Awaitable[Response]]
OnReport = Callable[[str, str], None]


def _time(request: Request, name: str) -> str | None:
    text = request.query_params.get(name)
    if not text:
        return None
    normal = timestamps.normalize(text)
    if normal is None:
        raise BadRequest(f'{name} "{text}" is not an RFC 3339 time (like "2026-11-25T10:00:00Z")')
    return normal


def to_json(rows: list[Observation]) -> dict[str, Any]:
    """Rows in Katib's ObservationLog JSON shape, with kflow's `step` when known."""
    logs = []
    for row in rows:
        entry: dict[str, Any] = {
            "timeStamp": row.timestamp,
            "metric": {"name": row.metric, "value": row.value},
        }
        if row.step is not None:
            entry["step"] = row.step
        logs.append(entry)
    return {"metricLogs": logs}


def from_json(body: Any, now: _dt.datetime) -> list[Observation]:
    """Rows from a pushed `{"metricLogs": [...]}`, each field checked and named on error."""
    if not isinstance(body, dict) or not isinstance(body.get("metricLogs"), list):
        raise BadRequest('the body must be an object with a "metricLogs" list')
    rows = []
    for index, entry in enumerate(body["metricLogs"]):
        where = f"metricLogs[{index}]"
        metric = entry.get("metric") if isinstance(entry, dict) else None
        if (
            not isinstance(metric, dict)
            or not isinstance(metric.get("name"), str)
            or not metric["name"]
        ):
            raise BadRequest(f"{where}.metric.name: required, a string")
        value = metric.get("value")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise BadRequest(f"{where}.metric.value: required, a string or a number")
        stamp = timestamps.from_datetime(now)
        if entry.get("timeStamp") is not None:
            normal = timestamps.normalize(str(entry["timeStamp"]))
            if normal is None:
                raise BadRequest(
                    f'{where}.timeStamp: "{entry["timeStamp"]}" is not an RFC 3339 time'
                )
            stamp = normal
        step = entry.get("step")
        if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
            raise BadRequest(f"{where}.step: must be an integer")
        rows.append(Observation(metric["name"], str(value), stamp, step))
    return rows


def router(
    ctx: ServerContext,
    log: ObservationLog,
    guard: Callable[[Endpoint], Endpoint],
    *,
    on_report: OnReport | None = None,
) -> APIRouter:
    """The observation log routes; `guard` turns exceptions into `Status` responses."""

    async def observation_log(request: Request) -> Response:
        trials = ctx.registry.lookup(GROUP, VERSION, "trials")
        namespace = request.path_params["namespace"]
        name = request.path_params["name"]
        identity = ctx.identify(request)
        if request.method == "GET":
            ctx.allow(identity, "get", Target(trials, VERSION, namespace, name, "", False))
            metric = request.query_params.get("metricName") or None
            start, end = _time(request, "startTime"), _time(request, "endTime")
            if namespace not in log.trials_named(name):
                ctx.store.get(trials.resource, namespace, name)  # NotFound unless it exists
            rows = log.read(namespace, name, metric=metric, start_time=start, end_time=end)
            return JSONResponse(to_json(rows))
        if request.method != "POST":
            raise MethodNotAllowed(
                f"the server does not allow this method on the requested resource ({request.method})"
            )
        ctx.allow(identity, "update", Target(trials, VERSION, namespace, name, "status", False))
        rows = from_json(parse_json(await request.body()), _dt.datetime.now(_dt.timezone.utc))
        ctx.store.get(trials.resource, namespace, name)
        log.append(namespace, name, rows)
        if on_report is not None:
            on_report(namespace, name)
        return JSONResponse(to_json(rows), status_code=201)

    routes = APIRouter()
    routes.add_route(
        PATH,
        guard(observation_log),
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    return routes
