"""What this machine can run, and who has reserved what of it.

The local runtime is the scheduler too: a pod starts only once its CPU, memory and
GPU requests are reserved against the machine's capacity, and a group of pods (a
job's gang) is reserved all or nothing so a job never half-starts. Capacity is
detected once: CPUs from the affinity mask (and a cgroup v2 `cpu.max` quota),
memory from psutil (and `memory.max`), GPUs from `nvidia-smi -L`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess

import psutil

from kflow.runtime.interface import AdmissionResult, Capacity


@dataclasses.dataclass(frozen=True)
class Request:
    """What one pod reserves while it runs."""

    cpu: float = 0.0  # cores
    memory: int = 0  # bytes
    gpu: int = 0  # devices

    def __add__(self, other: Request) -> Request:
        return Request(self.cpu + other.cpu, self.memory + other.memory, self.gpu + other.gpu)


def _cgroup(name: str) -> str | None:
    try:
        with open(f"/sys/fs/cgroup/{name}") as f:
            return f.read().strip()
    except OSError:
        return None


def count_gpus() -> int:
    """NVIDIA GPUs listed by `nvidia-smi -L`; 0 when there is no driver."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return 0
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def detect() -> Capacity:
    """This machine's CPUs, memory and GPUs, within the cgroup limits kflow runs in."""
    cpu = float(
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else psutil.cpu_count() or 1
    )
    quota = (_cgroup("cpu.max") or "max").split()
    if quota[0] != "max" and len(quota) == 2:
        cpu = min(cpu, int(quota[0]) / int(quota[1]))
    memory = psutil.virtual_memory().total
    limit = _cgroup("memory.max")
    if limit and limit.isdigit():
        memory = min(memory, int(limit))
    return Capacity(cpu=cpu, memory=memory, gpu=count_gpus())


def _bytes(n: float) -> str:
    for unit, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.4g}{unit}"
    return f"{n:g}"


class Ledger:
    """Reservations by pod uid against a fixed capacity; GPUs are handed out by index."""

    def __init__(self, capacity: Capacity) -> None:
        self.capacity = capacity
        self.reserved: dict[str, Request] = {}
        self.gpus: dict[str, list[int]] = {}  # uid -> GPU indices it was given

    def free(self) -> Request:
        used = sum(self.reserved.values(), Request())
        cap = self.capacity
        return Request(cap.cpu - used.cpu, cap.memory - used.memory, cap.gpu - used.gpu)

    def admit(self, pods: list[tuple[str, Request]]) -> tuple[AdmissionResult, str]:
        """Reserve every (uid, request) or none; pods already holding a reservation count as fit."""
        new = [(uid, r) for uid, r in pods if uid not in self.reserved]
        want = sum((r for _, r in new), Request())
        held = sum((self.reserved[uid] for uid, _ in pods if uid in self.reserved), Request())
        cap, free = self.capacity, self.free()
        rows = (
            (
                "cpu",
                want.cpu,
                held.cpu,
                free.cpu,
                cap.cpu,
                f"{want.cpu:g}",
                f"{free.cpu:g}",
                f"{cap.cpu:g}",
            ),
            (
                "memory",
                want.memory,
                held.memory,
                free.memory,
                cap.memory,
                _bytes(want.memory),
                _bytes(free.memory),
                _bytes(cap.memory),
            ),
            (
                "nvidia.com/gpu",
                want.gpu,
                held.gpu,
                free.gpu,
                cap.gpu,
                str(want.gpu),
                str(free.gpu),
                str(cap.gpu),
            ),
        )
        never = [
            f"{name} (requested {w_s}, capacity {c_s})"
            for name, w, h, _, c, w_s, _, c_s in rows
            if w + h > c + 1e-9 and w > 0
        ]
        if never:
            return AdmissionResult.NEVER, (
                f"0/1 nodes are available: the pods ask for more than this machine has: "
                f"{', '.join(never)}; they can never run here"
            )
        short = [
            f"Insufficient {name} (requested {w_s}, free {f_s} of {c_s})"
            for name, w, _, f, _, w_s, f_s, c_s in rows
            if w > f + 1e-9
        ]
        if short:
            return AdmissionResult.WAITING, f"0/1 nodes are available: {', '.join(short)}."
        for uid, r in new:
            self.reserve(uid, r)
        return AdmissionResult.ADMITTED, ""

    def reserve(self, uid: str, request: Request) -> None:
        """Record a reservation unconditionally (a pod run without admit, or adopted)."""
        if uid in self.reserved:
            return
        self.reserved[uid] = request
        if request.gpu:
            taken = {i for ids in self.gpus.values() for i in ids}
            self.gpus[uid] = [i for i in range(self.capacity.gpu) if i not in taken][: request.gpu]

    def release(self, uid: str) -> None:
        self.reserved.pop(uid, None)
        self.gpus.pop(uid, None)
