"""One real `kflow up` for the Katib end-to-end tests, and a fresh namespace per test.

The server is `tests.training.conftest.Up`: a `kflow up` subprocess from the
repository root (so trial commands use repo-relative paths such as
`examples/seeds/local/katib_mnist.py`), on a private home and a free port, started
once per session by the first test that asks for it. Unit tests here never start it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest

from kflow.sdk import Client
from tests.training.conftest import ROOT, Up


@pytest.fixture(scope="session")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    server = Up(tmp_path_factory.mktemp("kflow-katib"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kf(up: Up) -> Iterator[Client]:
    """A client on a fresh namespace of the shared `kflow up`."""
    namespace = f"k-{uuid.uuid4().hex[:8]}"
    with up.client(namespace) as client:
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        yield client
        client.delete("namespaces", namespace)


def kflow_cli(up: Up, *args: str) -> str:
    """Run the `kflow` CLI against `up` as a user would; its stdout, asserting success."""
    result = subprocess.run(
        [sys.executable, "-m", "kflow", *args],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KFLOW_")},
            "KFLOW_HOME": str(up.home),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout
