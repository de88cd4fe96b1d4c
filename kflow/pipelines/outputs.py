"""A finished component's outputs: read as KFP's launcher reads them, then published.

Parameters come from the executor output's `parameterValues` (a Python component's
return value), else from the file the component wrote at its `outputFile`
(`OutputPath`, container components), decoded by the declared type. Artifacts keep
the metadata the component set (`executor_output.json`: Metrics values,
ClassificationMetrics, custom metadata) and their content moves into the artifact
store. Each output is then written for Argo's `valueFrom.path`: a parameter as its
value, an artifact as its JSON reference (name, type, stored uri, metadata, digest).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kflow.artifacts import ArtifactStore, digest
from kflow.pipelines.errors import ComponentFailed
from kflow.pipelines.executor_input import Prepared
from kflow.pipelines.inputs import Artifact
from kflow.pipelines.ir import interface
from kflow.pipelines.values import decode, encode


def _executor_output(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        body = json.loads(path.read_text() or "{}")
    except json.JSONDecodeError as error:
        raise ComponentFailed(f"the executor output {path} is not JSON: {error}") from None
    return body if isinstance(body, dict) else {}


def collect(
    definitions: dict[str, Any], prepared: Prepared, store: ArtifactStore
) -> tuple[dict[str, Any], dict[str, Artifact]]:
    """(output parameter values, stored output artifacts) of a finished execution."""
    spec = interface(definitions, "outputDefinitions")
    written = _executor_output(prepared.output_file)
    values = written.get("parameterValues") or {}
    parameters: dict[str, Any] = {}
    for name, p in spec.parameters.items():
        if name in values:
            parameters[name] = values[name]
            continue
        path = prepared.parameter_files[name]
        if not path.exists():
            raise ComponentFailed(f"the component did not produce its output parameter {name!r}")
        parameters[name] = decode(path.read_text(), p.type, f"outputs.{name}")
    artifacts: dict[str, Artifact] = {}
    updates = written.get("artifacts") or {}
    for name, a in spec.artifacts.items():
        staged = prepared.artifact_paths[name]
        entries = (updates.get(name) or {}).get("artifacts") or [{}]
        entry = entries[0]
        uri = str(entry.get("uri") or staged)
        remote = ""
        if uri == str(staged):
            stored, found = store.put(staged)
            uri = str(stored)
            remote = store.upload(found)
        elif Path(uri).exists():  # the component pointed the artifact at a local file
            found = digest(Path(uri))
        else:  # elsewhere (s3://, gs://): recorded, not fetched
            found = ""
        artifacts[name] = {
            "name": name,
            "type": {"schemaTitle": a.schema_title, "schemaVersion": a.schema_version},
            "uri": uri,
            "metadata": entry.get("metadata") or {},
            "digest": found,
        }
        if remote:  # kfp reads `uri` as a local path: the repository's copy goes beside it
            artifacts[name]["remote_uri"] = remote
    return parameters, artifacts


def publish(outputs_dir: Path, parameters: dict[str, Any], artifacts: dict[str, Artifact]) -> None:
    """Write each output where the Argo template's `valueFrom.path` reads it."""
    outputs_dir.mkdir(parents=True, exist_ok=True)
    for name, value in parameters.items():
        (outputs_dir / name).write_text(encode(value))
    for name, artifact in artifacts.items():
        (outputs_dir / name).write_text(json.dumps(artifact, separators=(",", ":"), sort_keys=True))
