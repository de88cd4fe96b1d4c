"""`python -m tests.runtime.warm_probe [CODE] [--sleep S] [--thread] [--raise]`, the
warm-command tests' container: prints, as one JSON line, what a program can observe
about how it was started, then ends like a program does."""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time


def _open_files() -> dict[str, str]:
    """Descriptor -> what it points to (the listing's own descriptor left out)."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[name] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
    return found


def main() -> None:
    args = sys.argv[1:]
    report = {
        "warm": "tests.runtime.warm_preload" in sys.modules,  # only a zygote imported it
        "argv": sys.argv,
        "name": __name__,
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "env": os.environ.get("PROBE_VALUE"),
        "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
        "sigpipe": signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN,
        "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
        "files": _open_files(),
        "pgid_is_pid": os.getpgid(0) == os.getpid(),
        "pid": os.getpid(),
    }
    print(json.dumps(report), flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    atexit.register(lambda: print("atexit ran", flush=True))
    if "--thread" in args:  # a non-daemon thread: the interpreter waits for it at exit

        def late() -> None:
            time.sleep(0.2)
            print("thread done", flush=True)

        threading.Thread(target=late).start()
    if "--sleep" in args:
        time.sleep(float(args[args.index("--sleep") + 1]))
    if "--raise" in args:
        raise RuntimeError("probe failed")
    print("last line, not flushed")  # block-buffered into a file: the exit flushes it
    codes = [a for a in args if a.isdigit()]
    if codes:
        sys.exit(int(codes[0]))


if __name__ == "__main__":
    main()


def rehearse() -> None:
    """The warm tests' rehearsal: leaves a mark where the test asked (and nothing else)."""
    mark = os.environ.get("WARM_PROBE_REHEARSAL_MARK")
    if mark:
        with open(mark, "a") as f:
            f.write(f"{os.getpid()}\n")
