"""`dsl.importer`: an existing file or directory made into a pipeline artifact.

KFP's importer registers `artifact_uri` with its type and metadata, without running a
container. kflow does the same inside the task's launcher: the URI is the importer's
constant or its runtime parameter (`file://` and plain paths become local paths),
metadata placeholders are resolved against the task's inputs, and a local artifact is
hashed where it is (never moved or copied: it is the user's file) so caching and
lineage know its content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kflow.artifacts import digest
from kflow.pipelines.errors import ComponentFailed
from kflow.pipelines.inputs import Artifact
from kflow.pipelines.placeholders import Context


def _resolved(value: Any, ctx: Context) -> Any:
    if isinstance(value, str):
        return ctx.substitute(value)
    if isinstance(value, list):
        return [_resolved(v, ctx) for v in value]
    if isinstance(value, dict):
        return {ctx.substitute(str(k)): _resolved(v, ctx) for k, v in value.items()}
    return value


def local_path(uri: str) -> Path | None:
    if uri.startswith("file://"):
        return Path(uri[len("file://") :])
    if "://" not in uri:
        return Path(uri)
    return None


def run_importer(spec: dict[str, Any], parameters: dict[str, Any], ctx: Context) -> Artifact:
    """The imported artifact's reference (the importer's one output, `artifact`)."""
    source = spec.get("artifactUri") or {}
    if "constant" in source:
        uri = str(source["constant"])
    elif "runtimeParameter" in source:
        name = str(source["runtimeParameter"])
        if name not in parameters:
            raise ComponentFailed(
                f"the importer's uri comes from input {name!r}, which has no value"
            )
        uri = str(parameters[name])
    else:
        raise ComponentFailed("the importer names no artifactUri")
    schema = spec.get("typeSchema") or {}
    path = local_path(uri)
    if path is not None:
        path = path.expanduser().resolve()
    return {
        "name": "artifact",
        "type": {
            "schemaTitle": str(schema.get("schemaTitle", "system.Artifact")),
            "schemaVersion": str(schema.get("schemaVersion", "0.0.1")),
        },
        "uri": str(path) if path is not None else uri,
        "metadata": _resolved(spec.get("metadata") or {}, ctx),
        "digest": digest(path) if path is not None and path.exists() else "",
    }
