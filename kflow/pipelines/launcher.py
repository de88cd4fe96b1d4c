"""`python -m kflow.pipelines.launcher`: one pipeline task, inside its pod.

What KFP's driver and launcher do for a task, in one process: decode the task's
inputs (`--input name=value`, as Argo substituted them), build the ExecutorInput,
run the component — a lightweight Python component through kfp's real
`kfp.dsl.executor_main`, in this interpreter; a container component's command with
its placeholders resolved; an importer without running anything — then move output
artifacts into the content-addressed store and write each output where the Argo
template reads it (`--outputs-dir`, `/tmp/kflow/outputs` in a pod).

Before running, the task's cache key is looked up in the pipeline metadata (the
kflow database, `caching`): a hit publishes the earlier execution's outputs instead
of running. Every execution — run, reused or failed — is recorded with its inputs
and outputs, which is the artifacts' lineage.

Artifacts are kept in kflow's one store, `$KFLOW_HOME/artifacts` (`kflow.artifacts`);
the run's `pipeline_root`, else `$KFLOW_PIPELINE_ROOT`, else kflow's artifact repository
(`$KFLOW_ARTIFACT_REPOSITORY`), when set, is a URL every output is also uploaded to.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kflow.artifacts import ArtifactRepositoryError, ArtifactStore, RemoteRoot
from kflow.pipelines import caching, contract, lightweight, packages
from kflow.pipelines.errors import ComponentFailed, PipelineError
from kflow.pipelines.executor_input import prepare
from kflow.pipelines.importer import run_importer
from kflow.pipelines.inputs import Artifact, decode_inputs
from kflow.pipelines.metadata import Execution, ExecutionState, PipelineMetadata
from kflow.pipelines.outputs import collect, publish
from kflow.pipelines.placeholders import Context, resolve
from kflow.pipelines.sqlite_metadata import SQLitePipelineMetadata


def home() -> Path:
    return Path(os.environ.get(contract.HOME_ENV) or Path.home() / ".kflow").expanduser()


def artifact_store(pipeline_root: str | None) -> ArtifactStore:
    """The local store, with the pipeline root (or the repository) as its remote root."""
    url = (
        pipeline_root
        or os.environ.get(contract.ROOT_ENV)
        or os.environ.get(contract.REPOSITORY_ENV)
    )
    return ArtifactStore(home() / contract.ARTIFACTS_DIR, RemoteRoot(url) if url else None)


def _run_info(spec: dict[str, Any], root: str, execution: str) -> dict[str, str]:
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
    root = store.remote.url if store.remote is not None else str(store.root)
    info = _run_info(spec, root, execution)
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


def _localize(artifacts: dict[str, list[Artifact]], store: ArtifactStore) -> None:
    """Point stored inputs that are missing here at the store's copy, fetched from the
    pipeline root when only it has them."""
    for refs in artifacts.values():
        for ref in refs:
            found = str(ref.get("digest") or "")
            if found and "://" not in str(ref["uri"]) and not Path(ref["uri"]).exists():
                # when no copy is left anywhere, the component reports the missing file
                with contextlib.suppress(FileNotFoundError):
                    ref["uri"] = str(store.available(found))


def _given(pairs: list[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise PipelineError(f"--input {pair!r}: expected NAME=VALUE")
        given[name] = value
    return given


def _reuse(meta: PipelineMetadata, spec: dict[str, Any], key: str) -> Execution | None:
    """The earlier execution this task may reuse, if caching allows one."""
    if not caching.enabled(spec):
        return None
    bound = caching.staleness(spec, dict(os.environ))
    since = None if bound is None else time.time() - bound
    hit = meta.cached(key, since=since)
    return hit if hit is not None and bound != 0 and caching.still_there(hit) else None


def run_task(
    spec: dict[str, Any], given: dict[str, str], outputs_dir: Path, meta: PipelineMetadata
) -> None:
    """Run (or reuse) one task and publish its outputs; every execution is recorded."""
    component = spec["component"]
    parameters, artifacts = decode_inputs(
        component.get("inputDefinitions") or {}, given, spec.get("collected") or {}
    )
    store = artifact_store(spec.get("pipelineRoot"))
    _localize(artifacts, store)
    run = spec.get("run") or {}
    key = caching.cache_key(spec, parameters, artifacts)
    execution = Execution(
        id=uuid.uuid4().hex,
        run=str(run.get("uid", "")),
        run_name=str(run.get("name", "")),
        namespace=str(run.get("namespace", "")),
        pipeline=str(spec.get("pipeline", "")),
        task=str(spec.get("task", "")),
        state=ExecutionState.SUCCEEDED,
        created=time.time(),
        cache_key=key,
        inputs={"parameters": parameters, "artifacts": artifacts},
    )
    hit = _reuse(meta, spec, key)
    if hit is not None:
        origin = meta.get(hit.cached_from) if hit.cached_from else None
        source = origin or hit
        reused = dataclasses.replace(
            execution, state=ExecutionState.CACHED, cached_from=source.id, outputs=hit.outputs
        )
        meta.record(reused)
        where = f"{source.run_name}/{source.task}"
        print(f"kflow: cached: reusing the outputs of {where} (execution {source.id})", flush=True)
        publish(outputs_dir, hit.outputs.get("parameters") or {}, hit.output_artifacts())
        (outputs_dir / contract.CACHED_FROM_OUTPUT).write_text(where)
        return
    try:
        out_parameters, out_artifacts = execute(spec, parameters, artifacts, store, execution.id)
    except BaseException:
        meta.record(dataclasses.replace(execution, state=ExecutionState.FAILED))
        raise
    outputs = {"parameters": out_parameters, "artifacts": out_artifacts}
    meta.record(dataclasses.replace(execution, outputs=outputs))
    publish(outputs_dir, out_parameters, out_artifacts)


def open_metadata() -> PipelineMetadata:
    """The pipeline metadata in the kflow database under `$KFLOW_HOME`."""
    directory = home()
    directory.mkdir(parents=True, exist_ok=True)
    return SQLitePipelineMetadata(directory / contract.DATABASE_FILE)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m kflow.pipelines.launcher")
    parser.add_argument("--task", required=True, help="the task's spec (JSON)")
    parser.add_argument("--input", action="append", default=[], help="NAME=VALUE, per input")
    parser.add_argument("--outputs-dir", default=contract.OUTPUTS_DIR)
    parser.add_argument("--run-name", default="", help="the run (Workflow) name")
    parser.add_argument("--run-uid", default="", help="the run (Workflow) uid")
    parser.add_argument("--run-namespace", default="", help="the run (Workflow) namespace")
    return parser


def rehearse() -> None:
    """What every task does first, done on nothing: the local runtime calls it in a
    process forked for a warm launcher before its task arrives (contract.LAUNCHER_REHEARSAL),
    so the memory these steps write is that process's own when the task runs (after a
    fork, each first write to a page copies it). No effect outside this process."""
    _parser().parse_args(["--task", "{}", "--input", "x=1"])
    executor = argparse.ArgumentParser(description="kfp's executor_main parses its own")
    executor.add_argument("--executor_input", type=str, help="JSON")
    executor.parse_known_args(["--executor_input", "{}"])
    json.loads(json.dumps({"inputs": {"parameterValues": {"x": 1}}, "outputs": {}}, indent=4))
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE t (a TEXT)")
        db.execute("INSERT INTO t VALUES ('a')")
        db.execute("SELECT a FROM t").fetchall()
    compile("def step(x: int) -> int:\n    return x\n", "<rehearsal>", "exec")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        spec = json.loads(args.task)
        spec["run"] = {"name": args.run_name, "uid": args.run_uid, "namespace": args.run_namespace}
        given = _given(args.input)
        meta = open_metadata()
        try:
            run_task(spec, given, Path(args.outputs_dir), meta)
        finally:
            meta.close()
    except (PipelineError, ArtifactRepositoryError, json.JSONDecodeError, KeyError) as error:
        print(f"kflow launcher: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
