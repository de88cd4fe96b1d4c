"""Model servers on real loopback sockets, and models trained on scikit-learn's digits."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import joblib
import numpy as np
import pytest
import uvicorn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from kflow.serving import ModelConfig, ModelRepository, build_app

T = TypeVar("T")


@dataclass
class Digits:
    x: np.ndarray  # float32 [n, 64]
    y: np.ndarray  # int64 [n]


@pytest.fixture(scope="session")
def digits() -> Digits:
    data = load_digits()
    return Digits(data.data.astype(np.float32), data.target.astype(np.int64))


@pytest.fixture(scope="session")
def sklearn_model(digits: Digits) -> LogisticRegression:
    return LogisticRegression(max_iter=300).fit(digits.x[:1000], digits.y[:1000])


def save_sklearn(model: Any, directory: Path, version: int | None = None) -> Path:
    target = directory / str(version) if version is not None else directory
    target.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, target / "model.joblib")
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


@dataclass
class RunningServer:
    url: str
    port: int
    repository: ModelRepository
    loop: asyncio.AbstractEventLoop
    grpc_port: int | None = None  # the gRPC services' port, when started with grpc=True

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (e.g. a repository poll) and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)


@contextmanager
def running_server(
    configs: Sequence[ModelConfig],
    poll_interval: float = 3600.0,
    *,
    grpc: bool = False,
    freeze_gc: bool = False,
) -> Iterator[RunningServer]:
    repository = ModelRepository()
    app = build_app(
        configs,
        repository=repository,
        poll_interval=poll_interval,
        grpc_port=0 if grpc else None,
        freeze_gc=freeze_gc,
    )
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    loops: list[asyncio.AbstractEventLoop] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        loops.append(loop)
        loop.run_until_complete(server.serve())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), what="the model server to start")
    assert server.started, "the model server did not start"
    try:
        yield RunningServer(
            f"http://127.0.0.1:{port}", port, repository, loops[0], app.state.grpc_port
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def run_isolated(script: str, *args: str) -> Any:
    """Run a client script in a fresh interpreter; its last stdout line is JSON.

    The kserve package and tritonclient.grpc both register the `inference.*` protobuf
    messages in protobuf's default pool, so they cannot be imported in one process:
    the kserve client tests run apart from the gRPC tests' Triton client.
    """
    if importlib.util.find_spec("kserve") is None:  # looked up, not imported, here
        pytest.skip("the kserve package is not installed")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
