"""Retries, exit handlers, deadlines and parallelism, on real pods."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from kflow.api import meta as m
from tests.conftest import async_wait_until
from tests.workflows.harness import control_plane, runs_async, sh, show, workflow


@runs_async
async def test_retries_until_an_attempt_succeeds(tmp_path: Path) -> None:
    flaky = sh("flaky", "echo try {{retries}}; test {{retries}} -ge 2", retryStrategy={"limit": 3})
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("flaky", [flaky]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = plane.nodes("flaky")
        retry = nodes["flaky"]
        assert retry["type"] == "Retry"
        attempts = [wf["status"]["nodes"][i] for i in retry["children"]]
        assert [a["displayName"] for a in attempts] == ["flaky(0)", "flaky(1)", "flaky(2)"]
        assert [a["phase"] for a in attempts] == ["Failed", "Failed", "Succeeded"]
        assert retry["outputs"]["result"] == "try 2"
        pods = sorted(p["metadata"]["name"] for p in plane.store.list("pods", "default").items)
        assert len(pods) == 3 and all(p.startswith("flaky-flaky-") for p in pods)


@runs_async
async def test_no_more_retries_left_and_backoff(tmp_path: Path) -> None:
    strategy = {"limit": "2", "retryPolicy": "Always", "backoff": {"duration": "1", "factor": 2}}
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("hopeless", [sh("fail", "exit 1", retryStrategy=strategy)]))
        status = wf["status"]
        retry = status["nodes"]["hopeless"]
        assert retry["phase"] == "Failed"
        assert retry["message"] == "No more retries left"
        assert len(retry["children"]) == 3
        attempts = [status["nodes"][i] for i in retry["children"]]
        gaps = [
            (m.parse_timestamp(b["startedAt"]) - m.parse_timestamp(a["finishedAt"])).total_seconds()
            for a, b in itertools.pairwise(attempts)
        ]
        assert gaps[0] >= 1 and gaps[1] >= 2, gaps  # 1s, then 1s * 2
        assert status["phase"] == "Failed"
        assert status["message"] == "No more retries left"


@runs_async
async def test_the_exit_handler_sees_the_workflow_s_status(tmp_path: Path) -> None:
    main = {"name": "main", "steps": [[{"name": "boom", "template": "boom"}]]}
    exit_ = sh("exit-handler", "echo status={{workflow.status}}; echo '{{workflow.failures}}'")
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(
            workflow("exiting", [main, sh("boom", "exit 5"), exit_], onExit="exit-handler")
        )
        handler = next(n for n in wf["status"]["nodes"].values() if n["name"] == "exiting.onExit")
        assert handler["phase"] == "Succeeded", show(wf)
        first, failures = handler["outputs"]["result"].split("\n", 1)
        assert first == "status=Failed"
        assert '"displayName":"boom"' in failures and '"message":"Error (exit code 5)"' in failures
        assert wf["status"]["phase"] == "Failed"
        assert handler["displayName"] == "exiting.onExit"


@runs_async
async def test_a_step_s_exit_hook_runs_after_it(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "dag": {
            "tasks": [
                {
                    "name": "work",
                    "template": "work",
                    "hooks": {
                        "exit": {
                            "template": "report",
                            "arguments": {
                                "parameters": [{"name": "was", "value": "{{tasks.work.status}}"}]
                            },
                        }
                    },
                },
                {"name": "next", "template": "work", "dependencies": ["work"]},
            ]
        },
    }
    report = sh(
        "report", "echo {{inputs.parameters.was}}", inputs={"parameters": [{"name": "was"}]}
    )
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("hooked", [main, sh("work", "echo w"), report]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        nodes = {n["name"]: n for n in wf["status"]["nodes"].values()}
        hook = nodes["hooked.work.onExit"]
        assert hook["outputs"]["result"] == "Succeeded"
        assert m.parse_timestamp(nodes["hooked.next"]["startedAt"]) >= m.parse_timestamp(
            hook["startedAt"]
        )


@runs_async
async def test_a_workflow_deadline_stops_what_runs(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "steps": [[{"name": "slow", "template": "slow"}], [{"name": "later", "template": "slow"}]],
    }
    async with control_plane(tmp_path) as plane:
        slow = sh("slow", "echo begun; sleep 30")
        wf = await plane.run(workflow("late", [main, slow], activeDeadlineSeconds=3), timeout=30)
        status = wf["status"]
        nodes = plane.nodes("late")
        assert nodes["slow"]["phase"] == "Failed"
        assert nodes["slow"]["message"] == "Step exceeded its deadline"
        assert "later" not in nodes
        assert status["phase"] == "Failed"
        took = m.parse_timestamp(status["finishedAt"]) - m.parse_timestamp(status["startedAt"])
        assert took < dt.timedelta(seconds=10)
        # the step's log is kept although its pod is gone
        (logs,) = nodes["slow"].get("outputs", {}).get("artifacts") or [show(wf)]
        assert logs["name"] == "main-logs"
        assert plane.controller.artifacts.read_bytes(logs["kflow"]["key"]) == b"begun\n"
        # stopped: its pod goes (deletion waits for the processes to end)
        await async_wait_until(lambda: not plane.store.list("pods", "default").items, timeout=20)


@runs_async
async def test_a_template_timeout_fails_its_pod(tmp_path: Path) -> None:
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(
            workflow("timeout", [sh("slow", "sleep 30", activeDeadlineSeconds=1)]), timeout=30
        )
        node = wf["status"]["nodes"]["timeout"]
        assert node["phase"] == "Failed"
        assert node["message"] == "Pod was active on the node longer than the specified deadline"


@runs_async
async def test_parallelism_limits_pods_at_once(tmp_path: Path) -> None:
    main = {
        "name": "main",
        "parallelism": 2,
        "steps": [[{"name": "nap", "template": "nap", "withItems": [1, 2, 3, 4]}]],
    }
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("limited", [main, sh("nap", "sleep 0.3")]))
        assert wf["status"]["phase"] == "Succeeded", show(wf)
        pods = [n for n in wf["status"]["nodes"].values() if n["type"] == "Pod"]
        assert len(pods) == 4
        events = sorted(
            [(m.parse_timestamp(p["startedAt"]), 1) for p in pods]
            + [(m.parse_timestamp(p["finishedAt"]), -1) for p in pods]
        )
        running = peak = 0
        for _, delta in events:
            running += delta
            peak = max(peak, running)
        assert peak <= 2


@runs_async
async def test_a_retry_expression_decides_whether_to_go_on(tmp_path: Path) -> None:
    strategy = {"limit": 5, "expression": "asInt(lastRetry.exitCode) == 2"}
    fails = sh("fails", "exit $(( {{retries}} + 2 ))", retryStrategy=strategy)
    async with control_plane(tmp_path) as plane:
        wf = await plane.run(workflow("judged", [fails]))
        retry = wf["status"]["nodes"]["judged"]
        assert len(retry["children"]) == 2  # exit 2: retried; exit 3: no more
        assert retry["message"] == "retryStrategy.expression evaluated to false"
        assert wf["status"]["phase"] == "Failed"


@runs_async
async def test_shutdown_stops_what_runs_and_stop_still_runs_the_exit_handler(
    tmp_path: Path,
) -> None:
    main = {"name": "main", "steps": [[{"name": "slow", "template": "slow"}]]}
    templates = [main, sh("slow", "echo begun; sleep 30"), sh("bye", "echo bye")]
    async with control_plane(tmp_path) as plane:
        for strategy, handler_runs in (("Terminate", False), ("Stop", True)):
            name = strategy.lower()
            plane.submit(workflow(name, templates, onExit="bye"))
            await async_wait_until(
                lambda n=name: plane.nodes(n).get("slow", {}).get("phase") == "Running", timeout=20
            )
            body = plane.get(name)
            body["spec"]["shutdown"] = strategy
            plane.store.update("workflows.argoproj.io", body)
            await async_wait_until(lambda n=name: plane.phase(n) in ("Failed", "Error"), timeout=30)
            wf = plane.get(name)
            assert wf["status"]["message"] == f"Stopped with strategy '{strategy}'", show(wf)
            assert plane.nodes(name)["slow"]["message"] == f"Stopped with strategy '{strategy}'"
            handlers = [n for n in wf["status"]["nodes"].values() if n["name"] == f"{name}.onExit"]
            assert bool(handlers) == handler_runs
