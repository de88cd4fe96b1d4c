"""The local-process runtime: each pod is a process group on this machine.

`LocalRuntime` is the kubelet, scheduler and service proxy of a one-machine cluster.
A pod runs under its own supervisor process (`_shim.py`), started in a new session so
that kflow can stop, crash or be `kill -9`ed without its pods: everything the runtime
knows about a pod is in the pod's directory (`_disk.py` has the layout), so a new
`LocalRuntime` on the same `data_dir` adopts running pods (same processes, logs
continuing) and reads the true exit status of pods that ended meanwhile.

Changes reach the runtime in two ways: shims write the pod uid into a FIFO in the
data dir after each status write (prompt: pod start latency matters), and a slower
poll compares status-file mtimes and checks that each shim still holds its lock,
which catches everything the FIFO missed and shims that died.

A pod's shim is a spare started before it (`_spares.py`). Pods whose container runs a
configured warm command (`warm.py`: kflow's pipeline launcher) are handed to a warm
fork server instead (`_zygotes.py`), so
the container starts as a fork with its imports done; when that server is not ready
or gone, they run as written.

Containers get `KFLOW_POD_IP=127.0.0.1` and `KFLOW_PORT_<containerPort>=<host port>`
in their env (see `_ports.py`): ports are on loopback, and a declared port keeps its
number unless something else holds it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import fcntl
import os
import pathlib
import shutil
import signal
import stat
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import orjson

from kflow.api.errors import BadRequest, NotFound
from kflow.runtime import (
    _capacity,
    _disk,
    _logs,
    _mounts,
    _podstatus,
    _ports,
    _proc,
    _spares,
    _zygotes,
)
from kflow.runtime.interface import (
    AdmissionResult,
    Capacity,
    EventSink,
    PodChanged,
    PodLaunch,
    Runtime,
    RuntimeEvent,
)
from kflow.runtime.warm import WarmCommand, matching

POD_IP_ENV = _ports.POD_IP_ENV
PORT_ENV_PREFIX = _ports.PORT_ENV_PREFIX
port_env = _ports.port_env
MOUNT_MODES = ("auto", "namespace", "symlink")
_STOP_MARGIN = 10.0  # seconds past the grace period before the runtime kills a shim itself
ZYGOTE_LOG = "zygote.log"


@dataclasses.dataclass
class _Pod:
    """What the runtime holds for one pod; all of it can be rebuilt from disk."""

    uid: str
    dir: str
    launch: dict[str, Any]  # launch.json
    record: dict[str, Any] | None = None  # status.json, None until the shim writes it
    loaded: tuple[int, int] = (0, 0)  # (mtime_ns, size) of the status.json in `record`
    notified: tuple[int, int] = (0, 0)  # the same, as last reported through on_change
    respawned: bool = False  # a shim that died before writing anything is retried once

    @property
    def final(self) -> bool:
        return bool(self.record and self.record["final"])


def _launch_dict(pod: PodLaunch) -> dict[str, Any]:
    data = dataclasses.asdict(pod)
    for vol in data["volumes"]:
        vol["type"] = vol["type"].value
        vol["files"] = {k: base64.b64encode(v).decode() for k, v in vol["files"].items()}
    return data


def _request(launch: dict[str, Any]) -> _capacity.Request:
    """The pod's effective request: its containers together, or its largest init container."""

    def total(containers: list[dict[str, Any]]) -> _capacity.Request:
        return sum(
            (
                _capacity.Request(c["cpu_request"], c["memory_request"], c["gpu_request"])
                for c in containers
            ),
            _capacity.Request(),
        )

    main = total(launch["containers"])
    inits = [total([c]) for c in launch["init_containers"]]
    return _capacity.Request(
        max([main.cpu, *(r.cpu for r in inits)]),
        max([main.memory, *(r.memory for r in inits)]),
        max([main.gpu, *(r.gpu for r in inits)]),
    )


def _stat_key(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


class LocalRuntime(Runtime):
    """Pods as local process groups, supervised by one shim process each.

    `backoff_base`/`backoff_cap`/`backoff_reset` are the crash-loop backoff (kubelet:
    10 s doubling to 300 s, forgiven after 10 min of running); `mount_mode` is "auto"
    (mount namespaces when available, else symlinks), "namespace" or "symlink";
    `poll_interval` is how often shims' liveness and missed changes are checked;
    `warm` are the commands whose containers start forked from a warm process.
    """

    def __init__(
        self,
        data_dir: pathlib.Path,
        *,
        capacity: Capacity | None = None,
        backoff_base: float = 10.0,
        backoff_cap: float | None = None,
        backoff_reset: float = 600.0,
        mount_mode: str = "auto",
        poll_interval: float = 0.25,
        pod_env: Mapping[str, str] | None = None,
        warm: Sequence[WarmCommand] = (),
    ) -> None:
        if backoff_base <= 0:
            raise ValueError(f"backoff_base must be positive, got {backoff_base}")
        if mount_mode not in MOUNT_MODES:
            raise ValueError(
                f"mount_mode must be one of {', '.join(MOUNT_MODES)}, got {mount_mode!r}"
            )
        self._dir = pathlib.Path(data_dir).resolve()
        self._pods_dir = self._dir / "pods"
        self._pods_dir.mkdir(parents=True, exist_ok=True)
        self._fifo = str(self._dir / _disk.NOTIFY_FIFO)
        self._backoff = {
            "base": backoff_base,
            "cap": backoff_cap if backoff_cap is not None else 30 * backoff_base,
            "reset": backoff_reset,
        }
        self._mount_mode = mount_mode
        self._poll_interval = poll_interval
        # what every pod sees beside kflow's own environment (a pod's spec overrides it):
        # e.g. KFLOW_HOME, so a launcher in a pod finds the data dir of the kflow that ran it
        self._pod_env = dict(pod_env or {})
        self._warm = tuple(warm)
        self._zygotes: dict[str, _zygotes.Zygote] = {}  # by interpreter word
        self._ledger = _capacity.Ledger(capacity or _capacity.detect())
        self._ports = _ports.Ports()
        self._pods: dict[str, _Pod] = {}
        # mount points a removed pod made while others still used them: removed later
        self._left_paths: list[str] = []
        self._children: set[int] = set()  # processes we started; we reap them
        self._fifo_rest = b""  # an unfinished line read from the FIFO
        self._spares = _spares.Spares(self._children.add)
        self._on_change: PodChanged = lambda uid: None
        self._on_event: EventSink = lambda event: None
        self._fifo_fds: tuple[int, int] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        for entry in sorted(self._pods_dir.iterdir()):
            launch = _disk.read_json(str(entry / _disk.LAUNCH))
            if launch is None:
                continue
            pod = _Pod(uid=launch["uid"], dir=str(entry), launch=launch)
            self._load(pod)
            self._pods[pod.uid] = pod
            self._ports.adopt(pod.uid, {int(k): v for k, v in launch["runtime"]["ports"].items()})
            if not pod.final:
                self._ledger.reserve(pod.uid, _request(launch))

    # -- lifecycle -----------------------------------------------------------------
    async def start(self, on_change: PodChanged, on_event: EventSink) -> None:
        self._on_change, self._on_event = on_change, on_event
        self._loop = asyncio.get_running_loop()
        if not os.path.exists(self._fifo):
            with contextlib.suppress(FileExistsError):
                os.mkfifo(self._fifo, 0o600)
        read_fd = os.open(self._fifo, os.O_RDONLY | os.O_NONBLOCK)
        # our own writer keeps the FIFO from reading EOF when no shim has it open
        self._fifo_fds = (read_fd, os.open(self._fifo, os.O_WRONLY | os.O_NONBLOCK))
        self._loop.add_reader(read_fd, self._on_fifo)
        for pod in list(self._pods.values()):
            self._check_alive(pod)
            self._sync(pod, force=True)
        self._spares.start(self._loop)
        for interpreter in dict.fromkeys(c.interpreter for c in self._warm):
            commands = [c for c in self._warm if c.interpreter == interpreter]
            zygote = _zygotes.Zygote(
                interpreter,
                commands,
                str(self._dir / ZYGOTE_LOG),
                {**os.environ, **self._pod_env},
            )
            self._zygotes[interpreter] = zygote
            self._start_zygote(zygote)
        self._poller = asyncio.create_task(self._poll())

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._fifo_fds is not None:
            if self._loop is not None:
                self._loop.remove_reader(self._fifo_fds[0])
            for fd in self._fifo_fds:
                os.close(fd)
            self._fifo_fds = None
        await self._spares.close()
        for zygote in self._zygotes.values():
            zygote.close()  # it reads EOF and exits; the shims it forked live on
        for _ in range(200):  # spares detach within milliseconds of starting
            self._reap()
            if not self._children:
                break
            await asyncio.sleep(0.01)

    @property
    def warm_ready(self) -> bool:
        """Whether every warm fork server has its imports done (pods run warm from now)."""
        return all(zygote.ready for zygote in self._zygotes.values())

    # -- admission -----------------------------------------------------------------
    def capacity(self) -> Capacity:
        return self._ledger.capacity

    def admit(self, pods: list[PodLaunch]) -> tuple[AdmissionResult, str]:
        return self._ledger.admit([(p.uid, _request(_launch_dict(p))) for p in pods])

    # -- running -------------------------------------------------------------------
    def run_pod(self, pod: PodLaunch) -> None:
        if pod.uid in self._pods:
            return
        pod_dir = self._pods_dir / pod.uid
        pod_dir.mkdir(parents=True, exist_ok=True)
        launch = _launch_dict(pod)
        self._ledger.reserve(pod.uid, _request(launch))
        ports = {
            p.container_port: self._ports.assign(pod.uid, p.container_port, p.host_port)
            for c in pod.containers
            for p in c.ports
        }
        extra = {POD_IP_ENV: _podstatus.POD_IP}
        extra.update({port_env(declared): str(host) for declared, host in ports.items()})
        if self._ledger.capacity.gpu:  # pods see only the GPUs they were given
            extra["CUDA_VISIBLE_DEVICES"] = ",".join(map(str, self._ledger.gpus.get(pod.uid, [])))
        launch["runtime"] = {
            "created": _disk.now(),
            "fifo": self._fifo,
            "backoff": self._backoff,
            "mount_mode": self._mount_mode,
            "ports": ports,
            "base_env": {**os.environ, **self._pod_env},
            "extra_env": extra,
            "cwd": os.getcwd(),
            "volume_dirs": {},
        }
        entry = _Pod(uid=pod.uid, dir=str(pod_dir), launch=launch)
        self._pods[pod.uid] = entry
        try:
            launch["runtime"]["volume_dirs"] = _mounts.prepare_volumes(
                launch, str(pod_dir), str(self._dir)
            )
        except OSError as e:
            _disk.write_json(str(pod_dir / _disk.LAUNCH), launch, mode=0o600)
            self._finish_lost(entry, f"volumes could not be prepared: {e}")
            return
        _disk.write_json(str(pod_dir / _disk.LAUNCH), launch, mode=0o600)
        self._hand_off(entry)

    def _start_zygote(self, zygote: _zygotes.Zygote) -> None:
        assert self._loop is not None
        pid = zygote.start(self._loop)
        if pid is not None:
            self._children.add(pid)  # reaped by the poll loop once it exits

    def _zygote_for(self, launch: dict[str, Any]) -> _zygotes.Zygote | None:
        """The warm fork server for this pod, when one of its containers runs warm."""
        for box in launch["containers"] + launch["init_containers"]:
            command = matching([*box["command"], *box["args"]], self._warm)
            if command is not None:
                zygote = self._zygotes.get(command.interpreter)
                if zygote is not None and zygote.restart_due():
                    self._start_zygote(zygote)  # ready for the pods after this one
                return zygote
        return None

    def _hand_off(self, pod: _Pod) -> None:
        """Give the pod to the spare shim, with its lock already held (no adoption race);
        a pod that runs a warm command goes to the warm fork server when it can take it."""
        lock = os.open(os.path.join(pod.dir, _disk.LOCK), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a shim already runs this pod
            zygote = self._zygote_for(pod.launch) if self._zygotes else None
            if zygote is None or not zygote.hand_off(pod.dir, lock):
                self._spares.hand_off(pod.dir, lock)
        finally:
            os.close(lock)

    # -- watching ------------------------------------------------------------------
    def _load(self, pod: _Pod) -> bool:
        """Re-read status.json if it changed on disk; say whether it did."""
        key = _stat_key(os.path.join(pod.dir, _disk.STATUS))
        if key == pod.loaded:
            return False
        record = _disk.read_json(os.path.join(pod.dir, _disk.STATUS))
        was_final = pod.final
        pod.record, pod.loaded = record, key
        if pod.final and not was_final:
            self._ledger.release(pod.uid)
        return True

    def _sync(self, pod: _Pod, force: bool = False) -> None:
        """Load, emit new events, and report the pod if it changed."""
        self._load(pod)
        self._emit_events(pod)
        if force or pod.loaded != pod.notified:
            pod.notified = pod.loaded
            self._on_change(pod.uid)

    def _emit_events(self, pod: _Pod) -> None:
        events = os.path.join(pod.dir, _disk.EVENTS)
        offset_file = os.path.join(pod.dir, _disk.EVENTS_OFFSET)
        size = _stat_key(events)[1]
        offset = int(_disk.read_json(offset_file) or 0)
        if size <= offset:
            return
        with open(events, "rb") as f:
            f.seek(offset)
            data = f.read(size - offset)
        lines = data.split(b"\n")
        consumed = len(data) - len(lines[-1])  # an unfinished last line waits
        for line in lines[:-1]:
            ev = orjson.loads(line)
            self._on_event(RuntimeEvent(pod.uid, ev["type"], ev["reason"], ev["message"]))
        _disk.write_json(offset_file, offset + consumed)

    def _on_fifo(self) -> None:
        assert self._fifo_fds is not None
        try:
            data = os.read(self._fifo_fds[0], 65536)
        except BlockingIOError:
            return
        data, _, self._fifo_rest = (self._fifo_rest + data).rpartition(b"\n")
        for uid in dict.fromkeys(data.decode(errors="replace").split()):
            pod = self._pods.get(uid)
            if pod is not None:
                self._sync(pod)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            self._reap()
            for pod in list(self._pods.values()):
                if not pod.final or pod.loaded != pod.notified:
                    self._check_alive(pod)
                    self._sync(pod)

    def _reap(self) -> None:
        for pid in list(self._children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self._children.discard(pid)

    def _check_alive(self, pod: _Pod) -> None:
        """A pod whose shim is gone without a final status: restart or finish it."""
        if pod.final or _disk.lock_is_held(pod.dir):
            return
        self._load(pod)  # the shim may have written its final status and exited
        if pod.final:
            return
        if pod.record is None and not pod.respawned:
            pod.respawned = True
            self._hand_off(pod)
            return
        self._finish_lost(
            pod,
            "the pod's supervisor process exited unexpectedly; see shim.log in the pod's directory",
        )

    def _finish_lost(self, pod: _Pod, message: str) -> None:
        """Kill what is left of a pod whose shim is gone and record it as Failed."""
        record = pod.record or {
            "containers": {},
            "created_paths": [],
            "status": _podstatus.pending(pod.launch, _disk.now()),
        }
        for info in record["containers"].values():
            if info["pid"]:
                _proc.kill_group(info["pid"], info["start"], signal.SIGKILL)
        status = record["status"]
        now = _disk.now()
        for cs in status.get("initContainerStatuses", []) + status["containerStatuses"]:
            if "running" in cs["state"]:
                cs["state"] = {
                    "terminated": {
                        "exitCode": 137,
                        "reason": "ContainerStatusUnknown",
                        "message": "The container could not be located when the pod was terminated",
                        "startedAt": cs["state"]["running"]["startedAt"],
                        "finishedAt": now,
                    }
                }
                cs["ready"] = cs["started"] = False
        status["phase"] = "Failed"
        status["message"] = message
        status["conditions"] = _podstatus.conditions(
            status["conditions"],
            status.get("initContainerStatuses", []),
            status["containerStatuses"],
            False,
            "Failed",
            now,
        )
        record["final"] = True
        record["status"] = status
        _disk.write_json(os.path.join(pod.dir, _disk.STATUS), record)
        self._load(pod)
        self._sync(pod)

    # -- stopping ------------------------------------------------------------------
    async def stop_pod(self, uid: str, grace_seconds: float | None = None) -> None:
        pod = self._pods.get(uid)
        if pod is None:
            return
        self._load(pod)
        if pod.final:
            return
        grace = float(
            grace_seconds
            if grace_seconds is not None
            else pod.launch["termination_grace_period_seconds"]
        )
        _disk.write_json(os.path.join(pod.dir, _disk.STOP), {"grace": grace})
        deadline = asyncio.get_running_loop().time() + grace + _STOP_MARGIN
        signalled = False
        while True:
            if self._pods.get(uid) is not pod:
                break  # removed meanwhile (its directory with it): nothing left to stop
            self._load(pod)
            if pod.final:
                break
            if not _disk.lock_is_held(pod.dir):
                self._check_alive(pod)
                if pod.final:
                    break
            elif not signalled and pod.record is not None:
                shim = pod.record["shim"]
                if _proc.is_same(shim["pid"], shim["start"]):
                    os.kill(shim["pid"], signal.SIGTERM)
                signalled = True
            if asyncio.get_running_loop().time() > deadline:
                self._kill_now(pod)
                self._finish_lost(pod, "the pod did not stop in time and was killed")
                break
            await asyncio.sleep(0.02)
        self._sync(pod)

    def _kill_now(self, pod: _Pod) -> None:
        if pod.record is None:
            return
        shim = pod.record["shim"]
        if _proc.is_same(shim["pid"], shim["start"]):
            os.kill(shim["pid"], signal.SIGKILL)
        for info in pod.record["containers"].values():
            if info["pid"]:
                _proc.kill_group(info["pid"], info["start"], signal.SIGKILL)

    def remove_pod(self, uid: str) -> None:
        pod = self._pods.pop(uid, None)
        self._ledger.release(uid)
        self._ports.release(uid)
        if pod is None:
            return
        self._load(pod)
        if not pod.final:
            self._kill_now(pod)
        created = [*self._left_paths, *(pod.record or {}).get("created_paths", [])]
        self._left_paths = []
        in_use = {
            os.path.normpath(m["mount_path"])
            for other in self._pods.values()
            if not other.final
            for c in other.launch["containers"] + other.launch["init_containers"]
            for m in c["mounts"]
        }
        for path in sorted(created, key=lambda p: p.count("/"), reverse=True):  # deepest first
            if any(p == path or p.startswith(path + "/") for p in in_use):
                self._left_paths.append(path)  # the last of its users removes it
                continue
            with contextlib.suppress(OSError):
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode) or (stat.S_ISREG(mode) and os.path.getsize(path) == 0):
                    os.unlink(path)
                elif stat.S_ISDIR(mode):
                    os.rmdir(path)  # only if empty: never delete what a pod left there
        shutil.rmtree(pod.dir, ignore_errors=True)

    # -- reading -------------------------------------------------------------------
    def known_pods(self) -> list[str]:
        return list(self._pods)

    def pod_status(self, uid: str) -> dict[str, Any] | None:
        pod = self._pods.get(uid)
        if pod is None:
            return None
        self._load(pod)
        if pod.record is None:
            return _podstatus.pending(pod.launch, _disk.now())
        status: dict[str, Any] = orjson.loads(orjson.dumps(pod.record["status"]))
        return status

    def container_path(self, uid: str, container: str, path: str) -> str | None:
        """The host path behind `path` in the container: through the volume mounted at
        the longest prefix of `path`, else `path` itself (the host's own file)."""
        pod = self._pods.get(uid)
        if pod is None:
            return None
        dirs: dict[str, str] = pod.launch.get("runtime", {}).get("volume_dirs") or {}
        boxes = [*pod.launch.get("containers", []), *pod.launch.get("init_containers", [])]
        mounts = next((b.get("mounts") or [] for b in boxes if b.get("name") == container), [])
        target = os.path.normpath(path)
        best: tuple[int, str] | None = None
        for mount in mounts:
            at = os.path.normpath(str(mount.get("mount_path")))
            covers = target == at or target.startswith(at.rstrip("/") + "/")
            if covers and mount["name"] in dirs and (best is None or len(at) > best[0]):
                source = dirs[mount["name"]]
                if mount.get("sub_path"):
                    source = _mounts.inside(source, str(mount["sub_path"]))
                best = (len(at), _mounts.inside(source, os.path.relpath(target, at)))
        return best[1] if best else target

    def port_map(self, uid: str) -> dict[int, int]:
        return dict(self._ports.by_pod.get(uid, {}))

    def address(self, namespace: str, service: str, port: int, pod_uid: str | None) -> str:
        """`127.0.0.1:<host port>` for the pod's declared `port`.

        Asked before the pod runs, this chooses the host port the pod will get. With
        no pod, the Service's reservation (`reserve_port`) if any; with no pod and no
        reservation, or a running pod that does not declare `port`, the port as given.
        """
        if pod_uid is None:
            return (
                f"{_podstatus.POD_IP}:{self._ports.reserved.get((namespace, service, port), port)}"
            )
        pod = self._pods.get(pod_uid)
        if pod is not None:
            return f"{_podstatus.POD_IP}:{self.port_map(pod_uid).get(port, port)}"
        return f"{_podstatus.POD_IP}:{self._ports.assign(pod_uid, port)}"

    def reserve_port(self, namespace: str, service: str, port: int) -> int | None:
        return self._ports.reserve(namespace, service, port)

    def release_ports(self, namespace: str, service: str) -> None:
        self._ports.release_service(namespace, service)

    def logs(
        self,
        uid: str,
        container: str,
        *,
        previous: bool = False,
        tail_lines: int | None = None,
        follow: bool = False,
    ) -> AsyncIterator[bytes]:
        pod = self._pods.get(uid)
        if pod is None:
            raise NotFound(f"pod {uid} is not known to the runtime", kind="Pod", name=uid)
        launch = pod.launch
        names = [c["name"] for c in launch["containers"] + launch["init_containers"]]
        pod_name = f"{launch['namespace']}/{launch['name']}"
        if container not in names:
            raise BadRequest(
                f"container {container} is not valid for pod {pod_name}; choose one of: {', '.join(names)}",
                kind="Pod",
                name=launch["name"],
            )
        self._load(pod)
        info = (pod.record or {}).get("containers", {}).get(container, {"run": -1, "ended_run": -1})
        run: int = info["run"]
        if previous:
            run -= 1
            if run < 0:
                raise BadRequest(
                    f'previous terminated container "{container}" in pod "{pod_name}" not found',
                    kind="Pod",
                    name=launch["name"],
                )
        never_started = run < 0
        run = max(run, 0)
        path = _logs.path(pod.dir, container, run)

        def ended() -> bool:
            if uid not in self._pods:
                return True
            self._load(pod)
            if pod.final or pod.record is None:
                return pod.final
            ended_run: int = pod.record["containers"][container]["ended_run"]
            return ended_run >= run

        async def stream() -> AsyncIterator[bytes]:
            if never_started and not follow:  # what the API server reports as "waiting to start"
                raise LookupError(f'container "{container}" in pod "{pod_name}" has not started')
            start = 0
            if tail_lines is not None and os.path.exists(path):
                start = _logs.tail_offset(path, tail_lines)
            async for chunk in _logs.read(path, start, follow, ended):
                yield chunk

        return stream()
