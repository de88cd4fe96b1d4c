"""An artifact repository or pipeline root by URL, through fsspec.

When a run's `pipeline_root` or kflow's artifact repository is a URL (`s3://bucket/x`,
`gs://bucket/x`, `file:///srv/artifacts`, fsspec's `memory://` in tests), every
artifact the local store keeps is also uploaded there, under the same content-addressed
layout (`<url>/blobs/sha256/<ab>/<hex>`: a file, or a directory of files), once: an
upload is skipped when the repository already has it. Steps keep reading the local
copy; a digest the local store lacks is downloaded from the repository first.

fsspec is imported only here and only when a URL is given; the protocol's own package
(`s3fs`, `gcsfs`) and its credentials are the user's, as with any fsspec program.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from kflow.artifacts.digests import hex_of, tree_files


class ArtifactRepositoryError(OSError):
    """The repository could not be opened, written or read; the message says which and why."""


def _fsspec() -> Any:
    try:
        return importlib.import_module("fsspec")
    except ImportError:
        raise ArtifactRepositoryError(
            "an artifact repository URL needs fsspec (pip install fsspec, plus s3fs or gcsfs)"
        ) from None


class RemoteRoot:
    """Content-addressed artifacts under a URL."""

    def __init__(self, url: str) -> None:
        if "://" not in url:
            url = Path(url).expanduser().resolve().as_uri()
        self.url = url.rstrip("/")
        fsspec = _fsspec()
        try:
            self.fs, self.base = fsspec.core.url_to_fs(self.url)
        except (ImportError, ValueError) as error:  # an unknown protocol, its package missing
            raise ArtifactRepositoryError(f"artifact repository {url!r}: {error}") from None
        self.protocol = self.url.split("://", 1)[0]

    def _relative(self, key: str) -> str:
        hex_ = hex_of(key)
        return f"blobs/sha256/{hex_[:2]}/{hex_}"

    def uri_of(self, key: str) -> str:
        """The URL of the artifact with this digest in the repository."""
        return f"{self.url}/{self._relative(key)}"

    def _path(self, key: str) -> str:
        return f"{self.base.rstrip('/')}/{self._relative(key)}"

    def has(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def upload(self, local: Path, key: str) -> str:
        """Put the stored file or tree `local` (digest `key`) in the repository; its URL."""
        try:
            return self._upload(local, key)
        except ArtifactRepositoryError:
            raise
        except Exception as error:  # any fsspec backend's failure, with what was being done
            raise ArtifactRepositoryError(
                f"artifact repository {self.url}: cannot upload {key}: {error}"
            ) from error

    def _upload(self, local: Path, key: str) -> str:
        target = self._path(key)
        if not self.fs.exists(target):
            if local.is_dir():
                for file in tree_files(local):
                    remote = f"{target}/{file.relative_to(local).as_posix()}"
                    self.fs.makedirs(remote.rsplit("/", 1)[0], exist_ok=True)
                    self.fs.put_file(str(file), remote)
            else:
                self.fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
                self.fs.put_file(str(local), target)
        return self.uri_of(key)

    def download(self, key: str, dest: Path) -> bool:
        """Fetch the artifact with digest `key` to `dest`; False if the repository lacks it."""
        try:
            return self._download(key, dest)
        except ArtifactRepositoryError:
            raise
        except Exception as error:
            raise ArtifactRepositoryError(
                f"artifact repository {self.url}: cannot download {key}: {error}"
            ) from error

    def _download(self, key: str, dest: Path) -> bool:
        source = self._path(key)
        if not self.fs.exists(source):
            return False
        if self.fs.isdir(source):
            for remote in sorted(self.fs.find(source)):
                rel = remote[len(source.rstrip("/")) + 1 :]
                target = (dest / rel).resolve()
                if not target.is_relative_to(dest.resolve()):
                    raise ArtifactRepositoryError(
                        f"artifact repository entry {remote!r} leaves its artifact"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                self.fs.get_file(remote, str(target))
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(source, str(dest))
        return True
