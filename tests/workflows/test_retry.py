"""`argo retry` on real pods: only what failed runs again, what succeeded keeps its outputs."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from kflow.api import meta as m
from kflow.api.argo.retry import retried
from kflow.api.errors import BadRequest, Conflict, NotFound
from tests.conftest import async_wait_until
from tests.workflows.harness import (
    FINISHED,
    NAMESPACE,
    WORKFLOWS,
    Plane,
    control_plane,
    runs_async,
    sh,
    show,
    workflow,
)


async def retry(plane: Plane, name: str) -> list[str]:
    """What `kflow retry` does, straight on the store."""
    body, pods = retried(plane.get(name), m.now())
    for pod in pods:
        with contextlib.suppress(NotFound):
            plane.store.delete("pods", NAMESPACE, pod, grace_period_seconds=0)

    def gone() -> bool:
        names = {m.name_of(p) for p in plane.store.list("pods", NAMESPACE).items}
        return not names & set(pods)

    await async_wait_until(gone, timeout=20)
    for _ in range(20):  # the controller may write while the pods go: read again, as kflow retry
        body, _pods = retried(plane.get(name), m.now())
        status = body.pop("status")
        try:
            written = plane.store.update(WORKFLOWS, body)
            written["status"] = status
            plane.store.update_status(WORKFLOWS, written)
            return pods
        except Conflict:
            await asyncio.sleep(0.05)
    raise AssertionError(f"workflow {name} kept changing")


async def finished(plane: Plane, name: str) -> dict[str, Any]:
    await async_wait_until(lambda: plane.phase(name) in FINISHED, timeout=60, interval=0.05)
    return plane.get(name)


@runs_async
async def test_retry_reruns_the_failed_step_and_keeps_what_succeeded(tmp_path: Path) -> None:
    ran, marker = tmp_path / "ran", tmp_path / "fixed"
    main = {
        "name": "main",
        "steps": [
            [{"name": "first", "template": "first"}],
            [{"name": "flaky", "template": "flaky"}],
            [
                {
                    "name": "after",
                    "template": "after",
                    "arguments": {
                        "parameters": [{"name": "x", "value": "{{steps.first.outputs.result}}"}]
                    },
                }
            ],
        ],
    }
    templates = [
        main,
        sh("first", f"echo first >> {ran}; echo one"),
        sh("flaky", f"echo flaky >> {ran}; test -e {marker}"),
        sh(
            "after",
            f"echo after >> {ran}; echo {{{{inputs.parameters.x}}}}",
            inputs={"parameters": [{"name": "x"}]},
        ),
        sh("bye", f"echo 'bye {{{{workflow.status}}}}' >> {ran}"),
    ]
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("again", templates, onExit="bye"))
        assert wf["status"]["phase"] == "Failed", show(wf)
        first_pod = plane.nodes("again")["first"]["id"]
        with pytest.raises(BadRequest, match="Cannot retry a workflow in phase Running"):
            retried({**wf, "status": {**wf["status"], "phase": "Running"}}, m.now())
        marker.write_text("ok")
        pods = await retry(plane, "again")
        assert len(pods) == 2  # the failed step's and the exit handler's
        wf = await finished(plane, "again")
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("again")
        assert nodes["first"]["id"] == first_pod and nodes["after"]["outputs"]["result"] == "one"
        assert ran.read_text().splitlines() == [
            "first",
            "flaky",
            "bye Failed",
            "flaky",
            "after",
            "bye Succeeded",
        ]
        with pytest.raises(BadRequest, match="phase Succeeded"):
            retried(wf, m.now())


@runs_async
async def test_retry_in_a_dag_with_loops_and_retry_nodes(tmp_path: Path) -> None:
    ran, marker = tmp_path / "ran", tmp_path / "fixed"
    dag = {
        "name": "main",
        "dag": {
            "tasks": [
                {
                    "name": "A",
                    "template": "note",
                    "arguments": {"parameters": [{"name": "x", "value": "a"}]},
                },
                {
                    "name": "B",
                    "template": "picky",
                    "dependencies": ["A"],
                    "withItems": ["1", "2"],
                    "arguments": {"parameters": [{"name": "x", "value": "{{item}}"}]},
                },
                {
                    "name": "C",
                    "template": "note",
                    "dependencies": ["B"],
                    "arguments": {"parameters": [{"name": "x", "value": "c"}]},
                },
                {
                    "name": "D",
                    "template": "fail",
                    "dependencies": ["A"],
                    "continueOn": {"failed": True},
                },
                {
                    "name": "E",
                    "template": "note",
                    "dependencies": ["D"],
                    "arguments": {"parameters": [{"name": "x", "value": "e"}]},
                },
            ]
        },
    }
    inputs = {"parameters": [{"name": "x"}]}
    templates = [
        dag,
        sh("note", f"echo {{{{inputs.parameters.x}}}} >> {ran}", inputs=inputs),
        sh(
            "picky",
            f"echo b{{{{inputs.parameters.x}}}} >> {ran}; "
            f"test {{{{inputs.parameters.x}}}} = 1 || test -e {marker}",
            inputs=inputs,
            retryStrategy={"limit": 1},
        ),
        sh("fail", "exit 3"),
    ]
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("dagged", templates))
        assert wf["status"]["phase"] == "Failed", show(wf)
        assert plane.nodes("dagged")["C"]["phase"] == "Omitted", show(wf)
        marker.write_text("ok")
        await retry(plane, "dagged")
        wf = await finished(plane, "dagged")
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        lines = ran.read_text().splitlines()
        assert sorted(lines) == ["a", "b1", "b2", "b2", "b2", "c", "e"], lines
        nodes = plane.nodes("dagged")
        assert nodes["D"]["phase"] == "Failed"  # failed with continueOn: kept, not rerun
        assert nodes["B(1:2)"]["phase"] == "Succeeded", show(wf)
