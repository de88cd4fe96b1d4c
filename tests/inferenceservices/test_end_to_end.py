"""An InferenceService on a real `kflow up`: kubectl apply, the gateway, `kflow predict`.

The digits model is trained in the test session and saved under a
PersistentVolumeClaim's directory; the InferenceService names it `pvc://models/...`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from kflow.sdk import Client
from tests.conftest import wait_until
from tests.inferenceservices.conftest import Digits
from tests.inferenceservices.test_admission import KSERVE_COLUMNS
from tests.inferenceservices.test_controller import _server_pids
from tests.training.conftest import ROOT, Up

pytestmark = [pytest.mark.slow, pytest.mark.kubectl]

MANIFEST = """
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: models
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: digits
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: pvc://models/digits
"""


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    with Up(tmp_path_factory.mktemp("kflow-serving")) as server:
        yield server


def _kubectl(up: Up, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(up.home / "kubeconfig"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _kflow(up: Up, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KFLOW_HOME": str(up.home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "kflow", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )


def test_a_model_on_a_claim_is_served_through_the_gateway(
    up: Up, digits: Digits, tmp_path: Path
) -> None:
    claim = up.home / "runtime" / "volumes" / "default" / "models" / "digits"
    claim.mkdir(parents=True)
    shutil.copy(digits.directory / "model.joblib", claim / "model.joblib")
    _kubectl(up, "apply", "-f", "-", stdin=MANIFEST)
    kf: Client
    with up.client() as kf:
        try:
            kf.wait_for("isvc", "digits", "condition=Ready", timeout=90)
            isvc = kf.get("inferenceservices", "digits")
            url = isvc["status"]["url"]
            assert url == f"https://127.0.0.1:{up.port}/serving/default/digits"
            listing = _kubectl(up, "get", "isvc")
            assert listing.split("\n")[0].split() == KSERVE_COLUMNS
            assert listing.split("\n")[1].split()[:5] == [
                "digits",
                url,
                "True",
                "100",
                "digits-predictor-00001",
            ]

            info = json.loads((up.home / "server.json").read_text())
            auth = {"Authorization": f"Bearer {info['token']}"}
            with httpx.Client(
                verify=ssl.create_default_context(cafile=info["ca"]), headers=auth, timeout=30
            ) as http:
                v1 = http.post(
                    f"{url}/v1/models/digits:predict", json={"instances": digits.x[:10].tolist()}
                )
                assert v1.status_code == 200, v1.text
                assert np.mean(np.array(v1.json()["predictions"]) == digits.y[:10]) >= 0.9
                v2 = http.post(
                    f"{url}/v2/models/digits/infer",
                    json={
                        "inputs": [
                            {
                                "name": "input-0",
                                "shape": [1, 64],
                                "datatype": "FP64",
                                "data": digits.x[0].tolist(),
                            }
                        ]
                    },
                )
                assert v2.status_code == 200, v2.text
                assert v2.json()["model_name"] == "digits"
            with httpx.Client(
                verify=ssl.create_default_context(cafile=info["ca"]), timeout=30
            ) as anonymous:
                assert anonymous.get(f"{url}/v2/health/ready").status_code == 401

            request = tmp_path / "input.json"
            request.write_text(json.dumps({"instances": digits.x[:3].tolist()}))
            done = _kflow(up, "predict", "digits", "-f", str(request))
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["predictions"] == [int(v) for v in digits.y[:3]]
            bad = _kflow(up, "predict", "digits", "-f", str(request), "--model", "nope")
            assert bad.returncode != 0
            assert 'inferenceservice "digits"' in bad.stderr and "nope" in bad.stderr
            listing = _kflow(up, "get", "inferenceservices")
            assert "digits" in listing.stdout and "True" in listing.stdout

            # the replica's process dies: it is restarted and serves again
            pids = _server_pids("digits", Path("/mnt/pvc/digits"))
            assert len(pids) == 1, pids
            os.kill(pids[0], signal.SIGKILL)
            wait_until(
                lambda: (lambda now: now and now != pids)(
                    _server_pids("digits", Path("/mnt/pvc/digits"))
                ),
                timeout=30,
            )
            wait_until(lambda: _predicts(up, tmp_path / "input.json"), timeout=60, interval=0.2)
        finally:
            kf.delete("inferenceservices", "digits")
            wait_until(lambda: not kf.list("pods").items, timeout=60, interval=0.1)


def _predicts(up: Up, request: Path) -> bool:
    return _kflow(up, "predict", "digits", "-f", str(request)).returncode == 0
