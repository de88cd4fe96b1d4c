"""The Argo Workflow made from kfp-compiled IR: its shape, and the errors on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from kflow.pipelines import ArgumentError, SpecError, to_workflow
from kflow.pipelines.executors import launcher_task
from tests.pipelines import pipelines_src as src

Templates = dict[str, dict[str, Any]]


def templates(wf: dict[str, Any]) -> Templates:
    return {t["name"]: t for t in wf["spec"]["templates"]}


def tasks(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in template["dag"]["tasks"]}


def task_spec(template: dict[str, Any]) -> dict[str, Any]:
    args = template["container"]["args"]
    return dict(json.loads(args[args.index("--task") + 1]))


def test_two_steps_is_a_dag_of_launcher_containers(ir: Callable[[Any], dict[str, Any]]) -> None:
    wf = to_workflow(ir(src.two_steps), arguments={"x": 4})
    assert wf["apiVersion"] == "argoproj.io/v1alpha1" and wf["kind"] == "Workflow"
    assert wf["metadata"]["generateName"] == "two-steps-"
    assert wf["spec"]["entrypoint"] == "root"
    assert wf["spec"]["arguments"] == {"parameters": [{"name": "x", "value": "4"}]}
    by_name = templates(wf)
    root = tasks(by_name["root"])
    assert root["add"]["arguments"]["parameters"] == [
        {"name": "a", "value": "{{inputs.parameters.x}}"},
        {"name": "b", "value": "2"},  # the IR's 2.0, an int again
    ]
    assert root["add-2"]["depends"] == "add"
    assert {"name": "a", "value": "{{tasks.add.outputs.parameters.Output}}"} in root["add-2"][
        "arguments"
    ]["parameters"]
    assert by_name["root"]["outputs"]["parameters"] == [
        {"name": "Output", "valueFrom": {"parameter": "{{tasks.add-2.outputs.parameters.Output}}"}}
    ]
    container = by_name["comp-add"]["container"]
    assert container["command"] == ["python3", "-m", "kflow.pipelines.launcher"]
    # outputs are files: no copy of stdout, so the pod runs the launcher itself
    assert by_name["comp-add"]["metadata"] == {
        "annotations": {"workflows.kflow.dev/capture-result": "false"}
    }
    assert container["image"] == "python:3.11"
    assert "--input" in container["args"] and "a={{inputs.parameters.a}}" in container["args"]
    spec = task_spec(by_name["comp-add"])
    assert spec["task"] == "add" and spec["pipeline"] == "two-steps"
    assert "{{$}}" in spec["executor"]["container"]["args"]  # kept whole for the launcher...
    task_arg = container["args"][container["args"].index("--task") + 1]
    assert "{{" not in task_arg  # ...but never where Argo would substitute it


def test_control_flow_maps_onto_argo(ir: Callable[[Any], dict[str, Any]]) -> None:
    wf = to_workflow(ir(src.control_flow))
    by_name = templates(wf)
    root = tasks(by_name["root"])
    # ExitHandler: the exit task is the group's exit hook, not a task of its own
    assert set(root) == {"exit-handler-1"}
    hook = root["exit-handler-1"]["hooks"]["exit"]
    assert by_name[hook["template"]]["container"]
    group = tasks(by_name[root["exit-handler-1"]["template"]])
    branches = tasks(by_name[group["condition-branches-2"]["template"]])
    whens = sorted(t["when"] for t in branches.values())
    assert all(w.startswith("{{=") and "pipelinechannel--coin-Output" in w for w in whens)
    # ParallelFor: an iterator template with the limit, fanning out with withParam
    loop = by_name[group["for-loop-6"]["template"]]
    assert loop["parallelism"] == 2
    (iteration,) = loop["dag"]["tasks"]
    assert iteration["withParam"] == "{{inputs.parameters.kflow-items}}"
    assert {
        "name": "kflow-items",
        "value": "{{inputs.parameters.pipelinechannel--items}}",
    } in group["for-loop-6"]["arguments"]["parameters"]
    # a loop over constant dicts: the items inline, a field picked with fromJSON
    raw_loop = group["for-loop-8"]
    items = next(
        a["value"] for a in raw_loop["arguments"]["parameters"] if a["name"] == "kflow-items"
    )
    assert json.loads(items) == [{"w": "a"}, {"w": "b"}]
    # Collected: the consumer is told the type of the items
    total_template = by_name[group["total"]["template"]]
    assert task_spec(total_template)["collected"] == {"values": "NUMBER_INTEGER"}
    assert group["total"]["depends"] == "for-loop-6"
    # set_retry
    flip = by_name[group["coin"]["template"]]
    assert flip["retryStrategy"] == {
        "limit": 2,
        "retryPolicy": "Always",
        "backoff": {"duration": "0s", "factor": 2, "maxDuration": "3600s"},
    }


def test_task_settings_reach_the_container(ir: Callable[[Any], dict[str, Any]]) -> None:
    wf = to_workflow(ir(src.settings), name="fixed", namespace="team", max_cache_staleness="P1D")
    assert wf["metadata"]["name"] == "fixed" and wf["metadata"]["namespace"] == "team"
    assert wf["metadata"]["labels"] == {"pipelines.kflow.dev/pipeline": "settings-pipeline"}
    by_name = templates(wf)
    first = by_name["comp-square"]
    assert first["container"]["env"] == [{"name": "MODE", "value": "fast"}]
    assert first["container"]["resources"] == {"limits": {"cpu": "1"}, "requests": {"memory": "1G"}}
    assert first["retryStrategy"]["limit"] == 3
    spec = task_spec(first)
    assert spec["cache"] == {"enabled": False, "key": ""}
    assert spec["maxCacheStaleness"] == "P1D"
    assert task_spec(by_name["comp-square-2"])["cache"] == {"enabled": True, "key": "v1"}
    off = to_workflow(ir(src.settings), enable_caching=False)
    assert all(
        task_spec(t)["enableCaching"] is False for t in templates(off).values() if "container" in t
    )
    assert off["metadata"]["annotations"] == {"pipelines.kflow.dev/enable-caching": "false"}


def test_bad_arguments_name_the_input(ir: Callable[[Any], dict[str, Any]]) -> None:
    spec = ir(src.two_steps)
    with pytest.raises(
        ArgumentError, match=r"unknown pipeline input\(s\) y \(the pipeline takes: x\)"
    ):
        to_workflow(spec, arguments={"y": 1})
    with pytest.raises(
        ArgumentError, match=r"arguments.x: expected NUMBER_INTEGER \(int\), got str"
    ):
        to_workflow(spec, arguments={"x": "one"})
    required = ir(src.inner_pipeline)
    with pytest.raises(ArgumentError, match=r"arguments\.n: required"):
        to_workflow(required)


def test_malformed_ir_is_refused_with_its_field(ir: Callable[[Any], dict[str, Any]]) -> None:
    spec = ir(src.two_steps)
    with pytest.raises(SpecError, match=r"^schemaVersion: expected a KFP v2 pipeline spec"):
        to_workflow({**spec, "schemaVersion": "1.0"})
    broken = json.loads(json.dumps(spec))
    broken["root"]["dag"]["tasks"]["add"]["componentRef"]["name"] = "comp-missing"
    with pytest.raises(
        SpecError, match=r"^root.dag.tasks.add.componentRef.name: no component 'comp-missing'"
    ):
        to_workflow(broken)
    broken = json.loads(json.dumps(spec))
    broken["components"]["comp-add"]["inputDefinitions"]["parameters"]["a"]["parameterType"] = (
        "COMPLEX"
    )
    with pytest.raises(ArgumentError, match=r"parameterType: unknown parameterType 'COMPLEX'"):
        to_workflow(broken)
    broken = json.loads(json.dumps(spec))
    broken["deploymentSpec"]["executors"]["exec-add"] = {"customJob": {}}
    with pytest.raises(
        SpecError, match="kflow runs container and importer executors, not customJob"
    ):
        to_workflow(broken)


def test_launcher_task_is_what_the_launcher_reads(ir: Callable[[Any], dict[str, Any]]) -> None:
    from kflow.pipelines.ir import load

    pipeline = load(ir(src.two_steps))
    task = pipeline.root.tasks["add"]
    spec = launcher_task(pipeline, task, pipeline.components[task.component], "add", {})
    assert set(spec) == {"pipeline", "task", "component", "executor", "cache"}
    assert (
        spec["component"]["outputDefinitions"]["parameters"]["Output"]["parameterType"]
        == "NUMBER_INTEGER"
    )


def test_the_result_annotation_is_the_workflow_controllers() -> None:
    from kflow.api.argo.contracts import ANNOTATION_CAPTURE_RESULT
    from kflow.pipelines.contract import CAPTURE_RESULT_ANNOTATION

    assert CAPTURE_RESULT_ANNOTATION == ANNOTATION_CAPTURE_RESULT
