"""YAML as the KFP v1 compiler emits it runs as written: conditions, loops over items and
over a task's output, a ResourceOp making a batch/v1 Job, metrics artifacts, an exit handler."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.workflows.harness import control_plane, runs_async, show

HERE = Path(__file__).parent / "kfp_v1"


@runs_async
async def test_a_kfp_v1_compiled_pipeline_runs(tmp_path: Path) -> None:
    body = yaml.safe_load((HERE / "flip-coin-loops-resource.yaml").read_text())
    body["metadata"].update(name="kfp-v1-demo-abcde", namespace="default")
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(body, timeout=120)
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        by_name = {
            n["name"].removeprefix("kfp-v1-demo-abcde."): n for n in wf["status"]["nodes"].values()
        }
        assert (
            by_name["exit-handler-1.condition-1.print-msg"]["outputs"]["result"] == "heads: heads"
        )
        adds = sorted(
            n["outputs"]["result"]
            for name, n in by_name.items()
            if name.endswith(".add") and "for-loop-2" in name
        )
        assert adds == ["3", "30"]
        assert by_name["exit-handler-1.for-loop-2"]["type"] == "TaskGroup"
        items = sorted(
            n["outputs"]["result"] for name, n in by_name.items() if name.endswith("print-msg-2")
        )
        assert items == ["item x", "item y", "item z"]
        job = by_name["exit-handler-1.create-job"]["outputs"]["parameters"][0]["value"]
        assert job == "kfp-v1-demo-abcde-job"
        assert plane.store.get("jobs.batch", "default", job)["status"]["succeeded"] == 1
        metrics = {a["name"]: a for a in by_name["exit-handler-1.train"]["outputs"]["artifacts"]}
        stored = plane.controller.artifacts
        data = stored.path_of(metrics["mlpipeline-metrics"]["kflow"]["key"])
        assert data.is_file() and metrics["mlpipeline-metrics"]["kflow"]["archive"] == "tgz"
        handler = next(
            n for n in wf["status"]["nodes"].values() if n["name"] == "kfp-v1-demo-abcde.onExit"
        )
        assert handler["outputs"]["result"] == "exit handler ran for kfp-v1-demo-abcde: Succeeded"
        assert by_name["exit-handler-1.condition-1"]["type"] == "DAG"
        pods = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
        assert wf["status"]["progress"] == f"{len(pods)}/{len(pods)}"
