"""Runs as Argo Workflows: the workflow object a run creates.

A KFP run executes as one `argoproj.io/v1alpha1` Workflow in the object store, which
kflow's workflow controller runs. A v1 package already is a workflow: the run's
parameters become its `spec.arguments.parameters` (declared ones only, as KFP
checks); a v2 pipeline spec is translated by `kflow.pipelines.to_workflow` (the
default `IrCompiler`). The workflow is named after the pipeline with a random
suffix and labelled `pipeline/runid: <run id>`, as KFP labels it. What its status
says comes back through `workflow_status`; KFP's retry is `workflow_retry`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import orjson

from kflow.api import meta as m
from kflow.api.kfp.errors import InvalidArgument
from kflow.api.kfp.packages import ARGO, Package
from kflow.pipelines import PipelineError, to_workflow

Obj = dict[str, Any]
LABEL_RUN_ID = "pipeline/runid"
"""KFP's label on a run's workflow (and its pods): the run's id."""
NAME_BASE_LIMIT = 57  # so that "<base>-<5 random>" fits a DNS-1123 label


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """What a run asks of its workflow."""

    run_id: str
    namespace: str
    parameters: dict[str, Any]
    pipeline_root: str = ""
    service_account: str = ""


IrCompiler = Callable[[Package, RunSpec], Obj]
"""Translates a v2 pipeline spec into the Workflow that runs it."""


def compile_v2(package: Package, run: RunSpec) -> Obj:
    """`kflow.pipelines.to_workflow`, its errors as the API's InvalidArgument."""
    if package.platform_spec:
        raise InvalidArgument(
            "Failed to create a run: the pipeline has a platform spec (kfp-kubernetes "
            f"settings: {', '.join(sorted(package.platform_spec))}), which kflow does not run"
        )
    try:
        return to_workflow(
            package.spec,
            arguments=run.parameters,
            namespace=run.namespace,
            pipeline_root=run.pipeline_root or None,
        )
    except PipelineError as exc:
        raise InvalidArgument(f"Failed to create a run: {exc}") from None


def build(package: Package, run: RunSpec, compile_ir: IrCompiler = compile_v2) -> Obj:
    """The Workflow object (not yet stored) that executes `package` for `run`."""
    if package.kind == ARGO:
        wf = _argo_workflow(package.spec, run.parameters)
    else:
        wf = m.clone(compile_ir(package, run))
    meta = m.meta(wf)
    base = _dns_label(str(meta.get("generateName") or meta.get("name") or package.name))
    for key in ("generateName", "resourceVersion", "uid", "creationTimestamp", "generation"):
        meta.pop(key, None)
    meta["name"] = f"{base}-{m.random_suffix()}"
    meta["namespace"] = run.namespace
    meta["labels"] = {**(meta.get("labels") or {}), LABEL_RUN_ID: run.run_id}
    wf.pop("status", None)
    if run.service_account:
        wf.setdefault("spec", {})["serviceAccountName"] = run.service_account
    return wf


def _argo_workflow(template: Obj, parameters: dict[str, Any]) -> Obj:
    wf = m.clone(template)
    declared = ((wf.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    by_name = {p.get("name"): p for p in declared if isinstance(p, dict)}
    for name, value in parameters.items():
        if name not in by_name:
            raise InvalidArgument(
                f"Failed to verify parameters: Invalid input error: Unrecognized input parameter: {name}"
            )
        by_name[name]["value"] = argo_value(value)
        by_name[name].pop("valueFrom", None)
    return wf


def argo_value(value: Any) -> str:
    """A run parameter as an Argo parameter string (JSON for anything but a string)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return orjson.dumps(value).decode()


def _dns_label(text: str) -> str:
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")[:NAME_BASE_LIMIT].strip("-")
    return label or "run"
