"""Run as `python -m tests.runtime.warm_probe [exit code] [--sleep S] [--thread]` by the
warm-command tests: prints what a container can observe about how it started, then
exits like a program would."""

from __future__ import annotations

import atexit
import json
import os
import signal
import sys
import threading
import time


def main() -> None:
    args = sys.argv[1:]
    warm = "tests.runtime.warm_preload" in sys.modules  # imported ahead only by a zygote
    report = {
        "warm": warm,
        "argv": sys.argv,
        "name": __name__,
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "env": os.environ.get("PROBE_VALUE"),
        "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
        "sigpipe": signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN,
        "sigterm": signal.getsignal(signal.SIGTERM) == signal.SIG_DFL,
        "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "pgid_is_pid": os.getpgid(0) == os.getpid(),
    }
    print(json.dumps(report), flush=True)
    print("to stderr", file=sys.stderr, flush=True)
    atexit.register(lambda: print("atexit ran", flush=True))
    if "--thread" in args:  # a non-daemon thread the interpreter waits for at exit
        threading.Thread(target=lambda: (time.sleep(0.2), print("thread done", flush=True))).start()
    if "--sleep" in args:
        time.sleep(float(args[args.index("--sleep") + 1]))
    if "--raise" in args:
        raise RuntimeError("probe failed")
    print("unflushed last line")  # block-buffered: the exit must flush it
    codes = [a for a in args if a.isdigit()]
    if codes:
        sys.exit(int(codes[0]))


if __name__ == "__main__":
    main()
