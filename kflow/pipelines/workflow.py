"""A KFP v2 pipeline (its compiled IR) as an Argo Workflow that kflow's engine runs.

    spec = yaml.safe_load(open("pipeline.yaml"))     # what kfp.compiler wrote
    workflow = to_workflow(spec, arguments={"lr": 0.1})
    client.create(workflow)                           # the workflow controller runs it

The pipeline's inputs become `spec.arguments.parameters` of the entrypoint (the root
DAG), checked against their declared types, with the IR's defaults filled in; an
optional input given no value is left out, and so are the task inputs fed from it.
Run options travel to every launcher: `enable_caching` overrides each task's own
`set_caching_options` (KFP's per-run switch), `max_cache_staleness` bounds what a
cache hit may reuse, `pipeline_root` is where artifacts are also uploaded (a URL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from kflow.pipelines import contract
from kflow.pipelines.dags import Templates
from kflow.pipelines.errors import ArgumentError
from kflow.pipelines.ir import Pipeline, load
from kflow.pipelines.sources import no_tags
from kflow.pipelines.values import check, encode

API_VERSION = "argoproj.io/v1alpha1"


def dns_name(name: str) -> str:
    """A DNS-1123 label from a pipeline's name ("My Pipeline_2" -> "my-pipeline-2")."""
    label = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    return (label or "pipeline")[:50].rstrip("-")


def root_arguments(
    pipeline: Pipeline, arguments: Mapping[str, Any]
) -> tuple[list[dict[str, str]], frozenset[str]]:
    """(the workflow's arguments, the root inputs left without a value)."""
    declared = pipeline.root.inputs
    unknown = sorted(set(arguments) - set(declared.names()))
    if unknown:
        allowed = ", ".join(declared.names()) or "none"
        raise ArgumentError(
            f"unknown pipeline input(s) {', '.join(unknown)} (the pipeline takes: {allowed})"
        )
    out: list[dict[str, str]] = []
    absent: set[str] = set()
    for name, spec in declared.parameters.items():
        if name in arguments:
            value = check(arguments[name], spec.type, f"arguments.{name}")
        elif spec.has_default:
            value = spec.default
        elif spec.optional:
            absent.add(name)
            continue
        else:
            raise ArgumentError(
                f"arguments.{name}: required (a {spec.type.value} pipeline input without a default)"
            )
        out.append({"name": name, "value": no_tags(encode(value))})
    for name, artifact in declared.artifacts.items():
        if name in arguments:
            raise ArgumentError(
                f"arguments.{name}: pipeline input artifacts are not supported; "
                "import the artifact inside the pipeline with dsl.importer"
            )
        if not artifact.optional:
            raise ArgumentError(
                f"arguments.{name}: a required input artifact cannot be given to a run"
            )
        absent.add(name)
    return out, frozenset(absent)


def to_workflow(
    spec: Mapping[str, Any] | Pipeline,
    *,
    arguments: Mapping[str, Any] | None = None,
    name: str | None = None,
    namespace: str | None = None,
    enable_caching: bool | None = None,
    max_cache_staleness: str | None = None,
    pipeline_root: str | None = None,
) -> dict[str, Any]:
    """The Argo Workflow (a dict) that runs the pipeline `spec` with `arguments`."""
    pipeline = spec if isinstance(spec, Pipeline) else load(spec)
    parameters, absent = root_arguments(pipeline, dict(arguments or {}))
    options: dict[str, Any] = {}
    root = pipeline_root or pipeline.default_root
    if root:
        options["pipelineRoot"] = root
    if max_cache_staleness:
        options["maxCacheStaleness"] = max_cache_staleness
    if enable_caching is not None:
        options["enableCaching"] = enable_caching
    templates = Templates(pipeline, options)
    entrypoint = templates.dag(pipeline.root, absent, "", name=contract.ROOT_TEMPLATE)
    label = dns_name(pipeline.name)
    metadata: dict[str, Any] = {"labels": {contract.PIPELINE_LABEL: label}}
    if name:
        metadata["name"] = name
    else:
        metadata["generateName"] = f"{label}-"
    if namespace:
        metadata["namespace"] = namespace
    if enable_caching is False:
        metadata["annotations"] = {contract.RUN_ANNOTATION_CACHING: "false"}
    workflow_spec: dict[str, Any] = {
        "entrypoint": entrypoint,
        "templates": list(templates.by_name.values()),
    }
    if parameters:
        workflow_spec["arguments"] = {"parameters": parameters}
    return {
        "apiVersion": API_VERSION,
        "kind": "Workflow",
        "metadata": metadata,
        "spec": workflow_spec,
    }
