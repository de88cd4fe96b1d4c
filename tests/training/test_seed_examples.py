"""The seed articles' TFJobs with a local command, run for real through `kflow up`.

`examples/seeds/local/` holds the seed YAMLs (old versions and all) with only a
`command`/`args` added; each replica runs `tf_sample.py`, a between-graph
parameter-server trainer. Each test applies one with the real kubectl, waits for the
job to succeed, reads the leader's falling loss, and checks that the PS replicas,
which serve until stopped, do not outlive the job.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kflow.api.errors import NotFound
from kflow.sdk import Client
from tests.conftest import wait_until
from tests.training.conftest import ROOT, Up

pytestmark = [
    pytest.mark.slow,
    pytest.mark.kubectl,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]

LOCAL = ROOT / "examples" / "seeds" / "local"

# file, the replica that decides success, the PS replicas
CASES = [
    ("tfjob-v1alpha1-example-job.yaml", "master-0", 2),
    ("tfjob-v1alpha2-example-job.yaml", "master-0", 2),
    ("tfjob-v1alpha2-mycnnjob.yaml", "worker-0", 1),
]


def kubectl(up: Up, *args: str) -> str:
    result = subprocess.run(
        ["kubectl", "--kubeconfig", str(up.home / "kubeconfig"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def finished(client: Client, name: str) -> str:
    conditions = client.get("tfjobs", name).get("status", {}).get("conditions") or []
    done = [
        c["type"]
        for c in conditions
        if c["type"] in ("Succeeded", "Failed") and c.get("status") == "True"
    ]
    return done[0] if done else ""


def test_local_seeds_keep_the_seed_documents() -> None:
    for path in sorted(LOCAL.glob("*.yaml")):
        local = yaml.safe_load(path.read_text())
        seed = yaml.safe_load((LOCAL.parent / path.name).read_text())
        assert strip_local(local) == strip_local(seed), path.name


def strip_local(doc: Any) -> Any:
    """The document without what a local run adds or changes (command, args, workingDir)."""
    if isinstance(doc, dict):
        return {
            k: strip_local(v) for k, v in doc.items() if k not in ("command", "args", "workingDir")
        }
    if isinstance(doc, list):
        return [strip_local(v) for v in doc]
    return doc


@pytest.mark.parametrize(("file", "leader", "num_ps"), CASES, ids=lambda v: str(v))
def test_seed_tfjob_runs_locally(up: Up, file: str, leader: str, num_ps: int) -> None:
    path = LOCAL / file
    doc = yaml.safe_load(path.read_text())
    name = doc["metadata"]["name"]
    namespace = doc["metadata"].get("namespace") or f"seed-{Path(file).stem[:20]}"
    with up.client(namespace) as client:
        created = False
        try:
            client.get("namespaces", namespace)
        except NotFound:
            client.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
            )
            created = True
        try:
            out = kubectl(up, "apply", "-n", namespace, "-f", str(path))
            assert out.strip() == f"tfjob.kubeflow.org/{name} created"

            state = wait_until(lambda: finished(client, name), timeout=120, interval=0.2)
            log = kubectl(up, "logs", "-n", namespace, f"{name}-{leader}")
            assert state == "Succeeded", log

            assert (
                f'"type": "{leader.split("-")[0]}"' in log
            )  # TF_CONFIG as the controller wrote it
            losses = [float(m.group(1)) for m in re.finditer(r"step \d+ .*loss=([\d.]+)", log)]
            assert len(losses) >= 5, log
            assert losses[-1] < losses[0] * 0.2, losses
            assert "trainer(s) done" in log

            selector = (
                f"training.kubeflow.org/job-name={name},training.kubeflow.org/replica-type=ps"
            )

            def ps_ended() -> list[dict[str, Any]]:
                pods = client.list("pods", labels=selector).items
                phases = [p.get("status", {}).get("phase") for p in pods]
                ended = len(pods) == num_ps and all(ph in ("Succeeded", "Failed") for ph in phases)
                return pods if ended else []

            for pod in wait_until(ps_ended, timeout=30, interval=0.2):
                statuses = pod["status"].get("containerStatuses") or []
                assert statuses and all("terminated" in s["state"] for s in statuses), pod
        finally:
            kubectl(up, "delete", "tfjob", name, "-n", namespace, "--ignore-not-found")
            if created:
                client.delete("namespaces", namespace)
