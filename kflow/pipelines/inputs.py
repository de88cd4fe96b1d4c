"""A task's inputs, from the Argo parameter strings its launcher is given to typed values.

Each `--input name=text` is decoded by the type the component declares: parameters
with `values.decode` (a `dsl.Collected` list item by item, with the type its producer
declared), the `dsl.PipelineTaskFinalStatus` of an exit task from the Argo phase of
the task it guards, and artifacts from the JSON references their producers wrote
(a list for `Input[List[...]]`). An input with no value takes its declared default,
or is left out when it is optional, as KFP's driver does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kflow.pipelines import contract
from kflow.pipelines.errors import ArgumentError
from kflow.pipelines.ir import interface
from kflow.pipelines.values import ParameterType, collected, decode, from_ir, parameter_type

Artifact = dict[str, Any]  # {"name", "type": {"schemaTitle", ...}, "uri", "metadata", "digest"}


def final_status(text: str, field: str) -> dict[str, Any]:
    """KFP's PipelineTaskFinalStatus struct from the guarded task's Argo phase."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise ArgumentError(f"{field}: not a task status: {text!r}") from None
    phase = str(body.get("state", ""))
    state = contract.FINAL_STATES.get(phase, body.get("state"))
    error = {} if state == "SUCCEEDED" else {"code": 2, "message": f"the task ended {phase}"}
    return {
        "state": state,
        "pipelineJobResourceName": body.get("pipelineJobResourceName", ""),
        "pipelineTaskName": body.get("pipelineTaskName", ""),
        "error": error,
    }


def _artifacts(text: str, field: str) -> list[Artifact]:
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise ArgumentError(f"{field}: not an artifact reference: {text[:200]!r}") from None
    refs = body if isinstance(body, list) else [body]
    for i, ref in enumerate(refs):
        if isinstance(ref, str):  # an aggregated list keeps each reference as text
            ref = refs[i] = json.loads(ref)
        if not isinstance(ref, dict) or "uri" not in ref:
            raise ArgumentError(f"{field}: an artifact reference needs a 'uri'")
    return refs


def decode_inputs(
    definitions: Mapping[str, Any], given: Mapping[str, str], collected_types: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[Artifact]]]:
    """(parameter values, artifacts) for the executor input."""
    spec = interface(definitions, "inputDefinitions")
    parameters: dict[str, Any] = {}
    for name, p in spec.parameters.items():
        field = f"inputs.{name}"
        if name in given:
            text = given[name]
            if p.type is ParameterType.TASK_FINAL_STATUS:
                parameters[name] = final_status(text, field)
            elif name in collected_types:
                items = decode(text, ParameterType.LIST, field)
                item_type = parameter_type(collected_types[name], field)
                parameters[name] = collected(items, item_type, field)
            else:
                parameters[name] = decode(text, p.type, field)
        elif p.has_default:
            parameters[name] = from_ir(p.default, p.type)
        elif not p.optional:
            raise ArgumentError(f"{field}: required input parameter has no value")
    artifacts: dict[str, list[Artifact]] = {}
    for name, a in spec.artifacts.items():
        if name in given:
            artifacts[name] = _artifacts(given[name], f"inputs.{name}")
        elif not a.optional:
            raise ArgumentError(f"inputs.{name}: required input artifact has no value")
    return parameters, artifacts
