"""`kflow kubeconfig`, `version` and `up`: reaching the server from kubectl and the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.conftest import Server, free_port
from tests.conftest import wait_until


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
    result = subprocess.run(
        [kubectl, "--kubeconfig", str(config), "get", "ns"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines()[1:]]
    assert "default" in names and namespace in names


def test_version(kflow: Any) -> None:
    result = kflow("version")
    lines = result.stdout.splitlines()
    assert lines[0] == "Client Version: 0.1.0"
    assert lines[1].startswith("Server Version: v")
    assert kflow("version", "--client").stdout == "Client Version: 0.1.0\n"


@pytest.mark.slow
def test_up_serves_the_cli_through_server_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("KFLOW_URL", "KFLOW_TOKEN")}
    env["KFLOW_HOME"] = str(home)
    up = subprocess.Popen(
        [sys.executable, "-m", "kflow.cli.main", "up", "--port", str(port), "--home", str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        info_file = home / "server.json"
        wait_until(lambda: info_file.exists() or up.poll() is not None, timeout=60)
        assert up.poll() is None, up.communicate()
        info = json.loads(info_file.read_text())
        assert info["url"] == f"http://127.0.0.1:{port}"
        assert info["token"]

        def kflow(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "kflow.cli.main", *args],
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )

        namespaces = kflow("get", "ns", "-o", "name")
        assert namespaces.returncode == 0, namespaces.stderr
        assert "namespace/default" in namespaces.stdout.split()
        # without the token from server.json the server refuses us
        anonymous = kflow("--token", "wrong", "get", "ns")
        assert anonymous.returncode == 1
        assert anonymous.stderr.startswith("Error from server (Unauthorized): ")
    finally:
        up.send_signal(signal.SIGINT)
        up.communicate(timeout=30)
