"""CronWorkflows: runs at schedule times, concurrency policies, suspend, history limits.

The cron controller's clock is steered (a minute passes in an instant) and the
CronWorkflow is touched to make it look again; the runs themselves are real pods.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kflow.api import meta as m
from kflow.api.admission import admit
from kflow.api.argo.schedule import next_after
from kflow.api.kinds import registry
from tests.conftest import async_wait_until
from tests.workflows.harness import NAMESPACE, Plane, control_plane, runs_async, sh

CRON = "cronworkflows.argoproj.io"


class Clock:
    """Real time shifted to one second before the next minute, then moved by hand."""

    def __init__(self) -> None:
        real = m.now()
        boundary = real.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        self.shift = boundary - dt.timedelta(seconds=1) - real
        if self.shift < dt.timedelta(0):
            self.shift += dt.timedelta(minutes=1)

    def now(self) -> dt.datetime:
        return m.now() + self.shift

    def advance(self, minutes: int = 1) -> None:
        self.shift += dt.timedelta(minutes=minutes)


def cron(name: str, script: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "CronWorkflow",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "schedule": "* * * * *",
            "workflowSpec": {"entrypoint": "main", "templates": [sh("main", script)]},
            "workflowMetadata": {"labels": {"team": "a"}},
            **spec,
        },
    }


def create(plane: Plane, body: dict[str, Any]) -> None:
    info = registry.by_resource(CRON)
    plane.store.create(CRON, admit(info, body, None, operation="CREATE", version="v1alpha1"))


def change(plane: Plane, name: str, **spec: Any) -> None:
    """Edit the spec (or just touch the object), so the controller looks again."""
    body = plane.store.get(CRON, NAMESPACE, name)
    body["spec"].update(spec)
    m.meta(body).setdefault("annotations", {})["touched"] = str(m.now().timestamp())
    plane.store.update(CRON, body)


def runs(plane: Plane, name: str) -> list[dict[str, Any]]:
    items = plane.store.list("workflows.argoproj.io", NAMESPACE).items
    return sorted(
        (w for w in items if m.labels_of(w).get("workflows.argoproj.io/cron-workflow") == name),
        key=lambda w: m.name_of(w),
    )


def phases(plane: Plane, name: str) -> list[str]:
    return [str((w.get("status") or {}).get("phase")) for w in runs(plane, name)]


@runs_async
async def test_runs_start_on_schedule_and_policies_apply(tmp_path: Path) -> None:
    clock = Clock()
    async with control_plane(tmp_path, now=clock.now) as plane:
        create(plane, cron("nightly", "sleep 30", concurrencyPolicy="Forbid"))
        await async_wait_until(lambda: phases(plane, "nightly") == ["Running"], timeout=20)
        (first,) = runs(plane, "nightly")
        when = m.parse_timestamp(
            m.meta(first)["annotations"]["workflows.argoproj.io/scheduled-time"]
        )
        assert m.name_of(first) == f"nightly-{int(when.timestamp())}"
        assert m.labels_of(first)["team"] == "a"
        status = plane.store.get(CRON, NAMESPACE, "nightly")["status"]
        assert status["lastScheduledTime"] == m.timestamp(when)
        assert [a["name"] for a in status["active"]] == [m.name_of(first)]

        clock.advance()  # Forbid: the next run is skipped while the first runs
        change(plane, "nightly")
        await async_wait_until(
            lambda: (
                plane.store.get(CRON, NAMESPACE, "nightly")["status"]["lastScheduledTime"]
                != m.timestamp(when)
            )
        )
        assert [m.name_of(w) for w in runs(plane, "nightly")] == [m.name_of(first)]

        clock.advance()  # Replace: the running one goes, a new one starts
        change(plane, "nightly", concurrencyPolicy="Replace")
        await async_wait_until(
            lambda: [m.name_of(w) for w in runs(plane, "nightly")] not in ([], [m.name_of(first)])
        )
        await async_wait_until(
            lambda: m.name_of(first) not in [m.name_of(w) for w in runs(plane, "nightly")],
            timeout=20,
        )

        clock.advance()  # suspended: nothing starts
        change(plane, "nightly", suspend=True)
        await async_wait_until(
            lambda: plane.store.get(CRON, NAMESPACE, "nightly")["status"].get("phase") == "Stopped"
        )
        assert len(runs(plane, "nightly")) == 1


@runs_async
async def test_history_limits_keep_the_latest_runs(tmp_path: Path) -> None:
    clock = Clock()
    async with control_plane(tmp_path, now=clock.now) as plane:
        create(plane, cron("tidy", "true", successfulJobsHistoryLimit=1))
        for count in (1, 2, 3):
            await async_wait_until(lambda n=count: succeeded(plane, "tidy") == n, timeout=20)
            clock.advance()
            change(plane, "tidy")
        assert len(runs(plane, "tidy")) == 1
        assert phases(plane, "tidy") == ["Succeeded"]


def succeeded(plane: Plane, name: str) -> int:
    return int(plane.store.get(CRON, NAMESPACE, name).get("status", {}).get("succeeded") or 0)


def test_schedules_are_read_in_their_time_zone() -> None:
    winter = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
    spec = {"schedule": "0 9 * * *", "timezone": "America/New_York"}
    assert next_after(spec, winter) == dt.datetime(2024, 1, 15, 14, 0, tzinfo=dt.timezone.utc)
    assert next_after({"schedule": "0 9 * * *"}, winter) == dt.datetime(
        2024, 1, 16, 9, 0, tzinfo=dt.timezone.utc
    )
    assert next_after({"schedules": ["0 9 * * *", "30 12 * * *"]}, winter) == dt.datetime(
        2024, 1, 15, 12, 30, tzinfo=dt.timezone.utc
    )
