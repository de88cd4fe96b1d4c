"""KFP v2 pipelines, compiled by kfp, run by kflow's workflow controller with real pods.

Each task is a real process running kflow's launcher, which runs the component with
kfp's own executor; outputs move between tasks as Argo parameters, artifacts through
the content-addressed store; executions land in the pipeline metadata (SQLite).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kflow.pipelines import contract
from kflow.pipelines.sqlite_metadata import SQLitePipelineMetadata
from kflow.pipelines.workflow import to_workflow
from tests.pipelines import pipelines_src as src
from tests.workflows.harness import Plane, control_plane, runs_async, show

pytestmark = pytest.mark.slow


def outputs(node: dict[str, Any]) -> dict[str, str]:
    return {
        p["name"]: p.get("value", "") for p in (node.get("outputs") or {}).get("parameters", [])
    }


async def run(plane: Plane, spec: dict[str, Any], name: str, **options: Any) -> dict[str, Any]:
    wf = to_workflow(spec, name=name, namespace="default", **options)
    return await plane.run(wf, timeout=120)


@runs_async
async def test_two_steps_pass_typed_values_and_a_second_run_is_cached(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    spec = ir(src.two_steps)
    async with control_plane(tmp_path) as plane:
        first = await run(plane, spec, "first", arguments={"x": 5})
        assert first["status"]["phase"] == "Succeeded", show(first)
        nodes = plane.nodes("first")
        assert outputs(nodes["add"])["Output"] == "7"
        assert outputs(nodes["add-2"])["Output"] == "10"
        assert outputs(nodes["first"])["Output"] == "10"  # the pipeline's own output
        assert outputs(nodes["add"])[contract.CACHED_FROM_OUTPUT] == ""

        second = await run(plane, spec, "second", arguments={"x": 5})
        assert second["status"]["phase"] == "Succeeded", show(second)
        cached = plane.nodes("second")
        assert outputs(cached["add-2"])["Output"] == "10"
        assert outputs(cached["add"])[contract.CACHED_FROM_OUTPUT] == "first/add"

        uncached = await run(plane, spec, "third", arguments={"x": 5}, enable_caching=False)
        assert outputs(plane.nodes("third")["add"])[contract.CACHED_FROM_OUTPUT] == ""
        assert uncached["status"]["phase"] == "Succeeded"

    meta = SQLitePipelineMetadata(kflow_home / "kflow.db")
    try:
        runs = {
            uid: meta.run_executions(uid)
            for uid in {m["metadata"]["uid"] for m in (first, second, uncached)}
        }
        states = {e.run_name + "/" + e.task: e.state.value for ex in runs.values() for e in ex}
        assert states == {
            "first/add": "SUCCEEDED",
            "first/add-2": "SUCCEEDED",
            "second/add": "CACHED",
            "second/add-2": "CACHED",
            "third/add": "SUCCEEDED",
            "third/add-2": "SUCCEEDED",
        }
        second_add = next(e for e in runs[second["metadata"]["uid"]] if e.task == "add")
        origin = meta.get(second_add.cached_from)
        assert origin is not None and (origin.run_name, origin.task) == ("first", "add")
    finally:
        meta.close()


@runs_async
async def test_conditions_loops_collected_nested_and_exit_handler(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    spec = ir(src.control_flow)
    async with control_plane(tmp_path) as plane:
        wf = await run(plane, spec, "flow", arguments={"seed": 3, "items": [2, 3, 4]})
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("flow")
        # If / Elif / Else: seed 3 is heads; the other branches are skipped
        assert nodes["condition-3"]["phase"] == "Succeeded"
        assert nodes["condition-4"]["phase"] == "Skipped"
        assert nodes["condition-5"]["phase"] == "Skipped"
        # ParallelFor over a pipeline input, collected back as ints
        assert outputs(nodes["total"])["Output"] == "29"
        # ParallelFor over dicts, a field of each item, collected strings
        assert outputs(nodes["join-words"])["Output"] == "A+B"
        # a nested pipeline's output feeds a condition on an int
        assert outputs(nodes["inner-pipeline"])["Output"] == "9"
        assert outputs(nodes["echo-to-file"])["out"] == "<big>"
        # the exit handler's task ran after the group
        exit_node = next(n for n in nodes.values() if n["name"].endswith(".onExit"))
        assert exit_node["phase"] == "Succeeded"
        templates = plane.get("flow")["spec"]["templates"]
        limits = sorted(str(t.get("parallelism")) for t in templates if "withParam" in str(t))
        assert limits == ["2", "None"]  # ParallelFor(parallelism=2), and the unlimited loop


@runs_async
async def test_artifacts_flow_through_the_content_addressed_store(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    spec = ir(src.artifacts)
    root = kflow_home / "bucket"  # a pipeline root by URL: uploads go through fsspec
    async with control_plane(tmp_path) as plane:
        wf = await run(plane, spec, "arts", arguments={"rows": 4}, pipeline_root=root.as_uri())
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("arts")
        made = {
            k: json.loads(v)
            for k, v in outputs(nodes["make-data"]).items()
            if v and k != contract.CACHED_FROM_OUTPUT
        }
        data = made["data"]
        assert Path(data["uri"]).read_text() == "0,0\n1,1\n2,4\n3,9\n"
        assert data["metadata"] == {"rows": 4}
        assert data["uri"].startswith(str(kflow_home / "artifacts" / "blobs" / "sha256"))
        hex_ = data["digest"].removeprefix("sha256:")
        uploaded = root / "blobs" / "sha256" / hex_[:2] / hex_
        assert data["remote_uri"] == uploaded.as_uri()
        assert uploaded.read_text() == Path(data["uri"]).read_text()
        assert made["metrics"]["metadata"] == {"rows": 4}
        assert made["confusion"]["metadata"]["confusionMatrix"]["rows"][0]["row"] == [4, 1]
        assert Path(made["report"]["uri"]).read_text() == "# 4 rows\n"
        assert Path(made["page"]["uri"]).read_text() == "<p>4</p>"
        trained = outputs(nodes["train"])
        assert (trained["lines"], trained["rows_meta"]) == ("4", "4")
        model = json.loads(trained["model"])
        assert model["metadata"] == {"framework": "none"}
        assert outputs(nodes["arts"])["Output"] == "model of 4 lines"

    # lineage: the model was made by `train` from the dataset `make-data` wrote
    meta = SQLitePipelineMetadata(kflow_home / "kflow.db")
    try:
        (producer,) = meta.producers(model["digest"])
        assert producer.task == "train"
        assert producer.input_artifacts()["data"][0]["digest"] == data["digest"]
        assert producer.input_artifacts()["data"][0]["uri"] == data["uri"]  # never copied
        (maker,) = meta.producers(data["digest"])
        assert maker.task == "make-data" and maker.inputs["parameters"] == {"rows": 4}
        assert {e.task for e in meta.consumers(data["digest"])} == {"train"}
    finally:
        meta.close()


@runs_async
async def test_a_failing_task_fails_the_run_and_the_exit_task_sees_it(
    tmp_path: Path, kflow_home: Path, ir: Callable[[Any], dict[str, Any]]
) -> None:
    spec = ir(src.failing)
    async with control_plane(tmp_path) as plane:
        wf = await run(plane, spec, "oops")
        assert wf["status"]["phase"] == "Failed", show(wf)
        nodes = plane.nodes("oops")
        assert nodes["fail"]["phase"] == "Failed"
        exit_node = next(n for n in nodes.values() if n["name"].endswith(".onExit"))
        assert outputs(exit_node)["out"] == "FAILED exit-handler-1"
