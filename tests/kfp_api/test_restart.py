"""KFP's records live in kflow's database: after `kflow up` stops and starts again on
the same data directory, pipelines, versions, experiments, runs (with their final
state and task details) and recurring runs are all there, and a recurring run goes
on from where it was, never starting a scheduled time twice."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import wait_until
from tests.kfp_api.conftest import argo_workflow, kfp_client, python_step
from tests.training.conftest import Up

pytestmark = pytest.mark.slow


def indexes(kfp: Any, experiment_id: str) -> list[int]:
    runs = kfp.list_runs(experiment_id=experiment_id, page_size=200).runs or []
    return sorted(
        int(re.match(r"ticker-(\d+)-", r.display_name).group(1)) for r in runs if r.recurring_run_id
    )


def test_records_survive_a_restart(tmp_path: Path, package: Callable[..., str]) -> None:
    home = tmp_path / "home"
    workflow = argo_workflow("kept", [{"name": "main", "container": python_step("print('kept')")}])
    up = Up(home)
    try:
        kfp = kfp_client(up)
        pipeline = kfp.upload_pipeline(package(workflow), pipeline_name="kept")
        version = kfp.upload_pipeline_version(
            package(workflow), "second", pipeline_id=pipeline.pipeline_id
        )
        experiment = kfp.create_experiment("kept-experiment", description="before the restart")
        run = kfp.run_pipeline(
            experiment.experiment_id,
            "kept-run",
            pipeline_id=pipeline.pipeline_id,
            version_id=version.pipeline_version_id,
        )
        kfp.wait_for_run_completion(run.run_id, timeout=60, sleep_duration=0.2)
        ticker = kfp.create_recurring_run(
            experiment.experiment_id,
            "ticker",
            interval_second=1,
            max_concurrency=1,
            pipeline_id=pipeline.pipeline_id,
            version_id=version.pipeline_version_id,
        )
        wait_until(lambda: len(indexes(kfp, experiment.experiment_id)) >= 2, timeout=60)
    finally:
        up.stop()
    up = Up(home)
    try:
        kfp = kfp_client(up)
        assert kfp.get_pipeline(pipeline.pipeline_id).name == "kept"
        versions = kfp.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions
        assert sorted(v.name for v in versions) == ["kept", "second"]
        assert (
            kfp.get_experiment(experiment_name="kept-experiment").description
            == "before the restart"
        )
        kept = kfp.get_run(run.run_id)
        assert kept.state == "SUCCEEDED" and kept.run_details.task_details[0].state == "SUCCEEDED"
        assert kfp.get_recurring_run(ticker.recurring_run_id).status == "ENABLED"
        first = indexes(kfp, experiment.experiment_id)
        wait_until(lambda: len(indexes(kfp, experiment.experiment_id)) > len(first), timeout=60)
        kfp.disable_recurring_run(ticker.recurring_run_id)
        after = indexes(kfp, experiment.experiment_id)
        assert after == list(range(1, len(after) + 1))  # no index twice, none skipped
        assert kfp.get_experiment(experiment_name="Default").display_name == "Default"
    finally:
        up.stop()
