"""Volumes found at their mountPath, through private mount namespaces (or symlinks)."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import pathlib
import shutil
import stat
import tempfile
import uuid

import pytest

from kflow.runtime import _mounts
from kflow.runtime.interface import Volume, VolumeMount, VolumeType

from .helpers import container, phase, pod, py, read_logs, running, until


def mount_path() -> str:
    return f"/mnt/kflow-test-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize("mode", ["namespace", "symlink"])
def test_claim_is_shared_between_pods_and_host_path_untouched(
    tmp_path: pathlib.Path, mode: str
) -> None:
    where = mount_path()
    claim = Volume("data", VolumeType.CLAIM, claim="shared")
    mounts = [VolumeMount("data", where)]
    writer = pod(
        py(f"open('{where}/x', 'w').write('from writer')", mounts=mounts),
        volumes=[claim],
        restart_policy="Never",
    )
    reader = pod(
        py(f"print(open('{where}/x').read())", mounts=mounts),
        volumes=[claim],
        restart_policy="Never",
    )
    data = tmp_path / "data"

    async def main() -> None:
        async with running(data, mount_mode=mode) as (rt, _):
            rt.run_pod(writer)
            await until(lambda: phase(rt, writer.uid) == "Succeeded")
            rt.remove_pod(writer.uid)
            rt.run_pod(reader)
            await until(lambda: phase(rt, reader.uid) == "Succeeded")
            assert await read_logs(rt, reader.uid) == b"from writer\n"
            assert (data / "volumes" / "default" / "shared" / "x").read_text() == "from writer"
            if mode == "namespace":  # the host only ever saw an empty mount point
                assert os.listdir(where) == []
            rt.remove_pod(reader.uid)
            assert not os.path.lexists(where)  # the mount point kflow made is gone
            assert (data / "volumes" / "default" / "shared" / "x").exists()  # the claim is kept

    asyncio.run(main())


def test_read_only_sub_path_files_and_empty_dir(tmp_path: pathlib.Path) -> None:
    base = mount_path()
    host = tmp_path / "host"
    (host / "sub").mkdir(parents=True)
    (host / "sub" / "hello").write_text("hi")
    volumes = [
        Volume("host", VolumeType.HOST_PATH, path=str(host)),
        Volume("cfg", VolumeType.FILES, files={"app.yaml": b"a: 1", "nested/b.txt": b"b"}),
        Volume("sec", VolumeType.FILES, files={"token": b"s3cret"}, secret=True),
        Volume("scratch", VolumeType.EMPTY_DIR),
    ]
    mounts = [
        VolumeMount("host", f"{base}/ro", read_only=True, sub_path="sub"),
        VolumeMount("cfg", f"{base}/cfg"),
        VolumeMount("sec", f"{base}/sec"),
        VolumeMount("scratch", f"{base}/scratch"),
    ]
    code = f"""
import os, stat
print(open('{base}/ro/hello').read())
try:
    open('{base}/ro/new', 'w')
except OSError as e:
    print('ro', e.errno)
print(open('{base}/cfg/app.yaml').read(), open('{base}/cfg/nested/b.txt').read())
print(oct(stat.S_IMODE(os.stat('{base}/sec/token').st_mode)), oct(stat.S_IMODE(os.stat('{base}/cfg/app.yaml').st_mode)))
open('{base}/scratch/tmp', 'w').write('t')
"""
    p = pod(py(code, mounts=mounts), volumes=volumes, restart_policy="Never")

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, _):
            rt.run_pod(p)
            await until(lambda: phase(rt, p.uid) in ("Succeeded", "Failed"))
            out = (await read_logs(rt, p.uid)).decode().splitlines()
            assert phase(rt, p.uid) == "Succeeded", out
            assert out == ["hi", "ro 30", "a: 1 b", "0o600 0o644"]  # 30: EROFS
            scratch = tmp_path / "data" / "pods" / p.uid / "volumes" / "scratch"
            assert (scratch / "tmp").read_text() == "t"
            assert not (host / "sub" / "new").exists()
            rt.remove_pod(p.uid)
            assert not scratch.exists()
            assert not os.path.lexists(base)

    asyncio.run(main())


def test_a_deep_missing_mount_point_stays_inside_the_pod(tmp_path: pathlib.Path) -> None:
    # like /var/run/secrets/kubernetes.io/serviceaccount: only the topmost missing
    # directory appears on the host, empty; the rest lives on a tmpfs in the pod
    top = mount_path()
    deep = f"{top}/kubernetes.io/serviceaccount"
    volumes = [Volume("sa", VolumeType.FILES, files={"namespace": b"team-a"})]
    code = f"import time; print(open('{deep}/namespace').read(), flush=True); time.sleep(30)"
    p = pod(py(code, mounts=[VolumeMount("sa", deep)]), volumes=volumes, restart_policy="Never")

    async def main() -> None:
        async with running(tmp_path / "data") as (rt, _):
            rt.run_pod(p)
            for _ in range(1000):
                with contextlib.suppress(LookupError):  # not started yet
                    if b"team-a" in await read_logs(rt, p.uid):
                        break
                await asyncio.sleep(0.01)
            assert phase(rt, p.uid) == "Running"
            assert await read_logs(rt, p.uid) == b"team-a\n"
            assert os.listdir(top) == []  # the host never sees kubernetes.io/...
            await rt.stop_pod(p.uid, grace_seconds=0)
            rt.remove_pod(p.uid)
            assert not os.path.lexists(top)

    asyncio.run(main())


def test_unknown_volume_fails_the_container_clearly(tmp_path: pathlib.Path) -> None:
    p = pod(py("pass", mounts=[VolumeMount("nope", mount_path())]), restart_policy="Never")

    async def main() -> None:
        async with running(tmp_path) as (rt, _):
            rt.run_pod(p)
            await until(lambda: phase(rt, p.uid) == "Failed")
            term = container(rt, p.uid)["state"]["terminated"]
            assert term["reason"] == "CreateContainerError"
            assert "'nope'" in term["message"]

    asyncio.run(main())


def test_symlink_fallback_refuses_an_existing_path(tmp_path: pathlib.Path) -> None:
    taken = tmp_path / "exists"
    taken.mkdir()
    p = pod(
        py("pass", mounts=[VolumeMount("v", str(taken))]),
        volumes=[Volume("v", VolumeType.EMPTY_DIR)],
        restart_policy="Never",
    )

    async def main() -> None:
        async with running(tmp_path / "data", mount_mode="symlink") as (rt, _):
            rt.run_pod(p)
            await until(lambda: phase(rt, p.uid) == "Failed")
            term = container(rt, p.uid)["state"]["terminated"]
            assert "mount namespaces are unavailable" in term["message"]
            assert stat.S_ISDIR(os.lstat(taken).st_mode)

    asyncio.run(main())


@pytest.mark.skipif(os.geteuid() != 0, reason="becomes another user to try the unprivileged path")
def test_unprivileged_user_gets_a_user_and_mount_namespace() -> None:
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="kflow-test-"))  # pytest's tmp is root-only
    try:
        _unprivileged(tmp_path)
    finally:
        shutil.rmtree(tmp_path)


def _unprivileged(tmp_path: pathlib.Path) -> None:
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "f").write_text("hi")
    for d in (tmp_path, src, dst):
        d.chmod(0o777)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE, as for a user who logged in
            _mounts.enter_namespace([(str(src), str(dst), True)])
            seen = (dst / "f").read_text()
            try:
                (dst / "g").write_text("x")
                ro = "writable"
            except OSError as e:
                ro = str(e.errno)
            os.write(w, f"{seen} {os.getuid()} {ro}".encode())
        except BaseException as e:
            os.write(w, f"error {e!r}".encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        reply = f.read().decode()
    os.waitpid(pid, 0)
    if reply.startswith("error") and "unshare" in reply:
        pytest.skip(f"user namespaces are disabled here: {reply}")
    assert reply == "hi 65534 30"  # the caller's own uid, and readOnly holds (EROFS)
    assert os.listdir(dst) == []


def test_a_volume_over_tmp_does_not_hide_another_volume_under_tmp(tmp_path: pathlib.Path) -> None:
    # the data directory (and so every volume's source) is under /tmp, as in tests
    assert str(tmp_path).startswith("/tmp/")
    private_tmp = tmp_path / "private-tmp"
    private_tmp.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "f").write_text("seen")
    volumes = [
        Volume("tmp", VolumeType.HOST_PATH, path=str(private_tmp)),
        Volume("shared", VolumeType.HOST_PATH, path=str(shared)),
    ]
    where = mount_path()
    mounts = [VolumeMount("tmp", "/tmp"), VolumeMount("shared", where)]
    reader = pod(
        py(f"open('/tmp/mine', 'w').write('x'); print(open('{where}/f').read())", mounts=mounts),
        volumes=volumes,
        restart_policy="Never",
    )

    async def main() -> None:
        async with running(tmp_path / "data", mount_mode="namespace") as (rt, _):
            rt.run_pod(reader)
            await until(lambda: phase(rt, reader.uid) in ("Succeeded", "Failed"))
            assert await read_logs(rt, reader.uid) == b"seen\n"
            assert (private_tmp / "mine").read_text() == "x"
            rt.remove_pod(reader.uid)

    asyncio.run(main())
