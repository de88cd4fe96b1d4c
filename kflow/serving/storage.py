"""Storage URIs: where a model's files are, as a local directory the loaders can read.

Local paths and `file://` are used in place (so their versions can be watched);
`pvc://<claim>/<path>` is the claim's directory under the claims root, which is where
kflow's local runtime keeps PersistentVolumeClaims (`$KFLOW_HOME/runtime/volumes/<namespace>`);
`s3://`, `gs://` and any other fsspec protocol are copied once into a cache directory.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from kflow.serving.errors import ModelLoadError


def default_claims_root(namespace: str = "default") -> Path:
    home = Path(os.environ.get("KFLOW_HOME") or Path.home() / ".kflow")
    return home / "runtime" / "volumes" / namespace


def is_remote(uri: str) -> bool:
    scheme = urlparse(uri).scheme
    return len(scheme) > 1 and scheme not in ("file", "pvc")


def resolve(uri: str, *, claims_root: Path | None = None, cache_dir: Path | None = None) -> Path:
    """The local path holding the model at `uri`, downloading remote URIs first."""
    parsed = urlparse(uri)
    scheme = parsed.scheme
    if len(scheme) <= 1:  # a plain path (a one-letter scheme is a Windows drive)
        path = Path(uri).expanduser()
    elif scheme == "file":
        path = Path(unquote(parsed.path))
    elif scheme == "pvc":
        root = claims_root or default_claims_root()
        claim = parsed.netloc
        if not claim:
            raise ModelLoadError(f"{uri}: a pvc:// URI names a claim: pvc://<claim>/<path>")
        path = root / claim / unquote(parsed.path).lstrip("/")
    else:
        return _download(uri, cache_dir or Path.home() / ".cache" / "kflow" / "models")
    if not path.exists():
        raise ModelLoadError(f"{uri}: no such file or directory ({path})")
    return path.resolve()


def _download(uri: str, cache_dir: Path) -> Path:
    try:
        import fsspec
    except ImportError:
        raise ModelLoadError(f"{uri}: remote storage needs fsspec (pip install fsspec)") from None
    target = cache_dir / hashlib.sha256(uri.encode()).hexdigest()[:16]
    try:
        fs, remote = fsspec.core.url_to_fs(uri)
    except (ImportError, ValueError) as exc:
        raise ModelLoadError(f"{uri}: {exc}") from None
    try:
        if fs.isdir(remote):
            target.mkdir(parents=True, exist_ok=True)
            fs.get(remote.rstrip("/") + "/", str(target), recursive=True)
            return target
        target.mkdir(parents=True, exist_ok=True)
        local = target / Path(remote).name
        fs.get(remote, str(local))
        return local
    except (OSError, FileNotFoundError) as exc:
        raise ModelLoadError(f"{uri}: cannot download: {exc}") from None
