"""Argo's `archive` choices and deterministic tar archives.

The store keeps content unpacked, so steps can link to it; archives are made only
when someone asks for an artifact as Argo would hand it over (a download, KFP v1's
`mlpipeline-*` files) and read only for blobs written before the store was shared,
when workflow outputs were stored as their archives. Archives are deterministic
(entries sorted, times, owners and gzip header zeroed) and hold one root entry,
`artifact`, the file or directory itself, which unpacking places at the destination.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

ROOT_ENTRY = "artifact"


def archive_of(spec: dict[str, Any] | None) -> str:
    """An Argo artifact's `archive` field as one of "tgz" (the default), "tar", "none"."""
    if not isinstance(spec, dict) or not spec:
        return "tgz"
    if "none" in spec:
        return "none"
    tar = spec.get("tar")
    if isinstance(tar, dict) and tar.get("compressionLevel") == 0:
        return "tar"
    return "tgz"


def _tarinfo(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
    return info


def _write_tar(source: Path, out: IO[bytes]) -> None:
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(str(source), arcname=ROOT_ENTRY, recursive=False, filter=_tarinfo)
        if source.is_dir():
            for directory, dirs, files in os.walk(source):
                dirs.sort()
                for name in [*sorted(dirs), *sorted(files)]:
                    full = Path(directory) / name
                    arc = f"{ROOT_ENTRY}/{full.relative_to(source).as_posix()}"
                    tar.add(str(full), arcname=arc, recursive=False, filter=_tarinfo)


def pack(source: Path, archive: str) -> bytes:
    """`source` as Argo would store it: the raw file for `none`, else a tar or tgz."""
    if archive == "none" and not source.is_dir():
        return source.read_bytes()
    buffer = io.BytesIO()
    if archive == "tgz":
        with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
            _write_tar(source, gz)  # type: ignore[arg-type]
    else:
        _write_tar(source, buffer)
    return buffer.getvalue()


def unpack(blob: Path, dest: Path) -> None:
    """Place a packed blob's root entry at `dest` (into it, when `dest` is a directory)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".load-"))
    try:
        with tarfile.open(blob, "r:*") as tar:  # gzip or plain, by its header
            tar.extractall(scratch, filter="data")
        root = scratch / ROOT_ENTRY
        if dest.is_dir() and root.is_dir():
            for entry in root.iterdir():  # into an existing directory (a mount point)
                os.replace(entry, dest / entry.name)
        else:
            os.replace(root, dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
