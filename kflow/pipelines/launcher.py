"""`python -m kflow.pipelines.launcher`: one pipeline task, inside its pod.

What KFP's driver and launcher do for a task, in one process: decode the task's
inputs (`--input name=value`, as Argo substituted them), build the ExecutorInput,
run the component — a lightweight Python component through kfp's real
`kfp.dsl.executor_main`, in this interpreter; a container component's command with
its placeholders resolved; an importer without running anything — then move output
artifacts into the content-addressed store and write each output where the Argo
template reads it (`--outputs-dir`, `/tmp/kflow/outputs` in a pod).

The artifact store is the run's `pipeline_root` when that is a local directory,
else `$KFLOW_PIPELINE_ROOT`, else `$KFLOW_HOME/artifacts`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from kflow.pipelines import contract, lightweight, packages
from kflow.pipelines.artifacts import ArtifactStore
from kflow.pipelines.errors import ComponentFailed, PipelineError
from kflow.pipelines.executor_input import prepare
from kflow.pipelines.importer import local_path, run_importer
from kflow.pipelines.inputs import Artifact, decode_inputs
from kflow.pipelines.outputs import collect, publish
from kflow.pipelines.placeholders import Context, resolve


def home() -> Path:
    return Path(os.environ.get(contract.HOME_ENV) or Path.home() / ".kflow").expanduser()


def artifact_root(pipeline_root: str | None) -> Path:
    for candidate in (pipeline_root, os.environ.get(contract.ROOT_ENV)):
        path = local_path(candidate) if candidate else None
        if path is not None:
            return path.expanduser().resolve()
    return home() / contract.ARTIFACTS_DIR


def _run_info(spec: dict[str, Any], root: Path, execution: str) -> dict[str, str]:
    run = spec.get("run") or {}
    now = dt.datetime.now(dt.timezone.utc).isoformat()
    return {
        "pipeline_job_name": str(run.get("name", "")),
        "pipeline_job_resource_name": str(run.get("name", "")),
        "pipeline_job_uuid": str(run.get("uid", "")),
        "pipeline_task_name": str(spec.get("task", "")).rsplit("/", 1)[-1],
        "pipeline_task_uuid": execution,
        "pipeline_root": str(root),
        "pipeline_job_create_time_utc": now,
        "pipeline_job_schedule_time_utc": now,
    }


def execute(
    spec: dict[str, Any],
    parameters: dict[str, Any],
    artifacts: dict[str, list[Artifact]],
    store: ArtifactStore,
    execution: str,
) -> tuple[dict[str, Any], dict[str, Artifact]]:
    """Run the task's executor; its (output parameters, stored output artifacts)."""
    component = spec["component"]
    executor = spec["executor"]
    info = _run_info(spec, store.root, execution)
    if "importer" in executor:
        ctx = Context({"inputs": {"parameterValues": parameters}}, info)
        return {}, {"artifact": run_importer(executor["importer"], parameters, ctx)}
    staging = store.staging()
    prepared = prepare(component.get("outputDefinitions") or {}, parameters, artifacts, staging)
    ctx = Context(prepared.executor_input, info)
    container = executor.get("container") or {}
    argv = [str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])]]
    python = lightweight.recognise(argv)
    if python is not None:
        packages.ensure(python.requirements, python.pip_options, home() / contract.PACKAGES_DIR)
        lightweight.run(python, resolve(python.arguments, ctx), staging)
    else:
        command = resolve(argv, ctx)
        if not command:
            raise ComponentFailed("the container component has no command")
        code = subprocess.run(command, check=False).returncode
        if code != 0:
            raise ComponentFailed(f"the component's command exited with code {code}")
    outputs = collect(component.get("outputDefinitions") or {}, prepared, store)
    store.discard(staging)
    return outputs


def _given(pairs: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise PipelineError(f"--input {pair!r}: expected NAME=VALUE")
        given[name] = value
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kflow.pipelines.launcher")
    parser.add_argument("--task", required=True, help="the task's spec (JSON)")
    parser.add_argument("--input", action="append", default=[], help="NAME=VALUE, per input")
    parser.add_argument("--outputs-dir", default=contract.OUTPUTS_DIR)
    args = parser.parse_args(argv)
    try:
        spec = json.loads(args.task)
        component = spec["component"]
        parameters, artifacts = decode_inputs(
            component.get("inputDefinitions") or {}, _given(args.input), spec.get("collected") or {}
        )
        store = ArtifactStore(artifact_root(spec.get("pipelineRoot")))
        out_parameters, out_artifacts = execute(
            spec, parameters, artifacts, store, uuid.uuid4().hex
        )
        publish(Path(args.outputs_dir), out_parameters, out_artifacts)
    except (PipelineError, json.JSONDecodeError, KeyError) as error:
        print(f"kflow launcher: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
