"""What `kflow up` adds to every pod's environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from kflow.controlplane import Paths, pod_env


def test_pods_get_the_data_dir_and_kflows_interpreter_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    env = pod_env(Paths(tmp_path / "home"))
    assert env["KFLOW_HOME"] == str(tmp_path / "home")
    first, *rest = env["PATH"].split(os.pathsep)
    assert first == str(Path(sys.executable).parent) and rest == ["/usr/bin", "/bin"]
    assert (Path(first) / "python3").exists()  # what a container's `python3` runs
