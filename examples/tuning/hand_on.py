"""Hand a finished experiment's best model on: evaluate it and publish it.

Katib picks the best trial (`status.currentOptimalTrial.bestTrialName`); each trial of
`digits-tpe.yaml` saved its model under `/models/<trial name>/` on the
`digits-models` claim. This script reads the best trial's name with the kflow SDK and
runs `evaluate_digits.py` in a Pod that mounts the same claim: it re-checks the
model's accuracy and copies it to `/models/best/`, where serving or the next step
can load it without knowing which trial won::

    python examples/tuning/hand_on.py digits-tpe [-n NAMESPACE]

Run it from the repository root (the Pod's command is a repository-relative path).
It also works on a Kubernetes cluster if the image holds the example's files.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from typing import Any

from kflow.sdk import Client

CLAIM = "digits-models"
IMAGE = "docker.io/pytorch/pytorch:2.4.0-cpu"  # recorded, not pulled, by kflow


def best_trial(experiment: dict[str, Any]) -> dict[str, Any]:
    """The experiment's currentOptimalTrial; SystemExit when it has none yet."""
    optimal = (experiment.get("status") or {}).get("currentOptimalTrial") or {}
    if not optimal.get("bestTrialName"):
        name = experiment["metadata"]["name"]
        raise SystemExit(f"experiment {name} has no best trial yet (no trial reported metrics)")
    return dict(optimal)


def evaluation_pod(experiment: str, trial: str, claim: str, publish_dir: str) -> dict[str, Any]:
    """A Pod that evaluates /models/<trial>/model.pt and publishes it to `publish_dir`."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{experiment}-evaluate-{uuid.uuid4().hex[:5]}",
            "labels": {"katib.kubeflow.org/experiment": experiment, "app": "evaluate"},
        },
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "evaluate",
                    "image": IMAGE,
                    "command": ["python3", "examples/tuning/evaluate_digits.py"],
                    "args": [f"--model-dir=/models/{trial}", f"--publish-dir={publish_dir}"],
                    "volumeMounts": [{"name": "models", "mountPath": "/models"}],
                }
            ],
            "volumes": [{"name": "models", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }


def run(kf: Client, experiment_name: str, claim: str, publish_dir: str, timeout: float) -> int:
    """Evaluate and publish the best model; the evaluation Pod's exit status (0 on success)."""
    kf.wait_for("experiments", experiment_name, "condition=Succeeded", timeout=timeout)
    optimal = best_trial(kf.get("experiments", experiment_name))
    trial = optimal["bestTrialName"]
    values = ", ".join(f"{a['name']}={a['value']}" for a in optimal.get("parameterAssignments", []))
    print(f"best trial of {experiment_name}: {trial} ({values})", flush=True)
    pod = kf.create(evaluation_pod(experiment_name, trial, claim, publish_dir))
    name = pod["metadata"]["name"]
    deadline = time.monotonic() + timeout
    phase = ""
    while phase not in ("Succeeded", "Failed"):
        if time.monotonic() > deadline:
            raise SystemExit(f"pod {name} did not finish within {timeout}s")
        time.sleep(0.5)
        phase = (kf.get("pods", name).get("status") or {}).get("phase", "")
    for line in kf.logs(name):
        print(f"[{name}] {line}", flush=True)
    return 0 if phase == "Succeeded" else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", help="a finished Experiment of digits-tpe.yaml's kind")
    parser.add_argument("-n", "--namespace", default="default")
    parser.add_argument("--claim", default=CLAIM, help="the trials' models volume claim")
    parser.add_argument("--publish-dir", default="/models/best")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    with Client(namespace=args.namespace) as kf:
        sys.exit(run(kf, args.experiment, args.claim, args.publish_dir, args.timeout))


if __name__ == "__main__":
    main()
