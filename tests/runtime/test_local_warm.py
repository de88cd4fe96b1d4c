"""Warm commands: a pod whose container runs a configured `python -m` module starts as
a fork of a process that already imported it, and is still a pod like any other."""

from __future__ import annotations

import asyncio
import json
import os
import pathlib
import shutil
import signal
import time
from typing import Any

import psutil
import pytest

from kflow.runtime.interface import Container
from kflow.runtime.local import LocalRuntime
from kflow.runtime.warm import WarmCommand, interpreter_env, matching

from .helpers import PY, container, phase, pod, read_logs, running, until

PROBE = "tests.runtime.warm_probe"
WARM = WarmCommand(PY, PROBE, ("tests.runtime.warm_preload",))
FINAL = ("Succeeded", "Failed")


def probe(*args: str, name: str = "main", **kw: Any) -> Container:
    env = kw.pop("env", {"PROBE_VALUE": "v"})
    return Container(name, "python:3.11", [PY, "-m", PROBE], list(args), env, **kw)


async def warm_runtime(rt: LocalRuntime) -> None:
    await until(lambda: rt.warm_ready, timeout=60, what="the warm fork server's imports")


async def logged(rt: LocalRuntime, uid: str, text: bytes, timeout: float = 30) -> bytes:
    """The container's log, once it holds `text`."""
    await until(lambda: phase(rt, uid) not in ("", "Pending"), timeout=timeout)
    deadline = time.monotonic() + timeout
    while text not in (out := await read_logs(rt, uid)):
        assert time.monotonic() < deadline, f"{text!r} not logged: {out!r}"
        await asyncio.sleep(0.02)
    return out


async def run_to_end(rt: LocalRuntime, *containers: Container, **kw: Any) -> tuple[str, Any]:
    """Run a pod to its end; its uid and the probe's report (its main's first line)."""
    p = pod(*containers, restart_policy="Never", **kw)
    rt.run_pod(p)
    await until(lambda: phase(rt, p.uid) in FINAL, timeout=30)
    out = await read_logs(rt, p.uid)
    return p.uid, json.loads(out.splitlines()[0])


def zygotes() -> list[psutil.Process]:
    """The warm fork servers this test process started."""
    found = []
    for child in psutil.Process().children():
        try:
            if "kflow.runtime._zygote" in child.cmdline():
                found.append(child)
        except psutil.Error:
            continue  # a spare shim's first process, exited and not yet reaped
    return found


def test_a_warm_command_is_matched_by_its_words_and_interpreter_environment() -> None:
    assert matching([PY, "-m", PROBE, "x"], [WARM]) is WARM
    assert matching([PY, "-m", "other"], [WARM]) is None
    assert matching(["python3", "-m", PROBE], [WARM]) is None  # another command word
    assert matching([PY, "-c", PROBE], [WARM]) is None
    env = {"PATH": "/bin", "PYTHONPATH": "/x", "LC_ALL": "C", "PYENV_VERSION": "3", "HOME": "/h"}
    assert interpreter_env(env) == {k: v for k, v in env.items() if k != "HOME"}


def test_a_warm_container_has_what_a_fresh_interpreter_would(tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        data = tmp_path / "data"
        async with running(data, warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            uid, report = await run_to_end(rt, probe("3"))
            assert report["warm"] is True
            assert report["name"] == "__main__"
            assert report["argv"][0].endswith("warm_probe.py") and report["argv"][1:] == ["3"]
            assert report["cwd"] == os.getcwd() == report["path0"]  # what -m puts first
            assert report["env"] == "v"
            assert report["sigint"] and report["sigpipe"] and report["sigterm"]
            assert report["pgid_is_pid"]
            # nothing of the runtime's is left open (above all not the pod's shim.lock)
            own = {f for f in report["files"].values() if str(data) in f}
            assert own == {str(data / "pods" / uid / "logs" / "main" / "0.log")}, own
            assert container(rt, uid)["state"]["terminated"]["exitCode"] == 3
            lines = (await read_logs(rt, uid)).decode().splitlines()[1:]
            assert lines == ["to stderr", "last line, not flushed", "atexit ran"]

    asyncio.run(main())


def test_warm_containers_end_as_the_interpreter_ends(tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        async with running(tmp_path / "data", warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            uid, report = await run_to_end(rt, probe("--thread"))
            assert report["warm"] and phase(rt, uid) == "Succeeded"
            lines = (await read_logs(rt, uid)).decode().splitlines()
            assert lines[-2:] == ["thread done", "atexit ran"]  # threads are joined first
            uid, report = await run_to_end(rt, probe("--raise"))
            assert report["warm"] and container(rt, uid)["state"]["terminated"]["exitCode"] == 1
            text = (await read_logs(rt, uid)).decode()
            trace = text[text.index("Traceback") :].splitlines()
            assert "warm_probe.py" in trace[1]  # the program's frames, not the runtime's
            assert trace[-2:] == ["RuntimeError: probe failed", "atexit ran"]

    asyncio.run(main())


def test_a_warm_container_is_stopped_like_any_other(tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        async with running(tmp_path / "data", warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            p = pod(probe("--sleep", "60"), restart_policy="Never")
            rt.run_pod(p)
            report = json.loads((await logged(rt, p.uid, b"to stderr")).splitlines()[0])
            assert report["warm"]
            await rt.stop_pod(p.uid, 5)
            terminated = container(rt, p.uid)["state"]["terminated"]
            assert terminated["exitCode"] == 143 and terminated["reason"] == "Error"
            assert not psutil.pid_exists(report["pid"]) or (
                psutil.Process(report["pid"]).status() == psutil.STATUS_ZOMBIE
            )

    asyncio.run(main())


def test_containers_whose_interpreter_would_differ_run_cold(tmp_path: pathlib.Path) -> None:
    work = tmp_path / "work"
    work.mkdir()

    async def main() -> None:
        async with running(tmp_path / "data", warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            for cold in (
                probe(env={"PROBE_VALUE": "v", "PYTHONHASHSEED": "7"}),
                probe(working_dir=str(work)),
            ):
                uid, report = await run_to_end(rt, cold)
                assert report["warm"] is False and phase(rt, uid) == "Succeeded"
                assert report["env"] == "v" and report["name"] == "__main__"

    asyncio.run(main())


def test_an_init_container_runs_as_written_before_a_warm_main(tmp_path: pathlib.Path) -> None:
    init = Container("init", "busybox", ["sh", "-c", "echo init ran"], [], {})

    async def main() -> None:
        async with running(tmp_path / "data", warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            uid, report = await run_to_end(rt, probe(), init_containers=[init])
            assert report["warm"] and phase(rt, uid) == "Succeeded"
            assert await read_logs(rt, uid, "init") == b"init ran\n"

    asyncio.run(main())


def test_pods_run_as_written_when_the_zygote_is_gone(tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        async with running(tmp_path / "data", warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            (zygote,) = zygotes()
            zygote.send_signal(signal.SIGKILL)
            await until(lambda: not rt.warm_ready, timeout=10, what="the runtime to notice")
            uid, report = await run_to_end(rt, probe("0"))
            assert report["warm"] is False and phase(rt, uid) == "Succeeded"

    asyncio.run(main())


def test_a_warm_pod_is_adopted_by_the_next_runtime(tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"

    async def first() -> tuple[str, int]:
        rt = LocalRuntime(data, warm=[WARM])
        await rt.start(lambda uid: None, lambda event: None)
        await warm_runtime(rt)
        p = pod(probe("--sleep", "0.3"), restart_policy="Never")
        rt.run_pod(p)
        report = json.loads((await logged(rt, p.uid, b"to stderr")).splitlines()[0])
        assert report["warm"]
        await rt.close()  # kflow stops; its zygote goes, the pod's shim stays
        return p.uid, report["pid"]

    async def second(uid: str, pid: int) -> None:
        async with running(data, warm=[WARM]) as (rt, _):
            assert uid in rt.known_pods()
            await until(lambda: phase(rt, uid) == "Succeeded", timeout=30)
            main = container(rt, uid)
            assert main["containerID"] == f"local://{pid}"  # the same process, not a new one
            assert (await read_logs(rt, uid)).endswith(b"last line, not flushed\natexit ran\n")

    uid, pid = asyncio.run(first())
    asyncio.run(second(uid, pid))


def test_a_waiting_process_rehearses_before_its_container_arrives(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mark = tmp_path / "rehearsed"
    monkeypatch.setenv("WARM_PROBE_REHEARSAL_MARK", str(mark))  # kflow's environment
    rehearsing = WarmCommand(PY, PROBE, WARM.preload, rehearsal="rehearse")

    async def main() -> None:
        async with running(tmp_path / "data", warm=[rehearsing]) as (rt, _):
            await warm_runtime(rt)
            uid, report = await run_to_end(rt, probe("0"))
            assert report["warm"] and phase(rt, uid) == "Succeeded"
            # the container's own process rehearsed before it became the container
            assert str(report["pid"]) in mark.read_text().split()

    asyncio.run(main())


def test_a_pod_is_not_lost_when_the_waiting_spare_is_gone(tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        async with running(tmp_path / "data", warm=[WARM]) as (rt, _):
            await warm_runtime(rt)
            (zygote,) = zygotes()
            spares = await until(zygote.children, timeout=30, what="the zygote's spare")
            for spare in spares:
                spare.send_signal(signal.SIGKILL)  # its prepared child follows it
            uid, report = await run_to_end(rt, probe("0"))
            assert report["warm"] and phase(rt, uid) == "Succeeded"

    asyncio.run(main())


def test_an_interpreter_that_cannot_serve_leaves_its_pods_as_written(
    tmp_path: pathlib.Path,
) -> None:
    false = shutil.which("false")
    assert false is not None
    unusable = WarmCommand(false, PROBE)  # starts, exits at once: never ready

    async def main() -> None:
        async with running(tmp_path / "data", warm=[unusable]) as (rt, _):
            for _ in range(2):
                p = pod(
                    Container("main", "x", [false, "-m", PROBE], [], {}), restart_policy="Never"
                )
                rt.run_pod(p)
                await until(lambda p=p: phase(rt, p.uid) == "Failed", timeout=30)
                assert container(rt, p.uid)["state"]["terminated"]["exitCode"] == 1
                assert not rt.warm_ready

    asyncio.run(main())
