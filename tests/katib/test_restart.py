"""A `kflow up` killed with SIGKILL in the middle of an experiment loses nothing.

The experiment's trials are processes that outlive kflow; the next `kflow up` on the
same data directory adopts them, reads the rest of their logs from where the
observation log's cursor says it stopped, and carries on. At the end every
suggestion ran exactly once (one pod per trial), every trial has each of its
observations exactly once, and the trial count is `maxTrialCount`, not more.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from kflow.api import meta as m
from tests.conftest import wait_until
from tests.training.conftest import Up

pytestmark = pytest.mark.slow

STEPS = 4
CODE = f"""
import sys, time
x = float(sys.argv[1])
for step in range({STEPS}):
    print(f"step={{step}} loss={{(x - 0.3) ** 2 + 0.01 * ({STEPS} - step):.6f}}", flush=True)
    time.sleep(0.4)
"""


def experiment(name: str, max_trials: int) -> dict[str, object]:
    return {
        "apiVersion": "kubeflow.org/v1beta1",
        "kind": "Experiment",
        "metadata": {"name": name},
        "spec": {
            "objective": {"type": "minimize", "objectiveMetricName": "loss"},
            "algorithm": {"algorithmName": "tpe"},
            "parallelTrialCount": 3,
            "maxTrialCount": max_trials,
            "parameters": [
                {"name": "x", "parameterType": "double", "feasibleSpace": {"min": "0", "max": "1"}}
            ],
            "trialTemplate": {
                "primaryContainerName": "main",
                "retain": True,  # keep each trial's Job and pods, to count them
                "trialParameters": [{"name": "x", "reference": "x"}],
                "trialSpec": {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "spec": {
                        "backoffLimit": 0,
                        "template": {
                            "spec": {
                                "restartPolicy": "Never",
                                "containers": [
                                    {
                                        "name": "main",
                                        "image": "python",
                                        "command": [sys.executable, "-c", CODE],
                                        "args": ["${trialParameters.x}"],
                                    }
                                ],
                            }
                        },
                    },
                },
            },
        },
    }


def finished(up: Up, name: str) -> str:
    with up.client("default") as client:
        for cond in client.get("experiments", name).get("status", {}).get("conditions") or []:
            if cond["type"] in ("Succeeded", "Failed") and cond["status"] == "True":
                return str(cond["reason"])
    return ""


def test_kill_9_in_the_middle_of_an_experiment(tmp_path: Path) -> None:
    home = tmp_path / "home"
    up = Up(home)
    try:
        with up.client("default") as client:
            client.create(experiment("survivor", 9))

            def running_trials() -> int:
                trials = client.list("trials").items
                return sum(
                    1
                    for t in trials
                    for c in t.get("status", {}).get("conditions") or []
                    if c["type"] == "Running" and c["status"] == "True"
                )

            # kill while trials are mid-way and some have already finished
            wait_until(lambda: len(client.list("trials").items) >= 4, timeout=60)
            wait_until(lambda: running_trials() >= 2, timeout=30)
        up.proc.kill()
        up.proc.wait()
        up = Up(home)
        assert wait_until(lambda: finished(up, "survivor"), timeout=120) == (
            "ExperimentMaxTrialsReached"
        )
        with up.client("default") as client:
            experiment_status = client.get("experiments", "survivor")["status"]
            trials = client.list("trials").items
            suggestion = client.get("suggestions", "survivor")
            pods = client.list("pods").items
            names = {m.name_of(t) for t in trials}
            assert len(trials) == 9 == experiment_status["trials"]
            assert experiment_status["trialsSucceeded"] == 9
            assert suggestion["status"]["suggestionCount"] == 9
            assert {s["name"] for s in suggestion["status"]["suggestions"]} == names
            # every suggestion ran once: one pod per trial
            per_trial = Counter(p["metadata"]["labels"]["katib.kubeflow.org/trial"] for p in pods)
            assert per_trial == dict.fromkeys(names, 1)
            # every observation exactly once, across the crash
            for name in names:
                losses = client.observation_log(name, metric="loss")
                assert len(losses) == STEPS, (name, losses)
    finally:
        up.stop()
