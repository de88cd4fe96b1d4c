"""`packages_to_install`, honoured once per environment instead of once per step.

KFP's lightweight components start with `pip install <packages> kfp==...` in every
pod. kflow runs them in the environment it is installed in, so it asks that
environment instead: when every requirement is already installed at a version its
specifier allows (and every marker that applies holds), nothing is installed; when
one is missing, `pip install` runs once, under a lock shared by concurrent tasks, and
a marker file remembers the set was satisfied so later tasks skip even the check. The
kfp package itself is never reinstalled: the component runs with the kfp that kflow
runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from kflow.pipelines.errors import ComponentFailed


def _satisfied(text: str) -> bool:
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return False  # a URL, a path, an option: let pip decide
    if requirement.marker is not None and not requirement.marker.evaluate():
        return True
    if requirement.url:
        return False
    try:
        installed = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return requirement.specifier.contains(installed, prereleases=True)


def is_kfp(text: str) -> bool:
    """The kfp self-install KFP adds to every component (or a user's own kfp pin)."""
    try:
        return Requirement(text).name.lower() in ("kfp", "kfp-pipeline-spec")
    except InvalidRequirement:
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure(requirements: Sequence[str], pip_options: Sequence[str], markers: Path) -> bool:
    """Make `requirements` importable; True when pip had to install something."""
    wanted = [r for r in requirements if not is_kfp(r)]
    if not wanted:
        return False
    key = hashlib.sha256(
        json.dumps([sys.executable, sorted(wanted), list(pip_options)]).encode()
    ).hexdigest()
    marker = markers / key
    if marker.exists():
        return False
    if all(_satisfied(r) for r in wanted):
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("\n".join(wanted) + "\n")
        return False
    with _locked(markers / ".lock"):
        if marker.exists():  # a concurrent task installed them while we waited
            return False
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        print(f"kflow: installing {' '.join(wanted)} once for this environment", flush=True)
        done = subprocess.run(
            [*command, *pip_options, *wanted], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise ComponentFailed(
                f"pip could not install packages_to_install {wanted}: {done.stderr.strip()[-2000:]}"
            )
        marker.write_text("\n".join(wanted) + "\n")
    return True
