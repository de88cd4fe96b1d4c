"""Run a LocalRuntime in its own process, so a test can `kill -9` kflow for real.

    python driver.py <data_dir> <uid> <marker> <gate>

Starts one pod (`uid`) that prints a counter until `gate` exists and then exits 7,
prints `ready <container pid>` once the pod is Running, and waits to be killed.
"""

from __future__ import annotations

import asyncio
import pathlib
import sys

from kflow.runtime.interface import Container, PodLaunch
from kflow.runtime.local import LocalRuntime

COUNTER = """
import os, sys, time
i = 0
while not os.path.exists(sys.argv[2]):
    print('tick', i, flush=True)
    i += 1
    time.sleep(0.02)
raise SystemExit(7)
"""


def launch(uid: str, marker: str, gate: str) -> PodLaunch:
    c = Container("main", "python:3.11", [sys.executable, "-c", COUNTER, marker, gate], [], {})
    return PodLaunch(
        uid=uid, namespace="default", name="adopted", containers=[c], restart_policy="Never"
    )


async def main(data_dir: str, uid: str, marker: str, gate: str) -> None:
    rt = LocalRuntime(pathlib.Path(data_dir))
    running = asyncio.Event()

    def changed(changed_uid: str) -> None:
        st = rt.pod_status(changed_uid)
        if st and st["phase"] == "Running":
            running.set()

    await rt.start(changed, lambda event: None)
    rt.run_pod(launch(uid, marker, gate))
    await asyncio.wait_for(running.wait(), 20)
    st = rt.pod_status(uid)
    assert st is not None
    pid = st["containerStatuses"][0]["containerID"].removeprefix("local://")
    print("ready", pid, flush=True)
    await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
