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
from collections.abc import Iterator

import pytest

from tests.training.conftest import ROOT, Up
from tests.training.conftest import kf as training_kf


@pytest.fixture(scope="session")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """A `kflow up` of the Katib tests' own: the training tests keep theirs untouched."""
    with Up(tmp_path_factory.mktemp("kflow-katib")) as server:
        yield server


# a fresh namespace per test, as in the training tests
kf = training_kf


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
