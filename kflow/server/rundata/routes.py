"""The run-data routes, under `/apis/runs.kflow.dev/v1/namespaces/<ns>/`:

- `GET runs/<run>` — the run, its tasks (phase, pod, cached-from), artifacts, metrics;
- `GET runs/<run>/artifacts` — its artifacts (producer, digest, size, URIs, metadata);
- `GET runs/<run>/metrics` — its metrics;
- `GET runs/<run>/logs[?node=]` — its steps' archived main logs;
- `GET lineage?artifact=<digest or URI>` — an artifact's producing chain.

`<run>` is a workflow name or a KFP run id. Every route needs `get` on workflows in
the namespace; logs also need `get` on each step's `pods/log`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from kflow.api.errors import BadRequest
from kflow.artifacts import ArtifactStore
from kflow.pipelines import contract
from kflow.pipelines.metadata import PipelineMetadata
from kflow.server.context import ServerContext
from kflow.server.responses import JSONResponse
from kflow.server.rundata.artifacts import pod_nodes, run_artifacts, run_metrics
from kflow.server.rundata.lineage import Lineage, digest_of
from kflow.server.rundata.logs import archived_logs
from kflow.server.rundata.resolve import (
    GROUP,
    PREFIX,
    VERSION,
    find_run,
    logs_readable,
    readable,
    run_summary,
)

Endpoint = Callable[[Request], Awaitable[Response]]
Obj = dict[str, Any]


def tasks(wf: Obj) -> list[Obj]:
    """Each step or task: its phase, times, pod and where a cached task's outputs came from."""
    rows = []
    for node in pod_nodes(wf):
        params = {
            p.get("name"): p.get("value")
            for p in (node.get("outputs") or {}).get("parameters") or []
        }
        rows.append(
            {
                "task": str(node.get("displayName") or ""),
                "node": str(node.get("id") or ""),
                "nodeName": str(node.get("name") or ""),
                "phase": str(node.get("phase") or ""),
                "startedAt": node.get("startedAt"),
                "finishedAt": node.get("finishedAt"),
                "message": str(node.get("message") or ""),
                "cachedFrom": str(params.get(contract.CACHED_FROM_OUTPUT) or ""),
            }
        )
    return rows


def router(
    ctx: ServerContext,
    store: ArtifactStore,
    meta: PipelineMetadata | None,
    guard: Callable[[Endpoint], Endpoint],
) -> APIRouter:
    """The run-data routes; `guard` turns exceptions into `Status` responses."""

    def _run(request: Request) -> Obj:
        namespace = request.path_params["namespace"]
        readable(ctx, ctx.identify(request), namespace)
        return find_run(ctx, namespace, request.path_params["run"])

    async def describe(request: Request) -> Response:
        wf = _run(request)
        return JSONResponse(
            {
                "kind": "RunDetails",
                "apiVersion": f"{GROUP}/{VERSION}",
                "run": run_summary(wf),
                "tasks": tasks(wf),
                "artifacts": run_artifacts(wf, store, meta),
                "metrics": run_metrics(wf, store, meta),
            }
        )

    async def artifacts(request: Request) -> Response:
        wf = _run(request)
        return JSONResponse({"run": run_summary(wf), "items": run_artifacts(wf, store, meta)})

    async def metrics(request: Request) -> Response:
        wf = _run(request)
        return JSONResponse({"run": run_summary(wf), "items": run_metrics(wf, store, meta)})

    async def logs(request: Request) -> Response:
        identity = ctx.identify(request)
        wf = _run(request)
        found = archived_logs(wf, store, request.query_params.get("node") or None)
        for entry in found:
            logs_readable(ctx, identity, request.path_params["namespace"], entry["podName"])
        return JSONResponse({"run": run_summary(wf), "items": found})

    async def lineage(request: Request) -> Response:
        namespace = request.path_params["namespace"]
        readable(ctx, ctx.identify(request), namespace)
        text = request.query_params.get("artifact") or ""
        if not text:
            raise BadRequest("artifact: required, a digest (sha256:...) or a stored artifact's URI")
        tree = Lineage(ctx.store, namespace, meta).of(digest_of(text))
        return JSONResponse({"kind": "ArtifactLineage", "namespace": namespace, "artifact": tree})

    routes = APIRouter()
    for path, endpoint in (
        (f"{PREFIX}/runs/{{run}}", describe),
        (f"{PREFIX}/runs/{{run}}/artifacts", artifacts),
        (f"{PREFIX}/runs/{{run}}/metrics", metrics),
        (f"{PREFIX}/runs/{{run}}/logs", logs),
        (f"{PREFIX}/lineage", lineage),
    ):
        routes.add_route(path, guard(endpoint), methods=["GET"], include_in_schema=False)
    return routes
