"""A real `kflow up` for the training tests: SQLite, local processes, the job controllers.

It runs from the repository root, as the examples' YAML expects (pods start in
kflow's working directory), on a private home and a free port, once per session.
Each test gets its own namespace.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kflow.sdk import Client
from tests.conftest import wait_until
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]


class Up:
    """A `kflow up` subprocess; `client()` talks to it over HTTPS with its token."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kflow", "up", "--home", str(home), "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        info = home / "server.json"
        wait_until(
            lambda: (
                info.exists() and json.loads(info.read_text() or "{}").get("pid") == self.proc.pid
            ),
            timeout=30,
        )

    def client(self, namespace: str = "default") -> Client:
        return Client(home=self.home, namespace=namespace)

    def __enter__(self) -> Up:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    with Up(tmp_path_factory.mktemp("kflow-training")) as server:
        yield server


@pytest.fixture
def kf(up: Up) -> Iterator[Client]:
    """A client on a fresh namespace of the shared `kflow up`."""
    namespace = f"t-{uuid.uuid4().hex[:8]}"
    with up.client(namespace) as client:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        yield client
        client.delete("namespaces", namespace)
