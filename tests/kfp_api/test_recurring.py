"""Recurring runs through the real `kfp.Client` against `kflow up`: a periodic schedule
that starts runs in real time one at a time (max_concurrency 1), a cron schedule,
enable/disable, get/list/delete, and KFP's validation errors."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import kfp_server_api
import pytest

from tests.conftest import wait_until
from tests.kfp_api.conftest import argo_workflow, python_step, unique

pytestmark = pytest.mark.slow


def quick_pipeline(kfp: Any, package: Callable[..., str]) -> str:
    workflow = argo_workflow("tick", [{"name": "main", "container": python_step("print('tick')")}])
    return str(kfp.upload_pipeline(package(workflow), pipeline_name=unique("tick")).pipeline_id)


def runs_of(kfp: Any, experiment_id: str, recurring_run_id: str) -> list[Any]:
    runs = kfp.list_runs(experiment_id=experiment_id, page_size=100).runs or []
    return [r for r in runs if r.recurring_run_id == recurring_run_id]


def test_a_periodic_recurring_run_starts_runs_one_at_a_time(
    kfp: Any, package: Callable[..., str]
) -> None:
    pipeline_id = quick_pipeline(kfp, package)
    versions = kfp.list_pipeline_versions(pipeline_id).pipeline_versions
    experiment = kfp.create_experiment(unique("every"))
    recurring = kfp.create_recurring_run(
        experiment.experiment_id,
        "every-second",
        interval_second=1,
        max_concurrency=1,
        no_catchup=True,
        pipeline_id=pipeline_id,
        version_id=versions[0].pipeline_version_id,
    )
    assert (
        recurring.status == "ENABLED" and recurring.max_concurrency == "1" and recurring.no_catchup
    )
    assert recurring.trigger.periodic_schedule.interval_second == "1"
    wait_until(
        lambda: len(runs_of(kfp, experiment.experiment_id, recurring.recurring_run_id)) >= 3,
        timeout=60,
    )
    kfp.disable_recurring_run(recurring.recurring_run_id)
    assert kfp.get_recurring_run(recurring.recurring_run_id).status == "DISABLED"
    runs = runs_of(kfp, experiment.experiment_id, recurring.recurring_run_id)
    for run in runs:
        kfp.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
    # one at a time: each run was created after the previous one had finished
    ordered = sorted((kfp.get_run(r.run_id) for r in runs), key=lambda r: r.created_at)
    for earlier, later in itertools.pairwise(ordered):
        assert later.created_at >= earlier.finished_at
    names = sorted(r.display_name for r in ordered)
    assert names[0].startswith("every-second-1-")
    kfp.enable_recurring_run(recurring.recurring_run_id)
    assert kfp.get_recurring_run(recurring.recurring_run_id).status == "ENABLED"
    kfp.delete_recurring_run(recurring.recurring_run_id)
    with pytest.raises(kfp_server_api.ApiException) as gone:
        kfp.get_recurring_run(recurring.recurring_run_id)
    assert gone.value.status == 404


def test_cron_recurring_runs_are_listed_and_validated(
    kfp: Any, package: Callable[..., str]
) -> None:
    pipeline_id = quick_pipeline(kfp, package)
    version_id = kfp.list_pipeline_versions(pipeline_id).pipeline_versions[0].pipeline_version_id
    experiment = kfp.create_experiment(unique("cron"))
    nightly = kfp.create_recurring_run(
        experiment.experiment_id,
        "nightly",
        cron_expression="0 0 3 * * *",
        start_time="2030-01-01T00:00:00Z",
        pipeline_id=pipeline_id,
        version_id=version_id,
        params={},
        enabled=False,
        max_concurrency=3,
    )
    got = kfp.get_recurring_run(nightly.recurring_run_id)
    assert got.trigger.cron_schedule.cron == "0 0 3 * * *"
    assert got.trigger.cron_schedule.start_time.year == 2030
    assert (got.mode, got.status, got.max_concurrency) == ("DISABLE", "DISABLED", "3")
    listed = kfp.list_recurring_runs(experiment_id=experiment.experiment_id)
    assert [r.recurring_run_id for r in listed.recurring_runs] == [nightly.recurring_run_id]
    by_name = json.dumps(
        {"predicates": [{"key": "display_name", "operation": "EQUALS", "string_value": "nightly"}]}
    )
    assert (
        kfp.list_recurring_runs(experiment_id=experiment.experiment_id, filter=by_name).total_size
        == 1
    )

    def refused(**kwargs: Any) -> dict[str, Any]:
        with pytest.raises(kfp_server_api.ApiException) as error:
            kfp.create_recurring_run(
                experiment.experiment_id,
                "bad",
                pipeline_id=pipeline_id,
                version_id=version_id,
                **kwargs,
            )
        assert error.value.status == 400
        body: dict[str, Any] = json.loads(error.value.body)
        return body

    assert "not a supported format" in refused(cron_expression="every day")["message"]
    assert "Support 1-10. Received 11" in refused(interval_second=60, max_concurrency=11)["message"]
    kfp.delete_recurring_run(nightly.recurring_run_id)
    assert kfp.list_recurring_runs(experiment_id=experiment.experiment_id).recurring_runs is None
