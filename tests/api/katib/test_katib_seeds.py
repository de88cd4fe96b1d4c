"""The seed article's Katib Experiment applies as written with the real kubectl.

`examples/seeds/experiment-random-example.yaml` goes unchanged to a live loopback
server: it passes Katib's admission, comes back defaulted, and `kubectl get
experiments` prints Katib's columns.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

import kflow.api.katib  # noqa: F401  (registers Katib's kinds)
from tests.server.conftest import KUBECTL, Live
from tests.support import create_namespace

SEED = Path(__file__).parents[3] / "examples" / "seeds" / "experiment-random-example.yaml"

pytestmark = [
    pytest.mark.kubectl,
    pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed"),
]


def test_seed_experiment_applies_and_reads_back_defaulted(live: Live) -> None:
    written = yaml.safe_load(SEED.read_text())
    ns = written["metadata"]["namespace"]
    create_namespace(live.store, ns)
    out = live.ok("apply", "-f", str(SEED))
    assert out.strip() == "experiment.kubeflow.org/random-example created"

    got = yaml.safe_load(live.ok("get", "experiment", "random-example", "-n", ns, "-o", "yaml"))
    assert got["apiVersion"] == "kubeflow.org/v1beta1"
    spec = got["spec"]
    assert spec["parameters"][2]["feasibleSpace"]["list"] == ["sgd", "adam", "ftrl"]
    assert spec["resumePolicy"] == "Never"
    assert spec["metricsCollectorSpec"] == {"collector": {"kind": "StdOut"}}
    assert spec["objective"]["metricStrategies"] == [
        {"name": "Validation-accuracy", "value": "max"},
        {"name": "Train-accuracy", "value": "max"},
    ]
    assert spec["trialTemplate"]["successCondition"].startswith("status.conditions.#(type==")
    table = live.ok("get", "experiments", "-n", ns).splitlines()
    assert table[0].split() == ["NAME", "STATUS", "BEST", "TRIALS", "AGE"]
    assert table[1].split()[0] == "random-example"


def test_broken_experiment_is_refused_with_the_field(live: Live) -> None:
    broken = yaml.safe_load(SEED.read_text())
    broken["metadata"]["name"] = "random-example-broken"
    broken["spec"]["parameters"][0]["feasibleSpace"]["min"] = "0.05"
    result = live.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(broken))
    assert result.returncode != 0
    assert (
        'spec.parameters[0].feasibleSpace.min: Invalid value: "0.05": must be less than max (0.03)'
        in result.stderr
    )


def test_explain_reads_the_schema(live: Live) -> None:
    out = live.ok("explain", "experiment.spec.parameters.feasibleSpace")
    assert "distribution" in out
