"""`python -m kflow.runtime._zygote '<warm commands>'`: the warm fork server.

The local runtime starts one per interpreter word of its warm commands (`warm.py`),
in a session of its own, with kflow's environment and working directory: what a
container running that command starts with. It imports the commands' modules and
preloads once, says so with one byte on its socket (stdin), then serves pods as the
runtime's spare shim does: each message is a pod directory and that pod's locked
`shim.lock`.

Nothing is forked on a pod's path. The zygote keeps a spare: a forked child, already
in a session of its own, that has itself forked the child its warm container will be
(`_prepared.Prepared`). A pod goes to the spare, which becomes its shim
(`_shim.Shim`, supervising the pod like any other) and hands the waiting child its
container; the zygote then forks the next spare. A container that does not run a
warm command is forked and exec'd by the shim as usual. Logs, exit codes, the process
group, stopping and adoption by a restarted kflow are those of any pod. The zygote
exits when the runtime closes the socket; spares follow it, shims live on.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import signal
import socket
import sys
import traceback
from typing import NoReturn

from kflow.runtime import _mounts, _shim
from kflow.runtime._prepared import Prepared
from kflow.runtime._warm_container import Runner
from kflow.runtime.warm import WarmCommand

READY = b"R"  # sent once the imports are done
HAND_OVER_TRIES = 3  # spares started for one pod before it is given back


class Spare:
    """A forked child waiting for a pod, with its warm container's child forked too."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock

    @classmethod
    def fork(cls, runtime: socket.socket, runner: Runner) -> Spare | None:
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            pid = os.fork()
        except OSError:
            return None
        if pid == 0:
            ours.close()
            runtime.close()
            _spare(theirs, runner)
        theirs.close()
        return cls(pid, ours)

    def take(self, message: bytes, lock: int) -> bool:
        """Hand the pod over; False when the spare is gone."""
        try:
            socket.send_fds(self.sock, [message], [lock])
        except OSError:
            return False
        finally:
            self.sock.close()
        return True

    def close(self) -> None:
        self.sock.close()  # it reads end of file and exits


def _spare(sock: socket.socket, runner: Runner) -> NoReturn:
    """In the spare: a session of its own and a prepared child, then a pod's shim."""
    code = 0
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's SIG_IGN reaps for us
        prepared = Prepared.fork(runner, [sock]) if runner.commands else None
        message, fds, _, _ = socket.recv_fds(sock, 4096, 1)
        sock.close()
        if not message or not fds:
            if prepared is not None:
                prepared.discard()
            os._exit(0)
        os.set_inheritable(fds[0], False)  # the pod's lock: held while this shim lives
        pod_dir = message.decode()
        os.chdir("/")
        _shim.attach(pod_dir)
        _shim.Shim(pod_dir, runner, prepared).loop()
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve(sock: socket.socket, runner: Runner) -> None:
    """Hand each pod to the spare and fork the next, until the runtime closes the socket."""
    spare = Spare.fork(sock, runner)
    while True:
        message, fds, _, _ = socket.recv_fds(sock, 4096, 1)
        if not message:
            if spare is not None:
                spare.close()
            return
        if not fds:
            continue
        for _ in range(HAND_OVER_TRIES):
            if spare is not None and spare.take(message, fds[0]):
                break
            spare = Spare.fork(sock, runner)
        os.close(fds[0])  # the shim holds the lock now (or nobody: the runtime retries)
        spare = Spare.fork(sock, runner)


def preload(commands: list[WarmCommand]) -> list[WarmCommand]:
    """Import each command's preloads and module; the commands that can run warm."""
    ready = []
    for command in commands:
        try:
            for name in (*command.preload, command.module):
                importlib.import_module(name)
        except Exception:
            print(f"kflow zygote: {command.module} runs cold:", file=sys.stderr)
            traceback.print_exc()
            continue
        sys.modules.pop(command.module, None)  # run fresh as __main__, as -m does
        ready.append(command)
    if len(os.listdir("/proc/self/task")) > 1:  # forking a threaded process is unsafe
        print("kflow zygote: the imports started threads; every command runs cold", file=sys.stderr)
        return []
    return ready


def main() -> None:
    signals = {sig: signal.getsignal(sig) for sig in signal.valid_signals()}
    commands = [WarmCommand.from_json(c) for c in json.loads(sys.argv[1])]
    sock = socket.socket(fileno=os.dup(0))  # close-on-exec, unlike the stdin it came as
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    runner = Runner(preload(commands), signals)
    _mounts.namespaces_available()  # probed once here, not in every shim
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # spares are reaped by the kernel
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # what the imports made stays shared with every fork, never copied by gc
    with contextlib.suppress(OSError):
        sock.sendall(READY)
    serve(sock, runner)


if __name__ == "__main__":
    main()
