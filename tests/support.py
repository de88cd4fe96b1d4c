"""Test doubles and a loopback server shared by the server, CLI and end-to-end tests.

`FakeRuntime` speaks the `Runtime` port but only keeps pod logs, which tests fill in;
`LiveServer` runs an app under uvicorn on a free loopback port in a background thread,
so the real kubectl, the `kubernetes` client, the CLI and the SDK can talk to it;
`OutputLines` lets a test wait for what a client running as a subprocess prints;
`RecordingAuthorizer` answers the server's authorization questions and keeps them.
"""

from __future__ import annotations

import asyncio
import queue
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import IO, Any

import uvicorn

from kflow.controlplane import ensure_namespace
from kflow.runtime.interface import (
    AdmissionResult,
    Capacity,
    EventSink,
    PodChanged,
    PodLaunch,
    Runtime,
)
from kflow.server.identity import Identity
from tests.conftest import wait_until

LogKey = tuple[str, str]
"""(pod uid, container name)."""


class FakeRuntime(Runtime):
    """Serves log lines that tests set; every other method is a harmless no-op.

    A test either assigns `lines[key]` (and `previous[key]`, the run before) for a
    container that has already ended, or calls `write` line by line, which makes the
    container running until `finish`: a followed log waits for more lines only while
    its container runs. A `previous` request with no previous run recorded serves the
    current lines, since the server tests only check that the flag reaches the
    runtime. `calls` holds the arguments of every `logs` call.
    """

    def __init__(self) -> None:
        self.lines: dict[LogKey, list[str]] = {}
        self.previous: dict[LogKey, list[str]] = {}
        self.running: set[LogKey] = set()
        self.calls: list[dict[str, Any]] = []

    def write(self, uid: str, container: str, line: str) -> None:
        """Append a line to the current run, which keeps running until `finish`."""
        self.lines.setdefault((uid, container), []).append(line)
        self.running.add((uid, container))

    def finish(self, uid: str, container: str) -> None:
        """End the current run: followers get what is left, then the end of the stream."""
        self.running.discard((uid, container))

    async def start(self, on_change: PodChanged, on_event: EventSink) -> None:
        return None

    async def close(self) -> None:
        return None

    def capacity(self) -> Capacity:
        return Capacity(cpu=2.0, memory=1 << 30, gpu=0)

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
        return f"127.0.0.1:{port}"

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
        return self._logs((uid, container), previous, tail_lines, follow)

    async def _logs(
        self, key: LogKey, previous: bool, tail_lines: int | None, follow: bool
    ) -> AsyncIterator[bytes]:
        # like a real runtime, an unknown container fails on the first read, not the call
        if previous and key in self.previous:
            source, follow = self.previous, False  # a previous run has ended
        elif key in self.lines:
            source = self.lines
        else:
            raise LookupError(f"no container {key[1]} in pod {key[0]}")
        count = len(source[key])
        sent = max(0, count - tail_lines) if tail_lines is not None else 0
        while True:
            while sent < len(source[key]):
                yield source[key][sent].encode() + b"\n"
                sent += 1
                await asyncio.sleep(0)
            if not follow or key not in self.running:
                return
            # the fake's "file" has no change notification; a real runtime watches its file
            await asyncio.sleep(0.01)


create_namespace = ensure_namespace


class RecordingAuthorizer:
    """An `Authorizer` that denies what is in `deny` (`"<verb> <resource>"`), allows the
    rest, and remembers every question as (verb, resource, namespace, name)."""

    def __init__(self, *deny: str) -> None:
        self.deny = set(deny)
        self.asked: list[tuple[str, str, str, str]] = []

    def authorize(
        self, identity: Identity, verb: str, resource: str, namespace: str, name: str
    ) -> bool:
        self.asked.append((verb, resource, namespace, name))
        return f"{verb} {resource}" not in self.deny


def free_port() -> int:
    """A loopback port nothing listens on right now (for servers started by others)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread.

    The listening socket is bound here, before the thread starts, so the port cannot
    be taken in between. Use `with LiveServer(app) as server:` or `start`/`stop`.
    """

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
            target=self.server.run,
            kwargs={"sockets": [self.sock]},
            name="kflow-test-server",
            daemon=True,
        )

    def start(self) -> LiveServer:
        self.thread.start()
        try:
            wait_until(lambda: self.server.started or not self.thread.is_alive(), timeout=20)
            assert self.server.started, "uvicorn did not start"
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class OutputLines:
    """A subprocess's stdout, read in a thread, so a test can wait for a line with a deadline."""

    timeout = 15.0
    """How long `wait_for` waits by default, in seconds."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)  # the process closed its stdout

    def wait_for(self, match: str | Callable[[str], bool], timeout: float | None = None) -> str:
        """The next line that contains `match` (a string) or satisfies it (a predicate)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no line matching {match!r} within {timeout}s; saw {self.seen!r}"
                )
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the process ended; saw {self.seen!r}")
            self.seen.append(line)
            if match(line) if callable(match) else match in line:
                return line
