"""Container, script, steps and DAG templates run as real pods, with Argo's node tree."""

from __future__ import annotations

from pathlib import Path

from tests.workflows.harness import control_plane, runs_async, sh, workflow


@runs_async
async def test_a_container_template_runs_and_its_stdout_is_the_result(tmp_path: Path) -> None:
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("hello", [sh("main", "echo hello world; echo warn >&2")]))
        status = wf["status"]
        assert status["phase"] == "Succeeded", status
        root = status["nodes"]["hello"]
        assert root["type"] == "Pod"
        assert root["outputs"]["result"] == "hello world"
        assert root["outputs"]["exitCode"] == "0"
        assert status["progress"] == "1/1"
        pods = plane.store.list("pods", "default").items
        assert [p["metadata"]["name"] for p in pods] == ["hello"]
