"""A real kflow API server on loopback for the CLI and SDK tests, and ways to drive the CLI.

The server is `create_app` over a MemoryStore holding the namespaces `kflow up` starts
with, served by `tests.support.LiveServer` (uvicorn in a thread on a free loopback
port); its `FakeRuntime` answers pod log requests. The CLI is driven in-process with
Typer's CliRunner (`run`) or as a real subprocess (`spawn`) when a test must stop it
(`get -w`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

import kflow.api.core  # registers the core kinds
from kflow.api.errors import NotFound
from kflow.cli.main import app
from kflow.controlplane import bootstrap
from kflow.sdk import Client
from kflow.server.app import create_app
from kflow.store.memory import MemoryStore
from tests.support import FakeRuntime, LiveServer, create_namespace


@dataclasses.dataclass
class Server:
    url: str
    store: MemoryStore
    runtime: FakeRuntime


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    store = MemoryStore()
    bootstrap(store)
    runtime = FakeRuntime()
    try:
        with LiveServer(create_app(store=store, runtime=runtime)) as live:
            yield Server(live.url, store, runtime)
    finally:
        store.close()


@pytest.fixture
def namespace(server: Server) -> Iterator[str]:
    """A fresh namespace per test, so tests never see each other's objects."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    create_namespace(server.store, name)
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
