"""DAG templates: dependencies, depends logic, omitted tasks, loops and fail-fast, as Argo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.workflows.harness import control_plane, python, runs_async, sh, show, workflow

ECHO = sh(
    "echo", "echo {{inputs.parameters.message}}", inputs={"parameters": [{"name": "message"}]}
)


def task(name: str, template: str = "echo", **fields: Any) -> dict[str, Any]:
    fields.setdefault("arguments", {"parameters": [{"name": "message", "value": name}]})
    return {"name": name, "template": template, **fields}


@runs_async
async def test_a_diamond_passes_outputs_down_and_draws_argo_s_graph(tmp_path: Path) -> None:
    join = sh(
        "join",
        "echo {{inputs.parameters.left}}+{{inputs.parameters.right}}",
        inputs={"parameters": [{"name": "left"}, {"name": "right"}]},
    )
    args = {
        "parameters": [
            {"name": "left", "value": "{{tasks.B.outputs.result}}"},
            {"name": "right", "value": "{{tasks.C.outputs.result}}"},
        ]
    }
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                task("A"),
                task("B", dependencies=["A"]),
                task("C", dependencies=["A"]),
                {"name": "D", "template": "join", "dependencies": ["B", "C"], "arguments": args},
            ]
        },
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("diamond", [main, ECHO, join]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("diamond")
        assert nodes["diamond"]["type"] == "DAG"
        assert nodes["A"]["name"] == "diamond.A"
        assert nodes["diamond"]["children"] == [nodes["A"]["id"]]
        assert sorted(nodes["A"]["children"]) == sorted([nodes["B"]["id"], nodes["C"]["id"]])
        assert nodes["B"]["children"] == [nodes["D"]["id"]] == nodes["C"]["children"]
        assert nodes["diamond"]["outboundNodes"] == [nodes["D"]["id"]]
        assert nodes["D"]["outputs"]["result"] == "B+C"
        assert wf["status"]["progress"] == "4/4"


@runs_async
async def test_depends_runs_failure_handlers_and_omits_the_rest(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                task("A", "fail"),
                task("on-failure", depends="A.Failed"),
                task("on-success", depends="A"),
                task("after-either", depends="on-failure || on-success"),
            ]
        },
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("depends", [main, ECHO, sh("fail", "exit 1")]))
        nodes = plane.nodes("depends")
        assert nodes["A"]["phase"] == "Failed"
        assert nodes["on-failure"]["phase"] == "Succeeded"
        assert nodes["on-success"]["phase"] == "Omitted"
        assert nodes["on-success"]["type"] == "Skipped"
        assert nodes["on-success"]["message"] == "omitted: depends condition not met"
        assert nodes["after-either"]["phase"] == "Succeeded"
        # every branch to the only target went through a task that completed well
        assert wf["status"]["phase"] == "Succeeded", show(wf)


@runs_async
async def test_a_failed_branch_fails_the_dag_and_continue_on_tolerates_it(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                task("tolerated", "fail", continueOn={"failed": True}),
                task("after", dependencies=["tolerated"]),
                task("bad", "fail"),
                task("never", dependencies=["bad"]),
            ]
        },
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("branches", [main, ECHO, sh("fail", "exit 2")]))
        nodes = plane.nodes("branches")
        assert nodes["after"]["phase"] == "Succeeded"
        assert nodes["never"]["phase"] == "Omitted"
        assert nodes["branches"]["phase"] == "Failed"
        assert wf["status"]["phase"] == "Failed", show(wf)


@runs_async
async def test_loops_become_task_groups_and_fan_in(tmp_path: Path) -> None:
    gen = python("gen", "import json; print(json.dumps(['x', 'y']))")
    count = sh(
        "count", "echo '{{inputs.parameters.all}}'", inputs={"parameters": [{"name": "all"}]}
    )
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                {"name": "gen", "template": "gen"},
                task(
                    "each",
                    arguments={"parameters": [{"name": "message", "value": "{{item}}"}]},
                    withParam="{{tasks.gen.outputs.result}}",
                    dependencies=["gen"],
                ),
                task(
                    "seq",
                    arguments={"parameters": [{"name": "message", "value": "n{{item}}"}]},
                    withSequence={"count": "3", "start": "1"},
                ),
                {
                    "name": "fan-in",
                    "template": "count",
                    "dependencies": ["each", "seq"],
                    "arguments": {
                        "parameters": [{"name": "all", "value": "{{tasks.seq.outputs.result}}"}]
                    },
                },
                task("empty", withItems=[]),
            ]
        },
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("fan", [main, ECHO, gen, count]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("fan")
        assert nodes["each"]["type"] == "TaskGroup"
        assert [
            plane.get("fan")["status"]["nodes"][i]["displayName"] for i in nodes["each"]["children"]
        ] == [
            "each(0:x)",
            "each(1:y)",
        ]
        assert nodes["seq(2:3)"]["outputs"]["result"] == "n3"
        assert json.loads(nodes["fan-in"]["outputs"]["result"]) == ["n1", "n2", "n3"]
        assert nodes["empty"]["phase"] == "Succeeded"
        assert nodes["empty"].get("children") is None
