"""The per-pod supervisor: `python -m kflow.runtime._shim`, one process per pod.

kflow must be able to die (even `kill -9`) without taking its pods along, and a new
kflow must find them again. So each pod runs under this small process, started in
its own session: it sets up mounts, runs the init containers then the containers,
applies the restart policy with its backoff, writes stdout+stderr straight into one
log file per container run, and records every change atomically in `status.json`
(with container pids and start times), telling a listening runtime through the
data dir's FIFO. It holds `shim.lock` for its whole life, which is how a runtime
knows it is alive. It imports the standard library and three small kflow modules
only, to start fast.

The runtime keeps one shim pre-started (`--spare`): it waits on a socket on stdin
for a pod directory and that pod's already-locked `shim.lock` descriptor, so a new
pod costs no interpreter start-up and the lock is held from the moment of hand-off.
On SIGTERM the shim reads `stop.json` (the grace period), forwards SIGTERM to every
container's process group, SIGKILLs them at the deadline, records the final state
and exits. A shim forked by the warm fork server (`_zygote.py`) is given a `Runner`:
a container it accepts runs in the forked process instead of being exec'd; every
other step is the same.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import socket
import sys
import time
from typing import Any, NoReturn, Protocol

from kflow.runtime import _disk, _mounts, _podstatus, _proc

NO_COMMAND = "no command: the image is recorded, not pulled, so a command is required"


class Runner(Protocol):
    """Runs some containers' commands in the forked container process, without exec."""

    def accepts(self, argv: list[str], env: dict[str, str], cwd: str) -> bool: ...

    def run(self, argv: list[str], env: dict[str, str]) -> NoReturn: ...


class Prepared(Protocol):
    """A child forked ahead of its pod, waiting to become a warm container."""

    def go(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: str,
        mounts: list[_mounts.Mount],
        log_fd: int,
        err_w: int,
    ) -> int | None:
        """Hand it the container (`become_container`'s arguments); its pid, or None if
        it is gone (then fork as usual)."""

    def discard(self) -> None:
        """It will not be needed: it exits."""


class Box:
    """One container (or init container) and everything the shim tracks for it."""

    def __init__(self, spec: dict[str, Any], init: bool, waiting: str) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.init = init  # an init container: runs to completion before the others
        self.cs = _podstatus.container(spec, waiting)  # the Kubernetes containerStatus
        self.run = -1  # index of the latest log file (one per run)
        self.ended_run = -1  # highest run index that has ended
        self.pid = 0  # running process (its group leader), 0 when none
        self.pid_start: int | None = None  # its /proc start time, against pid reuse
        self.started_mono = 0.0
        self.crashes = 0  # consecutive restarts, for the backoff
        self.restart_at: float | None = None  # monotonic time of the next start
        self.done = False  # ended and will not be restarted
        self.pulled = False


def become_container(
    argv: list[str],
    env: dict[str, str],
    cwd: str,
    mounts: list[_mounts.Mount],
    log_fd: int,
    err_w: int,
    runner: Runner | None,
) -> NoReturn:
    """In a container's own process, from its fork to exec (or to a warm run): its
    signals, process group, mounts, working directory and stdio; a failure is
    reported on `err_w` as "<reason>\\0<message>"."""
    reason = "CreateContainerError"
    try:
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGINT, signal.SIGPIPE, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.set_wakeup_fd(-1)
        os.setpgid(0, 0)
        if mounts:
            _mounts.enter_namespace(mounts)
        os.makedirs(cwd, exist_ok=True)
        os.chdir(cwd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        reason = "StartError"
        if runner is not None and runner.accepts(argv, env, cwd):
            os.close(err_w)  # as a successful exec would: nothing to report
            runner.run(argv, env)
        os.execvpe(argv[0], argv, env)
    except FileNotFoundError as e:
        msg = (
            f'exec: "{argv[0]}": executable file not found in $PATH'
            if reason == "StartError"
            else str(e)
        )
        os.write(err_w, f"{reason}\0{msg}".encode())
    except BaseException as e:
        os.write(err_w, f"{reason}\0{e}".encode())
    finally:
        os._exit(127)


class Shim:
    def __init__(
        self, pod_dir: str, runner: Runner | None = None, prepared: Prepared | None = None
    ) -> None:
        self.dir = pod_dir
        self.runner = runner
        self.prepared = prepared
        self.launch: dict[str, Any] = _disk.read_json(os.path.join(pod_dir, _disk.LAUNCH))
        rt = self.launch["runtime"]
        self.uid: str = self.launch["uid"]
        self.fifo: str = rt["fifo"]
        self.policy: str = self.launch["restart_policy"]
        self.backoff = rt["backoff"]
        self.volume_dirs: dict[str, str] = rt["volume_dirs"]
        self.init_boxes = [Box(c, True, "PodInitializing") for c in self.launch["init_containers"]]
        waiting = "PodInitializing" if self.init_boxes else "ContainerCreating"
        self.boxes = [Box(c, False, waiting) for c in self.launch["containers"]]
        self.init_done = not self.init_boxes
        self.init_failed = False
        self.stopping = False
        self.kill_at: float | None = None
        self.conditions: list[dict[str, Any]] = []
        self.start_time = rt["created"]
        self.mount_mode: str = rt["mount_mode"]
        self.created_paths: list[str] = []
        self.stop_requested = False
        self.dirty = True

    # -- events and status ---------------------------------------------------------
    def event(self, type_: str, reason: str, message: str) -> None:
        _disk.append_event(self.dir, type_, reason, message)

    def all_boxes(self) -> list[Box]:
        return self.init_boxes + self.boxes

    def write_status(self) -> None:
        now = _disk.now()
        init = [b.cs for b in self.init_boxes]
        main = [b.cs for b in self.boxes]
        done = {b.name for b in self.all_boxes() if b.done}
        ph = _podstatus.phase(init, main, done, self.init_failed)
        final = all(b.done for b in self.boxes) or self.init_failed
        self.conditions = _podstatus.conditions(
            self.conditions, init, main, self.init_done, ph, now
        )
        status: dict[str, Any] = {
            "phase": ph,
            "conditions": self.conditions,
            "hostIP": _podstatus.HOST_IP,
            "podIP": _podstatus.POD_IP,
            "podIPs": [{"ip": _podstatus.POD_IP}],
            "startTime": self.start_time,
            "containerStatuses": main,
        }
        if init:
            status["initContainerStatuses"] = init
        record = {
            "shim": {"pid": os.getpid(), "start": _proc.start_time(os.getpid())},
            "final": final,
            "containers": {
                b.name: {"pid": b.pid, "start": b.pid_start, "run": b.run, "ended_run": b.ended_run}
                for b in self.all_boxes()
            },
            "created_paths": self.created_paths,
            "status": status,
        }
        _disk.write_json(os.path.join(self.dir, _disk.STATUS), record)
        _disk.notify(self.fifo, self.uid)
        self.dirty = False

    # -- starting ------------------------------------------------------------------
    def env(self, spec: dict[str, Any]) -> dict[str, str]:
        rt = self.launch["runtime"]
        return {**rt["base_env"], **rt["extra_env"], **spec["env"]}

    def start(self, box: Box) -> None:
        box.restart_at = None
        box.run += 1
        logs = os.path.join(self.dir, "logs", box.name)
        os.makedirs(logs, exist_ok=True)
        log_fd = os.open(
            os.path.join(logs, f"{box.run}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
        )
        try:
            if not box.pulled:
                box.pulled = True
                self.event(
                    "Normal",
                    "Pulled",
                    f'Image "{box.spec["image"]}" is recorded, not pulled: kflow runs the '
                    "container's command on this machine",
                )
            argv = list(box.spec["command"]) + list(box.spec["args"])
            if not argv:
                return self.failed_start(box, "RunContainerError", NO_COMMAND)
            try:
                mounts = _mounts.plan(box.spec["mounts"], self.volume_dirs)
                if mounts and self.mount_mode == "auto":
                    available = _mounts.namespaces_available()
                    self.mount_mode = "namespace" if available else "symlink"
                if mounts and self.mount_mode == "symlink":
                    self.created_paths += _mounts.link(mounts)
                    mounts = []
                elif mounts:
                    self.created_paths += _mounts.make_mount_points(mounts)
            except OSError as e:
                return self.failed_start(box, "CreateContainerError", str(e))
            self.spawn(box, argv, mounts, log_fd)
        finally:
            os.close(log_fd)

    def spawn(self, box: Box, argv: list[str], mounts: list[_mounts.Mount], log_fd: int) -> None:
        env = self.env(box.spec)
        cwd = box.spec["working_dir"] or self.launch["runtime"]["cwd"]
        err_r, err_w = os.pipe()  # close-on-exec: EOF means exec succeeded
        pid = None
        warm = self.runner is not None and self.runner.accepts(argv, env, cwd)
        if warm and self.prepared is not None:  # a child forked ahead waits: no fork now
            prepared, self.prepared = self.prepared, None
            pid = prepared.go(argv, env, cwd, mounts, log_fd, err_w)
        if pid is None:
            pid = os.fork()
            if pid == 0:  # the container, until exec
                os.close(err_r)
                become_container(argv, env, cwd, mounts, log_fd, err_w, self.runner)
        # also here, so a signal right after fork finds the group (fails if the child
        # already exec'd, which is fine)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        os.close(err_w)
        chunks = []
        while chunk := os.read(err_r, 4096):
            chunks.append(chunk)
        os.close(err_r)
        if chunks:
            os.waitpid(pid, 0)
            reason, _, message = b"".join(chunks).decode(errors="replace").partition("\0")
            return self.failed_start(box, reason, message)
        box.pid, box.pid_start = pid, _proc.start_time(pid)
        box.started_mono = time.monotonic()
        box.cs["state"] = {"running": {"startedAt": _disk.now()}}
        box.cs["started"] = True
        box.cs["ready"] = not box.init
        box.cs["containerID"] = f"local://{pid}"
        self.event("Normal", "Created", f"Created container {box.name}")
        self.event("Normal", "Started", f"Started container {box.name}")
        self.write_status()  # Running as early as possible: start latency matters

    def failed_start(self, box: Box, reason: str, message: str) -> None:
        self.event("Warning", "Failed", f"Error: {message}")
        now = _disk.now()
        box.started_mono = time.monotonic()
        self.ended(
            box,
            {
                "exitCode": 128,
                "reason": reason,
                "message": message,
                "startedAt": now,
                "finishedAt": now,
            },
        )

    # -- ending --------------------------------------------------------------------
    def ended(self, box: Box, terminated: dict[str, Any]) -> None:
        """Record a run's end, then decide: restart (with backoff), next, or done."""
        box.pid, box.pid_start = 0, None
        box.ended_run = box.run
        box.cs["ready"] = False
        box.cs["started"] = False
        self.dirty = True
        code = terminated["exitCode"]
        restart = not self.stopping and (
            (self.policy == "Always" and not box.init) or (self.policy != "Never" and code != 0)
        )
        if not restart:
            box.cs["state"] = {"terminated": terminated}
            box.done = True
            if box.init:
                if code != 0:
                    self.init_failed = True
                    for b in self.boxes:
                        b.done = True
                elif all(b.done for b in self.init_boxes):
                    self.init_done = True
            return
        box.cs["lastState"] = {"terminated": terminated}
        if time.monotonic() - box.started_mono >= self.backoff["reset"]:
            box.crashes = 0
        box.crashes += 1
        delay = min(self.backoff["base"] * 2 ** (box.crashes - 1), self.backoff["cap"])
        box.restart_at = time.monotonic() + delay
        box.cs["restartCount"] += 1
        shown = f"{delay:g}s"
        pod = f"{self.launch['name']}_{self.launch['namespace']}({self.uid})"
        box.cs["state"] = {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off {shown} restarting failed container={box.name} pod={pod}",
            }
        }
        self.event(
            "Warning", "BackOff", f"Back-off restarting failed container {box.name} in pod {pod}"
        )

    def reap(self) -> None:
        for box in self.all_boxes():
            if not box.pid:
                continue
            pid, status = os.waitpid(box.pid, os.WNOHANG)
            if pid == 0:
                continue
            code = _proc.exit_code(status)
            started = box.cs["state"].get("running", {}).get("startedAt", _disk.now())
            self.ended(
                box,
                {
                    "exitCode": code,
                    "reason": "Completed" if code == 0 else "Error",
                    "startedAt": started,
                    "finishedAt": _disk.now(),
                    "containerID": f"local://{pid}",
                },
            )

    # -- stopping ------------------------------------------------------------------
    def stop(self) -> None:
        stop = _disk.read_json(os.path.join(self.dir, _disk.STOP)) or {}
        grace = stop.get("grace")
        if grace is None:
            grace = self.launch["termination_grace_period_seconds"]
        self.stopping = True
        self.kill_at = time.monotonic() + float(grace)
        for box in self.all_boxes():
            box.restart_at = None
            if box.pid:
                self.event("Normal", "Killing", f"Stopping container {box.name}")
                _proc.kill_group(box.pid, box.pid_start, signal.SIGTERM)
            elif not box.done:
                box.done = True
                if "terminated" in box.cs["lastState"]:  # backing off: show the last run
                    box.cs["state"] = box.cs["lastState"]
                    box.cs["lastState"] = {}
        self.dirty = True

    def kill(self) -> None:
        self.kill_at = None
        for box in self.all_boxes():
            if box.pid:
                _proc.kill_group(box.pid, box.pid_start, signal.SIGKILL)

    # -- the loop ------------------------------------------------------------------
    def advance(self) -> None:
        """Start everything that is due now: restarts, the next init container, or the
        containers once initialization is done. Each start changes a box's state, so
        this ends."""
        progress = True
        while progress and not self.stopping and not self.init_failed:
            progress = False
            now = time.monotonic()
            for box in self.all_boxes():
                if box.restart_at is not None and box.restart_at <= now:
                    self.start(box)
                    progress = True
            if not self.init_done:
                box = next(b for b in self.init_boxes if not b.done)
                if not box.pid and box.restart_at is None and box.run < 0:
                    self.start(box)
                    progress = True
            else:
                for box in self.boxes:
                    if box.run < 0 and not box.done and not box.pid and box.restart_at is None:
                        self.start(box)
                        progress = True

    def loop(self) -> None:
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGTERM, self.on_term)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        if os.path.exists(os.path.join(self.dir, _disk.STOP)):
            self.stop_requested = True  # stopped before we got going
        while True:
            if self.stop_requested and not self.stopping:
                self.stop()
            self.reap()
            if self.kill_at is not None and time.monotonic() >= self.kill_at:
                self.kill()
            self.advance()
            if self.dirty:
                self.write_status()
            if all(b.done for b in self.boxes) and not any(b.pid for b in self.all_boxes()):
                if self.prepared is not None:
                    self.prepared.discard()
                return
            deadlines = [b.restart_at for b in self.all_boxes() if b.restart_at is not None]
            if self.kill_at is not None:
                deadlines.append(self.kill_at)
            timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            select.select([wake_r], [], [], timeout)
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass

    def on_term(self, signum: int, frame: object) -> None:
        self.stop_requested = True


def _receive() -> str:
    """As a spare: wait for a pod directory and its locked lock fd from the runtime."""
    sock = socket.socket(fileno=0)
    msg, fds, _, _ = socket.recv_fds(sock, 4096, 1)
    if not msg or not fds:
        sys.exit(0)  # the runtime went away before it needed us
    os.set_inheritable(fds[0], False)
    sock.detach()
    pod_dir = msg.decode()
    attach(pod_dir)
    return pod_dir


def attach(pod_dir: str) -> None:
    """stdin from /dev/null, stdout and stderr into the pod's shim.log."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    log = os.open(
        os.path.join(pod_dir, _disk.SHIM_LOG), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644
    )
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def main() -> None:
    os.chdir("/")
    if sys.argv[1:] == ["--spare"]:
        if os.fork() > 0:  # detach: not kflow's child, so kflow never has to reap us
            os._exit(0)
        pod_dir = _receive()
    else:  # started directly, with the locked lock on fd 3
        pod_dir = sys.argv[1]
        os.set_inheritable(3, False)
        fcntl.flock(3, fcntl.LOCK_EX | fcntl.LOCK_NB)
    Shim(pod_dir).loop()


if __name__ == "__main__":
    main()
