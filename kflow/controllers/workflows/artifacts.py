"""kflow's artifact store: content-addressed files under the data directory.

A workflow's output artifacts (`outputs.artifacts[].path`) and every step's log are
kept here, so they outlive the pods that made them. A stored artifact is one blob,
named by the SHA-256 of its bytes (`blobs/sha256/ab/abcdef...`): the same output
produced twice — by two steps, two runs, or a step retried — is stored once. Blobs
are written to a temporary file, hashed on the way, and renamed into place, so a
reader never sees half a blob and two writers of the same content do not collide.

Archives are made deterministic (entries sorted, times, owners and gzip header
zeroed) so identical content gives identical bytes: `tgz` is Argo's default
(`archive: {tar: {}}`), `tar` is uncompressed (`tar: {compressionLevel: 0}`), and
`none` keeps a file's raw bytes (a directory is then an uncompressed tar that is
unpacked again on load). An archive holds one root entry, `artifact`, the file or
directory itself, which loading places at the input's `path`, as Argo does.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

ROOT_ENTRY = "artifact"
CHUNK = 1 << 20


@dataclasses.dataclass(frozen=True)
class StoredArtifact:
    """Where a saved artifact's bytes are, and how to unpack them."""

    key: str  # "sha256:<hex>" of the blob
    size: int  # bytes in the blob
    archive: str  # "tgz", "tar" or "none"
    directory: bool  # the artifact is a directory

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredArtifact:
        return cls(
            key=str(data["key"]),
            size=int(data.get("size") or 0),
            archive=str(data.get("archive") or "tgz"),
            directory=bool(data.get("directory")),
        )


def archive_of(spec: dict[str, Any] | None) -> str:
    """An artifact's `archive` field as one of "tgz", "tar", "none"."""
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
                    if full.is_symlink() or full.is_file() or full.is_dir():
                        arc = f"{ROOT_ENTRY}/{full.relative_to(source).as_posix()}"
                        tar.add(str(full), arcname=arc, recursive=False, filter=_tarinfo)


class _Hashing(io.RawIOBase):
    """A write-only file that hashes and counts what passes through it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.digest.update(chunk)
        self.size += len(chunk)
        self.out.write(chunk)
        return len(chunk)


class ArtifactStore:
    """Blobs under `root`, named by content."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, key: str) -> Path:
        algorithm, _, digest = key.partition(":")
        if algorithm != "sha256" or len(digest) != 64 or not digest.isalnum():
            raise ValueError(f"not an artifact key: {key!r}")
        return self.root / "blobs" / "sha256" / digest[:2] / digest

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def _commit(
        self, tmp: Path, digest: str, size: int, archive: str, directory: bool
    ) -> StoredArtifact:
        key = f"sha256:{digest}"
        target = self.path_of(key)
        if target.is_file():
            tmp.unlink()  # already stored: the same bytes, once
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        return StoredArtifact(key, size, archive, directory)

    def _temporary(self) -> tuple[IO[bytes], Path]:
        scratch = self.root / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=scratch)
        return os.fdopen(fd, "wb"), Path(name)

    def save(self, source: Path, archive: str = "tgz") -> StoredArtifact:
        """Store the file or directory at `source` (which must exist)."""
        if not source.exists():
            raise FileNotFoundError(f"open {source}: no such file or directory")
        directory = source.is_dir()
        out, tmp = self._temporary()
        try:
            with out:
                hashing = _Hashing(out)
                if archive == "none" and not directory:
                    with open(source, "rb") as f:
                        shutil.copyfileobj(f, hashing, CHUNK)
                elif archive == "tgz":
                    with gzip.GzipFile(fileobj=hashing, mode="wb", mtime=0) as gz:
                        _write_tar(source, gz)  # type: ignore[arg-type]
                else:
                    _write_tar(source, hashing)  # type: ignore[arg-type]
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return self._commit(tmp, hashing.digest.hexdigest(), hashing.size, archive, directory)

    def save_bytes(self, data: bytes) -> StoredArtifact:
        """Store `data` as a raw file (logs, raw artifacts)."""
        out, tmp = self._temporary()
        with out:
            out.write(data)
        return self._commit(tmp, hashlib.sha256(data).hexdigest(), len(data), "none", False)

    def read_bytes(self, key: str) -> bytes:
        return self.path_of(key).read_bytes()

    def load(self, stored: StoredArtifact, dest: Path) -> None:
        """Place the artifact at `dest`: the file itself, or the directory's contents."""
        blob = self.path_of(stored.key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if stored.archive == "none" and not stored.directory:
            shutil.copyfile(blob, dest)
            return
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
