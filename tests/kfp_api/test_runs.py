"""Runs of Argo YAML packages through the real `kfp.Client`, executed by kflow's
workflow controller as local processes: parameters, states and task details,
failure and KFP's retry (only the failed task runs again), terminate, list
filters/sorting/paging, archive, delete; experiments and their archive rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kfp_server_api
import pytest

from kflow.api.argo import contracts as c
from kflow.sdk import Client
from tests.conftest import wait_until
from tests.kfp_api.conftest import argo_workflow, python_step, unique

pytestmark = pytest.mark.slow

FINAL = ("SUCCEEDED", "FAILED", "CANCELED", "SKIPPED")


def echo_workflow() -> dict[str, Any]:
    return argo_workflow(
        "echo",
        [
            {
                "name": "main",
                "inputs": {"parameters": [{"name": "message"}, {"name": "count"}]},
                "container": python_step(
                    "print('{{inputs.parameters.message}}' * int('{{inputs.parameters.count}}'))"
                ),
            }
        ],
        arguments={
            "parameters": [{"name": "message", "value": "hi"}, {"name": "count", "value": "1"}]
        },
    )


def upload(kfp: Any, path: str, name: str) -> tuple[str, str]:
    pipeline = kfp.upload_pipeline(path, pipeline_name=name)
    [version] = kfp.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions
    return pipeline.pipeline_id, version.pipeline_version_id


def finished(kfp: Any, run_id: str, timeout: float = 60) -> Any:
    return wait_until(lambda: (r := kfp.get_run(run_id)).state in FINAL and r, timeout=timeout)


def test_an_argo_run_succeeds_with_its_parameters_and_task_details(
    kfp: Any, objects: Client, package: Callable[..., str]
) -> None:
    pipeline_id, version_id = upload(kfp, package(echo_workflow()), unique("echo"))
    experiment = kfp.create_experiment(unique("exp"), description="runs of echo")
    run = kfp.run_pipeline(
        experiment.experiment_id,
        "echo-run",
        pipeline_id=pipeline_id,
        version_id=version_id,
        params={"message": "ab", "count": 3},
    )
    assert run.state == "PENDING" and run.experiment_id == experiment.experiment_id
    assert run.pipeline_version_reference.pipeline_version_id == version_id
    done = kfp.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
    assert done.state == "SUCCEEDED"
    assert done.finished_at >= done.created_at
    assert done.state_history[0].state == "PENDING"
    assert done.state_history[-1].state == "SUCCEEDED"
    [task] = done.run_details.task_details
    assert task.state == "SUCCEEDED" and task.pod_name
    wf = objects.list(c.WORKFLOWS, labels=f"pipeline/runid={run.run_id}").items[0]
    assert {p["name"]: p["value"] for p in wf["spec"]["arguments"]["parameters"]} == {
        "message": "ab",
        "count": "3",
    }
    log = "".join(objects.logs(task.pod_name, "main"))
    assert "ababab" in log
    assert kfp.get_experiment(experiment.experiment_id).last_run_created_at >= run.created_at


def test_a_failed_run_retries_only_its_failed_task(
    kfp: Any, package: Callable[..., str], tmp_path: Path
) -> None:
    ran, marker = tmp_path / "ran.txt", tmp_path / "fixed"
    first = python_step(f"open({str(ran)!r}, 'a').write('first\\n')")
    flaky = python_step(f"import os, sys; sys.exit(0 if os.path.exists({str(marker)!r}) else 3)")
    workflow = argo_workflow(
        "flaky",
        [
            {
                "name": "main",
                "dag": {
                    "tasks": [
                        {"name": "first", "template": "first"},
                        {"name": "second", "template": "flaky", "dependencies": ["first"]},
                    ]
                },
            },
            {"name": "first", "container": first},
            {"name": "flaky", "container": flaky},
        ],
    )
    pipeline_id, version_id = upload(kfp, package(workflow), unique("flaky"))
    run = kfp.run_pipeline(
        kfp.create_experiment(unique("retry")).experiment_id,
        "flaky-run",
        pipeline_id=pipeline_id,
        version_id=version_id,
    )
    failed = finished(kfp, run.run_id)
    assert failed.state == "FAILED"
    states = {t.display_name: t.state for t in failed.run_details.task_details}
    assert states["first"] == "SUCCEEDED" and states["second"] == "FAILED"
    marker.write_text("ok")
    kfp.runs.run_service_retry_run(run.run_id)
    assert kfp.get_run(run.run_id).state in ("RUNNING", "SUCCEEDED")
    retried = finished(kfp, run.run_id)
    assert retried.state == "SUCCEEDED"
    assert ran.read_text() == "first\n"  # the task that had succeeded did not run again
    with pytest.raises(kfp_server_api.ApiException) as again:
        kfp.runs.run_service_retry_run(run.run_id)
    assert again.value.status == 400 and "must be Failed/Error to retry" in again.value.body


def test_terminate_cancels_a_running_run_and_retry_restarts_it(
    kfp: Any, objects: Client, package: Callable[..., str], tmp_path: Path
) -> None:
    awake = tmp_path / "awake"
    nap = f"import os, time; time.sleep(0 if os.path.exists({str(awake)!r}) else 120)"
    workflow = argo_workflow("sleepy", [{"name": "main", "container": python_step(nap)}])
    pipeline_id, version_id = upload(kfp, package(workflow), unique("sleepy"))
    run = kfp.run_pipeline(
        kfp.create_experiment(unique("term")).experiment_id,
        "sleepy-run",
        pipeline_id=pipeline_id,
        version_id=version_id,
    )
    wait_until(lambda: kfp.get_run(run.run_id).state == "RUNNING", timeout=60)
    kfp.terminate_run(run.run_id)
    assert kfp.get_run(run.run_id).state in ("CANCELING", "CANCELED")
    wf = objects.list(c.WORKFLOWS, labels=f"pipeline/runid={run.run_id}").items[0]
    assert wf["spec"]["shutdown"] == "Terminate"
    canceled = finished(kfp, run.run_id)
    assert canceled.state == "CANCELED"
    assert [h.state for h in canceled.state_history][-2:] == ["CANCELING", "CANCELED"]
    with pytest.raises(kfp_server_api.ApiException) as done:
        kfp.terminate_run(run.run_id)
    assert done.value.status == 400
    awake.write_text("")
    kfp.runs.run_service_retry_run(run.run_id)
    assert finished(kfp, run.run_id).state == "SUCCEEDED"
    wf = objects.list(c.WORKFLOWS, labels=f"pipeline/runid={run.run_id}").items[0]
    assert "shutdown" not in wf["spec"]


def test_list_runs_filters_sorts_pages_archives_and_deletes(
    kfp: Any, objects: Client, package: Callable[..., str]
) -> None:
    pipeline_id, version_id = upload(kfp, package(echo_workflow()), unique("many"))
    experiment = kfp.create_experiment(unique("many"))
    runs = [
        kfp.run_pipeline(
            experiment.experiment_id,
            f"run-{i}",
            pipeline_id=pipeline_id,
            version_id=version_id,
            params={"message": str(i), "count": 1},
        )
        for i in range(4)
    ]
    listed = kfp.list_runs(experiment_id=experiment.experiment_id, sort_by="name desc")
    assert [r.display_name for r in listed.runs] == ["run-3", "run-2", "run-1", "run-0"]
    page = kfp.list_runs(experiment_id=experiment.experiment_id, page_size=3)
    assert len(page.runs) == 3 and page.total_size == 4 and page.next_page_token
    rest = kfp.list_runs(experiment_id=experiment.experiment_id, page_token=page.next_page_token)
    assert {r.run_id for r in page.runs + rest.runs} == {r.run_id for r in runs}
    named = json.dumps(
        {"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": "run-2"}]}
    )
    assert [
        r.run_id for r in kfp.list_runs(experiment_id=experiment.experiment_id, filter=named).runs
    ] == [runs[2].run_id]
    for run in runs:
        kfp.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
    succeeded = json.dumps(
        {"predicates": [{"key": "state", "operation": "EQUALS", "string_value": "SUCCEEDED"}]}
    )
    assert kfp.list_runs(experiment_id=experiment.experiment_id, filter=succeeded).total_size == 4

    kfp.archive_run(runs[0].run_id)
    archived = json.dumps(
        {
            "predicates": [
                {"key": "storage_state", "operation": "EQUALS", "string_value": "ARCHIVED"}
            ]
        }
    )
    assert [
        r.run_id
        for r in kfp.list_runs(experiment_id=experiment.experiment_id, filter=archived).runs
    ] == [runs[0].run_id]
    kfp.unarchive_run(runs[0].run_id)
    assert kfp.get_run(runs[0].run_id).storage_state == "AVAILABLE"

    kfp.delete_run(runs[1].run_id)
    with pytest.raises(kfp_server_api.ApiException) as gone:
        kfp.get_run(runs[1].run_id)
    assert gone.value.status == 404
    assert objects.list(c.WORKFLOWS, labels=f"pipeline/runid={runs[1].run_id}").items == []


def test_experiments_archive_their_runs_and_the_default_one_stays(
    kfp: Any, package: Callable[..., str]
) -> None:
    default = kfp.get_experiment(experiment_name="Default")
    assert default.description.startswith("All runs created without specifying an experiment")
    name = unique("exp")
    experiment = kfp.create_experiment(name)
    assert (
        kfp.create_experiment(name).experiment_id == experiment.experiment_id
    )  # by name, as kfp does
    assert kfp.get_experiment(experiment_name=name).experiment_id == experiment.experiment_id
    listed = kfp.list_experiments(page_size=200, sort_by="created_at desc")
    assert experiment.experiment_id in [e.experiment_id for e in listed.experiments]

    pipeline_id, version_id = upload(kfp, package(echo_workflow()), unique("arch"))
    run = kfp.run_pipeline(
        experiment.experiment_id, "r", pipeline_id=pipeline_id, version_id=version_id
    )
    kfp.archive_experiment(experiment.experiment_id)
    assert kfp.get_experiment(experiment.experiment_id).storage_state == "ARCHIVED"
    assert kfp.get_run(run.run_id).storage_state == "ARCHIVED"
    with pytest.raises(kfp_server_api.ApiException) as blocked:
        kfp.unarchive_run(run.run_id)
    assert blocked.value.status == 400 and "must be un-archived first" in blocked.value.body
    with pytest.raises(kfp_server_api.ApiException) as no_runs:
        kfp.run_pipeline(
            experiment.experiment_id, "r2", pipeline_id=pipeline_id, version_id=version_id
        )
    assert no_runs.value.status == 400
    kfp.unarchive_experiment(experiment.experiment_id)
    kfp.unarchive_run(run.run_id)
    assert kfp.get_run(run.run_id).storage_state == "AVAILABLE"
    kfp.delete_experiment(experiment.experiment_id)
    with pytest.raises(kfp_server_api.ApiException) as gone:
        kfp.get_experiment(experiment.experiment_id)
    assert gone.value.status == 404
    with pytest.raises(kfp_server_api.ApiException) as kept:
        kfp.delete_experiment(default.experiment_id)
    assert kept.value.status == 400 and "default experiment cannot be deleted" in kept.value.body


def test_run_errors_name_the_problem(kfp: Any, package: Callable[..., str]) -> None:
    pipeline_id, version_id = upload(kfp, package(echo_workflow()), unique("errs"))
    experiment_id = kfp.create_experiment(unique("errs")).experiment_id
    with pytest.raises(kfp_server_api.ApiException) as unknown:
        kfp.run_pipeline(
            experiment_id, "r", pipeline_id=pipeline_id, version_id=version_id, params={"nope": 1}
        )
    body = json.loads(unknown.value.body)
    assert unknown.value.status == 400 and body["code"] == 3
    assert "Unrecognized input parameter: nope" in body["message"]
    assert body["details"][0]["@type"] == "type.googleapis.com/api.Error"
    with pytest.raises(kfp_server_api.ApiException) as missing:
        kfp.get_run("no-such-run")
    assert missing.value.status == 404 and json.loads(missing.value.body)["code"] == 5
