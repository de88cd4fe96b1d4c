"""The recurring-run scheduler, driven by a clock the test moves: periodic and cron
triggers with and without catch-up, max_concurrency, enable/disable, start and end
times, KFP's macros in the runs it starts, and a trigger that cannot start a run.

The workflows are not executed here (no controller runs): a test finishes a run by
writing its workflow's phase, as the workflow controller would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kflow.api import argo  # noqa: F401  (registers the Workflow kind)
from kflow.api.argo import contracts as c
from kflow.api.kfp import times
from kflow.api.kfp.packages import read_package
from kflow.server.kfp.backend import KfpBackend
from kflow.server.kfp.platform import KfpPlatform
from kflow.store.kfp_records import RecordKind
from kflow.store.memory import MemoryStore
from kflow.store.memory_kfp_records import MemoryKfpRecords

T0 = 1_800_000_000  # 2027-01-15T08:00:00Z
WORKFLOW = b"""
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: nightly-}
spec:
  entrypoint: main
  arguments:
    parameters: [{name: day, value: none}, {name: n, value: "0"}]
  templates:
  - name: main
    container: {image: python, command: [python, -c, "print(1)"]}
"""


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return float(self.now)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def kfp(clock: Clock) -> Iterator[KfpPlatform]:
    store = MemoryStore()
    store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kubeflow"}}
    )
    platform = KfpPlatform(KfpBackend(store, MemoryKfpRecords(), clock=clock))
    platform.experiments.default()
    yield platform
    store.close()


def pipeline(kfp: KfpPlatform, name: str) -> dict[str, Any]:
    package = read_package("w.yaml", WORKFLOW)
    _, version = kfp.catalog.create_pipeline_and_version(package, name=name)
    return {
        "pipeline_id": version["pipeline_id"],
        "pipeline_version_id": version["pipeline_version_id"],
    }


def recurring(kfp: KfpPlatform, trigger: dict[str, Any], **fields: Any) -> dict[str, Any]:
    name = fields.pop("display_name", "nightly")
    body = {
        "display_name": name,
        "pipeline_version_reference": pipeline(kfp, name),
        "trigger": trigger,
        "max_concurrency": fields.pop("max_concurrency", 10),
        "mode": "ENABLE",
        **fields,
    }
    return kfp.recurring.create(body)


def finish(kfp: KfpPlatform, run: dict[str, Any], phase: str = "Succeeded") -> None:
    store = kfp.backend.store
    wf = store.get(c.WORKFLOWS, run["_namespace"], run["_workflow"])
    wf["status"] = {"phase": phase, "finishedAt": times.render(kfp.backend.now())}
    store.update_status(c.WORKFLOWS, wf)


def scheduled(kfp: KfpPlatform, rec: dict[str, Any]) -> list[int]:
    runs = kfp.runs.list(experiment_id=rec["experiment_id"])
    return sorted(
        r["scheduled_at"] for r in runs if r["recurring_run_id"] == rec["recurring_run_id"]
    )


def test_periodic_runs_catch_up_one_per_missed_interval(kfp: KfpPlatform, clock: Clock) -> None:
    rec = recurring(kfp, {"periodic_schedule": {"interval_second": "60"}})
    assert kfp.scheduler.tick(T0 + 59) == []
    clock.now = T0 + 60
    [first] = kfp.scheduler.tick(T0 + 60)
    assert first["scheduled_at"] == T0 + 60 and first["display_name"].startswith("nightly-1-")
    clock.now = T0 + 300  # kflow was down for four minutes: four missed times run now
    kfp.scheduler.tick(T0 + 300)
    assert scheduled(kfp, rec) == [T0 + 60 * i for i in range(1, 6)]
    assert kfp.scheduler.tick(T0 + 300) == []  # nothing runs twice


def test_no_catchup_runs_only_the_latest_missed_time(kfp: KfpPlatform) -> None:
    rec = recurring(kfp, {"periodic_schedule": {"interval_second": "60"}}, no_catchup=True)
    kfp.scheduler.tick(T0 + 60)
    kfp.scheduler.tick(T0 + 600)  # nine intervals later: one run, stamped now
    assert scheduled(kfp, rec) == [T0 + 60, T0 + 600]
    cron = recurring(
        kfp, {"cron_schedule": {"cron": "0 */10 * * * *"}}, no_catchup=True, display_name="c"
    )
    kfp.scheduler.tick(T0 + 3600 + 5)
    assert scheduled(kfp, cron) == [T0 + 3600]


def test_max_concurrency_waits_for_active_runs(kfp: KfpPlatform, clock: Clock) -> None:
    rec = recurring(kfp, {"periodic_schedule": {"interval_second": "10"}}, max_concurrency=2)
    clock.now = T0 + 100
    started = kfp.scheduler.tick(T0 + 100)
    assert len(started) == 2  # eight more are due, but two are running
    assert kfp.scheduler.tick(T0 + 100) == []
    finish(kfp, started[0])
    assert [r["scheduled_at"] for r in kfp.scheduler.tick(T0 + 100)] == [T0 + 30]
    finish(kfp, started[1], "Failed")
    assert len(kfp.scheduler.tick(T0 + 100)) == 1
    assert kfp.runs.get(started[1]["run_id"])["state"] == "FAILED"
    assert len(scheduled(kfp, rec)) == 4


def test_disabled_recurring_runs_start_nothing_until_enabled(kfp: KfpPlatform) -> None:
    rec = recurring(kfp, {"cron_schedule": {"cron": "0 0 * * * *"}}, mode="DISABLE")
    assert rec["status"] == "DISABLED"
    assert kfp.scheduler.tick(T0 + 3 * 3600) == []
    kfp.recurring.set_enabled(rec["recurring_run_id"], True)
    kfp.scheduler.tick(T0 + 3 * 3600)
    assert scheduled(kfp, rec) == [T0 + 3600, T0 + 7200, T0 + 10800]
    kfp.recurring.set_enabled(rec["recurring_run_id"], False)
    assert kfp.scheduler.tick(T0 + 9 * 3600) == []


def test_start_and_end_times_bound_the_schedule(kfp: KfpPlatform) -> None:
    trigger = {
        "periodic_schedule": {
            "interval_second": "3600",
            "start_time": times.render(T0 + 7200),
            "end_time": times.render(T0 + 5 * 3600),
        }
    }
    rec = recurring(kfp, trigger)
    kfp.scheduler.tick(T0 + 10 * 3600)
    assert scheduled(kfp, rec) == [T0 + 3 * 3600, T0 + 4 * 3600, T0 + 5 * 3600]


def test_runs_get_the_recurring_macros(kfp: KfpPlatform) -> None:
    recurring(
        kfp,
        {"periodic_schedule": {"interval_second": "86400"}},
        runtime_config={"parameters": {"day": "[[ScheduledTime.2006-01-02]]", "n": "[[Index]]"}},
    )
    kfp.scheduler.tick(T0 + 2 * 86400)
    runs = sorted(kfp.runs.list(), key=lambda r: r["scheduled_at"])
    store = kfp.backend.store
    args = [
        {
            p["name"]: p["value"]
            for p in store.get(c.WORKFLOWS, r["_namespace"], r["_workflow"])["spec"]["arguments"][
                "parameters"
            ]
        }
        for r in runs
    ]
    assert args == [{"day": "2027-01-16", "n": "1"}, {"day": "2027-01-17", "n": "2"}]
    # the run keeps the parameters as the recurring run gave them
    assert runs[0]["runtime_config"]["parameters"]["day"] == "[[ScheduledTime.2006-01-02]]"


def test_a_trigger_that_cannot_start_a_run_is_recorded_and_passed_over(kfp: KfpPlatform) -> None:
    rec = recurring(kfp, {"periodic_schedule": {"interval_second": "60"}})
    kfp.catalog.delete_pipeline(rec["pipeline_version_reference"]["pipeline_id"], cascade=True)
    assert kfp.scheduler.tick(T0 + 60) == []
    stored = kfp.recurring.get(rec["recurring_run_id"])
    assert stored["error"]["code"] == 5 and "not found" in stored["error"]["message"]
    assert stored["_last_triggered"] == T0 + 60
    assert kfp.scheduler.tick(T0 + 60) == []


def test_archiving_the_experiment_disables_its_recurring_runs(kfp: KfpPlatform) -> None:
    experiment = kfp.experiments.create({"display_name": "e"})
    rec = recurring(
        kfp,
        {"periodic_schedule": {"interval_second": "60"}},
        experiment_id=experiment["experiment_id"],
    )
    kfp.scheduler.tick(T0 + 60)
    kfp.experiments.archive(experiment["experiment_id"])
    assert kfp.recurring.get(rec["recurring_run_id"])["status"] == "DISABLED"
    assert [
        r["storage_state"] for r in kfp.runs.list(experiment_id=experiment["experiment_id"])
    ] == ["ARCHIVED"]
    assert kfp.scheduler.tick(T0 + 600) == []
    assert kfp.backend.records.list(RecordKind.RECURRING_RUN)[0]["mode"] == "DISABLE"
