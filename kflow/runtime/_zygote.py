"""`python -m kflow.runtime._zygote '<warm commands>'`: the warm fork server.

The local runtime starts one per interpreter word of its warm commands (`warm.py`),
in a session of its own, with kflow's environment and working directory: what a
container running that command starts with. It imports the commands' modules and
preloads once, says so with one byte on its socket (stdin), then waits there for
pods as a spare shim does: a pod directory and that pod's locked `shim.lock`. For
each it forks a shim (`_shim.Shim`) in a new session, and the shim supervises the pod
like any other — except that a container running a warm command is not exec'd: the
forked container process closes what exec would close, takes the container's
environment, argv and signal dispositions, runs the module as `python -m` does and
exits as the interpreter would (non-daemon threads joined, atexit handlers run,
streams flushed, the exit status of `sys.exit` or 1 after a traceback). Logs, exit
codes, the process group, stopping and adoption by a restarted kflow are therefore
those of any pod. The zygote exits when the runtime closes the socket; the shims it
forked live on.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import importlib
import json
import os
import runpy
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from kflow.runtime import _mounts, _shim
from kflow.runtime.warm import WarmCommand, interpreter_env, matching

READY = b"R"  # sent once the imports are done
RESET_BY_SPAWN = (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP)
"""What the shim resets in a container before exec and Python's start-up leaves alone."""


class Runner:
    """Runs warm commands in forked container processes (`_shim.Runner`)."""

    def __init__(self, commands: list[WarmCommand], signals: dict[signal.Signals, Any]) -> None:
        self.commands = commands  # those whose imports succeeded
        self.signals = signals  # this interpreter's dispositions as it started
        self.cwd = os.path.realpath(os.getcwd())
        self.env = interpreter_env(os.environ)

    def accepts(self, argv: list[str], env: dict[str, str], cwd: str) -> bool:
        return (
            matching(argv, self.commands) is not None
            and os.path.realpath(cwd) == self.cwd
            and interpreter_env(env) == self.env
        )

    def run(self, argv: list[str], env: dict[str, str]) -> NoReturn:
        code = 1
        try:
            _close_on_exec()
            self._restore_signals()
            os.environ.clear()
            os.environ.update(env)
            sys.argv = [argv[2], *argv[3:]]  # runpy puts the module's path in argv[0]
            code = run_module(argv[2])
        except BaseException:
            with contextlib.suppress(BaseException):
                traceback.print_exc()
        finally:
            os._exit(code)

    def _restore_signals(self) -> None:
        for sig, handler in self.signals.items():
            if handler is not None:
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(sig, handler)
        for sig in RESET_BY_SPAWN:
            signal.signal(sig, signal.SIG_DFL)


def _close_on_exec() -> None:
    """Close every descriptor marked close-on-exec, as the exec we skip would have
    (the shim's lock above all: a container must never keep its pod's shim alive)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            with contextlib.suppress(OSError):
                if fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                    os.close(fd)


def _exit_status(code: object) -> int:
    """`sys.exit(code)` as the interpreter turns it into an exit status."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    with contextlib.suppress(Exception):
        print(code, file=sys.stderr)
    return 1


def run_module(module: str) -> int:
    """Run `module` as `python -m module` does and finish as the interpreter would."""
    interrupted = False
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = _exit_status(stop.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        interrupted, code = True, 130
    except BaseException as error:  # the traceback starts in the module, as with -m
        tb = error.__traceback__
        sys.excepthook(type(error), error, tb.tb_next if tb else None)
        code = 1
    finish: list[Callable[[], object]] = [
        getattr(threading, "_shutdown", lambda: None),  # joins non-daemon threads
        getattr(atexit, "_run_exitfuncs", lambda: None),
        sys.stdout.flush,
        sys.stderr.flush,
    ]
    for step in finish:
        with contextlib.suppress(Exception):
            step()
    if interrupted:  # the interpreter ends by SIGINT after a KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def _become_shim(pod_dir: str, lock: int, runner: Runner) -> NoReturn:
    """In the forked child: a shim for the pod, in a session of its own."""
    code = 0
    try:
        os.setsid()
        os.set_inheritable(lock, False)
        os.chdir("/")
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote's SIG_IGN reaps for us
        _shim.attach(pod_dir)
        _shim.Shim(pod_dir, runner).loop()
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
    """Fork a shim for each pod handed over, until the runtime closes the socket."""
    while True:
        msg, fds, _, _ = socket.recv_fds(sock, 4096, 1)
        if not msg:
            return
        if not fds:
            continue
        pid = os.fork()
        if pid == 0:
            sock.close()
            _become_shim(msg.decode(), fds[0], runner)
        os.close(fds[0])  # the shim holds the lock now


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
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # shims are reaped by the kernel
    sys.stdout.flush()
    sys.stderr.flush()
    gc.freeze()  # what the imports made stays shared with every fork, never copied by gc
    with contextlib.suppress(OSError):
        sock.sendall(READY)
    serve(sock, runner)


if __name__ == "__main__":
    main()
