"""Volumes found at their mountPath: materialize volume directories, then mount them.

A container expects its volumes at absolute paths (`/data`, `/etc/config`) that on
this machine belong to the host. Each container that mounts something therefore
runs in a private mount namespace: as root `unshare(CLONE_NEWNS)`; otherwise a user
namespace too (`CLONE_NEWUSER`, mapping the caller's own uid and gid), the same as
`unshare -Urm` without pretending to be root. Inside it the volume directory is
bind-mounted at `mountPath` (with `subPath`; `readOnly` by a read-only remount), so
the host's `/data` is never touched and two pods may both use `/data`.

Missing mount points must exist on the host to mount over them: kflow creates the
topmost missing directory of each (or the empty file, for a file `subPath`) and
removes it when the last pod using it is removed. The rest of a deep path
(`/var/run/secrets/kubernetes.io/serviceaccount`) is made inside the namespace, on a
tmpfs over that empty directory, so the machine never sees it.

Fallback when namespaces are unavailable (a container without CAP_SYS_ADMIN and
with user namespaces disabled): a symlink is made at `mountPath` to the volume
directory if nothing exists there yet and its parent is writable; this is visible to
the whole machine, shared by every pod, and `readOnly` is not enforced. When even
that is impossible the container fails with reason `CreateContainerError` and a
message naming the path. The namespace work runs in the forked child just before
`exec`, so this module is imported by the shim: standard library only.
"""

from __future__ import annotations

import base64
import ctypes
import functools
import os
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 16384, 1 << 18, 1 << 21
# statvfs f_flag bit -> the mount flag a remount must keep (the kernel refuses to drop
# flags that were locked, e.g. inside a user namespace)
_KEEP = {
    2: MS_NOSUID,
    4: MS_NODEV,
    8: MS_NOEXEC,
    1024: MS_NOATIME,
    2048: MS_NODIRATIME,
    4096: MS_RELATIME,
}

Mount = tuple[str, str, bool]  # (source on the host, mountPath, read only)


def inside(base: str, relative: str) -> str:
    """`base/relative`, refusing anything that would resolve outside `base`.

    Admission already rejects `..` and absolute paths; this is the second line, since
    a pod's files are written by root.
    """
    target = os.path.normpath(os.path.join(base, relative))
    if os.path.isabs(relative) or os.path.commonpath([base, target]) != os.path.normpath(base):
        raise OSError(f"path {relative!r} leaves its volume")
    return target


def prepare_volumes(launch: dict[str, Any], pod_dir: str, data_dir: str) -> dict[str, str]:
    """Create every volume's directory; return volume name -> host directory."""
    dirs: dict[str, str] = {}
    for vol in launch["volumes"]:
        kind, name = vol["type"], vol["name"]
        if kind == "hostPath":
            path = vol["path"]
            os.makedirs(path, exist_ok=True)
        elif kind == "persistentVolumeClaim":
            path = os.path.join(data_dir, "volumes", launch["namespace"], vol["claim"])
            os.makedirs(path, exist_ok=True)
        else:  # emptyDir, files
            path = os.path.join(pod_dir, "volumes", name)
            os.makedirs(path, exist_ok=True)
            mode = 0o600 if vol.get("secret") else 0o644
            for rel, content in vol.get("files", {}).items():
                target = inside(path, rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
                with os.fdopen(fd, "wb") as f:
                    f.write(base64.b64decode(content))
                os.chmod(target, mode)
        dirs[name] = path
    return dirs


def plan(mounts: list[dict[str, Any]], volume_dirs: dict[str, str]) -> list[Mount]:
    """The bind mounts for one container, parents before children."""
    out: list[Mount] = []
    for m in mounts:
        if m["name"] not in volume_dirs:
            raise OSError(f"volumeMounts {m['name']!r}: no volume of that name in the pod")
        source = volume_dirs[m["name"]]
        if m.get("sub_path"):
            source = inside(source, m["sub_path"])
            if not os.path.exists(source):  # like the kubelet: a missing subPath is a dir
                os.makedirs(source, exist_ok=True)
        out.append((source, os.path.normpath(m["mount_path"]), bool(m.get("read_only"))))
    return sorted(out, key=lambda m: m[1].count("/"))


def _make_parents(path: str) -> list[str]:
    """Create the missing parents of `path`; return them, outermost first."""
    missing = []
    parent = os.path.dirname(path)
    while not os.path.exists(parent):
        missing.append(parent)
        parent = os.path.dirname(parent)
    for d in reversed(missing):
        os.mkdir(d)
    return list(reversed(missing))


def _topmost_missing(path: str) -> str:
    while not os.path.exists(os.path.dirname(path)):
        path = os.path.dirname(path)
    return path


def _make_point(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.mkdir(target)
    else:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o644))


def make_mount_points(mounts: list[Mount]) -> list[str]:
    """Create missing mount points on the host; return what was created (to clean up).

    Only the topmost missing directory is made on the host: the rest of a deep path
    (`/var/run/secrets/kubernetes.io/serviceaccount`) is made inside the pod's own
    namespace on a tmpfs (`enter_namespace`), so other programs on the machine never
    see it — a Kubernetes client must not think it runs in a cluster because a pod did.
    """
    created: list[str] = []
    deferred: list[str] = []  # made empty here; filled inside the namespace
    for source, target, _ in mounts:
        if os.path.lexists(target) or any(target.startswith(d + "/") for d in deferred):
            continue
        top = _topmost_missing(target)
        parent = os.path.dirname(top)
        if parent != "/" and not os.listdir(parent):
            continue  # an empty directory (another pod's point): the namespace's tmpfs
        if top == target:
            _make_point(source, target)
        else:
            os.mkdir(top)
            deferred.append(top)
        created.append(top)
    return created


def _prepare_target(source: str, target: str, scratch: set[str]) -> None:
    """Inside the namespace: make a mount point that is missing on the host, on a tmpfs
    over its (empty, kflow-made) nearest existing ancestor."""
    if os.path.lexists(target):
        return
    anchor = os.path.dirname(target)
    while not os.path.exists(anchor):
        anchor = os.path.dirname(anchor)
    if anchor not in scratch and not any(anchor.startswith(d + "/") for d in scratch):
        if os.listdir(anchor):  # a directory of the host's own: make the point there
            os.makedirs(os.path.dirname(target), exist_ok=True)
            _make_point(source, target)
            return
        _check(
            _LIBC.mount(b"tmpfs", os.fsencode(anchor), b"tmpfs", 0, b"mode=755"),
            f"tmpfs at {anchor}",
        )
        scratch.add(anchor)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    _make_point(source, target)


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


_LIBC = _libc()


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare() -> None:
    if os.geteuid() == 0:
        _check(_LIBC.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        return
    uid, gid = os.geteuid(), os.getegid()
    _check(_LIBC.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare(CLONE_NEWUSER|CLONE_NEWNS)")
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"{uid} {uid} 1"),
        ("gid_map", f"{gid} {gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def enter_namespace(mounts: list[Mount]) -> None:
    """In the container's child process: a private mount namespace with `mounts`."""
    _unshare()
    # stop mounts below from propagating back to the host's namespace
    _check(_LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    # every source is opened before anything is mounted: a mount over /tmp must not hide
    # the source of a later one that lives under /tmp (a data directory there)
    held = [os.open(source, os.O_PATH | os.O_CLOEXEC) for source, _, _ in mounts]
    scratch: set[str] = set()
    for (_, target, read_only), fd in zip(mounts, held, strict=True):
        source = f"/proc/self/fd/{fd}"
        _prepare_target(source, target, scratch)
        src, dst = os.fsencode(source), os.fsencode(target)
        _check(_LIBC.mount(src, dst, None, MS_BIND | MS_REC, None), f"bind {source} at {target}")
        if read_only:
            keep = 0
            flags = os.statvfs(target).f_flag
            for bit, flag in _KEEP.items():
                if flags & bit:
                    keep |= flag
            flags_ro = MS_REMOUNT | MS_BIND | MS_RDONLY | keep
            _check(_LIBC.mount(None, dst, None, flags_ro, None), f"read-only remount of {target}")


@functools.cache
def namespaces_available() -> bool:
    """Whether this process may create a private mount namespace (probed in a child,
    once: the warm fork server probes before it forks, so its shims never fork for it)."""
    pid = os.fork()
    if pid == 0:
        try:
            _unshare()
            os._exit(0)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def link(mounts: list[Mount]) -> list[str]:
    """The fallback without namespaces: a symlink at each mountPath; return them."""
    made: list[str] = []
    for source, target, _ in mounts:
        if os.path.islink(target) and os.readlink(target) == source:
            continue
        if os.path.lexists(target):
            raise OSError(
                f"cannot mount at {target}: mount namespaces are unavailable and the "
                "path exists on this machine; use a mountPath that does not exist"
            )
        try:
            made += _make_parents(target)
            os.symlink(source, target)
        except OSError as e:
            raise OSError(
                f"cannot mount at {target}: mount namespaces are unavailable and a "
                f"symlink could not be made there ({e.strerror})"
            ) from None
        made.append(target)
    return made
