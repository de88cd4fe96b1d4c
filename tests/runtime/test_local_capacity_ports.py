"""Admission against the machine's capacity, and loopback ports for declared ports."""

from __future__ import annotations

import asyncio
import pathlib
import socket

from kflow.runtime.interface import AdmissionResult, Capacity, Container, ContainerPort, PodLaunch
from kflow.runtime.local import LocalRuntime
from tests.support import free_port

from .helpers import PY, phase, pod, py, read_logs, running, until

GI = 1 << 30


def asks(cpu: float = 0, memory: int = 0, gpu: int = 0, code: str = "pass") -> PodLaunch:
    c = Container(
        "main",
        "python:3.11",
        [PY, "-c", code],
        [],
        {},
        cpu_request=cpu,
        memory_request=memory,
        gpu_request=gpu,
    )
    return pod(c, restart_policy="Never")


def test_detected_capacity_is_this_machine(tmp_path: pathlib.Path) -> None:
    cap = LocalRuntime(tmp_path).capacity()
    assert cap.cpu >= 1 and cap.memory > 0 and cap.gpu >= 0


def test_gang_admission_is_all_or_nothing(tmp_path: pathlib.Path) -> None:
    rt = LocalRuntime(tmp_path, capacity=Capacity(cpu=2, memory=8 * GI, gpu=0))
    a, b = asks(cpu=1.5), asks(cpu=1)
    assert rt.admit([a]) == (AdmissionResult.ADMITTED, "")
    assert rt.admit([a]) == (AdmissionResult.ADMITTED, "")  # already holding its reservation
    result, why = rt.admit([b, asks()])
    assert result is AdmissionResult.WAITING
    assert why == "0/1 nodes are available: Insufficient cpu (requested 1, free 0.5 of 2)."
    assert rt.admit([asks(cpu=0.5)])[0] is AdmissionResult.ADMITTED
    result, why = rt.admit([asks(cpu=1), asks(cpu=1.5)])
    assert result is AdmissionResult.NEVER and "can never run here" in why
    result, why = rt.admit([asks(memory=9 * GI)])
    assert result is AdmissionResult.NEVER and "memory (requested 9Gi, capacity 8Gi)" in why
    assert rt.admit([asks(gpu=1)])[0] is AdmissionResult.NEVER
    assert rt.admit([asks(), asks()])[0] is AdmissionResult.ADMITTED  # asking nothing always fits
    rt.remove_pod(a.uid)
    assert rt.admit([b])[0] is AdmissionResult.ADMITTED


def test_resources_are_released_when_the_pod_ends(tmp_path: pathlib.Path) -> None:
    gate = tmp_path / "gate"
    code = f"import os,time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.01)"
    first, second = asks(cpu=2, code=code), asks(cpu=2)

    async def main() -> None:
        async with running(tmp_path / "data", capacity=Capacity(cpu=2, memory=GI, gpu=2)) as (
            rt,
            _,
        ):
            assert rt.admit([first])[0] is AdmissionResult.ADMITTED
            rt.run_pod(first)
            assert rt.admit([second])[0] is AdmissionResult.WAITING
            gate.touch()
            await until(lambda: phase(rt, first.uid) == "Succeeded")
            assert rt.admit([second])[0] is AdmissionResult.ADMITTED

    asyncio.run(main())


def test_gpus_are_handed_out_by_index(tmp_path: pathlib.Path) -> None:
    show = "import os; print(os.environ['CUDA_VISIBLE_DEVICES'])"
    one, none = asks(gpu=1, code=show), asks(code=show)

    async def main() -> None:
        async with running(tmp_path, capacity=Capacity(cpu=2, memory=GI, gpu=2)) as (rt, _):
            assert rt.admit([asks(gpu=1)])[0] is AdmissionResult.ADMITTED
            assert rt.admit([one])[0] is AdmissionResult.ADMITTED
            rt.run_pod(one)
            rt.run_pod(none)
            for p in (one, none):
                await until(lambda p=p: phase(rt, p.uid) == "Succeeded")
            assert await read_logs(rt, one.uid) == b"1\n"
            assert await read_logs(rt, none.uid) == b"\n"

    asyncio.run(main())


def test_declared_ports_map_to_loopback_and_reach_the_container(tmp_path: pathlib.Path) -> None:
    declared = free_port()
    serve = (
        "import os, socket\n"
        f"port = int(os.environ['KFLOW_PORT_{declared}'])\n"
        "s = socket.socket(); s.bind((os.environ['KFLOW_POD_IP'], port)); s.listen()\n"
        "c, _ = s.accept(); c.sendall(b'hello from ' + str(port).encode()); c.close()"
    )

    def server() -> PodLaunch:
        return pod(py(serve, ports=[ContainerPort(declared)]), restart_policy="Never")

    first, second = server(), server()

    async def main() -> None:
        async with running(tmp_path) as (rt, _):
            early = rt.address("default", "svc", declared, first.uid)  # before it runs
            rt.run_pod(first)
            rt.run_pod(second)
            assert rt.port_map(first.uid) == {declared: declared}
            other = rt.port_map(second.uid)[declared]
            assert other != declared
            assert early == f"127.0.0.1:{declared}"
            assert rt.address("default", "svc", declared, second.uid) == f"127.0.0.1:{other}"
            for p, port in ((first, declared), (second, other)):
                await until(lambda p=p: phase(rt, p.uid) == "Running")
                reply = await until(lambda port=port: _connect(port))
                assert reply == f"hello from {port}".encode()
                await until(lambda p=p: phase(rt, p.uid) == "Succeeded")

    asyncio.run(main())


def _connect(port: int) -> bytes:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            return s.recv(100)
    except OSError:
        return b""
