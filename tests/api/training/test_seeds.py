"""The seed articles' training-job YAMLs apply as written with the real kubectl.

Each file under `examples/seeds/` is applied unchanged to a live loopback server;
old versions are converted on admission, and kubectl reads them back as v1.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import kflow.api.training  # noqa: F401  (registers the training kinds)
from tests.server.conftest import KUBECTL, Live
from tests.support import create_namespace

# the training kinds' seeds; other kinds' seeds (a Katib Experiment) have their own tests
SEEDS = sorted(
    p
    for p in (Path(__file__).parents[3] / "examples" / "seeds").glob("*.yaml")
    if yaml.safe_load(p.read_text())["kind"] in ("TFJob", "PyTorchJob")
)

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed"),
]


def test_there_are_seed_yamls() -> None:
    assert len(SEEDS) >= 4


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_seed_applies_and_reads_back_as_v1(live: Live, path: Path) -> None:
    written = yaml.safe_load(path.read_text())
    ns = written["metadata"].get("namespace")
    if ns:
        create_namespace(live.store, ns)
    else:
        ns = live.namespace()
    plural = {"TFJob": "tfjobs", "PyTorchJob": "pytorchjobs"}[written["kind"]]
    name = written["metadata"]["name"]
    out = live.ok("apply", "-n", ns, "-f", str(path))
    assert out.strip() == f"{written['kind'].lower()}.kubeflow.org/{name} created"

    stored = live.store.get(f"{plural}.kubeflow.org", ns, name)
    assert stored["apiVersion"] == "kubeflow.org/v1"
    got = yaml.safe_load(live.ok("get", plural, name, "-n", ns, "-o", "yaml"))
    assert got["apiVersion"] == "kubeflow.org/v1"
    field = {"TFJob": "tfReplicaSpecs", "PyTorchJob": "pytorchReplicaSpecs"}[written["kind"]]
    assert got["spec"][field]
    table = live.ok("get", plural, "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "STATE", "AGE"]
    assert table[1].split()[0] == name
