"""Process identity: a pid plus its start time names one process for good.

Pids are reused, so the shim records each container's pid together with the
kernel's start time for it (field 22 of `/proc/<pid>/stat`), and anything that
signals a recorded pid later (the runtime finishing a lost pod) checks both first.
Imported by the shim: standard library only.
"""

from __future__ import annotations

import os


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parens: split after the last ")"
    fields = stat[stat.rindex(b")") + 2 :].split()
    return int(fields[19])


def is_same(pid: int, started: int | None) -> bool:
    """Whether `pid` is still the process that started at `started`."""
    return pid > 0 and started is not None and start_time(pid) == started


def kill_group(pid: int, started: int | None, sig: int) -> bool:
    """Signal the process group led by `pid` if `pid` is still that process."""
    if not is_same(pid, started):
        return False
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return False
    return True


def exit_code(wait_status: int) -> int:
    """A waitpid status as Kubernetes reports it: the code, or 128 + signal."""
    code = os.waitstatus_to_exitcode(wait_status)
    return code if code >= 0 else 128 - code
