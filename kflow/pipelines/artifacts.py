"""The artifact store: content-addressed files under the data directory.

A task writes each output artifact where kfp expects it (its `uri`, a staging path
under the store's root); the launcher then hashes the content and *moves* it to
`<root>/sha256/<ab>/<digest>` — a rename on the same filesystem, so nothing is
copied — unless identical content is already stored, in which case the new copy is
dropped. Every consumer is handed the stored path itself: passing an artifact
between local tasks never copies it, and identical outputs are stored once.

A directory artifact hashes as the sorted list of its files' relative paths and
digests, so the same tree gives the same digest wherever it was written. An output
that was never written (a `Metrics` artifact lives in its metadata) is the empty file.
Stored content is made read-only: downstream tasks read it, nobody edits it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from pathlib import Path

_CHUNK = 1 << 20
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def digest(path: Path) -> str:
    """`sha256:<hex>` of a file's bytes, or of a directory's sorted (path, digest) list."""
    if not path.exists():
        return "sha256:" + hashlib.sha256(b"").hexdigest()
    if not path.is_dir():
        return "sha256:" + _file_digest(path)
    h = hashlib.sha256(b"kflow-tree\n")
    for entry in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = entry.relative_to(path).as_posix()
        h.update(f"{rel}\0{_file_digest(entry)}\n".encode())
    return "sha256:" + h.hexdigest()


def _read_only(path: Path) -> None:
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for p in paths:
        if p.is_symlink():
            continue
        p.chmod(p.stat().st_mode & ~_WRITE_BITS)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for p in [path, *path.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(p.stat().st_mode | stat.S_IWUSR | stat.S_IXUSR)
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class ArtifactStore:
    """Content-addressed artifacts under `root` (`<data dir>/artifacts` by default)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def staging(self) -> Path:
        """A fresh directory for one execution's outputs, on the store's filesystem."""
        path = self.root / "staging" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def path_of(self, digest_text: str) -> Path:
        hex_ = digest_text.removeprefix("sha256:")
        return self.root / "sha256" / hex_[:2] / hex_

    def put(self, staged: Path) -> tuple[Path, str]:
        """Move `staged` into the store; (its stored path, its digest)."""
        found = digest(staged)
        target = self.path_of(found)
        if target.exists():
            _remove(staged)
            return target, found
        target.parent.mkdir(parents=True, exist_ok=True)
        if not staged.exists():
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.touch()
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        os.rename(staged, tmp)  # the same filesystem: a rename, never a copy
        _read_only(tmp)
        try:
            os.rename(tmp, target)
        except OSError:  # another task stored the same content first
            if not target.exists():
                raise
            _remove(tmp)
        return target, found

    def has(self, digest_text: str) -> bool:
        return self.path_of(digest_text).exists()

    def discard(self, staging: Path) -> None:
        """Remove what is left of an execution's staging directory."""
        if staging.exists():
            _remove(staging)
