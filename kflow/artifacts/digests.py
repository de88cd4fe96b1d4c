"""An artifact's identity: the SHA-256 of its content.

A file is the digest of its bytes. A directory is the digest of the sorted list of its
files' relative paths and digests, so the same tree gives the same digest wherever it
was written and whatever its files' times and owners. Something that does not exist
is the empty file (a KFP `Metrics` artifact that lives only in its metadata).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20
PREFIX = "sha256:"
EMPTY_DIGEST = PREFIX + hashlib.sha256(b"").hexdigest()


def file_digest(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def tree_files(path: Path) -> list[Path]:
    """The files of a directory tree (symlinks to files followed), sorted."""
    return sorted(p for p in path.rglob("*") if p.is_file())


def digest(path: Path) -> str:
    """`sha256:<hex>` of a file's bytes, or of a directory's sorted (path, digest) list."""
    if not path.exists():
        return EMPTY_DIGEST
    if not path.is_dir():
        return PREFIX + file_digest(path)
    h = hashlib.sha256(b"kflow-tree\n")
    for entry in tree_files(path):
        rel = entry.relative_to(path).as_posix()
        h.update(f"{rel}\0{file_digest(entry)}\n".encode())
    return PREFIX + h.hexdigest()


def hex_of(key: str) -> str:
    """The hex part of a `sha256:<hex>` key; ValueError for anything else."""
    algorithm, _, hex_ = key.partition(":")
    if algorithm != "sha256" or len(hex_) != 64 or any(c not in "0123456789abcdef" for c in hex_):
        raise ValueError(f"not an artifact digest: {key!r} (expected sha256:<64 hex digits>)")
    return hex_


def size_of(path: Path) -> int:
    """Bytes in a file, or in all the files of a directory."""
    if path.is_dir():
        return sum(p.stat().st_size for p in tree_files(path))
    return path.stat().st_size if path.exists() else 0
