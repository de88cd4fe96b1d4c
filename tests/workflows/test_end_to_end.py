"""Argo workflows on a real `kflow up`, driven by kubectl and the kflow CLI.

The seed article's workflow (`repeat-line` writes 15 lines into a claim, `print-text`
prints them) is created with `kubectl create -f` after its claim, as the article
does; then `kubectl get wf` prints `argo list`'s columns from the server, `kflow
describe workflow` draws the node tree and `kflow logs workflow/NAME` prints every
step's output. A suspended workflow is resumed with `kflow resume`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest
import yaml

from kflow.sdk import Client
from tests.conftest import wait_until
from tests.katib.conftest import kflow_cli
from tests.support import OutputLines
from tests.training.conftest import ROOT, Up

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kubectl,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]

LOCAL = ROOT / "examples" / "seeds" / "local"
SEED_NAMESPACE = "kubeflow-user-example-com"


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    """A `kflow up` of the workflow tests' own."""
    server = Up(tmp_path_factory.mktemp("kflow-workflows"))
    try:
        yield server
    finally:
        server.stop()


def kubectl(up: Up, *args: str, check: bool = True) -> str:
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(up.home / "kubeconfig"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def phase(client: Client, name: str) -> str:
    return str((client.get("workflows", name).get("status") or {}).get("phase") or "")


def test_the_seed_workflow_prints_its_fifteen_lines(up: Up) -> None:
    kubectl(up, "create", "namespace", SEED_NAMESPACE)
    kubectl(up, "apply", "-f", str(LOCAL / "argo-kubeflow-test-pvc.yaml"))
    out = kubectl(up, "create", "-n", SEED_NAMESPACE, "-f", str(LOCAL / "argo-kubeflow-test.yaml"))
    match = re.search(r"workflow\.argoproj\.io/(kubeflow-test-\w+) created", out)
    assert match, out
    name = match[1]
    with up.client(SEED_NAMESPACE) as client:
        wait_until(lambda: phase(client, name) in ("Succeeded", "Failed", "Error"), timeout=90)
        wf = client.get("workflows", name)
    assert wf["status"]["phase"] == "Succeeded", yaml.safe_dump(wf["status"])

    listing = kubectl(up, "get", "wf", "-n", SEED_NAMESPACE)
    header, row = listing.splitlines()[:2]
    assert header.split() == ["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"]
    assert row.split()[:2] == [name, "Succeeded"]
    assert kflow_cli(up, "get", "workflows", "-n", SEED_NAMESPACE).splitlines()[0].split()[:2] == [
        "NAME",
        "STATUS",
    ]

    logs = kflow_cli(up, "logs", f"workflow/{name}", "-n", SEED_NAMESPACE)
    printed = [line for line in logs.splitlines() if line.startswith("[print-text]")]
    assert printed == ["[print-text] Hello"] * 15, logs

    pod = kubectl(
        up,
        "get",
        "pods",
        "-n",
        SEED_NAMESPACE,
        "-l",
        f"workflows.argoproj.io/workflow={name}",
        "-o",
        "name",
    )
    pods = sorted(p.removeprefix("pod/") for p in pod.split())
    assert len(pods) == 2 and all(p.startswith(f"{name}-") for p in pods)
    print_pod = next(p for p in pods if p.startswith(f"{name}-print-text-"))
    assert kubectl(up, "logs", "-n", SEED_NAMESPACE, print_pod).splitlines() == ["Hello"] * 15

    described = kflow_cli(up, "describe", "workflow", name, "-n", SEED_NAMESPACE)
    assert "Status:             Succeeded" in described
    tree = described[described.index("STEP") :].splitlines()
    assert tree[1].split()[:3] == ["✔", name, "kubeflow-test"]
    repeat = tree[2].split()
    assert repeat[:3] == ["├─✔", "repeat-line", "repeat-line"]
    assert repeat[3].startswith(f"{name}-repeat-line-") and repeat[3] in pods
    assert tree[3].split()[:3] == ["└─✔", "print-text", "print-text"]
    kubectl(up, "delete", "namespace", SEED_NAMESPACE, "--wait=false")


def test_a_suspended_workflow_is_resumed_from_the_cli(up: Up) -> None:
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "approval"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [{"name": "approve", "template": "approve"}],
                        [{"name": "go", "template": "go"}],
                    ],
                },
                {"name": "approve", "suspend": {}},
                {"name": "go", "container": {"image": "alpine", "command": ["echo", "approved"]}},
            ],
        },
    }
    with up.client() as client:
        client.create(body)
        wait_until(
            lambda: "Running (Suspended)" in kubectl(up, "get", "wf", "approval"), timeout=30
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("KFLOW_")}
        follow = subprocess.Popen(
            [sys.executable, "-m", "kflow", "logs", "workflow/approval", "-f"],
            cwd=ROOT,
            env={**env, "KFLOW_HOME": str(up.home)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert kflow_cli(up, "resume", "wf/approval").strip() == "approval[0].approve resumed"
            # the follower sees the step that starts after the resume, and ends with the workflow
            assert OutputLines(follow).wait_for("[go] approved", timeout=30) == "[go] approved"
            assert follow.wait(30) == 0
        finally:
            follow.kill()
            if follow.stdout is not None:
                follow.stdout.close()
        wait_until(lambda: phase(client, "approval") == "Succeeded", timeout=30)
        assert kflow_cli(up, "logs", "workflow/approval").strip() == "[go] approved"
        client.delete("workflows", "approval")
        wait_until(
            lambda: not client.list("pods", labels="workflows.argoproj.io/workflow=approval").items,
            timeout=30,
        )


def test_a_bad_workflow_is_refused_with_argo_s_message(up: Up) -> None:
    bad = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "cyclic"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "dag": {
                        "tasks": [
                            {"name": "A", "template": "echo", "depends": "B"},
                            {"name": "B", "template": "echo", "depends": "A"},
                        ]
                    },
                },
                {"name": "echo", "container": {"image": "alpine", "command": ["true"]}},
            ],
        },
    }
    path = up.home / "cyclic.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = kubectl(up, "create", "-f", str(path), check=False)
    assert "spec.templates[0].dag.tasks[0]: Invalid value" not in out
    assert "templates.main.tasks dependency cycle detected: A->B->A" in out, out


def test_a_workflow_goes_on_after_kflow_restarts(tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.mktemp("kflow-restart")
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "survivor"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [{"name": "slow", "template": "slow"}],
                        [{"name": "after", "template": "after"}],
                    ],
                },
                {
                    "name": "slow",
                    "container": {
                        "image": "alpine",
                        "command": ["sh", "-c", "sleep 3; echo slept"],
                    },
                },
                {"name": "after", "container": {"image": "alpine", "command": ["echo", "after"]}},
            ],
        },
    }
    first = Up(home)
    try:
        with first.client() as client:
            client.create(body)
            wait_until(lambda: _node_phase(client, "slow") == "Running", timeout=30)
    finally:
        first.stop()  # the step's pod keeps running without kflow
    second = Up(home)
    try:
        with second.client() as client:
            wait_until(
                lambda: phase(client, "survivor") in ("Succeeded", "Failed", "Error"), timeout=60
            )
            wf = client.get("workflows", "survivor")
            assert wf["status"]["phase"] == "Succeeded", yaml.safe_dump(wf["status"])
            nodes = {n["displayName"]: n for n in wf["status"]["nodes"].values()}
            assert nodes["slow"]["outputs"]["result"] == "slept"
            assert nodes["after"]["outputs"]["result"] == "after"
    finally:
        second.stop()


def _node_phase(client: Client, display: str) -> str:
    nodes = (client.get("workflows", "survivor").get("status") or {}).get("nodes") or {}
    return next(
        (str(n.get("phase")) for n in nodes.values() if n.get("displayName") == display), ""
    )


def test_kflow_retry_reruns_only_the_failed_step(up: Up) -> None:
    ran, marker = up.home / "retry-ran", up.home / "retry-fixed"
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "flaky"},
        "spec": {
            "entrypoint": "main",
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [{"name": "first", "template": "first"}],
                        [{"name": "second", "template": "second"}],
                    ],
                },
                {
                    "name": "first",
                    "container": {"image": "alpine", "command": ["sh", "-c", f"echo 1 >> {ran}"]},
                },
                {
                    "name": "second",
                    "container": {
                        "image": "alpine",
                        "command": ["sh", "-c", f"echo 2 >> {ran}; test -e {marker}"],
                    },
                },
            ],
        },
    }
    with up.client() as client:
        client.create(body)
        wait_until(lambda: phase(client, "flaky") in ("Failed", "Error"), timeout=60)
        marker.write_text("fixed")
        out = kflow_cli(up, "retry", "workflow", "flaky")
        assert out.strip() == "workflow flaky retried (1 failed pod(s) deleted)"
        wait_until(lambda: phase(client, "flaky") == "Succeeded", timeout=60)
        assert ran.read_text().split() == ["1", "2", "2"]  # the first step did not run again
        again = subprocess.run(
            [sys.executable, "-m", "kflow", "retry", "wf/flaky"],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("KFLOW_")},
                "KFLOW_HOME": str(up.home),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert again.returncode != 0
        assert "Cannot retry a workflow in phase Succeeded" in again.stderr
        client.delete("workflows", "flaky")


def test_logs_artifacts_metrics_and_lineage_outlive_the_pods(up: Up) -> None:
    metrics = '{"metrics": [{"name": "accuracy", "numberValue": 0.9}]}'
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {"name": "collected"},
        "spec": {
            "entrypoint": "main",
            "podGC": {"strategy": "OnPodSuccess"},
            "templates": [
                {
                    "name": "main",
                    "steps": [
                        [{"name": "make", "template": "make"}],
                        [
                            {
                                "name": "use",
                                "template": "use",
                                "arguments": {
                                    "artifacts": [
                                        {
                                            "name": "data",
                                            "from": "{{steps.make.outputs.artifacts.data}}",
                                        }
                                    ]
                                },
                            }
                        ],
                    ],
                },
                {
                    "name": "make",
                    "container": {
                        "image": "alpine",
                        "command": [
                            "sh",
                            "-c",
                            f"echo making; echo rows > /tmp/data.txt; echo '{metrics}' > /tmp/m.json",
                        ],
                    },
                    "outputs": {
                        "artifacts": [
                            {"name": "data", "path": "/tmp/data.txt"},
                            {"name": "mlpipeline-metrics", "path": "/tmp/m.json"},
                        ]
                    },
                },
                {
                    "name": "use",
                    "inputs": {"artifacts": [{"name": "data", "path": "/tmp/in.txt"}]},
                    "container": {
                        "image": "alpine",
                        "command": [
                            "sh",
                            "-c",
                            "echo using; (cat /tmp/in.txt; echo model) > /tmp/model.txt",
                        ],
                    },
                    "outputs": {"artifacts": [{"name": "model", "path": "/tmp/model.txt"}]},
                },
            ],
        },
    }
    with up.client() as client:
        client.create(body)
        wait_until(lambda: phase(client, "collected") == "Succeeded", timeout=60)
        wait_until(
            lambda: (
                not client.list("pods", labels="workflows.argoproj.io/workflow=collected").items
            ),
            timeout=30,
        )
    # every pod is gone (podGC): the logs come from the archived main-logs artifacts
    assert kflow_cli(up, "logs", "workflow/collected").splitlines() == [
        "[make] making",
        "[use] using",
    ]
    followed = kflow_cli(up, "logs", "workflow/collected", "-f")
    assert followed.splitlines() == ["[make] making", "[use] using"]
    table = kflow_cli(up, "get", "artifacts", "--run", "collected").splitlines()
    assert table[0].split() == ["NAME", "TASK", "TYPE", "SIZE", "DIGEST", "URI"]
    rows = {line.split()[0]: line.split() for line in table[1:]}
    assert set(rows) == {"data", "mlpipeline-metrics", "model"}
    assert rows["data"][1:4] == ["make", "file", "5B"]
    listed = json.loads(kflow_cli(up, "get", "artifacts", "--run", "collected", "-o", "json"))
    model = next(a for a in listed["items"] if a["name"] == "model")
    described = kflow_cli(up, "describe", "run", "collected")
    assert "Phase:      Succeeded" in described
    assert "accuracy" in described and "0.9" in described
    tree = kflow_cli(up, "lineage", model["digest"]).splitlines()
    assert tree[0] == model["digest"][:19]
    assert tree[1].startswith("└─ made by collected/use (Succeeded")
    assert tree[2].strip().startswith("└─ input data: sha256:")
    assert "made by collected/make (Succeeded" in tree[3]
