"""Helpers for the local runtime tests: real processes, polled with deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from kflow.runtime.interface import Container, PodLaunch, RuntimeEvent
from kflow.runtime.local import LocalRuntime

PY = sys.executable


async def until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll `predicate` until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(0.01)


def py(code: str, name: str = "main", **kw: Any) -> Container:
    """A container running `python -c code`."""
    return Container(
        name=name,
        image="python:3.11",
        command=[PY, "-c", code],
        args=[],
        env=kw.pop("env", {}),
        **kw,
    )


def pod(*containers: Container, uid: str | None = None, **kw: Any) -> PodLaunch:
    uid = uid or uuid.uuid4().hex[:12]
    return PodLaunch(
        uid=uid, namespace="default", name=f"pod-{uid[:6]}", containers=list(containers), **kw
    )


class Recorder:
    """Collects on_change uids and events."""

    def __init__(self) -> None:
        self.changes: list[str] = []
        self.events: list[RuntimeEvent] = []

    def reasons(self, uid: str) -> list[str]:
        return [e.reason for e in self.events if e.pod_uid == uid]


@contextlib.asynccontextmanager
async def running(
    data_dir: pathlib.Path, **kw: Any
) -> AsyncIterator[tuple[LocalRuntime, Recorder]]:
    """A started LocalRuntime whose pods are all stopped and removed afterwards."""
    kw.setdefault("backoff_base", 0.05)
    rt = LocalRuntime(data_dir, **kw)
    rec = Recorder()
    await rt.start(rec.changes.append, rec.events.append)
    try:
        yield rt, rec
    finally:
        for uid in rt.known_pods():
            await rt.stop_pod(uid, 0)
            rt.remove_pod(uid)  # also removes mount points the pods made
        await rt.close()


def phase(rt: LocalRuntime, uid: str) -> str:
    st = rt.pod_status(uid)
    return st["phase"] if st else ""


def container(rt: LocalRuntime, uid: str, name: str = "main", init: bool = False) -> dict[str, Any]:
    st = rt.pod_status(uid)
    assert st is not None
    key = "initContainerStatuses" if init else "containerStatuses"
    return next(c for c in st[key] if c["name"] == name)


async def read_logs(rt: LocalRuntime, uid: str, name: str = "main", **kw: Any) -> bytes:
    return b"".join([chunk async for chunk in rt.logs(uid, name, **kw)])
