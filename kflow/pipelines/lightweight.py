"""Lightweight Python components (`@dsl.component`), run with kfp's own executor.

The compiled command of such a component is two shell stages: `sh -c '<pip install
packages_to_install and kfp>' && "$0" "$@"`, then `sh -ec '<write the source to a
file>; python3 -m kfp.dsl.executor_main --component_module_path <file> "$@"'` with
the function's source and `--executor_input {{$}} --function_to_execute <name>`.
kflow recognises that shape and keeps its meaning without its cost: the packages go
through `packages.ensure` (once per environment, no venv), and the second stage runs
in the launcher's own interpreter — the source written to a file and
`kfp.dsl.executor_main` run as `python -m` would run it, with the same arguments.
Anything else (container components, a `target_image` component) runs as written.
"""

from __future__ import annotations

import dataclasses
import os
import runpy
import shlex
import sys
from pathlib import Path

from kflow.pipelines.packages import is_kfp

EXECUTOR_MODULE = "kfp.dsl.executor_main"
_PIP_VALUE_OPTIONS = ("--index-url", "--extra-index-url", "--trusted-host", "-i")


@dataclasses.dataclass(frozen=True)
class PythonComponent:
    source: str  # the component function's module, as the compiler embedded it
    arguments: list[str]  # what follows the module path: --executor_input {{$}} ...
    requirements: list[str]  # packages_to_install (and the kfp self-install)
    pip_options: list[str]  # --index-url ... from pip_index_urls / pip_trusted_hosts


def _pip_installs(script: str) -> tuple[list[str], list[str]]:
    requirements: list[str] = []
    options: list[str] = []
    for segment in script.replace("&&", "\n").splitlines():
        if "pip install" not in segment:
            continue
        words = shlex.split(segment.split("pip install", 1)[1])
        found: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if word in _PIP_VALUE_OPTIONS and i + 1 < len(words):
                pair = [word, words[i + 1]]
                if not any(options[j : j + 2] == pair for j in range(0, len(options), 2)):
                    options += pair
                i += 2
                continue
            if not word.startswith("-"):
                found.append(word)
            i += 1
        if not any(is_kfp(r) for r in found):  # kfp's own install: kflow's kfp runs it
            requirements += found
    return requirements, options


def recognise(argv: list[str]) -> PythonComponent | None:
    """The lightweight component in a compiled command line, or None for anything else."""
    requirements: list[str] = []
    options: list[str] = []
    rest = argv
    if rest[:2] == ["sh", "-c"] and len(rest) > 2 and '"$0" "$@"' in rest[2]:
        requirements, options = _pip_installs(rest[2])
        rest = rest[3:]
    if rest[:2] in (["sh", "-ec"], ["sh", "-c"]) and len(rest) > 3 and EXECUTOR_MODULE in rest[2]:
        return PythonComponent(rest[3], rest[4:], requirements, options)
    return None


def run(component: PythonComponent, arguments: list[str], workdir: Path) -> None:
    """Run the component's function through `kfp.dsl.executor_main`, in this process."""
    module = workdir / "ephemeral_component.py"
    module.write_text(component.source)
    os.environ["_KFP_RUNTIME"] = "true"
    sys.argv = [EXECUTOR_MODULE, "--component_module_path", str(module), *arguments]
    runpy.run_module(EXECUTOR_MODULE, run_name="__main__", alter_sys=True)
