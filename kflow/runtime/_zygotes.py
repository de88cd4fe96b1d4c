"""The runtime's side of the warm fork server (`_zygote.py`): one per interpreter word.

`LocalRuntime` starts a zygote for its warm commands, hears on the zygote's socket
when the imports are done (one byte) or when it is gone (end of file), and hands it
the pods that run a warm command once it is ready — exactly what it hands a spare
shim: the pod directory and the pod's locked `shim.lock`. Until the zygote is ready,
after it is gone, or when the socket is full, `hand_off` says no and the pod goes to
the spare shim as any pod does: it then runs cold, as written. A zygote gone after it
was ready is started again at the next warm pod, at most every `RESTART_SECONDS`; one
that never got ready (the interpreter lacks kflow, say) is not.

The zygote runs with kflow's own environment and working directory, which is what a
container of a pod inherits when it sets neither; `warm.py` says when a container's
own settings still allow it to run warm.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import time

from kflow.runtime import _zygote
from kflow.runtime.warm import WarmCommand

MODULE = _zygote.__name__
READY = _zygote.READY
RESTART_SECONDS = 5.0


class Zygote:
    """A warm fork server for the warm commands of one interpreter word."""

    def __init__(
        self,
        interpreter: str,
        commands: list[WarmCommand],
        log_path: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.interpreter = interpreter
        self.commands = commands
        self.log_path = log_path
        # the environment pods start with (kflow's plus the runtime's pod_env): a warm
        # container takes a pod only when their interpreters' environments agree
        self.env = dict(os.environ) if env is None else dict(env)
        self.pid: int | None = None
        self.ready = False  # imports done: pods handed over now run warm
        # it could not start, or ended before it was ready: this interpreter cannot run it
        # (no kflow there, say), so it is not started again; its log says why
        self.unusable = False
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._started = -RESTART_SECONDS

    def start(self, loop: asyncio.AbstractEventLoop) -> int | None:
        """Start the zygote process; its pid (the caller reaps it), None if it can't."""
        self._loop, self._started = loop, time.monotonic()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        spec = json.dumps([c.to_json() for c in self.commands])
        log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            # found on the pods' PATH, as a pod's own `python3` would be
            found = shutil.which(self.interpreter, path=self.env.get("PATH")) or self.interpreter
            pid = os.posix_spawnp(
                found,
                [self.interpreter, "-m", MODULE, spec],
                self.env,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, theirs.fileno(), 0),
                    (os.POSIX_SPAWN_DUP2, log, 1),
                    (os.POSIX_SPAWN_DUP2, log, 2),
                ],
                setsid=True,
            )
        except OSError as error:
            ours.close()
            self.unusable = True
            with contextlib.suppress(OSError):
                os.write(log, f"kflow: cannot start {self.interpreter}: {error}\n".encode())
            return None
        finally:
            theirs.close()
            os.close(log)
        ours.setblocking(False)
        self.pid, self._sock, self.ready = pid, ours, False
        loop.add_reader(ours.fileno(), self._on_readable)
        return pid

    def restart_due(self) -> bool:
        return (
            not self.unusable
            and self._sock is None
            and time.monotonic() - self._started >= RESTART_SECONDS
        )

    def _on_readable(self) -> None:
        if self._sock is None:
            return
        try:
            data = self._sock.recv(64)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.unusable = self.unusable or not self.ready
            self._gone()
        elif READY in data:
            self.ready = True

    def hand_off(self, pod_dir: str, lock: int) -> bool:
        """Give the pod to the zygote; False when it could not take it (then run it cold)."""
        if not self.ready or self._sock is None:
            return False
        try:
            socket.send_fds(self._sock, [pod_dir.encode()], [lock])
        except BlockingIOError:
            return False
        except OSError:
            self._gone()
            return False
        return True

    def _gone(self) -> None:
        self.ready = False
        if self._sock is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None

    def close(self) -> None:
        """Close the socket: the zygote reads end of file and exits."""
        self._gone()
