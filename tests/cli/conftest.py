"""A real kflow API server on loopback for the CLI and SDK tests, and ways to drive the CLI.

The server is `create_app` over a MemoryStore, served by uvicorn in a thread on a
free port; a small fake runtime answers pod log requests. The CLI is driven in-process
with Typer's CliRunner (`run`) or as a real subprocess (`spawn`) when a test must
stop it (`get -w`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

import kflow.api.core  # registers the core kinds
from kflow.api.errors import NotFound
from kflow.cli.main import app
from kflow.runtime.interface import (
    AdmissionResult,
    Capacity,
    EventSink,
    PodChanged,
    PodLaunch,
    Runtime,
)
from kflow.sdk import Client
from kflow.server.app import create_app
from kflow.store.memory import MemoryStore
from tests.conftest import wait_until


class FakeRuntime(Runtime):
    """Only logs are real: `lines[(uid, container)]`, and `previous` for the last run."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], list[str]] = {}
        self.previous: dict[tuple[str, str], list[str]] = {}

    async def start(self, on_change: PodChanged, on_event: EventSink) -> None:
        return None

    async def close(self) -> None:
        return None

    def capacity(self) -> Capacity:
        return Capacity(cpu=2.0, memory=1 << 30, gpu=0)

    def admit(self, pods: list[PodLaunch]) -> tuple[AdmissionResult, str]:
        return AdmissionResult.ADMITTED, ""

    def run_pod(self, pod: PodLaunch) -> None:
        return None

    async def stop_pod(self, uid: str, grace_seconds: float | None = None) -> None:
        return None

    def remove_pod(self, uid: str) -> None:
        return None

    def known_pods(self) -> list[str]:
        return []

    def pod_status(self, uid: str) -> dict[str, Any] | None:
        return None

    def port_map(self, uid: str) -> dict[int, int]:
        return {}

    def address(self, namespace: str, service: str, port: int, pod_uid: str | None) -> str:
        return f"127.0.0.1:{port}"

    async def logs(
        self,
        uid: str,
        container: str,
        *,
        previous: bool = False,
        tail_lines: int | None = None,
        follow: bool = False,
    ) -> AsyncIterator[bytes]:
        source = self.previous if previous else self.lines
        lines = source.get((uid, container))
        if lines is None:
            raise LookupError(container)
        if tail_lines is not None:
            lines = lines[-tail_lines:] if tail_lines else []
        for line in lines:
            yield (line + "\n").encode()
            await asyncio.sleep(0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class Server:
    url: str
    store: MemoryStore
    runtime: FakeRuntime


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    store = MemoryStore()
    for name in ("default", "kube-system"):
        store.create(
            "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        )
    runtime = FakeRuntime()
    port = free_port()
    config = uvicorn.Config(
        create_app(store=store, runtime=runtime),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="kflow-test-server", daemon=True)
    thread.start()
    wait_until(lambda: uv.started, timeout=15)
    try:
        yield Server(f"http://127.0.0.1:{port}", store, runtime)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def namespace(server: Server) -> Iterator[str]:
    """A fresh namespace per test, so tests never see each other's objects."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    server.store.create(
        "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    yield name
    with contextlib.suppress(NotFound):
        server.store.delete("namespaces", "", name)


@pytest.fixture
def api(server: Server, namespace: str) -> Iterator[Client]:
    """An SDK client for the test's namespace, to arrange and check what the CLI did."""
    with Client(server.url, namespace=namespace) as client:
        yield client


@dataclasses.dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def kflow(server: Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """Run the CLI in-process against the test server: `kflow("get", "pods", input=...)`."""
    monkeypatch.setenv("KFLOW_URL", server.url)
    monkeypatch.setenv("KFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KFLOW_TOKEN", raising=False)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input, prog_name="kflow")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Result(result.exit_code, result.stdout, result.stderr)

    return run


def spawn(server: Server, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """The CLI as a real process (for commands that run until stopped)."""
    full_env = {**os.environ, "KFLOW_URL": server.url, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "kflow.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
    )
