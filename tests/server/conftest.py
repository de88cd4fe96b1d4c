"""Fixtures: an in-process ASGI client, and a live loopback server with a kubeconfig."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

import kflow.api.core  # noqa: F401  (registers the core kinds)
from kflow.controlplane import bootstrap
from kflow.server.app import create_app
from kflow.store.memory import MemoryStore
from tests.server.support import write_kubeconfig
from tests.support import FakeRuntime, LiveServer, create_namespace

KUBECTL = "/usr/bin/kubectl"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store() -> Iterator[MemoryStore]:
    s = MemoryStore()
    bootstrap(s)
    yield s
    s.close()


@pytest.fixture
def runtime() -> FakeRuntime:
    return FakeRuntime()


@pytest.fixture
async def client(store: MemoryStore, runtime: FakeRuntime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(store=store, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kflow") as c:
        yield c


@dataclasses.dataclass
class Live:
    """A running server and how to reach it."""

    server: LiveServer
    store: MemoryStore
    runtime: FakeRuntime
    kubeconfig: Path
    home: Path

    @property
    def url(self) -> str:
        return self.server.url

    def env(self) -> dict[str, str]:
        # a private HOME keeps kubectl's discovery cache per test session
        return {**os.environ, "HOME": str(self.home), "KUBECONFIG": str(self.kubeconfig)}

    def kubectl(
        self, *args: str, binary: str = KUBECTL, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [binary, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env(),
            check=False,
        )

    def ok(self, *args: str, binary: str = KUBECTL, stdin: str | None = None) -> str:
        result = self.kubectl(*args, binary=binary, stdin=stdin)
        assert result.returncode == 0, (
            f"kubectl {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout}\n{result.stderr}"
        )
        return result.stdout

    def namespace(self) -> str:
        name = f"t-{uuid.uuid4().hex[:8]}"
        create_namespace(self.store, name)
        return name


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    store = MemoryStore()
    bootstrap(store)
    runtime = FakeRuntime()
    # kubectl sends no credentials to an http:// server (clientcmd only adds them over
    # TLS), so the loopback server trusts its callers, as `LocalAuthenticator` does
    app = create_app(store=store, runtime=runtime)
    home = tmp_path_factory.mktemp("kubectl-home")
    try:
        with LiveServer(app) as server:
            kubeconfig = write_kubeconfig(home / "kubeconfig", server.url, None)
            yield Live(server, store, runtime, kubeconfig, home)
    finally:
        store.close()
