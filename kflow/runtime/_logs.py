"""Container logs: one file per container run, read whole, tailed or followed.

The shim points a container's stdout and stderr at `logs/<container>/<run>.log`
before `exec`, so logs are written without kflow in the path and survive kflow's
restarts. A restart opens the next run's file, which is what `previous=True` reads.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable

CHUNK = 64 * 1024
FOLLOW_POLL = 0.05  # seconds between size checks while following


def path(pod_dir: str, container: str, run: int) -> str:
    return os.path.join(pod_dir, "logs", container, f"{run}.log")


def tail_offset(f_path: str, lines: int) -> int:
    """The offset where the last `lines` lines of the file begin."""
    with open(f_path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        if lines <= 0:
            return end
        pos, count = end, 0
        last_byte_checked = False
        while pos > 0:
            step = min(CHUNK, pos)
            pos -= step
            f.seek(pos)
            block = f.read(step)
            if not last_byte_checked:
                last_byte_checked = True
                if block.endswith(b"\n"):
                    count -= 1  # the final newline ends the last line, it starts none
            for i in range(len(block) - 1, -1, -1):
                if block[i] == 10:
                    count += 1
                    if count == lines:
                        return pos + i + 1
        return 0


async def read(
    f_path: str, start: int, follow: bool, ended: Callable[[], bool]
) -> AsyncIterator[bytes]:
    """Yield the file from `start`; when following, keep going until `ended()` and
    then drain what is left."""
    while follow and not os.path.exists(f_path):
        if ended():
            return
        await asyncio.sleep(FOLLOW_POLL)
    try:
        f = open(f_path, "rb")  # noqa: SIM115 - held across awaits
    except FileNotFoundError:
        return
    with f:
        f.seek(start)
        while True:
            finished = ended() if follow else True  # checked before reading: no lost tail
            while chunk := f.read(CHUNK):
                yield chunk
            if finished:
                return
            size = os.fstat(f.fileno()).st_size
            while size <= f.tell() and not ended():
                await asyncio.sleep(FOLLOW_POLL)
                size = os.fstat(f.fileno()).st_size
