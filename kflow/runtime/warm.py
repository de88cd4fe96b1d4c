"""Warm commands: containers that run a Python module kflow keeps imported in advance.

A pipeline task's container is `python3 -m kflow.pipelines.launcher ...`, and most of
its time is the interpreter starting and importing kfp. The local runtime can keep
one process with those imports done (the "zygote", `_zygote.py`) and fork each such
pod's supervisor from it, so the container is a fork that runs the module at once
instead of a new interpreter. Which commands get this is configured, never guessed:
a `WarmCommand` names the command word and the module exactly as containers spell
them (`kflow up` configures kflow's pipeline launcher, `kflow.pipelines.contract`).

A container runs warm only when a fresh interpreter would have been the same one in
the same state: the same command word, with the same variables that choose or
start the interpreter (`PATH`, `PYTHON*`, locale, virtualenv and pyenv variables), in
the same working directory (`sys.path[0]` of `-m` is the directory it starts in).
Anything else runs as written. Imported by the shim: standard library only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

INTERPRETER_ENV = ("PATH", "LANG", "VIRTUAL_ENV", "CONDA_PREFIX", "LD_LIBRARY_PATH", "LD_PRELOAD")
"""Variables that choose the interpreter a command word runs, or how it starts."""
INTERPRETER_ENV_PREFIXES = ("PYTHON", "PYENV", "LC_")
"""Families of such variables: Python's own (`PYTHONPATH`, `PYTHONHASHSEED`, ...),
pyenv's (its shims pick the version from them) and the locale (stdio encodings)."""


@dataclasses.dataclass(frozen=True)
class WarmCommand:
    """`<interpreter> -m <module> ...` containers run forked from a warm process."""

    interpreter: str  # the command word as containers spell it, e.g. "python3"
    module: str  # the module run with -m
    preload: tuple[str, ...] = ()  # imported in advance besides the module's own imports
    # a function of the module that a forked process calls before its container arrives,
    # doing what every run does first on nothing (so that memory is its own); "" for none
    rehearsal: str = ""

    def to_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> WarmCommand:
        preload = data.get("preload") or ()
        assert isinstance(preload, (list, tuple))
        return cls(
            str(data["interpreter"]),
            str(data["module"]),
            tuple(map(str, preload)),
            str(data.get("rehearsal") or ""),
        )


def matching(argv: Sequence[str], commands: Iterable[WarmCommand]) -> WarmCommand | None:
    """The warm command `argv` runs, if any: `[interpreter, "-m", module, ...]`."""
    if len(argv) < 3 or argv[1] != "-m":
        return None
    return next((c for c in commands if c.interpreter == argv[0] and c.module == argv[2]), None)


def interpreter_env(env: Mapping[str, str]) -> dict[str, str]:
    """The part of `env` that decides which interpreter starts and how."""
    return {
        key: value
        for key, value in env.items()
        if key in INTERPRETER_ENV or key.startswith(INTERPRETER_ENV_PREFIXES)
    }
