"""Pipelines and versions over HTTP: KFP's PipelineService and its multipart uploads.

`POST /pipelines/upload` and `/pipelines/upload_version` take the package as the
multipart field `uploadfile` with the names in the query, as `kfp.Client` sends
them; `POST /pipelines/{id}/versions` takes a JSON version whose template is inline
(`pipeline_spec`) or at an http(s) `package_url`.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from starlette.datastructures import UploadFile

from kflow.api.kfp import listing
from kflow.api.kfp.errors import InvalidArgument
from kflow.api.kfp.packages import MAX_PACKAGE_BYTES, Package, from_struct, read_package
from kflow.server.kfp.backend import optional_str
from kflow.server.kfp.calls import Call, Route
from kflow.server.kfp.catalog import PIPELINES, VERSIONS, pipeline_json, version_json

PACKAGE_FETCH_TIMEOUT = 30.0


def list_response(page: listing.Page, key: str, render: Any) -> dict[str, Any]:
    """A List*Response as the gateway writes it (empty fields left out)."""
    out: dict[str, Any] = {}
    if page.items:
        out[key] = [render(item) for item in page.items]
    if page.total_size:
        out["total_size"] = page.total_size
    if page.next_page_token:
        out["next_page_token"] = page.next_page_token
    return out


def list_query(call: Call) -> dict[str, Any]:
    return {
        "page_token": call.query("page_token"),
        "page_size": call.query("page_size") or 0,
        "sort_by": call.query("sort_by"),
        "filter": call.query("filter"),
    }


def _tags_query(call: Call) -> Any:
    raw = call.query("tags")
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidArgument(
            "Failed to parse tags query parameter. Expected JSON object with string keys and values"
        ) from None


async def _uploaded(call: Call) -> tuple[str, Package]:
    async with call.request.form(max_part_size=MAX_PACKAGE_BYTES) as form:
        file = form.get("uploadfile")
        if not isinstance(file, UploadFile):
            raise InvalidArgument(
                "Failed to read pipeline from file: send it as the multipart field 'uploadfile'"
            )
        data = await file.read()
        filename = file.filename or ""
    return filename, read_package(filename, data)


async def upload_pipeline(call: Call) -> dict[str, Any]:
    namespace = call.query("namespace")
    call.allow("create", "pipelines", namespace)
    filename, package = await _uploaded(call)
    name = call.query("name") or call.query("display_name") or filename
    pipeline, _ = call.platform.catalog.create_pipeline_and_version(
        package,
        name=name,
        display_name=call.query("display_name"),
        description=call.query("description"),
        namespace=namespace,
        tags=_tags_query(call),
        code_source_url=call.query("code_source_url"),
    )
    return pipeline_json(pipeline)


async def upload_version(call: Call) -> dict[str, Any]:
    pipeline_id = call.query("pipelineid")
    if not pipeline_id:
        raise InvalidArgument(
            "Failed to create a pipeline version: the pipelineid query is required"
        )
    pipeline = call.platform.catalog.get_pipeline(pipeline_id)
    call.allow("create", "pipelines", pipeline["namespace"])
    filename, package = await _uploaded(call)
    version = call.platform.catalog.create_version(
        pipeline_id,
        package,
        name=call.query("name") or call.query("display_name") or filename,
        display_name=call.query("display_name"),
        description=call.query("description"),
        code_source_url=call.query("code_source_url"),
        tags=_tags_query(call),
    )
    return version_json(version)


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
    package = await _version_package(version_body)
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


async def _version_package(body: dict[str, Any]) -> Package:
    if body.get("pipeline_spec"):
        return from_struct(body["pipeline_spec"], "pipeline_version.pipeline_spec")
    url = str((body.get("package_url") or {}).get("pipeline_url") or "")
    if not url:
        raise InvalidArgument(
            "Failed to create a pipeline version: it needs a pipeline_spec or a package_url.pipeline_url"
        )
    if not url.startswith(("http://", "https://")):
        raise InvalidArgument(f"package_url.pipeline_url {url!r} must be an http(s) URL")
    try:
        async with httpx.AsyncClient(timeout=PACKAGE_FETCH_TIMEOUT) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        raise InvalidArgument(
            f"Failed to download the pipeline package from {url}: {exc}"
        ) from None
    if response.status_code != 200:
        raise InvalidArgument(
            f"Failed to download the pipeline package from {url}: HTTP {response.status_code}"
        )
    return read_package(url.rsplit("?", 1)[0], response.content)


async def create_version(call: Call) -> dict[str, Any]:
    pipeline_id = call.params["pipeline_id"]
    pipeline = call.platform.catalog.get_pipeline(pipeline_id)
    call.allow("create", "pipelines", pipeline["namespace"])
    body = await call.body()
    package = await _version_package(body)
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
    Route("POST", "/pipelines/upload", upload_pipeline, upload=True),
    Route("POST", "/pipelines/upload_version", upload_version, upload=True),
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
