"""What a run or recurring run asks for: its template, its runtime config, its parameters.

A run names its template one of three ways, as KFP's API allows: a
`pipeline_version_reference` with a version (that version), one with only a
pipeline (the pipeline's latest version), or an inline `pipeline_spec` (what
`kfp.Client.create_run_from_pipeline_*` sends). Its `runtime_config` carries the
parameters (any JSON values) and a `pipeline_root`.
"""

from __future__ import annotations

from typing import Any

from kflow.api.kfp.errors import InvalidArgument
from kflow.api.kfp.packages import V2, Package, from_struct
from kflow.server.kfp.catalog import Catalog, stored_package


def pipeline_source(
    body: dict[str, Any], catalog: Catalog, what: str
) -> tuple[Package, dict[str, str] | None, Any]:
    """The template a run or recurring run names: (package, version reference, inline spec)."""
    spec = body.get("pipeline_spec")
    reference = body.get("pipeline_version_reference")
    if spec and reference:
        raise InvalidArgument(
            f"{what} must have either pipeline_spec or pipeline_version_reference, not both"
        )
    if spec:
        return from_struct(spec, f"{what}.pipeline_spec"), None, spec
    if not isinstance(reference, dict) or not reference.get("pipeline_id"):
        if body.get("pipeline_version_id"):  # the deprecated field
            reference = {"pipeline_version_id": body["pipeline_version_id"], "pipeline_id": ""}
        else:
            raise InvalidArgument(
                f"{what} must have a pipeline_spec or a pipeline_version_reference with a pipeline_id"
            )
    pipeline_id = str(reference.get("pipeline_id") or "")
    version_id = str(reference.get("pipeline_version_id") or "")
    version = (
        catalog.get_version(pipeline_id, version_id)
        if version_id
        else catalog.latest_version(pipeline_id)
    )
    ref = {
        "pipeline_id": version["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }
    return stored_package(version), ref, None


def runtime_config(body: dict[str, Any], what: str) -> dict[str, Any]:
    """A checked `runtime_config`: `parameters` (any JSON values) and `pipeline_root`."""
    raw = body.get("runtime_config") or {}
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{what}.runtime_config must be an object")
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise InvalidArgument(f"{what}.runtime_config.parameters must be an object")
    root = raw.get("pipeline_root") or ""
    if not isinstance(root, str):
        raise InvalidArgument(f"{what}.runtime_config.pipeline_root must be a string")
    return {"parameters": parameters, "pipeline_root": root}


def check_v2_parameters(package: Package, parameters: dict[str, Any]) -> None:
    """KFP's check: every parameter a run sets must be an input of the pipeline."""
    if package.kind != V2:
        return
    declared = ((package.spec.get("root") or {}).get("inputDefinitions") or {}).get(
        "parameters"
    ) or {}
    for name in parameters:
        if name not in declared:
            raise InvalidArgument(
                f"Failed to verify parameters: Invalid input error: Unrecognized input parameter: {name}"
            )
