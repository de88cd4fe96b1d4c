"""`kflow up` as a user runs it, driven by the real kubectl: pods are real processes.

Covers the issue's acceptance path: apply a Pod that runs `python -c ...`, see it
Running then Completed, read its logs, stream changes with `get -w`, delete it; and
kill kflow with SIGKILL while pods run, restart it, and find them adopted (same
process, log continuing) or, if they ended meanwhile, with their true exit code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import wait_until
from tests.support import free_port

pytestmark = [pytest.mark.kubectl, pytest.mark.slow]


class Up:
    """A `kflow up` subprocess on a private home and port."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        info = self.home / "server.json"
        info.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kflow",
                "up",
                "--home",
                str(self.home),
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(
            lambda: (
                info.exists() and json.loads(info.read_text() or "{}").get("pid") == self.proc.pid
            ),
            timeout=30,
        )

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)

    def kubectl(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["kubectl", "--kubeconfig", str(self.home / "kubeconfig"), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result.stdout + result.stderr


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    server = Up(tmp_path / "home", free_port())
    server.start()
    yield server
    server.stop()
    # pods are meant to outlive kflow; the test's own must not outlive the test
    for proc in psutil.process_iter(["cmdline"]):
        if any(str(tmp_path) in part for part in proc.info["cmdline"] or []):
            proc.kill()


def write_pod(path: Path, name: str, code: str) -> Path:
    manifest = path / f"{name}.yaml"
    manifest.write_text(
        f"""apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: python:3.11
    command: [{json.dumps(sys.executable)}, -c, {json.dumps(code)}]
"""
    )
    return manifest


def status_of(up: Up, name: str) -> str:
    lines = up.kubectl("get", "pod", name, "--no-headers", check=False).split()
    return lines[2] if len(lines) > 2 else ""


def processes_with(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if any(marker in part for part in cmd) and "kflow.runtime._shim" not in " ".join(cmd):
            found.append(proc)
    return found


def test_kubectl_drives_a_pod_from_apply_to_delete(up: Up, tmp_path: Path) -> None:
    code = "import time; print('hello from a pod', flush=True); time.sleep(2); print('done')"
    manifest = write_pod(tmp_path, "hello", code)
    watcher = subprocess.Popen(
        [
            "kubectl",
            "--kubeconfig",
            str(up.home / "kubeconfig"),
            "get",
            "pods",
            "-w",
            "--no-headers",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert "pod/hello created" in up.kubectl("apply", "-f", str(manifest))
        assert "pod/hello unchanged" in up.kubectl("apply", "-f", str(manifest))
        wait_until(lambda: status_of(up, "hello") == "Running")
        wait_until(lambda: "hello from a pod" in up.kubectl("logs", "hello"))
        wait_until(lambda: status_of(up, "hello") == "Completed", timeout=20)
        assert up.kubectl("logs", "hello").split("\n")[:2] == ["hello from a pod", "done"]
        seen = []
        assert watcher.stdout is not None
        for line in watcher.stdout:
            seen.append(line.split())
            if any("Completed" in row for row in seen):
                break
        statuses = [row[2] for row in seen if row and row[0] == "hello"]
        assert "Running" in statuses and "Completed" in statuses
    finally:
        watcher.kill()
        watcher.wait()
        if watcher.stdout is not None:
            watcher.stdout.close()
    assert 'pod "hello" deleted' in up.kubectl("delete", "pod", "hello")
    assert "NotFound" in up.kubectl("get", "pod", "hello", check=False)


def test_a_bad_manifest_gets_kubectls_usual_error(up: Up, tmp_path: Path) -> None:
    manifest = write_pod(tmp_path, "bad", "pass")
    manifest.write_text(
        manifest.read_text().replace("restartPolicy: Never", "restartPolicy: Sometimes")
    )
    out = up.kubectl("apply", "-f", str(manifest), check=False)
    assert 'The Pod "bad" is invalid' in out
    assert 'spec.restartPolicy: Unsupported value: "Sometimes"' in out


def test_pods_survive_kill_9_of_kflow_and_are_adopted(up: Up, tmp_path: Path) -> None:
    marker = f"adopt-{uuid.uuid4().hex[:8]}"
    survivor = (
        f"import sys, time; print('{marker} started', flush=True); sys.stdin.close(); "
        # long enough to outlive a restart of kflow on a loaded machine
        "time.sleep(12); print('after the restart', flush=True)"
    )
    up.kubectl("apply", "-f", str(write_pod(tmp_path, "survivor", survivor)))
    up.kubectl(
        "apply",
        "-f",
        str(
            write_pod(
                tmp_path,
                "quitter",
                f"import time; time.sleep(1.0); print('{marker}'); raise SystemExit(3)",
            )
        ),
    )
    wait_until(
        lambda: status_of(up, "survivor") == "Running" and status_of(up, "quitter") == "Running"
    )
    wait_until(lambda: len(processes_with(f"{marker} started")) == 1)
    before = processes_with(f"{marker} started")[0].pid

    up.kill9()
    time.sleep(1.5)  # kflow is down while the quitter exits with code 3
    up.start()

    assert [p.pid for p in processes_with(f"{marker} started")] == [
        before
    ]  # adopted, not restarted
    wait_until(lambda: status_of(up, "quitter") == "Error", timeout=20)
    quitter = json.loads(up.kubectl("get", "pod", "quitter", "-o", "json"))
    assert quitter["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3
    wait_until(lambda: status_of(up, "survivor") == "Completed", timeout=40)
    assert up.kubectl("logs", "survivor").split("\n")[:2] == [
        f"{marker} started",
        "after the restart",
    ]
    assert processes_with(f"{marker} started") == []


def test_the_kubernetes_python_client_lists_watches_creates_and_patches(up: Up) -> None:
    from kubernetes import client, config, watch

    api = client.CoreV1Api(config.new_client_from_config(str(up.home / "kubeconfig")))
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "pyclient", "labels": {"app": "x"}},
        "data": {"a": "1"},
    }
    api.create_namespaced_config_map("default", body)
    api.patch_namespaced_config_map("pyclient", "default", {"data": {"b": "2"}})
    listed = api.list_namespaced_config_map("default", label_selector="app=x")
    assert [c.metadata.name for c in listed.items] == ["pyclient"]
    assert listed.items[0].data == {"a": "1", "b": "2"}
    events = []
    for event in watch.Watch().stream(api.list_namespaced_config_map, "default", timeout_seconds=2):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 1:
            break
    assert events == [("ADDED", "pyclient")]
    api.delete_namespaced_config_map("pyclient", "default")
    assert not api.list_namespaced_config_map("default", label_selector="app=x").items


def test_restarting_kflow_keeps_every_object(up: Up) -> None:
    up.kubectl("create", "namespace", "team-a")
    up.kubectl("create", "configmap", "settings", "-n", "team-a", "--from-literal=k=v")
    up.stop()
    up.start()
    assert "settings" in up.kubectl("get", "configmaps", "-n", "team-a")
    assert os.path.exists(up.home / "kflow.db")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_kflow_ends_open_watches_and_cleans_up(up: Up, sig: signal.Signals) -> None:
    watcher = subprocess.Popen(
        ["kubectl", "--kubeconfig", str(up.home / "kubeconfig"), "get", "pods", "-w"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: len(psutil.Process(watcher.pid).net_connections()) > 0)
        assert up.proc is not None
        up.proc.send_signal(sig)
        assert up.proc.wait(15) == 0  # not held open by the watch, and a clean exit
        assert not (up.home / "server.json").exists()
    finally:
        watcher.kill()
        watcher.wait()
