"""`kflow describe`, `delete`, `wait` and `logs` against the loopback server."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kflow.api.errors import NotFound
from kflow.sdk import Client
from tests.cli.conftest import Server
from tests.cli.test_get import make_pod


def test_describe_pod_with_events_oldest_first(kflow: Any, api: Client, namespace: str) -> None:
    pod = make_pod(api, "web", {"app": "web"})
    uid = pod["metadata"]["uid"]
    for n, (reason, when) in enumerate(
        [("Started", "2026-01-01T00:00:02Z"), ("Scheduled", "2026-01-01T00:00:01Z")]
    ):
        api.create(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": f"web.{n}", "namespace": namespace},
                "involvedObject": {
                    "kind": "Pod",
                    "name": "web",
                    "namespace": namespace,
                    "uid": uid,
                },
                "type": "Normal",
                "reason": reason,
                "message": f"{reason.lower()} it",
                "source": {"component": "kflow"},
                "firstTimestamp": when,
                "lastTimestamp": when,
                "count": 1,
            }
        )
    result = kflow("describe", "pod", "web", "-n", namespace)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "Name:         web",
        f"Namespace:    {namespace}",
        "Labels:       app=web",
        "Annotations:  <none>",
    ]
    assert "Status:       Pending" in lines
    assert "    Image:          python:3.11" in lines
    events = lines[lines.index("Events:") + 1 :]
    assert events[0].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert [e.split()[1] for e in events[2:]] == ["Scheduled", "Started"]
    assert events[2].split()[-2:] == ["scheduled", "it"]


def test_describe_other_kinds_and_missing(kflow: Any, api: Client, namespace: str) -> None:
    api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": namespace},
            "data": {"learningRate": "0.1"},
        }
    )
    result = kflow("describe", "cm/cfg", "-n", namespace)
    assert result.exit_code == 0, result.stderr
    assert "Kind:         ConfigMap" in result.stdout
    assert "Data:\n  Learning Rate:  0.1\n" in result.stdout
    assert result.stdout.endswith("Events:       <none>\n")
    missing = kflow("describe", "pod", "ghost", "-n", namespace)
    assert missing.exit_code == 1
    assert missing.stderr == 'Error from server (NotFound): pods "ghost" not found\n'


def test_delete_by_name_and_by_file(
    kflow: Any, api: Client, namespace: str, tmp_path: Path
) -> None:
    make_pod(api, "a")
    make_pod(api, "b")
    result = kflow("delete", "pod", "a", "b", "-n", namespace)
    assert (result.exit_code, result.stdout) == (0, 'pod "a" deleted\npod "b" deleted\n')
    assert api.list("pods").items == []

    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: {namespace}\n"
    )
    assert kflow("apply", "-f", str(manifest)).exit_code == 0
    gone = kflow("delete", "-f", str(manifest), "--cascade", "foreground", "--no-wait")
    assert (gone.exit_code, gone.stdout) == (0, 'configmap "cfg" deleted\n')

    again = kflow("delete", "-f", str(manifest))
    assert again.exit_code == 1
    assert again.stderr == 'Error from server (NotFound): configmaps "cfg" not found\n'
    assert kflow("delete", "-f", str(manifest), "--ignore-not-found").exit_code == 0
    bad = kflow("delete", "pod", "-n", namespace)
    assert (bad.exit_code, bad.stderr) == (
        1,
        "error: name the pod to act on: pod NAME, or pod/NAME\n",
    )


def test_delete_waits_for_finalizers(
    kflow: Any, server: Server, api: Client, namespace: str
) -> None:
    pod = make_pod(api, "held")
    api.patch("pods", "held", {"metadata": {"finalizers": ["example.com/hold"]}})
    released = threading.Event()

    def release() -> None:
        # the delete command is waiting now: let the object go
        from tests.conftest import wait_until

        wait_until(lambda: api.get("pods", "held")["metadata"].get("deletionTimestamp"))
        api.patch("pods", "held", {"metadata": {"finalizers": None}})
        released.set()

    helper = threading.Thread(target=release)
    helper.start()
    result = kflow("delete", "pod/held", "-n", namespace, "--timeout", "20s")
    helper.join(timeout=20)
    assert released.is_set()
    assert (result.exit_code, result.stdout) == (0, 'pod "held" deleted\n')
    try:
        api.get("pods", "held")
        raise AssertionError("the pod should be gone")
    except NotFound:
        pass
    assert pod["metadata"]["uid"]


def test_wait_for_condition_jsonpath_and_delete(kflow: Any, api: Client, namespace: str) -> None:
    make_pod(api, "web")

    def become_ready() -> None:
        api.patch(
            "pods",
            "web",
            {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
            subresource="status",
        )

    timer = threading.Timer(0.2, become_ready)
    timer.start()
    result = kflow("wait", "pod/web", "--for=condition=Ready", "-n", namespace, "--timeout", "20s")
    timer.join()
    assert (result.exit_code, result.stdout) == (0, "pod/web condition met\n")
    phase = kflow(
        "wait", "pods", "web", "--for=jsonpath='{.status.phase}'=Running", "-n", namespace
    )
    assert (phase.exit_code, phase.stdout) == (0, "pod/web condition met\n")

    late = kflow(
        "wait", "pod/web", "--for=condition=Ready=False", "-n", namespace, "--timeout", "0.5s"
    )
    assert late.exit_code == 1
    assert (
        late.stderr
        == "error: timed out waiting for the condition on pods/web (condition=Ready=False)\n"
    )

    timer = threading.Timer(0.2, lambda: api.delete("pods", "web"))
    timer.start()
    deleted = kflow("wait", "pod/web", "--for", "delete", "-n", namespace, "--timeout", "20s")
    timer.join()
    assert (deleted.exit_code, deleted.stdout) == (0, "pod/web condition met\n")


def test_wait_usage_errors(kflow: Any, namespace: str) -> None:
    bad = kflow("wait", "pod/x", "--for=ready-ish=yes", "-n", namespace)
    assert bad.exit_code == 1
    assert bad.stderr == (
        'error: --for: "ready-ish=yes": expected delete, condition=NAME[=VALUE] or jsonpath={.path}=VALUE\n'
    )
    timeout = kflow("wait", "pod/x", "--for=delete", "--timeout", "soon")
    assert (
        timeout.stderr
        == 'error: --timeout: "soon" is not a duration: use a form like 30s, 5m, 1h or 1m30s\n'
    )
    missing = kflow("wait", "pod/ghost", "--for=condition=Ready", "-n", namespace)
    assert missing.stderr == 'Error from server (NotFound): pods "ghost" not found\n'


def test_logs(kflow: Any, server: Server, api: Client, namespace: str) -> None:
    pod = make_pod(api, "web")
    uid = pod["metadata"]["uid"]
    server.runtime.lines[(uid, "main")] = ["epoch 1", "epoch 2", "epoch 3"]
    server.runtime.previous[(uid, "main")] = ["crashed"]
    result = kflow("logs", "web", "-n", namespace)
    assert (result.exit_code, result.stdout) == (0, "epoch 1\nepoch 2\nepoch 3\n")
    assert kflow("logs", "pod/web", "-n", namespace, "--tail", "1").stdout == "epoch 3\n"
    assert kflow("logs", "web", "-c", "main", "-n", namespace, "--previous").stdout == "crashed\n"
    assert kflow("logs", "web", "-n", namespace, "-f").stdout == "epoch 1\nepoch 2\nepoch 3\n"
    wrong = kflow("logs", "web", "-c", "sidecar", "-n", namespace)
    assert wrong.exit_code == 1
    assert wrong.stderr == (
        "Error from server (BadRequest): container sidecar is not valid for pod web: choose one of: [main]\n"
    )
    not_pod = kflow("logs", "svc/web", "-n", namespace)
    assert not_pod.stderr == 'error: "svc/web": logs are read from pods: use pod/NAME\n'
