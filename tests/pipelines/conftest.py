"""Fixtures for the pipeline tests: IR compiled by the real kfp compiler, a data directory.

The data directory lives outside /tmp: a pod's /tmp is its own (as in a container), so
an artifact store under /tmp would be invisible to the tasks that share it.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

OUTSIDE_TMP = "/var/tmp"


def compile_pipeline(pipeline: Any, path: Path) -> dict[str, Any]:
    """The pipeline-spec IR of `pipeline`, as `kfp.compiler.Compiler` writes it."""
    from kfp import compiler

    compiler.Compiler().compile(pipeline, str(path))
    return dict(yaml.safe_load(path.read_text()))


@pytest.fixture
def ir(tmp_path: Path) -> Callable[[Any], dict[str, Any]]:
    return lambda pipeline: compile_pipeline(pipeline, tmp_path / f"{pipeline.name}.yaml")


def _writable(path: str) -> None:
    for p in Path(path).rglob("*"):
        if not p.is_symlink():
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def kflow_home(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh `$KFLOW_HOME` that pods and launchers share."""
    home = Path(tempfile.mkdtemp(prefix="kflow-pipelines-", dir=OUTSIDE_TMP))
    monkeypatch.setenv("KFLOW_HOME", str(home))
    monkeypatch.delenv("KFLOW_PIPELINE_ROOT", raising=False)
    monkeypatch.delenv("KFLOW_MAX_CACHE_STALENESS", raising=False)
    yield home
    _writable(str(home))
    shutil.rmtree(home, ignore_errors=True)
