"""A warm container's process: forked from the zygote's shim, running a module without exec.

`Runner` is the shim's `Runner`: it accepts a container whose command, interpreter
environment and working directory match a warm command the zygote imported
(`warm.py`), and runs it as a fresh `python -m` would have: it closes what exec
would close (the shim's lock above all: a container must never keep its pod's shim
alive), takes the interpreter's start-up signal dispositions, the container's
environment and argv, runs the module as `__main__`, and ends as the interpreter
ends (non-daemon threads joined, atexit handlers, streams flushed; the status of
`sys.exit`, 1 after a traceback, death by SIGINT after a KeyboardInterrupt).

The process it runs in was forked ahead of its pod and has rehearsed (`_prepared.py`).
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import fcntl
import importlib.util
import os
import runpy
import signal
import sys
import threading
import traceback
import types
from collections.abc import Callable
from importlib.abc import InspectLoader
from importlib.machinery import ModuleSpec
from types import CodeType
from typing import Any, NoReturn

from kflow.runtime.warm import WarmCommand, interpreter_env, matching

RESET_BY_SPAWN = (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP)
"""What the shim resets in a container before exec and Python's start-up leaves alone."""


class Runner:
    """Runs warm commands in forked container processes (`_shim.Runner`)."""

    def __init__(self, commands: list[WarmCommand], signals: dict[signal.Signals, Any]) -> None:
        self.commands = commands  # those whose imports succeeded
        self.signals = signals  # this interpreter's dispositions as it started
        self.cwd = os.path.realpath(os.getcwd())
        self.env = interpreter_env(os.environ)
        # each module's spec and code, found and read once here rather than per container
        self.mains: dict[str, tuple[ModuleSpec, CodeType]] = {}
        for command in commands:
            spec = importlib.util.find_spec(command.module)
            loader = spec.loader if spec is not None else None
            code = loader.get_code(command.module) if isinstance(loader, InspectLoader) else None
            if spec is not None and isinstance(code, CodeType):
                self.mains[command.module] = (spec, code)

    def rehearse(self) -> None:
        """While a prepared child waits: do what every warm container does first, so the
        memory it writes is already its own when the container starts (after a fork
        each first write to a page copies it, and that is much of a fork's cost)."""
        env = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        for command in self.commands:  # the module's body, as its import was
            spec, code = self.mains.get(command.module, (None, None))
            if spec is None or code is None:
                continue
            namespace: dict[str, Any] = {
                "__name__": spec.name,
                "__spec__": spec,
                "__file__": spec.origin,
            }
            with contextlib.suppress(Exception):
                exec(code, namespace)
                if command.rehearsal:
                    namespace[command.rehearsal]()

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
            sys.argv = [argv[2], *argv[3:]]
            code = run_module(argv[2], self.mains.get(argv[2]))
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
    """Close every descriptor marked close-on-exec, as the exec we skip would have."""
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


def _run_main(spec: ModuleSpec, code: CodeType) -> None:
    """Execute a module's code as `__main__`, as `python -m` does."""
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __spec__=spec,
        __file__=spec.origin,
        __cached__=spec.cached,
        __loader__=spec.loader,
        __package__=spec.parent,
        __builtins__=builtins,
    )
    sys.modules["__main__"] = main
    sys.argv[0] = spec.origin or sys.argv[0]
    exec(code, main.__dict__)


def run_module(module: str, main: tuple[ModuleSpec, CodeType] | None = None) -> int:
    """Run `module` as `python -m module` does (with its spec and code when already
    read) and finish as the interpreter would."""
    interrupted = False
    try:
        if main is not None:
            _run_main(*main)
        else:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = _exit_status(stop.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        interrupted, code = True, 130
    except BaseException as error:  # the traceback starts in the module, as with -m
        tb = error.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
            tb = tb.tb_next  # this module's frames are not the program's
        error = error.with_traceback(tb)
        sys.excepthook(type(error), error, error.__traceback__)
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
