"""KFP v2 pipelines, written with today's `kfp` DSL, run through the real `kfp.Client`:
`create_run_from_pipeline_func`, `create_run_from_pipeline_package` and `run_pipeline`
of an uploaded IR version, translated by `kflow.pipelines` and run by the workflow
controller, with a recurring run of an IR pipeline for good measure."""

# no `from __future__ import annotations`: kfp reads the components' annotations as types

import json
from pathlib import Path
from typing import Any

import kfp_server_api
import pytest
from kfp import compiler, dsl

from tests.conftest import wait_until
from tests.kfp_api.conftest import unique

pytestmark = pytest.mark.slow


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image="python:3.11")
def check(value: int, expected: int) -> str:
    if value != expected:
        raise ValueError(f"{value} != {expected}")
    return "ok"


@dsl.pipeline(name="sum-check")
def sum_check(x: int = 1, y: int = 2, expected: int = 3) -> None:
    total = add(a=x, b=y)
    check(value=total.output, expected=expected)


def task_states(run: Any) -> dict[str, str]:
    return {t.display_name: t.state for t in run.run_details.task_details}


def test_create_run_from_pipeline_func_runs_the_ir(kfp: Any) -> None:
    result = kfp.create_run_from_pipeline_func(
        sum_check, arguments={"x": 20, "y": 22, "expected": 42}, experiment_name=unique("v2")
    )
    done = result.wait_for_run_completion(timeout=120)
    assert done.state == "SUCCEEDED", task_states(done)
    assert done.pipeline_spec["pipelineInfo"]["name"] == "sum-check"
    assert done.runtime_config.parameters == {"x": 20, "y": 22, "expected": 42}
    states = task_states(done)
    assert states.get("add") == "SUCCEEDED" and states.get("check") == "SUCCEEDED"


def test_a_failing_ir_run_fails_and_a_package_run_succeeds(kfp: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "sum_check.yaml")
    compiler.Compiler().compile(sum_check, path)
    bad = kfp.create_run_from_pipeline_package(
        path, arguments={"expected": 4}, run_name="wrong-sum"
    )
    failed = bad.wait_for_run_completion(timeout=120)
    assert failed.state == "FAILED"
    assert task_states(failed).get("check") == "FAILED"

    pipeline = kfp.upload_pipeline(path, pipeline_name=unique("sum-check"))
    version_id = (
        kfp.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0].pipeline_version_id
    )
    experiment_id = kfp.create_experiment(unique("v2")).experiment_id
    run = kfp.run_pipeline(
        experiment_id, "from-version", pipeline_id=pipeline.pipeline_id, version_id=version_id
    )
    assert (
        kfp.wait_for_run_completion(run.run_id, timeout=120, sleep_duration=0.2).state
        == "SUCCEEDED"
    )

    with pytest.raises(kfp_server_api.ApiException) as wrong_type:
        kfp.run_pipeline(
            experiment_id,
            "typo",
            pipeline_id=pipeline.pipeline_id,
            version_id=version_id,
            params={"x": "one"},
        )
    assert wrong_type.value.status == 400
    assert "arguments.x" in json.loads(wrong_type.value.body)["message"]


def test_a_recurring_run_of_an_ir_pipeline(kfp: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "sum_check.yaml")
    compiler.Compiler().compile(sum_check, path)
    pipeline = kfp.upload_pipeline(path, pipeline_name=unique("sum-every"))
    experiment_id = kfp.create_experiment(unique("v2-every")).experiment_id
    recurring = kfp.create_recurring_run(
        experiment_id,
        "sums",
        interval_second=1,
        max_concurrency=1,
        no_catchup=True,
        pipeline_id=pipeline.pipeline_id,
        version_id=kfp.list_pipeline_versions(pipeline.pipeline_id)
        .pipeline_versions[0]
        .pipeline_version_id,
        params={"x": 5, "y": 5, "expected": 10},
    )
    runs = wait_until(lambda: kfp.list_runs(experiment_id=experiment_id).runs, timeout=60)
    kfp.disable_recurring_run(recurring.recurring_run_id)
    done = kfp.wait_for_run_completion(runs[0].run_id, timeout=120, sleep_duration=0.2)
    assert done.state == "SUCCEEDED" and done.recurring_run_id == recurring.recurring_run_id
