"""Test doubles and a loopback server for the API server tests.

`FakeRuntime` speaks the `Runtime` port but only keeps log lines, which tests append
to; `LiveServer` runs an app under uvicorn on a free loopback port in a background
thread, so the real kubectl and the `kubernetes` client can talk to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from kflow.api.errors import AlreadyExists
from kflow.runtime.interface import (
    AdmissionResult,
    Capacity,
    EventSink,
    PodChanged,
    PodLaunch,
    Runtime,
)
from kflow.store.interface import Store
from tests.conftest import wait_until

BOOTSTRAP_NAMESPACES = ("default", "kube-system", "kube-public")


def bootstrap(store: Store, *names: str) -> None:
    for name in names or BOOTSTRAP_NAMESPACES:
        with contextlib.suppress(AlreadyExists):
            store.create(
                "namespaces",
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                    "status": {"phase": "Active"},
                },
            )


class FakeRuntime(Runtime):
    """Serves log lines that tests write; every other method is a harmless no-op."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, str], list[bytes]] = {}
        self.finished: set[tuple[str, str]] = set()
        self.calls: list[dict[str, Any]] = []

    def write(self, uid: str, container: str, line: str) -> None:
        self.lines.setdefault((uid, container), []).append(line.encode() + b"\n")

    def finish(self, uid: str, container: str) -> None:
        self.finished.add((uid, container))

    async def start(self, on_change: PodChanged, on_event: EventSink) -> None:
        return None

    async def close(self) -> None:
        return None

    def capacity(self) -> Capacity:
        return Capacity(cpu=1.0, memory=1 << 30, gpu=0)

    def admit(self, pods: list[PodLaunch]) -> tuple[AdmissionResult, str]:
        return AdmissionResult.ADMITTED, ""

    def run_pod(self, pod: PodLaunch) -> None:
        return None

    async def stop_pod(self, uid: str, grace_seconds: float | None = None) -> None:
        return None

    def remove_pod(self, uid: str) -> None:
        return None

    def known_pods(self) -> list[str]:
        return []

    def pod_status(self, uid: str) -> dict[str, Any] | None:
        return None

    def port_map(self, uid: str) -> dict[int, int]:
        return {}

    def address(self, namespace: str, service: str, port: int, pod_uid: str | None) -> str:
        return "127.0.0.1:0"

    def logs(
        self,
        uid: str,
        container: str,
        *,
        previous: bool = False,
        tail_lines: int | None = None,
        follow: bool = False,
    ) -> AsyncIterator[bytes]:
        self.calls.append(
            {
                "uid": uid,
                "container": container,
                "previous": previous,
                "tail_lines": tail_lines,
                "follow": follow,
            }
        )
        return self._logs(uid, container, tail_lines, follow)

    async def _logs(
        self, uid: str, container: str, tail_lines: int | None, follow: bool
    ) -> AsyncIterator[bytes]:
        key = (uid, container)
        if key not in self.lines:
            raise LookupError(f"no container {container} in pod {uid}")
        lines = self.lines[key]
        start = max(0, len(lines) - tail_lines) if tail_lines is not None else 0
        sent = start
        while True:
            while sent < len(self.lines[key]):
                yield self.lines[key][sent]
                sent += 1
            if not follow or key in self.finished:
                return
            # the fake's "file" has no change notification; a real runtime watches its file
            await asyncio.sleep(0.01)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """An app served by uvicorn on 127.0.0.1 in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", access_log=False, ws="none"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> LiveServer:
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), timeout=20)
        assert self.server.started, "uvicorn did not start"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def write_kubeconfig(path: Path, url: str, token: str | None, namespace: str = "default") -> Path:
    user: dict[str, Any] = {"token": token} if token else {}
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "kflow", "cluster": {"server": url}}],
        "users": [{"name": "kflow-admin", "user": user}],
        "contexts": [
            {
                "name": "kflow",
                "context": {"cluster": "kflow", "user": "kflow-admin", "namespace": namespace},
            }
        ],
        "current-context": "kflow",
    }
    path.write_text(yaml.safe_dump(document))
    return path


def deadline(seconds: float) -> float:
    return time.monotonic() + seconds
