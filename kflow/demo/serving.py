"""The demo's serving step: the tuned model behind an InferenceService, asked to read digits.

The best trial's model directory (weights plus the `model.py` that serves them) is on
the demo's claim, so the InferenceService points at it with `pvc://`; kflow's
controller runs `kflow serve` as its replica, and the demo sends held-out digits
through the server's gateway (`/serving/<ns>/<name>/...`) in the KServe V1 shape,
then reads the answer: the predicted class per image and how many were right. The
server stays up for the draw-a-digit step; `retire` stops it before the demo ends.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from rich.console import Console
from sklearn.datasets import load_digits

from kflow.api import meta as m
from kflow.api.kserve.contracts import ISVC_LABEL
from kflow.sdk import Client

NAME = "mnist"
SAMPLES = 20
READY_TIMEOUT_SECONDS = 120


def inference_service(namespace: str, model_path: str) -> dict[str, Any]:
    """The InferenceService, as a user would write it in YAML."""
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": NAME, "namespace": namespace},
        "spec": {
            "predictor": {
                "model": {
                    "modelFormat": {"name": "custom"},
                    "storageUri": f"pvc://mnist-model/{model_path}",
                }
            }
        },
    }


def _ready(client: Client) -> bool:
    conditions = (client.get("inferenceservices", NAME).get("status") or {}).get("conditions")
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions or [])


def serve(client: Client, namespace: str, model_path: str, console: Console) -> tuple[str, bool]:
    """Serve the model and ask it about held-out digits; returns (summary, succeeded)."""
    client.apply(inference_service(namespace, model_path))
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    with console.status("starting the model server behind the gateway..."):
        while not _ready(client):
            if time.monotonic() > deadline:
                return f"not ready: kflow describe isvc {NAME} -n {namespace}", False
            time.sleep(0.2)
    url = (client.get("inferenceservices", NAME).get("status") or {}).get("url", "")
    digits = load_digits()
    rows = digits.data[-SAMPLES:] / 16.0  # images the training never saw (its test split
    truth = digits.target[-SAMPLES:]  # is random; these are the data set's last ones)
    answer = client.predict(NAME, {"instances": rows.tolist()})
    predicted = np.asarray(answer["predictions"]).argmax(axis=1)
    right = int((predicted == truth).sum())
    console.print(f"  served at [bold]{url}[/]")
    console.print(
        "  truth:     " + " ".join(str(t) for t in truth) + "\n"
        "  predicted: " + " ".join(str(p) for p in predicted)
    )
    return f"Ready, {right}/{SAMPLES} digits read right through the gateway", right > SAMPLES // 2


def retire(client: Client) -> None:
    """Stop the model server, if it runs: the demo's control plane stops next, and a
    server (restartPolicy Always) must not outlive it. The model stays on the claim."""
    if not any(m.name_of(i) == NAME for i in client.list("inferenceservices").items):
        return
    client.delete("inferenceservices", NAME)
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while client.list("pods", labels=f"{ISVC_LABEL}={NAME}").items:
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
