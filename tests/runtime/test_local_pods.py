"""A pod's life as a local process group: start, init, restart, stop, logs, status."""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import signal

import pytest

from kflow.api.errors import BadRequest
from kflow.runtime.interface import Container
from kflow.runtime.local import LocalRuntime

from .helpers import PY, container, phase, pod, py, read_logs, running, until

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_pods_see_the_runtimes_pod_env_under_their_own(tmp_path: pathlib.Path) -> None:
    code = "import os; print(os.environ['KFLOW_HOME'], os.environ['SHARED'])"
    plain = pod(
        Container(name="main", image="x", command=[PY, "-c", code], args=[], env={}),
        restart_policy="Never",
    )
    own = pod(
        Container(
            name="main", image="x", command=[PY, "-c", code], args=[], env={"SHARED": "mine"}
        ),
        restart_policy="Never",
    )

    async def main() -> None:
        pod_env = {"KFLOW_HOME": "/data/kflow", "SHARED": "runtime's"}
        async with running(tmp_path / "data", pod_env=pod_env) as (rt, _):
            rt.run_pod(plain)
            rt.run_pod(own)
            await until(lambda: phase(rt, plain.uid) == phase(rt, own.uid) == "Succeeded")
            assert (await read_logs(rt, plain.uid)).split() == [b"/data/kflow", b"runtime's"]
            assert (await read_logs(rt, own.uid)).split() == [b"/data/kflow", b"mine"]

    asyncio.run(main())


def test_command_args_env_and_working_dir(tmp_path: pathlib.Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    code = "import os,sys; print(os.environ['GREETING'], os.getcwd(), sys.argv[1:]); print('err', file=sys.stderr)"
    c = Container(
        name="main",
        image="python:3.11",
        command=[PY, "-c", code],
        args=["a", "b"],
        env={"GREETING": "hello"},
        working_dir=str(work),
    )
    p = pod(c, restart_policy="Never")

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, rec):
            rt.run_pod(p)
            rt.run_pod(p)  # idempotent by uid
            await until(lambda: phase(rt, p.uid) == "Succeeded")
            out = await read_logs(rt, p.uid)
            assert out.splitlines() == [f"hello {work} ['a', 'b']".encode(), b"err"]
            st = rt.pod_status(p.uid)
            assert st is not None
            cs = st["containerStatuses"][0]
            assert cs["name"] == "main" and cs["image"] == "python:3.11"
            assert cs["restartCount"] == 0 and cs["ready"] is False
            term = cs["state"]["terminated"]
            assert term["exitCode"] == 0 and term["reason"] == "Completed"
            assert RFC3339.match(term["startedAt"]) and RFC3339.match(term["finishedAt"])
            assert RFC3339.match(st["startTime"])
            assert st["podIP"] == "127.0.0.1" and st["hostIP"]
            conds = {c["type"]: c for c in st["conditions"]}
            assert set(conds) == {"PodScheduled", "Initialized", "ContainersReady", "Ready"}
            assert (
                conds["Ready"]["status"] == "False" and conds["Ready"]["reason"] == "PodCompleted"
            )
            assert all(RFC3339.match(c["lastTransitionTime"]) for c in conds.values())
            await until(lambda: "Started" in rec.reasons(p.uid))
            pulled = [e for e in rec.events if e.reason == "Pulled"]
            assert len(pulled) == 1
            assert pulled[0].message == (
                'Image "python:3.11" is recorded, not pulled: kflow runs the container\'s command on this machine'
            )
            assert p.uid in rec.changes
            assert rt.known_pods() == [p.uid]
            rt.remove_pod(p.uid)
            assert rt.known_pods() == [] and rt.pod_status(p.uid) is None

    asyncio.run(main())


def test_args_alone_run_and_no_command_fails(tmp_path: pathlib.Path) -> None:
    args_only = Container("main", "python:3.11", [], [PY, "-c", "print('args only')"], {})
    nothing = Container("main", "python:3.11", [], [], {})
    missing = Container("main", "busybox", ["kflow-no-such-binary"], [], {})

    async def main() -> None:
        async with running(tmp_path) as (rt, rec):
            a, b, c = (pod(x, restart_policy="Never") for x in (args_only, nothing, missing))
            for p in (a, b, c):
                rt.run_pod(p)
            for p in (a, b, c):
                await until(lambda p=p: phase(rt, p.uid) in ("Succeeded", "Failed"))
            assert phase(rt, a.uid) == "Succeeded"
            assert await read_logs(rt, a.uid) == b"args only\n"
            term = container(rt, b.uid)["state"]["terminated"]
            assert phase(rt, b.uid) == "Failed"
            assert term["reason"] == "RunContainerError"
            assert (
                term["message"]
                == "no command: the image is recorded, not pulled, so a command is required"
            )
            term = container(rt, c.uid)["state"]["terminated"]
            assert term["reason"] == "StartError" and "kflow-no-such-binary" in term["message"]
            assert "Failed" in rec.reasons(b.uid)

    asyncio.run(main())


def test_init_containers_run_first_and_pod_waits_pending(tmp_path: pathlib.Path) -> None:
    gate = tmp_path / "gate"
    wait_gate = f"import os,time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.01)\nprint('init ran')"
    p = pod(
        py("print('main ran')"),
        init_containers=[py(wait_gate, name="wait"), py("print('second')", name="second")],
        restart_policy="Never",
    )

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, _):
            rt.run_pod(p)
            await until(lambda: "running" in container(rt, p.uid, "wait", init=True)["state"])
            st = rt.pod_status(p.uid)
            assert st is not None and st["phase"] == "Pending"
            conds = {c["type"]: c for c in st["conditions"]}
            assert conds["Initialized"]["status"] == "False"
            assert conds["Initialized"]["reason"] == "ContainersNotInitialized"
            assert container(rt, p.uid)["state"] == {"waiting": {"reason": "PodInitializing"}}
            gate.touch()
            await until(lambda: phase(rt, p.uid) == "Succeeded")
            assert await read_logs(rt, p.uid, "wait") == b"init ran\n"
            assert await read_logs(rt, p.uid, "second") == b"second\n"
            assert await read_logs(rt, p.uid) == b"main ran\n"
            second = container(rt, p.uid, "second", init=True)["state"]["terminated"]
            first = container(rt, p.uid, "wait", init=True)["state"]["terminated"]
            assert first["finishedAt"] <= second["startedAt"]

    asyncio.run(main())


def test_failed_init_container_fails_the_pod_with_never(tmp_path: pathlib.Path) -> None:
    p = pod(
        py("print('never')"),
        init_containers=[py("raise SystemExit(3)", name="init")],
        restart_policy="Never",
    )

    async def main() -> None:
        async with running(tmp_path) as (rt, _):
            rt.run_pod(p)
            await until(lambda: phase(rt, p.uid) == "Failed")
            assert container(rt, p.uid, "init", init=True)["state"]["terminated"]["exitCode"] == 3
            assert container(rt, p.uid)["state"] == {"waiting": {"reason": "PodInitializing"}}
            with pytest.raises(BadRequest):
                rt.logs(p.uid, "nope")
            with pytest.raises(LookupError, match="has not started"):
                await read_logs(rt, p.uid)

    asyncio.run(main())


def test_on_failure_restarts_with_backoff_until_success(tmp_path: pathlib.Path) -> None:
    counter = tmp_path / "count"
    code = (
        f"import pathlib; p = pathlib.Path({str(counter)!r}); n = int(p.read_text() or 0) if p.exists() else 0\n"
        "p.write_text(str(n + 1)); print('run', n); raise SystemExit(0 if n >= 2 else 1)"
    )
    p = pod(py(code), restart_policy="OnFailure")

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, rec):
            rt.run_pod(p)
            await until(lambda: phase(rt, p.uid) == "Succeeded")
            cs = container(rt, p.uid)
            assert cs["restartCount"] == 2
            assert cs["lastState"]["terminated"]["exitCode"] == 1
            assert await read_logs(rt, p.uid) == b"run 2\n"
            assert await read_logs(rt, p.uid, previous=True) == b"run 1\n"
            await until(lambda: rec.reasons(p.uid).count("BackOff") == 2)
            assert rec.reasons(p.uid).count("Pulled") == 1

    asyncio.run(main())


def test_always_crash_loops_and_never_succeeds_fails(tmp_path: pathlib.Path) -> None:
    crash = pod(py("raise SystemExit(1)"), restart_policy="Always")
    never = pod(py("raise SystemExit(2)"), py("pass", name="ok"), restart_policy="Never")

    async def main() -> None:
        async with running(tmp_path, backoff_base=0.2) as (rt, _):
            rt.run_pod(crash)
            rt.run_pod(never)
            await until(lambda: container(rt, crash.uid)["restartCount"] >= 2)
            waiting = await until(lambda: container(rt, crash.uid)["state"].get("waiting"))
            assert waiting["reason"] == "CrashLoopBackOff"
            assert "back-off" in waiting["message"]
            assert phase(rt, crash.uid) == "Running"
            await until(lambda: phase(rt, never.uid) == "Failed")
            assert container(rt, never.uid, "ok")["state"]["terminated"]["exitCode"] == 0
            await rt.stop_pod(crash.uid, 1)
            assert phase(rt, crash.uid) == "Failed"
            assert container(rt, crash.uid)["state"]["terminated"]["exitCode"] == 1

    asyncio.run(main())


def test_stop_sends_sigterm_then_sigkill_and_keeps_logs(tmp_path: pathlib.Path) -> None:
    polite = pod(py("import time; print('up', flush=True); time.sleep(60)"))
    stubborn_code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    stubborn = pod(py(stubborn_code))

    async def main() -> None:
        async with running(tmp_path) as (rt, rec):
            rt.run_pod(polite)
            rt.run_pod(stubborn)
            for p in (polite, stubborn):
                await until(lambda p=p: b"up" in _sync_log(rt, p.uid))
            pid = int(container(rt, polite.uid)["containerID"].removeprefix("local://"))
            await rt.stop_pod(polite.uid, 5)
            term = container(rt, polite.uid)["state"]["terminated"]
            assert term["exitCode"] == 128 + signal.SIGTERM and term["reason"] == "Error"
            assert phase(rt, polite.uid) == "Failed"
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
            await rt.stop_pod(stubborn.uid, 0.3)
            assert (
                container(rt, stubborn.uid)["state"]["terminated"]["exitCode"]
                == 128 + signal.SIGKILL
            )
            assert "Killing" in rec.reasons(stubborn.uid)
            assert await read_logs(rt, stubborn.uid) == b"up\n"

    asyncio.run(main())


def _sync_log(rt: LocalRuntime, uid: str) -> bytes:
    path = pathlib.Path(rt._pods[uid].dir) / "logs" / "main" / "0.log"
    return path.read_bytes() if path.exists() else b""


def test_logs_tail_and_follow(tmp_path: pathlib.Path) -> None:
    gate = tmp_path / "gate"
    code = (
        "import os, time\nfor i in range(5): print('line', i, flush=True)\n"
        f"while not os.path.exists({str(gate)!r}): time.sleep(0.01)\nprint('last', flush=True)"
    )
    p = pod(py(code), restart_policy="Never")

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, _):
            rt.run_pod(p)
            await until(lambda: b"line 4" in _sync_log(rt, p.uid))
            assert await read_logs(rt, p.uid, tail_lines=2) == b"line 3\nline 4\n"
            assert await read_logs(rt, p.uid, tail_lines=0) == b""
            assert (await read_logs(rt, p.uid, tail_lines=100)).count(b"\n") == 5
            with pytest.raises(BadRequest, match="previous terminated container"):
                rt.logs(p.uid, "main", previous=True)
            chunks: list[bytes] = []

            async def follow() -> None:
                async for chunk in rt.logs(p.uid, "main", follow=True, tail_lines=1):
                    chunks.append(chunk)

            task = asyncio.create_task(follow())
            await until(lambda: b"".join(chunks) == b"line 4\n")
            assert not task.done()
            gate.touch()
            await asyncio.wait_for(task, 10)
            assert b"".join(chunks) == b"line 4\nlast\n"

    asyncio.run(main())


def test_backoff_doubles_and_is_forgiven_after_running_long_enough(tmp_path: pathlib.Path) -> None:
    quick = pod(py("raise SystemExit(1)"), restart_policy="Always")
    slow = pod(py("import time; time.sleep(0.3); raise SystemExit(1)"), restart_policy="Always")

    def delay(rt: LocalRuntime, uid: str) -> str:
        """The delay in a CrashLoopBackOff message ("back-off 0.1s restarting ...")."""
        message = container(rt, uid)["state"].get("waiting", {}).get("message", "")
        return str(message).split(" ")[1] if message else ""

    async def main() -> None:
        async with running(tmp_path, backoff_base=0.05, backoff_cap=0.2, backoff_reset=0.25) as (
            rt,
            _,
        ):
            rt.run_pod(quick)
            rt.run_pod(slow)
            seen: set[str] = set()
            await until(lambda: seen.add(delay(rt, quick.uid)) or {"0.05s", "0.1s", "0.2s"} <= seen)
            assert "0.4s" not in seen  # capped
            await until(lambda: container(rt, slow.uid)["restartCount"] >= 2)
            slow_seen: set[str] = set()
            await until(
                lambda: (
                    slow_seen.add(delay(rt, slow.uid))
                    or container(rt, slow.uid)["restartCount"] >= 3
                )
            )
            assert slow_seen - {""} == {"0.05s"}  # each run lasted past backoff_reset

    asyncio.run(main())


def test_pods_started_faster_than_spares_each_get_a_shim(tmp_path: pathlib.Path) -> None:
    """A burst uses the one spare, then shims started for each pod in worker threads."""
    pods = [
        pod(Container("main", "busybox", ["sh", "-c", f"echo {i}"], [], {}), restart_policy="Never")
        for i in range(12)
    ]

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, _):
            for p in pods:
                rt.run_pod(p)
            for i, p in enumerate(pods):
                await until(lambda p=p: phase(rt, p.uid) == "Succeeded", timeout=60)
                assert await read_logs(rt, p.uid) == f"{i}\n".encode()

    asyncio.run(main())
