"""`kubectl get wf` columns: argo list's STATUS, DURATION, P/R/C and PARAMETERS."""

from __future__ import annotations

import datetime as dt

from kflow.api import argo  # noqa: F401  (registers the kinds)
from kflow.api.argo.registration import (
    pods_pending_running_completed,
    workflow_duration,
    workflow_parameters,
    workflow_status,
)
from kflow.api.kinds import registry
from kflow.api.tables import to_table

NOW = dt.datetime(2024, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def wf(phase: str, nodes: list[dict[str, str]], **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "w", "namespace": "d", "creationTimestamp": "2024-01-01T11:58:00Z"},
        "spec": {
            "entrypoint": "main",
            "arguments": {"parameters": [{"name": "n", "value": 3}]},
            **spec,
        },
        "status": {
            "phase": phase,
            "startedAt": "2024-01-01T11:58:00Z",
            "nodes": {str(i): {"id": str(i), **n} for i, n in enumerate(nodes)},
        },
    }


def test_status_marks_suspended_and_terminated_workflows() -> None:
    suspended = wf("Running", [{"type": "Suspend", "phase": "Running"}])
    assert workflow_status(suspended) == "Running (Suspended)"
    assert workflow_status(wf("Running", [], suspend=True)) == "Running (Suspended)"
    assert workflow_status(wf("Failed", [], shutdown="Terminate")) == "Failed (Terminated)"
    assert workflow_status(wf("", [])) == "Pending"


def test_duration_pods_and_parameters() -> None:
    running = wf(
        "Running",
        [
            {"type": "Pod", "phase": "Pending"},
            {"type": "Pod", "phase": "Running"},
            {"type": "Pod", "phase": "Succeeded"},
            {"type": "Pod", "phase": "Failed"},
            {"type": "DAG", "phase": "Running"},
        ],
    )
    assert workflow_duration(running, NOW) == "2m"
    assert pods_pending_running_completed(running) == "1/1/2"
    assert workflow_parameters(running) == "n=3"


def test_the_table_has_argo_list_s_columns() -> None:
    table = to_table(registry.resolve("wf"), [wf("Succeeded", [])], wide=True)
    names = [c["name"] for c in table["columnDefinitions"]]
    assert names == [
        "NAME",
        "STATUS",
        "AGE",
        "DURATION",
        "PRIORITY",
        "MESSAGE",
        "P/R/C",
        "PARAMETERS",
    ]
    assert [c["priority"] for c in table["columnDefinitions"]][-2:] == [1, 1]
    cron = to_table(registry.resolve("cwf"), [], wide=False)
    assert [c["name"] for c in cron["columnDefinitions"]] == [
        "NAME",
        "AGE",
        "LAST RUN",
        "NEXT RUN",
        "SCHEDULE",
        "TIMEZONE",
        "SUSPENDED",
    ]
