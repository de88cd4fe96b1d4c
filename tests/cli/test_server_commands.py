"""`kflow kubeconfig`, `version` and `up`: reaching the server from kubectl and the CLI."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.conftest import Server
from tests.conftest import wait_until
from tests.support import free_port


def kubectl_get_ns(kubectl: str, config: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """`kubectl get ns` with `config`, in a private HOME (kubectl caches discovery there)."""
    return subprocess.run(
        [kubectl, "--kubeconfig", str(config), "get", "ns"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(home)},
    )


def test_kubeconfig_prints_and_writes(kflow: Any, server: Server, tmp_path: Path) -> None:
    printed = yaml.safe_load(kflow("kubeconfig").stdout)
    assert printed["clusters"][0]["cluster"]["server"] == server.url
    assert printed["current-context"] == printed["contexts"][0]["name"]
    target = tmp_path / "kube" / "config"
    result = kflow("kubeconfig", "--write", str(target))
    assert result.exit_code == 0
    assert (
        result.stderr == f"Wrote {target}: use it with `kubectl --kubeconfig {target} get pods`\n"
    )
    assert yaml.safe_load(target.read_text()) == printed
    assert target.stat().st_mode & 0o777 == 0o600


@pytest.mark.kubectl
def test_kubeconfig_is_usable_by_kubectl(kflow: Any, namespace: str, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    config = tmp_path / "kubeconfig"
    assert kflow("kubeconfig", "--write", str(config)).exit_code == 0
    result = kubectl_get_ns(kubectl, config, tmp_path)
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert "default" in names and namespace in names


def test_version(kflow: Any) -> None:
    result = kflow("version")
    lines = result.stdout.splitlines()
    assert lines[0] == "Client Version: 0.1.0"
    assert lines[1].startswith("Server Version: v")
    assert kflow("version", "--client").stdout == "Client Version: 0.1.0\n"


@dataclasses.dataclass
class Up:
    """A `kflow up` subprocess with its own data directory."""

    home: Path
    env: dict[str, str]
    info: dict[str, Any]

    def kflow(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kflow.cli.main", *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
        )


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    home = tmp_path_factory.mktemp("up") / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KFLOW_URL", "KFLOW_TOKEN", "KFLOW_CA")}
    env["KFLOW_HOME"] = str(home)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kflow.cli.main", "up", "--port", str(port), "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info_file = home / "server.json"
        wait_until(lambda: info_file.exists() or proc.poll() is not None, timeout=60)
        assert proc.poll() is None, proc.communicate()
        yield Up(home, env, json.loads(info_file.read_text()))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


@pytest.mark.slow
def test_up_serves_the_cli_through_server_json(up: Up) -> None:
    assert up.info["url"].startswith("https://127.0.0.1:")
    assert up.info["token"]
    namespaces = up.kflow("get", "ns", "-o", "name")
    assert namespaces.returncode == 0, namespaces.stderr
    assert "namespace/default" in namespaces.stdout.split()
    # a wrong token is refused: the server does check who is asking
    anonymous = up.kflow("--token", "wrong", "get", "ns")
    assert anonymous.returncode == 1
    assert anonymous.stderr.startswith("Error from server (Unauthorized): ")


@pytest.mark.slow
@pytest.mark.kubectl
def test_kubeconfig_of_kflow_up_works_with_kubectl(up: Up, tmp_path: Path) -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    config = tmp_path / "kubeconfig"
    written = up.kflow("kubeconfig", "--write", str(config))
    assert written.returncode == 0, written.stderr
    document = yaml.safe_load(config.read_text())
    assert document["clusters"][0]["cluster"]["certificate-authority-data"]
    result = kubectl_get_ns(kubectl, config, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "default" in [line.split()[0] for line in result.stdout.splitlines()[1:]]
