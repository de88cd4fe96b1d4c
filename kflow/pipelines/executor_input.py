"""The ExecutorInput a KFP component reads: its inputs, and where to write its outputs.

The same JSON KFP's launcher gives `python -m kfp.dsl.executor_main --executor_input`
(and `{{$}}`): `inputs.parameterValues`, `inputs.artifacts` (name, type, uri,
metadata), `outputs.parameters.<name>.outputFile`, `outputs.artifacts` with a fresh
`uri` for each output and `outputs.outputFile` for the executor output. Output paths
are in a staging directory on the artifact store's filesystem, so the store can take
them with a rename.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from kflow.pipelines.inputs import Artifact
from kflow.pipelines.ir import interface


@dataclasses.dataclass(frozen=True)
class Prepared:
    executor_input: dict[str, Any]
    parameter_files: dict[str, Path]  # output parameter -> the file a component may write
    artifact_paths: dict[str, Path]  # output artifact -> its staging path (= uri)
    output_file: Path  # executor_output.json


def _entry(artifact: Artifact) -> dict[str, Any]:
    return {
        "name": artifact.get("name", ""),
        "type": artifact.get("type") or {"schemaTitle": "system.Artifact"},
        "uri": artifact["uri"],
        "metadata": artifact.get("metadata") or {},
    }


def prepare(
    definitions: dict[str, Any],
    parameters: dict[str, Any],
    artifacts: dict[str, list[Artifact]],
    staging: Path,
) -> Prepared:
    outputs = interface(definitions, "outputDefinitions")
    (staging / "parameters").mkdir(parents=True, exist_ok=True)
    (staging / "artifacts").mkdir(parents=True, exist_ok=True)
    parameter_files = {name: staging / "parameters" / name for name in outputs.parameters}
    artifact_paths = {name: staging / "artifacts" / name for name in outputs.artifacts}
    output_file = staging / "executor_output.json"
    executor_input: dict[str, Any] = {
        "inputs": {
            "parameterValues": parameters,
            "artifacts": {
                name: {"artifacts": [_entry(a) for a in refs]} for name, refs in artifacts.items()
            },
        },
        "outputs": {
            "parameters": {
                name: {"outputFile": str(path)} for name, path in parameter_files.items()
            },
            "artifacts": {
                name: {
                    "artifacts": [
                        {
                            "name": name,
                            "type": {
                                "schemaTitle": spec.schema_title,
                                "schemaVersion": spec.schema_version,
                            },
                            "uri": str(artifact_paths[name]),
                            "metadata": {},
                        }
                    ]
                }
                for name, spec in outputs.artifacts.items()
            },
            "outputFile": str(output_file),
        },
    }
    return Prepared(executor_input, parameter_files, artifact_paths, output_file)
