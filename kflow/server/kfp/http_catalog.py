"""Pipelines and versions over HTTP: KFP's PipelineService (uploads are `http_uploads`).

Authorized as verbs on `pipelines` of `pipelines.kubeflow.org` in the pipeline's
namespace ("" for shared pipelines), as KFP's RBAC has them.
"""

from __future__ import annotations

from typing import Any

from kflow.api.kfp import listing
from kflow.api.kfp.errors import InvalidArgument
from kflow.server.kfp.backend import optional_str
from kflow.server.kfp.calls import Call, Route, list_query, list_response
from kflow.server.kfp.catalog import PIPELINES, VERSIONS, pipeline_json, version_json
from kflow.server.kfp.http_uploads import version_package

PACKAGE_FETCH_TIMEOUT = 30.0


async def create_pipeline(call: Call) -> dict[str, Any]:
    body = await call.body()
    namespace = optional_str(body, "namespace", "pipeline.namespace")
    call.allow("create", "pipelines", namespace)
    pipeline = call.platform.catalog.create_pipeline(
        name=optional_str(body, "name", "pipeline.name"),
        display_name=optional_str(body, "display_name", "pipeline.display_name"),
        description=optional_str(body, "description", "pipeline.description"),
        namespace=namespace,
        tags=body.get("tags"),
    )
    return pipeline_json(pipeline)


async def create_pipeline_and_version(call: Call) -> dict[str, Any]:
    body = await call.body()
    pipeline_body = body.get("pipeline") or {}
    version_body = body.get("pipeline_version") or {}
    if not isinstance(pipeline_body, dict) or not isinstance(version_body, dict):
        raise InvalidArgument("pipeline and pipeline_version must be objects")
    namespace = optional_str(pipeline_body, "namespace", "pipeline.namespace")
    call.allow("create", "pipelines", namespace)
    package = await version_package(version_body)
    catalog = call.platform.catalog
    pipeline, _ = catalog.create_pipeline_and_version(
        package,
        name=optional_str(pipeline_body, "name", "pipeline.name")
        or optional_str(pipeline_body, "display_name", "pipeline.display_name"),
        display_name=optional_str(pipeline_body, "display_name", "pipeline.display_name"),
        description=optional_str(pipeline_body, "description", "pipeline.description"),
        namespace=namespace,
        tags=pipeline_body.get("tags"),
        code_source_url=optional_str(
            version_body, "code_source_url", "pipeline_version.code_source_url"
        ),
    )
    return pipeline_json(pipeline)


async def create_version(call: Call) -> dict[str, Any]:
    pipeline_id = call.params["pipeline_id"]
    pipeline = call.platform.catalog.get_pipeline(pipeline_id)
    call.allow("create", "pipelines", pipeline["namespace"])
    body = await call.body()
    package = await version_package(body)
    url = str((body.get("package_url") or {}).get("pipeline_url") or "")
    version = call.platform.catalog.create_version(
        pipeline_id,
        package,
        name=optional_str(body, "name", "pipeline_version.name"),
        display_name=optional_str(body, "display_name", "pipeline_version.display_name"),
        description=optional_str(body, "description", "pipeline_version.description"),
        code_source_url=optional_str(body, "code_source_url", "pipeline_version.code_source_url"),
        package_url=url,
        tags=body.get("tags"),
    )
    return version_json(version)


async def list_pipelines(call: Call) -> dict[str, Any]:
    namespace = call.query("namespace")
    call.allow("list", "pipelines", namespace)
    records = call.platform.catalog.list_pipelines(namespace)
    return list_response(
        listing.page(PIPELINES, records, **list_query(call)), "pipelines", pipeline_json
    )


async def get_pipeline(call: Call) -> dict[str, Any]:
    pipeline = call.platform.catalog.get_pipeline(call.params["pipeline_id"])
    call.allow("get", "pipelines", pipeline["namespace"], pipeline["name"])
    return pipeline_json(pipeline)


async def get_pipeline_by_name(call: Call) -> dict[str, Any]:
    namespace = call.query("namespace")
    call.allow("get", "pipelines", namespace, call.params["name"])
    return pipeline_json(call.platform.catalog.get_pipeline_by_name(call.params["name"], namespace))


async def delete_pipeline(call: Call) -> dict[str, Any]:
    pipeline = call.platform.catalog.get_pipeline(call.params["pipeline_id"])
    call.allow("delete", "pipelines", pipeline["namespace"], pipeline["name"])
    call.platform.catalog.delete_pipeline(pipeline["pipeline_id"], cascade=call.flag("cascade"))
    return {}


async def list_versions(call: Call) -> dict[str, Any]:
    pipeline = call.platform.catalog.get_pipeline(call.params["pipeline_id"])
    call.allow("list", "pipelines", pipeline["namespace"])
    records = call.platform.catalog.list_versions(pipeline["pipeline_id"])
    page = listing.page(VERSIONS, records, **list_query(call))
    return list_response(page, "pipeline_versions", version_json)


async def get_version(call: Call) -> dict[str, Any]:
    pipeline = call.platform.catalog.get_pipeline(call.params["pipeline_id"])
    call.allow("get", "pipelines", pipeline["namespace"], pipeline["name"])
    version = call.platform.catalog.get_version(pipeline["pipeline_id"], call.params["version_id"])
    return version_json(version)


async def delete_version(call: Call) -> dict[str, Any]:
    pipeline = call.platform.catalog.get_pipeline(call.params["pipeline_id"])
    call.allow("delete", "pipelines", pipeline["namespace"], pipeline["name"])
    call.platform.catalog.delete_version(pipeline["pipeline_id"], call.params["version_id"])
    return {}


ROUTES = [
    Route("POST", "/pipelines/create", create_pipeline_and_version),
    Route("POST", "/pipelines", create_pipeline),
    Route("GET", "/pipelines", list_pipelines),
    Route("GET", "/pipelines/names/{name}", get_pipeline_by_name),
    Route("GET", "/pipelines/{pipeline_id}", get_pipeline),
    Route("DELETE", "/pipelines/{pipeline_id}", delete_pipeline),
    Route("POST", "/pipelines/{pipeline_id}/versions", create_version),
    Route("GET", "/pipelines/{pipeline_id}/versions", list_versions),
    Route("GET", "/pipelines/{pipeline_id}/versions/{version_id}", get_version),
    Route("DELETE", "/pipelines/{pipeline_id}/versions/{version_id}", delete_version),
]
