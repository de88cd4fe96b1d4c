"""Which versions of a model to serve, TF Serving's way.

A model directory whose subdirectories have numeric names holds one version per
subdirectory; anything else is a single, unversioned model served as version 1.
`VersionPolicy` says which of the versions on disk are served — the latest N, all of
them, or a specific list — exactly as TF Serving's `model_version_policy`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from kflow.serving.errors import InvalidInput


class PolicyKind(enum.Enum):
    LATEST = "latest"  # the N highest version numbers
    ALL = "all"  # every version on disk
    SPECIFIC = "specific"  # the listed versions, those that exist


@dataclass(frozen=True)
class VersionPolicy:
    """TF Serving's `model_version_policy`."""

    kind: PolicyKind = PolicyKind.LATEST
    count: int = 1  # for LATEST
    versions: tuple[int, ...] = ()  # for SPECIFIC

    @classmethod
    def parse(cls, text: str) -> VersionPolicy:
        """`latest`, `latest:2`, `all`, or `specific:1,3` (what `kflow serve` accepts)."""
        kind, _, arg = text.strip().partition(":")
        try:
            if kind == "latest":
                count = int(arg) if arg else 1
                if count < 1:
                    raise ValueError
                return cls(PolicyKind.LATEST, count=count)
            if kind == "all" and not arg:
                return cls(PolicyKind.ALL)
            if kind == "specific" and arg:
                return cls(PolicyKind.SPECIFIC, versions=tuple(int(v) for v in arg.split(",")))
        except ValueError:
            pass
        raise InvalidInput(
            f"version policy {text!r}: expected latest[:N] (N >= 1), all, or specific:V1,V2"
        )

    def select(self, available: list[int]) -> list[int]:
        """The versions to serve out of those on disk, ascending."""
        ordered = sorted(available)
        if self.kind is PolicyKind.ALL:
            return ordered
        if self.kind is PolicyKind.SPECIFIC:
            return [v for v in ordered if v in self.versions]
        return ordered[-self.count :]


def versions_on_disk(path: Path) -> dict[int, Path] | None:
    """{version: directory} for a versioned model directory, None for an unversioned one."""
    if not path.is_dir():
        return None
    found = {
        int(child.name): child
        for child in path.iterdir()
        if child.is_dir() and child.name.isdigit()
    }
    return found or None
