"""Supervisors started before their pods, so a pod's start costs no interpreter start-up.

The runtime keeps one spare shim (`_shim.py --spare`) waiting on a socket; a pod is
handed to it as its directory plus its already-locked `shim.lock`, and the next spare
is started in a worker thread (posix_spawn returns only once the child has exec'd,
milliseconds the event loop should not wait). When pods come faster than spares —
a thousand at once — a pod that finds no spare gets a shim of its own started for it
in a worker thread (`_shim.py <pod dir>`, the lock on descriptor 3), so the event
loop never waits for an interpreter either way. Every process started here is the
runtime's child until it exits or detaches; `on_child` tells the runtime to reap it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import socket
import sys
from collections.abc import Callable

import kflow
from kflow.runtime import _disk

_PACKAGE_ROOT = str(pathlib.Path(kflow.__file__).resolve().parent.parent)
_SHIM = "kflow.runtime._shim"
_APPEND = os.O_WRONLY | os.O_CREAT | os.O_APPEND


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return env


def spawn_spare() -> tuple[int, int]:
    """Start a shim that waits for its pod: (its pid, our end of its socket)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-S", "-m", _SHIM, "--spare"],
            _env(),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, theirs.fileno(), 0),
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, 1, 2),
            ],
            setsid=True,
        )
    finally:
        theirs.close()
    return pid, ours.detach()


def spawn_for(pod_dir: str, lock: int) -> int:
    """Start a shim for this pod, handing it the locked `lock` (closed here)."""
    try:
        return os.posix_spawn(
            sys.executable,
            [sys.executable, "-S", "-m", _SHIM, pod_dir],
            _env(),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, os.path.join(pod_dir, _disk.SHIM_LOG), _APPEND, 0o644),
                (os.POSIX_SPAWN_DUP2, 1, 2),
                (os.POSIX_SPAWN_DUP2, lock, 3),
            ],
            setsid=True,
        )
    finally:
        os.close(lock)


class Spares:
    """The waiting spare shim, and starting shims without making the event loop wait."""

    def __init__(self, on_child: Callable[[int], None]) -> None:
        self._on_child = on_child
        self._spare: tuple[int, int] | None = None  # (pid, socket fd) of the waiting shim
        self._refilling: asyncio.Future[tuple[int, int]] | None = None  # the next spare
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._keep(spawn_spare())

    def hand_off(self, pod_dir: str, lock: int) -> None:
        """Start the pod's shim with `lock` (locked; the caller keeps its own descriptor)."""
        if self._spare is None and self._loop is not None:
            started = self._loop.run_in_executor(None, spawn_for, pod_dir, os.dup(lock))
            started.add_done_callback(self._started)
        else:
            if self._spare is None:  # not started yet: no loop to hand the wait to
                self._keep(spawn_spare())
            assert self._spare is not None
            fd = self._spare[1]
            self._spare = None
            sock = socket.socket(fileno=fd)
            try:
                socket.send_fds(sock, [pod_dir.encode()], [lock])
            finally:
                sock.close()
        self._refill()  # the next spare starts while this pod does

    def _started(self, done: asyncio.Future[int]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._on_child(done.result())
        # else nothing runs the pod: its lock is free, and the runtime's poll retries it

    def _keep(self, spare: tuple[int, int]) -> None:
        self._on_child(spare[0])
        if self._spare is None and not self._closed:
            self._spare = spare
        else:
            os.close(spare[1])  # not needed: it reads EOF and exits

    def _refill(self) -> None:
        if self._loop is None or self._refilling is not None or self._spare is not None:
            return
        self._refilling = self._loop.run_in_executor(None, spawn_spare)

        def kept(done: asyncio.Future[tuple[int, int]]) -> None:
            self._refilling = None
            if not done.cancelled() and done.exception() is None:
                self._keep(done.result())

        self._refilling.add_done_callback(kept)

    async def close(self) -> None:
        self._closed = True
        if self._refilling is not None:
            with contextlib.suppress(Exception):
                await self._refilling  # kept by its callback: closed there
        if self._spare is not None:
            os.close(self._spare[1])  # the spare reads EOF and exits
            self._spare = None
