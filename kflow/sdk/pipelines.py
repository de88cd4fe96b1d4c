"""`kflow.run_pipeline`: run a KFP v2 pipeline on a kflow server and wait for its outputs.

    from kfp import dsl

    @dsl.pipeline
    def add_twice(x: int = 1) -> int: ...

    run = kflow.run_pipeline(add_twice, arguments={"x": 5})
    run.outputs["Output"]      # 10, typed as the pipeline declares it
    run.tasks["add"].cached_from  # "" or "<earlier run>/<task>"

The pipeline is compiled by the real kfp compiler (a `@dsl.pipeline` function, a
`.py` file defining one, or an already compiled `.yaml`/`.json` IR), translated into
an Argo Workflow (`kflow.pipelines.to_workflow`) and created on the server, whose
workflow controller runs it. While it runs, a live table shows each task's state and
which ones were served from the cache.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.live import Live
from rich.table import Table

from kflow.pipelines import PipelineError, contract, load, to_workflow
from kflow.pipelines.values import decode
from kflow.sdk.client import Client

Obj = dict[str, Any]
FINISHED = ("Succeeded", "Failed", "Error")


class PipelineFailed(PipelineError):
    """The run ended Failed or Error; `run` holds what it did."""

    def __init__(self, run: PipelineRun) -> None:
        self.run = run
        failed = [
            f"{name} ({t.message or t.phase})"
            for name, t in run.tasks.items()
            if t.phase in ("Failed", "Error")
        ]
        super().__init__(f"pipeline run {run.name} {run.phase}: {', '.join(failed) or run.message}")


@dataclasses.dataclass(frozen=True)
class TaskState:
    phase: str
    cached_from: str  # "<run>/<task>" when the task reused earlier outputs
    message: str = ""


@dataclasses.dataclass(frozen=True)
class PipelineRun:
    name: str
    namespace: str
    phase: str
    message: str
    outputs: dict[str, Any]  # the pipeline's outputs: typed values, artifact references
    tasks: dict[str, TaskState]  # by task path ("exit-handler-1.train")
    workflow: Obj


def _load_module_pipeline(path: Path, name: str | None) -> Any:
    spec = importlib.util.spec_from_file_location(f"kflow_pipeline_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise PipelineError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = {
        getattr(obj, "name", key): obj
        for key, obj in vars(module).items()
        if type(obj).__name__ == "GraphComponent"
    }
    if name is not None:
        if name not in found:
            raise PipelineError(
                f"{path}: no pipeline named {name!r} (found: {', '.join(found) or 'none'})"
            )
        return found[name]
    if len(found) != 1:
        listed = ", ".join(sorted(found)) or "none"
        raise PipelineError(
            f"{path}: expected one @dsl.pipeline, found {listed}; name one with --pipeline"
        )
    return next(iter(found.values()))


def _load_yaml(text: str) -> Any:
    """YAML through libyaml when it is there: ten times faster than the pure-Python loader
    on a compiled pipeline, which matters for a run of small steps."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader either way


def compile_pipeline(pipeline: Any, *, pipeline_name: str | None = None) -> Obj:
    """The pipeline-spec IR of a pipeline function, a `.py` file, or a compiled `.yaml`/`.json`."""
    if isinstance(pipeline, Mapping):
        return dict(pipeline)
    if isinstance(pipeline, (str, Path)):
        path = Path(pipeline)
        if not path.exists():
            raise PipelineError(f"{path}: no such file")
        if path.suffix in (".yaml", ".yml", ".json"):
            body = _load_yaml(path.read_text())
            if not isinstance(body, dict):
                raise PipelineError(f"{path}: not a pipeline spec")
            return body
        pipeline = _load_module_pipeline(path, pipeline_name)
    from kfp import compiler  # only when there is something to compile

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "pipeline.yaml"
        compiler.Compiler().compile(pipeline, str(target))
        return dict(_load_yaml(target.read_text()))


def cli_arguments(spec: Obj, pairs: list[str]) -> dict[str, Any]:
    """`--param k=v` values typed by the pipeline's inputs (strings stay as written)."""
    declared = load(spec).root.inputs.parameters
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep:
            raise PipelineError(f"--param {pair!r}: expected NAME=VALUE")
        if key not in declared:
            raise PipelineError(
                f"--param {key}: the pipeline has no input {key!r} (it takes: {', '.join(declared) or 'none'})"
            )
        out[key] = decode(text, declared[key].type, f"--param {key}")
    return out


def _outputs(spec: Obj, root_node: Obj | None) -> dict[str, Any]:
    pipeline = load(spec)
    produced = {
        p["name"]: p.get("value", "")
        for p in ((root_node or {}).get("outputs") or {}).get("parameters") or []
    }
    out: dict[str, Any] = {}
    for name, p in pipeline.root.outputs.parameters.items():
        if name in produced:
            out[name] = decode(produced[name], p.type, f"outputs.{name}")
    for name in pipeline.root.outputs.artifacts:
        if name in produced:
            out[name] = json.loads(produced[name])
    return out


def _tasks(workflow: Obj) -> dict[str, TaskState]:
    nodes: dict[str, Obj] = (workflow.get("status") or {}).get("nodes") or {}
    name = str(workflow["metadata"]["name"])
    out: dict[str, TaskState] = {}
    for node in sorted(nodes.values(), key=lambda n: str(n.get("startedAt") or "")):
        if node.get("type") != "Pod":
            continue
        path = str(node.get("name", "")).removeprefix(name + ".")
        params = {
            p["name"]: p.get("value", "")
            for p in (node.get("outputs") or {}).get("parameters") or []
        }
        out[path] = TaskState(
            str(node.get("phase", "")),
            str(params.get(contract.CACHED_FROM_OUTPUT, "")),
            str(node.get("message") or ""),
        )
    return out


def _table(name: str, workflow: Obj) -> Table:
    table = Table(
        title=f"pipeline run {name}: {(workflow.get('status') or {}).get('phase') or 'Pending'}"
    )
    for column in ("task", "state", "cached from"):
        table.add_column(column)
    for path, task in _tasks(workflow).items():
        table.add_row(path, "Cached" if task.cached_from else task.phase, task.cached_from)
    return table


def run_pipeline(
    pipeline: Any,
    arguments: Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    namespace: str | None = None,
    enable_caching: bool | None = None,
    max_cache_staleness: str | None = None,
    pipeline_root: str | None = None,
    pipeline_name: str | None = None,
    follow: bool = True,
    client: Client | None = None,
    timeout: float | None = None,
    console: Console | None = None,
) -> PipelineRun:
    """Run `pipeline` with `arguments` on the server `kflow up` started (or `client`'s).

    With `follow` (the default) a live table of tasks is shown until the run ends, and
    a failed run raises `PipelineFailed`; without it the call returns once the run
    is created. `enable_caching=False` turns the cache off for the whole run.
    """
    spec = compile_pipeline(pipeline, pipeline_name=pipeline_name)
    body = to_workflow(
        spec,
        arguments=arguments,
        name=name,
        namespace=namespace,
        enable_caching=enable_caching,
        max_cache_staleness=max_cache_staleness,
        pipeline_root=pipeline_root,
    )
    own = client is None
    kf = client or Client()
    try:
        created = kf.create(body, namespace=namespace)
        run_name = str(created["metadata"]["name"])
        ns = str(created["metadata"].get("namespace") or namespace or kf.namespace)
        latest = created
        if follow:
            latest = _follow(kf, run_name, ns, console or Console(), timeout)
        status = latest.get("status") or {}
        nodes: dict[str, Obj] = status.get("nodes") or {}
        root = next((n for n in nodes.values() if n.get("name") == run_name), None)
        run = PipelineRun(
            name=run_name,
            namespace=ns,
            phase=str(status.get("phase") or "Pending"),
            message=str(status.get("message") or ""),
            outputs=_outputs(spec, root) if status.get("phase") == "Succeeded" else {},
            tasks=_tasks(latest),
            workflow=latest,
        )
        if follow and run.phase != "Succeeded":
            raise PipelineFailed(run)
        return run
    finally:
        if own:
            kf.close()


def _follow(kf: Client, name: str, namespace: str, console: Console, timeout: float | None) -> Obj:
    """Follow the run on a watch until it finishes (the moment it does, not a poll later)."""
    latest: Obj = kf.get("workflows", name, namespace=namespace)
    with Live(_table(name, latest), console=console, refresh_per_second=4, transient=False) as live:
        for event in kf.watch("workflows", name, namespace=namespace, timeout=timeout):
            if event.type == "DELETED":
                raise PipelineError(f"pipeline run {name} was deleted before it finished")
            latest = event.object
            live.update(_table(name, latest))
            if (latest.get("status") or {}).get("phase") in FINISHED:
                break
        else:
            raise PipelineError(f"pipeline run {name} did not finish within {timeout:g}s")
    if not console.is_terminal:
        console.line()  # Live leaves a redirected output mid-line
    return latest


__all__ = [
    "PipelineFailed",
    "PipelineRun",
    "TaskState",
    "compile_pipeline",
    "run_pipeline",
]
