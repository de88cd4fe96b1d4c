"""A child forked before its pod is known, waiting to become that pod's warm container.

`Prepared` is the shim's `Prepared`: the zygote's spare shim forks it as soon as the
spare exists, and while it waits it rehearses (`Runner.rehearse`: the environment,
the module's body and the module's own rehearsal), so the memory every run writes
first is already its own. When the pod's warm container starts, the shim sends it
`become_container`'s arguments (argv, env, working directory and mounts as JSON; the
log and error-pipe descriptors alongside), so no fork is left on the container's
path. A prepared child whose shim goes away reads end of file and exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from typing import NoReturn

from kflow.runtime import _mounts, _shim
from kflow.runtime._warm_container import Runner

_HEADER = 8  # bytes of the length of a prepared child's instructions


class Prepared:
    """A forked child waiting to become a warm container (`_shim.Prepared`)."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock: socket.socket | None = sock

    @classmethod
    def fork(cls, runner: Runner, parents: list[socket.socket]) -> Prepared | None:
        """Fork it; `parents` are its parent's sockets, which it must not hold open (a
        spare's socket kept open by this child would take pods nobody reads)."""
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:
            ours.close()
            for held in parents:
                held.close()
            with contextlib.suppress(Exception):
                runner.rehearse()
            _wait(theirs, runner)
        theirs.close()
        return cls(pid, ours)

    def go(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: str,
        mounts: list[_mounts.Mount],
        log_fd: int,
        err_w: int,
    ) -> int | None:
        sock, self.sock = self.sock, None
        if sock is None:
            return None
        payload = json.dumps([argv, env, cwd, mounts]).encode()
        try:
            socket.send_fds(sock, [len(payload).to_bytes(_HEADER, "big")], [log_fd, err_w])
            sock.sendall(payload)
        except OSError:
            self._reap()
            return None
        finally:
            sock.close()
        return self.pid

    def discard(self) -> None:
        if self.sock is not None:
            self.sock.close()  # it reads end of file and exits
            self.sock = None
            self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _wait(sock: socket.socket, runner: Runner) -> NoReturn:
    """In the prepared child: wait for the container, then become it."""
    err_w = -1
    try:
        header, fds, _, _ = socket.recv_fds(sock, _HEADER, 2)
        if not header or len(fds) != 2:
            os._exit(0)  # not needed after all
        for fd in fds:
            os.set_inheritable(fd, False)
        log_fd, err_w = fds
        header += _read(sock, _HEADER - len(header))
        argv, env, cwd, mounts = json.loads(_read(sock, int.from_bytes(header, "big")))
        sock.close()
        boxes = [(str(a), str(b), bool(c)) for a, b, c in mounts]
        _shim.become_container(argv, env, cwd, boxes, log_fd, err_w, runner)
    except BaseException as error:
        if err_w >= 0:  # the shim reads it as a failed start
            with contextlib.suppress(OSError):
                os.write(err_w, f"CreateContainerError\0{error}".encode())
    os._exit(127)
