"""The local content-addressed store: `<root>/blobs/sha256/<ab>/<hex>`, read-only.

An artifact is kept as itself — a file, or a directory tree — named by its content
digest, so identical outputs of any step, task or run are stored once. It comes in
without copying when it can: a pipeline task's output, written in a staging
directory on the store's filesystem, is *moved* in (`put`); a workflow step's
output is *hard-linked* in from the step's private scratch space, and copied only
from places the user keeps (a volume). It goes out without copying: a step's input
artifact is hard links to the stored files (`load`), a pipeline task is handed the
stored path itself. Stored content is read-only; a step must not edit an input in
place (its `mode` field makes kflow give that step a copy of its own).

Content is committed by renaming a finished temporary tree into place, so readers
never see half an artifact and two writers of the same content do not collide. With
a `RemoteRoot`, what is committed is uploaded too, and what is missing is fetched.
Blobs of earlier layouts are still read: pipeline artifacts under `<root>/sha256/`,
and workflow outputs stored as archives (`StoredArtifact.packed`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import uuid
from pathlib import Path

from kflow.artifacts import packing
from kflow.artifacts.digests import PREFIX, digest, hex_of, size_of, tree_files
from kflow.artifacts.remote import RemoteRoot
from kflow.artifacts.stored import StoredArtifact

_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _read_only(path: Path) -> None:
    for p in [*tree_files(path), *(d for d in path.rglob("*") if d.is_dir()), path]:
        if not p.is_symlink():
            p.chmod(p.stat().st_mode & ~_WRITE_BITS)


def remove(path: Path) -> None:
    """Delete a file or tree, read-only or not."""
    if path.is_dir() and not path.is_symlink():
        for p in [path, *path.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(p.stat().st_mode | stat.S_IRWXU)
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def link_or_copy(source: Path, dest: Path) -> None:
    """A hard link to `source` at `dest`; a copy across filesystems."""
    try:
        os.link(source, dest)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
            raise
        shutil.copyfile(source, dest)


def _put_file(source: Path, dest: Path, link: bool) -> None:
    # a symlink may lead anywhere (a volume): only the link's own target is copied
    (link_or_copy if link and not source.is_symlink() else shutil.copyfile)(source, dest)


def _place(source: Path, dest: Path, link: bool) -> None:
    """`source` (file or tree) at `dest`, by links or copies; into `dest` if it is a directory."""
    if not source.is_dir():
        if dest.is_dir():
            raise IsADirectoryError(f"{dest} is a directory; the artifact is a file")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.unlink(missing_ok=True)
        _put_file(source, dest, link)
        return
    dest.mkdir(parents=True, exist_ok=True)
    for sub in sorted(d for d in source.rglob("*") if d.is_dir()):
        (dest / sub.relative_to(source)).mkdir(parents=True, exist_ok=True)
    for file in tree_files(source):
        target = dest / file.relative_to(source)
        target.unlink(missing_ok=True)
        _put_file(file, target, link)


class ArtifactStore:
    """Artifacts under `root` (`$KFLOW_HOME/artifacts`), named by content."""

    def __init__(self, root: Path, remote: RemoteRoot | None = None) -> None:
        self.root = Path(root)
        self.remote = remote

    # -- where things are ------------------------------------------------------

    def path_of(self, key: str) -> Path:
        """The stored content with digest `key` (in an earlier layout if only there)."""
        hex_ = hex_of(key)
        path = self.root / "blobs" / "sha256" / hex_[:2] / hex_
        legacy = self.root / "sha256" / hex_[:2] / hex_
        return legacy if not path.exists() and legacy.exists() else path

    def has(self, key: str) -> bool:
        return self.path_of(key).exists()

    exists = has

    def available(self, key: str) -> Path:
        """The local path of `key`, fetched from the remote root first if only it has it."""
        path = self.path_of(key)
        if not path.exists() and self.remote is not None:
            scratch = self._scratch()
            if self.remote.download(key, scratch / "content"):
                self._commit(scratch / "content", key)
            remove(scratch)
        if not path.exists():
            raise FileNotFoundError(f"artifact {key} is not in the store")
        return path

    def _scratch(self) -> Path:
        path = self.root / "tmp" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def staging(self) -> Path:
        """A fresh directory for one execution's outputs, on the store's filesystem."""
        path = self.root / "staging" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def discard(self, staging: Path) -> None:
        """Remove what is left of an execution's staging directory."""
        if staging.exists():
            remove(staging)

    # -- storing ---------------------------------------------------------------

    def _commit(self, content: Path, key: str) -> Path:
        """Rename finished `content` into place as `key` (dropped if already stored)."""
        target = self.root / "blobs" / "sha256" / hex_of(key)[:2] / hex_of(key)
        if self.has(key):
            remove(content)
            return self.path_of(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        _read_only(content)
        try:
            os.rename(content, target)
        except OSError:  # another writer stored the same content first
            if not target.exists():
                raise
            remove(content)
        return target

    def upload(self, key: str) -> str:
        """The remote URI of stored `key` (uploaded if needed); "" without a remote root."""
        if self.remote is None:
            return ""
        return self.remote.upload(self.path_of(key), key)

    def put(self, staged: Path) -> tuple[Path, str]:
        """Move `staged` (on this filesystem) into the store: (its stored path, its digest).

        A path that was never written is stored as the empty file.
        """
        if not staged.exists():
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.touch()
        found = digest(staged)
        if self.has(found):
            remove(staged)
            return self.path_of(found), found
        scratch = self._scratch()
        os.rename(staged, scratch / "content")  # the same filesystem: a rename, never a copy
        stored = self._commit(scratch / "content", found)
        remove(scratch)
        return stored, found

    def save(self, source: Path, archive: str = "tgz", *, link: bool = False) -> StoredArtifact:
        """Store the file or tree at `source`, which stays where it is.

        With `link` (the source is scratch nobody edits any more) its files are
        hard-linked in; otherwise they are copied, so later edits of the source do not
        reach the store.
        """
        if not source.exists():
            raise FileNotFoundError(f"open {source}: no such file or directory")
        scratch = self._scratch()
        try:
            # a symlinked output leads out of the scratch space: copied, never linked
            _place(source, scratch / "content", link and not source.is_symlink())
            found = digest(scratch / "content")
            size = size_of(scratch / "content")
            self._commit(scratch / "content", found)
        finally:
            remove(scratch)
        uri = self.upload(found)
        return StoredArtifact(found, size, archive, source.is_dir(), uri=uri)

    def save_bytes(self, data: bytes, *, upload: bool = True) -> StoredArtifact:
        """Store `data` as a file (logs, raw artifacts); `upload=False` keeps it local only."""
        key = PREFIX + hashlib.sha256(data).hexdigest()
        if not self.has(key):
            scratch = self._scratch()
            (scratch / "content").write_bytes(data)
            self._commit(scratch / "content", key)
            remove(scratch)
        return StoredArtifact(key, len(data), "none", False, uri=self.upload(key) if upload else "")

    # -- reading ---------------------------------------------------------------

    def read_bytes(self, key: str) -> bytes:
        return self.available(key).read_bytes()

    def load(self, stored: StoredArtifact, dest: Path, *, mode: int | None = None) -> None:
        """Place the artifact at `dest`: hard links to the stored file(s), or its contents
        into `dest` when that is a directory. With `mode` (Argo's input `mode`), a copy
        with those permissions, since a shared file's permissions are everyone's."""
        blob = self.available(stored.key)
        if stored.packed and blob.is_file() and (stored.directory or stored.archive != "none"):
            packing.unpack(blob, dest)
        else:
            _place(blob, dest, link=mode is None)
        if mode is not None:
            for path in [dest, *dest.rglob("*")] if dest.is_dir() else [dest]:
                if path.is_file():
                    path.chmod(mode)

    def pack(self, stored: StoredArtifact) -> bytes:
        """The artifact as Argo would hand it over: raw for `none`, else tar/tgz."""
        blob = self.available(stored.key)
        if stored.packed:
            return blob.read_bytes()
        return packing.pack(blob, stored.archive)
