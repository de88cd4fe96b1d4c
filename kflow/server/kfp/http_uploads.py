"""Pipeline packages arriving over HTTP: KFP's multipart uploads and version URLs.

`POST /pipelines/upload` and `/pipelines/upload_version` take the package as the
multipart field `uploadfile`, with names, description, namespace and tags in the
query, as `kfp.Client` sends them (errors leave in the upload handlers' own shape:
`error_message`, `error_details`). A version created as JSON carries its template
inline (`pipeline_spec`) or at an http(s) `package_url`, fetched here.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from starlette.datastructures import UploadFile

from kflow.api.kfp.errors import InvalidArgument
from kflow.api.kfp.packages import MAX_PACKAGE_BYTES, Package, from_struct, read_package
from kflow.server.kfp.calls import Call, Route
from kflow.server.kfp.catalog import pipeline_json, version_json

PACKAGE_FETCH_TIMEOUT = 30.0


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


async def version_package(body: dict[str, Any]) -> Package:
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


ROUTES = [
    Route("POST", "/pipelines/upload", upload_pipeline, upload=True),
    Route("POST", "/pipelines/upload_version", upload_version, upload=True),
]
