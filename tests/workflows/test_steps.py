"""Steps templates: parallel groups, parameters, `when`, loops and failures, as Argo runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.workflows.harness import control_plane, python, runs_async, sh, show, workflow

ECHO = sh(
    "echo",
    "echo {{inputs.parameters.message}}",
    inputs={"parameters": [{"name": "message"}]},
)


def step(name: str, template: str = "echo", **fields: Any) -> dict[str, Any]:
    return {"name": name, "template": template, **fields}


def message(value: str) -> dict[str, Any]:
    return {"parameters": [{"name": "message", "value": value}]}


@runs_async
async def test_groups_run_in_order_and_steps_of_a_group_together(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "steps": [
            [step("hello1", arguments=message("hello1"))],
            [
                step("hello2a", arguments=message("hello2a")),
                step("hello2b", arguments=message("hello2b")),
            ],
        ],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("steps", [main, ECHO]))
        assert wf["status"]["phase"] == "Succeeded"
        nodes = plane.nodes("steps")
        assert nodes["steps"]["type"] == "Steps"
        assert nodes["[0]"]["type"] == nodes["[1]"]["type"] == "StepGroup"
        assert nodes["hello1"]["outputs"]["result"] == "hello1"
        assert nodes["hello2b"]["outputs"]["result"] == "hello2b"
        # the tree Argo draws: root -> [0] -> hello1 -> [1] -> hello2a, hello2b
        assert nodes["steps"]["children"] == [nodes["[0]"]["id"]]
        assert nodes["[0]"]["children"] == [nodes["hello1"]["id"]]
        assert nodes["hello1"]["children"] == [nodes["[1]"]["id"]]
        assert sorted(nodes["[1]"]["children"]) == sorted(
            [nodes["hello2a"]["id"], nodes["hello2b"]["id"]]
        )
        assert sorted(nodes["steps"]["outboundNodes"]) == sorted(nodes["[1]"]["children"])
        assert nodes["hello1"]["name"] == "steps[0].hello1"
        assert nodes["hello1"]["boundaryID"] == nodes["steps"]["id"]
        assert nodes["hello1"]["templateName"] == "echo"
        assert nodes["hello1"]["inputs"]["parameters"][0]["value"] == "hello1"
        assert wf["status"]["progress"] == "3/3"


@runs_async
async def test_when_uses_an_earlier_step_s_result(tmp_path: Path) -> None:
    flip = python("flip", "print('heads')")
    main = {
        "name": "main",
        "steps": [
            [step("flip", "flip")],
            [
                step(
                    "heads",
                    arguments=message("it was heads"),
                    when="{{steps.flip.outputs.result}} == heads",
                ),
                step(
                    "tails",
                    arguments=message("it was tails"),
                    when="{{steps.flip.outputs.result}} == tails",
                ),
            ],
        ],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("coinflip", [main, ECHO, flip]))
        assert wf["status"]["phase"] == "Succeeded"
        nodes = plane.nodes("coinflip")
        assert nodes["heads"]["outputs"]["result"] == "it was heads"
        assert nodes["tails"]["phase"] == "Skipped"
        assert nodes["tails"]["type"] == "Skipped"
        assert nodes["tails"]["message"] == "when 'heads == tails' evaluated false"


@runs_async
async def test_loops_and_their_aggregated_outputs(tmp_path: Path) -> None:
    gen = python("gen", "import json; print(json.dumps([{'n': 1}, {'n': 2}, {'n': 3}]))")
    square = sh(
        "square",
        "printf %s $(( {{inputs.parameters.n}} * {{inputs.parameters.n}} )) > /tmp/out.txt",
        inputs={"parameters": [{"name": "n"}]},
        outputs={"parameters": [{"name": "out", "valueFrom": {"path": "/tmp/out.txt"}}]},
    )
    total = sh(
        "total",
        "echo '{{inputs.parameters.values}}'",
        inputs={"parameters": [{"name": "values"}]},
    )
    main = {
        "name": "main",
        "steps": [
            [step("gen", "gen")],
            [
                step(
                    "square",
                    "square",
                    withParam="{{steps.gen.outputs.result}}",
                    arguments={"parameters": [{"name": "n", "value": "{{item.n}}"}]},
                ),
                step("letters", arguments=message("{{item}}"), withItems=["a", "b"]),
            ],
            [
                step(
                    "total",
                    "total",
                    arguments={
                        "parameters": [
                            {"name": "values", "value": "{{steps.square.outputs.parameters.out}}"}
                        ]
                    },
                )
            ],
        ],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("loops", [main, ECHO, gen, square, total]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("loops")
        assert nodes["square(0:n:1)"]["outputs"]["parameters"][0]["value"] == "1"
        assert nodes["letters(1:b)"]["outputs"]["result"] == "b"
        # every iteration wrote /tmp/out.txt in a /tmp of its own
        assert json.loads(nodes["total"]["outputs"]["result"]) == ["1", "4", "9"]


@runs_async
async def test_a_failing_step_fails_its_group_and_the_workflow(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "steps": [
            [
                step("ok", arguments=message("fine")),
                step("tolerated", "fail", continueOn={"failed": True}),
            ],
            [step("bad", "fail")],
            [step("never", arguments=message("never"))],
        ],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("failing", [main, ECHO, sh("fail", "exit 3")]))
        status = wf["status"]
        nodes = plane.nodes("failing")
        assert nodes["tolerated"]["phase"] == "Failed"
        assert nodes["tolerated"]["message"] == "Error (exit code 3)"
        assert nodes["[0]"]["phase"] == "Succeeded"
        assert nodes["bad"]["phase"] == "Failed"
        assert nodes["[1]"]["message"] == f"child '{nodes['bad']['id']}' failed"
        assert "never" not in nodes
        assert status["phase"] == "Failed"
        assert status["message"] == f"child '{nodes['bad']['id']}' failed"
        assert nodes["bad"]["outputs"]["exitCode"] == "3"


@runs_async
async def test_inputs_defaults_enums_and_workflow_parameters(tmp_path: Path) -> None:
    echo = sh(
        "show",
        "echo {{inputs.parameters.a}}-{{inputs.parameters.b}}-{{workflow.parameters.who}}-{{workflow.name}}",
        inputs={"parameters": [{"name": "a", "default": "x"}, {"name": "b", "enum": ["1", "2"]}]},
    )
    main = {
        "name": "main",
        "steps": [[step("s", "show", arguments={"parameters": [{"name": "b", "value": 2}]})]],
    }
    body = workflow(
        "params", [main, echo], arguments={"parameters": [{"name": "who", "value": "me"}]}
    )
    async with control_plane(tmp_path) as plane:
        await plane.run(body)
        assert plane.nodes("params")["s"]["outputs"]["result"] == "x-2-me-params"
