"""Crash safety: a new LocalRuntime adopts what a killed kflow left running."""

from __future__ import annotations

import asyncio
import os
import pathlib
import signal
import subprocess
import sys
import uuid

import psutil
import pytest

from kflow.runtime.interface import Container
from kflow.runtime.local import LocalRuntime

from .helpers import container, phase, pod, py, read_logs, running, until

DRIVER = pathlib.Path(__file__).with_name("driver.py")


def start_and_kill_kflow(data: pathlib.Path, uid: str, marker: str, gate: pathlib.Path) -> int:
    """Run a pod from a kflow in a subprocess, `kill -9` that kflow; return the container pid."""
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(data), uid, marker, str(gate)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[:1] == ["ready"], line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert proc.stdout is not None
        proc.stdout.close()
    return int(line[1])


def adoption_inputs(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, str, str]:
    """kflow's data directory, the file whose existence ends the pod, the marker on the
    pod's command line, and the pod uid, for `start_and_kill_kflow`."""
    return tmp_path / "data", tmp_path / "gate", f"m-{uuid.uuid4().hex}", uuid.uuid4().hex


def processes_with(marker: str) -> list[int]:
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if marker in (p.info["cmdline"] or []):
            found.append(p.pid)
    return found


def test_running_pod_is_adopted_after_kill_9(tmp_path: pathlib.Path) -> None:
    data, gate, marker, uid = adoption_inputs(tmp_path)
    pid = start_and_kill_kflow(data, uid, marker, gate)
    assert processes_with(marker) == [pid]  # the pod outlived kflow

    async def main() -> None:
        async with running(data) as (rt, rec):
            assert rt.known_pods() == [uid]
            assert phase(rt, uid) == "Running"
            assert container(rt, uid)["containerID"] == f"local://{pid}"
            before = (await read_logs(rt, uid)).count(b"\n")
            await until(lambda: len(_log(rt, uid).splitlines()) > before + 3)  # the log goes on
            assert processes_with(marker) == [pid]  # adopted, not started twice
            rt.run_pod(pod(py("pass"), uid=uid))  # idempotent for an adopted pod too
            assert processes_with(marker) == [pid]
            await rt.stop_pod(uid, 5)
            assert container(rt, uid)["state"]["terminated"]["exitCode"] == 143
            assert processes_with(marker) == []
            assert uid in rec.changes

    asyncio.run(main())


def _log(rt: LocalRuntime, uid: str) -> bytes:
    return (pathlib.Path(rt._pods[uid].dir) / "logs" / "main" / "0.log").read_bytes()


def test_pod_that_ended_while_kflow_was_down_reports_its_true_exit_code(
    tmp_path: pathlib.Path,
) -> None:
    data, gate, marker, uid = adoption_inputs(tmp_path)
    pid = start_and_kill_kflow(data, uid, marker, gate)
    proc = psutil.Process(pid)
    log = data / "pods" / uid / "logs" / "main" / "0.log"

    async def main() -> None:
        await until(lambda: b"tick 0" in log.read_bytes())
        gate.touch()  # the pod ends while no kflow runs
        await until(lambda: not psutil.pid_exists(pid) or proc.status() == psutil.STATUS_ZOMBIE)
        async with running(data) as (rt, rec):
            await until(lambda: phase(rt, uid) == "Failed")
            term = container(rt, uid)["state"]["terminated"]
            assert term["exitCode"] == 7 and term["reason"] == "Error"
            assert b"tick 0\n" in await read_logs(rt, uid)
            # the killed kflow had delivered the start events: they are not repeated
            assert "Started" not in rec.reasons(uid)

    asyncio.run(main())


def test_lost_supervisor_fails_the_pod_and_kills_its_containers(tmp_path: pathlib.Path) -> None:
    marker = f"m-{uuid.uuid4().hex}"
    sleeper = Container(
        "main", "python:3.11", [sys.executable, "-c", "import time; time.sleep(60)", marker], [], {}
    )
    p = pod(sleeper)

    async def main() -> None:
        async with running(tmp_path, poll_interval=0.05) as (rt, _):
            rt.run_pod(p)
            await until(lambda: phase(rt, p.uid) == "Running")
            st = rt._pods[p.uid].record
            assert st is not None
            os.kill(st["shim"]["pid"], signal.SIGKILL)
            await until(lambda: phase(rt, p.uid) == "Failed")
            term = container(rt, p.uid)["state"]["terminated"]
            assert term["reason"] == "ContainerStatusUnknown"
            await until(lambda: processes_with(marker) == [])

    asyncio.run(main())


@pytest.mark.parametrize("runs", [20])
def test_start_latency_over_a_bare_process_start(tmp_path: pathlib.Path, runs: int) -> None:
    """apply -> Running (reported through on_change) vs. a bare Popen of the same command."""
    import time

    async def main() -> tuple[float, float]:
        loop_times: list[float] = []
        bare_times: list[float] = []
        rt = LocalRuntime(tmp_path)
        seen: dict[str, float] = {}

        def changed(uid: str) -> None:
            st = rt.pod_status(uid)
            if st and st["phase"] in ("Running", "Succeeded") and uid not in seen:
                seen[uid] = time.perf_counter()

        await rt.start(changed, lambda e: None)
        try:
            for _ in range(runs):
                p = pod(py("pass"), restart_policy="Never")
                t0 = time.perf_counter()
                rt.run_pod(p)
                await until(lambda p=p: p.uid in seen)
                loop_times.append(seen[p.uid] - t0)
                await until(lambda p=p: phase(rt, p.uid) == "Succeeded")
                t0 = time.perf_counter()
                proc = subprocess.Popen([sys.executable, "-c", "pass"])
                bare_times.append(time.perf_counter() - t0)
                proc.wait()
                rt.remove_pod(p.uid)
        finally:
            await rt.close()
        loop_times.sort()
        bare_times.sort()
        return loop_times[runs // 2], bare_times[runs // 2]

    ours, bare = asyncio.run(main())
    print(f"median apply->Running {ours * 1000:.1f} ms, bare Popen {bare * 1000:.1f} ms")
    assert ours - bare < 0.050
