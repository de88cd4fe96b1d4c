"""Where a local pod keeps its state on disk, and how that state is written.

Crash safety rests on the disk, not on memory: the runtime and the per-pod shim
(`_shim.py`) never share anything but the files below, so a new runtime can adopt
a pod from them alone. Every JSON file is replaced atomically (temp file +
`os.replace`), so a reader never sees half a file even if a writer is killed.
This module is imported by the shim, so it uses the standard library only.

    <data_dir>/notify.fifo                 shims write a pod uid here after each change
    <data_dir>/volumes/<ns>/<claim>/       persistentVolumeClaim directories (kept)
    <data_dir>/pods/<uid>/launch.json      the PodLaunch plus what the runtime decided
    <data_dir>/pods/<uid>/status.json      written by the shim only (until it is lost)
    <data_dir>/pods/<uid>/events.jsonl     appended by the shim; runtime emits them
    <data_dir>/pods/<uid>/events.offset    how much of events.jsonl was emitted
    <data_dir>/pods/<uid>/stop.json        written by the runtime before it signals
    <data_dir>/pods/<uid>/shim.lock        flock-held by the shim while it lives
    <data_dir>/pods/<uid>/shim.log         the shim's own stderr
    <data_dir>/pods/<uid>/logs/<container>/<run>.log
    <data_dir>/pods/<uid>/volumes/<volume>/   emptyDir and configMap/secret files
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from typing import Any

LAUNCH = "launch.json"
STATUS = "status.json"
EVENTS = "events.jsonl"
EVENTS_OFFSET = "events.offset"
STOP = "stop.json"
LOCK = "shim.lock"
SHIM_LOG = "shim.log"
NOTIFY_FIFO = "notify.fifo"


def now() -> str:
    """The current time as Kubernetes writes it (RFC3339, seconds, UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_json(path: str, data: Any, mode: int = 0o644) -> None:
    """Replace `path` with `data` as JSON, atomically."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, json.dumps(data, separators=(",", ":")).encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_json(path: str) -> Any:
    """The JSON in `path`, or None when it does not exist (yet)."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read())
    except FileNotFoundError:
        return None


def append_event(pod_dir: str, type_: str, reason: str, message: str) -> None:
    """Append one event line; O_APPEND keeps concurrent lines whole."""
    line = json.dumps({"type": type_, "reason": reason, "message": message}) + "\n"
    fd = os.open(os.path.join(pod_dir, EVENTS), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def notify(fifo: str, uid: str) -> None:
    """Tell a listening runtime that `uid` changed; silently skip when none listens."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:  # ENXIO: no reader (kflow is down); ENOENT: never created
        return
    try:
        os.write(fd, (uid + "\n").encode())
    except OSError as e:  # a full pipe only delays the news until the next poll
        if e.errno not in (errno.EAGAIN, errno.EPIPE):
            raise
    finally:
        os.close(fd)


def lock_is_held(pod_dir: str) -> bool:
    """Whether a shim holds the pod's lock, i.e. is alive (immune to pid reuse)."""
    try:
        fd = os.open(os.path.join(pod_dir, LOCK), os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if we took it
    return False
