"""A node's files on this machine: its script, its captured stdout, its inputs, its /tmp.

Argo's executor writes a script template's `source` to a file, captures the main
container's standard output for `outputs.result`, loads input artifacts into the
container and reads outputs back from it. On kflow's local runtime a pod's
processes run on this machine, so the workflow controller prepares those files
itself, in one directory per node under the data directory:

    workflows/<namespace>/<workflow>-<uid>/<node id>/
        script      the script's source, passed to its command as the last argument
        stdout      the main container's standard output (tee'd; its log still has both)
        tmp/        the container's own /tmp, when inputs or outputs live under /tmp
        inputs/<n>  input artifact n, mounted at its `path` (outside /tmp)

A private /tmp gives parallel loop iterations that all write `/tmp/out.txt` a file
each, as separate containers would have. The whole directory goes when the
workflow is deleted.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

_UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# runs the main container's command with its stdout copied to "$0", keeping its exit code
STDOUT_TEE = '{ "$@"; echo $? > "$0.rc"; } | tee "$0"; read rc < "$0.rc"; exit "$rc"'


class Staging:
    """Per-node directories under `root` (`<data dir>/workflows`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def workflow_dir(self, namespace: str, name: str, uid: str) -> Path:
        return self.root / namespace / f"{name}-{uid}"

    def node_dir(self, namespace: str, name: str, uid: str, node_id: str) -> Path:
        path = self.workflow_dir(namespace, name, uid) / node_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def remove_workflow(self, namespace: str, name: str, uid: str | None = None) -> None:
        """Delete a workflow's directories (every uid of that name when `uid` is None)."""
        base = self.root / namespace
        if not base.is_dir():
            return
        prefix = f"{name}-"
        for entry in base.iterdir():
            rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
            if _UID.match(rest) and (uid is None or rest == uid):
                shutil.rmtree(entry, ignore_errors=True)


def inside(base: Path, relative: str) -> Path:
    """`base/relative`, refusing paths that would leave `base`."""
    target = Path(os.path.normpath(base / relative.lstrip("/")))
    if os.path.commonpath([base, target]) != str(base):
        raise ValueError(f"path {relative!r} leaves its directory")
    return target


def under_tmp(path: str) -> bool:
    normal = os.path.normpath(path)
    return normal == "/tmp" or normal.startswith("/tmp/")


def read_capped(path: Path, limit: int) -> str | None:
    """The text of `path` (its last `limit` bytes), or None when it does not exist."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - limit))
            data = f.read()
    except FileNotFoundError:
        return None
    return data.decode(errors="replace")
