"""`kflow serve` as a person runs it: a process, a port, curl-shaped requests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import Digits, free_port, save_sklearn, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _up(url: str) -> bool:
    try:
        return httpx.get(url + "/v2/health/ready").status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow
def test_kflow_serve_a_versioned_directory(
    tmp_path: Path, sklearn_model: object, digits: Digits
) -> None:
    for version in (1, 2):
        save_sklearn(sklearn_model, tmp_path / "mnist", version)
    port, grpc_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kflow",
            "serve",
            str(tmp_path / "mnist"),
            "--port",
            str(port),
            "--grpc-port",
            str(grpc_port),
            "--version-policy",
            "all",
            "--label",
            "stable=1",
            "--max-batch-size",
            "8",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url) or process.poll() is not None, timeout=60, what="kflow serve")
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        status = httpx.get(f"{url}/v1/models/mnist").json()
        assert [s["version"] for s in status["model_version_status"]] == ["2", "1"]
        body = {"instances": digits.x[:3].tolist()}
        assert httpx.post(f"{url}/v1/models/mnist/labels/stable:predict", json=body).json() == {
            "predictions": [0, 1, 2]
        }
        grpcclient = pytest.importorskip("tritonclient.grpc")
        triton = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        x = grpcclient.InferInput("input-0", [3, 64], "FP64")
        x.set_data_from_numpy(digits.x[:3].astype("float64"))
        assert triton.infer("mnist", [x], model_version="1").as_numpy("output-0").tolist() == [
            0,
            1,
            2,
        ]
        triton.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        log.close()


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "kflow", "serve", str(tmp_path), "--label", "stable"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "--label 'stable': expected NAME=VERSION" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "kflow", "serve", str(tmp_path), "--version-policy", "newest"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "--version-policy" in result.stderr


def test_the_cli_default_grpc_port_is_the_servers() -> None:
    from kflow.cli.commands import serve
    from kflow.serving import grpc_server

    assert serve.DEFAULT_GRPC_PORT == grpc_server.DEFAULT_GRPC_PORT
