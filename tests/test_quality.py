"""The code-level contracts: lint, types, import layers, and the public surface."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kflow

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    result = run(sys.executable, "-m", "ruff", "check", "kflow", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_layers_only_import_downward() -> None:
    exe = shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extras"
    result = run(exe)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict_on_the_package() -> None:
    result = run(sys.executable, "-m", "mypy", "kflow")
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_names_are_pinned() -> None:
    assert sorted(kflow.__all__) == [
        "ApiError",
        "Client",
        "__version__",
        "report",
        "run_pipeline",
        "search",
        "train",
        "tune",
    ]
    assert kflow.train.__module__ == "kflow.sdk.training"
    assert kflow.tune.__module__ == "kflow.sdk.tuning"
    assert kflow.report.__module__ == "kflow.sdk.trialrunner"
    assert kflow.run_pipeline.__module__ == "kflow.sdk.pipelines"
    assert kflow.search.__name__ == "kflow.sdk.search"
    assert kflow.Client.__module__ == "kflow.sdk.client"
    assert issubclass(kflow.ApiError, Exception)
