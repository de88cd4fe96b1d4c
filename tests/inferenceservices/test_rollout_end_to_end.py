"""A canary behind a transformer on a real `kflow up`: kubectl apply, the HTTPS gateway,
the tag routes, and `kflow get inferenceservices` / `kubectl get isvc` showing the split.
"""

from __future__ import annotations

import json
import ssl
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kflow.sdk import Client
from tests.conftest import wait_until
from tests.inferenceservices.test_admission import KSERVE_COLUMNS
from tests.inferenceservices.test_canary import MODEL
from tests.inferenceservices.test_end_to_end import _kflow, _kubectl
from tests.training.conftest import Up

pytestmark = [pytest.mark.slow, pytest.mark.kubectl]

TRANSFORMER = """
from kflow.serving import Model


class Tagger(Model):
    def postprocess(self, response, headers=None):
        return {"predictions": response["predictions"], "via": "transformer"}
"""

MANIFEST = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: letters
  annotations:
    serving.kserve.io/enable-tag-routing: "true"
spec:
  predictor:
{canary}    model:
      modelFormat:
        name: custom
      storageUri: {model}
  transformer:
    containers:
      - name: kserve-container
        image: kflow-model-server
        command: [{python}, -m, kflow, serve, {transformer}]
        args: ["--grpc-port", "0"]
"""


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    with Up(tmp_path_factory.mktemp("kflow-rollout")) as server:
        yield server


def _manifest(model: Path, transformer: Path, canary: int | None = None) -> str:
    return MANIFEST.format(
        canary=f"    canaryTrafficPercent: {canary}\n" if canary is not None else "",
        model=model,
        transformer=transformer,
        python=sys.executable,
    )


def _traffic(kf: Client) -> list[tuple[str, int]]:
    predictor = (
        (kf.get("inferenceservices", "letters").get("status") or {})
        .get("components", {})
        .get("predictor", {})
    )
    return [(t["revisionName"], t["percent"]) for t in predictor.get("traffic") or []]


def test_a_canary_behind_a_transformer_through_the_https_gateway(up: Up, tmp_path: Path) -> None:
    directories = {}
    for letter in ("a", "b"):
        directories[letter] = tmp_path / letter
        directories[letter].mkdir()
        (directories[letter] / "model.py").write_text(MODEL.format(letter=letter))
    transformer = tmp_path / "tagger"
    transformer.mkdir()
    (transformer / "model.py").write_text(TRANSFORMER)
    info = json.loads((up.home / "server.json").read_text())
    tls = ssl.create_default_context(cafile=info["ca"])
    auth = {"Authorization": f"Bearer {info['token']}"}

    kf: Client
    with up.client() as kf, httpx.Client(verify=tls, headers=auth, timeout=30) as http:
        try:
            _kubectl(up, "apply", "-f", "-", stdin=_manifest(directories["a"], transformer))
            kf.wait_for("isvc", "letters", "condition=Ready", timeout=90)
            [pod] = [
                p
                for p in kf.list("pods").items
                if p["metadata"]["labels"].get("component") == "transformer"
            ]
            args = pod["spec"]["containers"][0]["args"]
            host = args[args.index("--predictor_host") + 1]
            assert host.startswith("127.") and host.endswith("/serving/default/letters-predictor")

            _kubectl(
                up, "apply", "-f", "-", stdin=_manifest(directories["b"], transformer, canary=20)
            )
            wait_until(
                lambda: (
                    _traffic(kf)
                    == [("letters-predictor-00002", 20), ("letters-predictor-00001", 80)]
                ),
                timeout=90,
                interval=0.2,
            )
            status = kf.get("inferenceservices", "letters")["status"]
            url = status["url"]
            seen: Counter[str] = Counter()
            for _ in range(50):
                answer = http.post(f"{url}/v1/models/letters:predict", json={"instances": [1]})
                assert answer.status_code == 200, answer.text
                assert answer.json()["via"] == "transformer"
                seen[answer.json()["predictions"][0]] += 1
            assert seen == {"a": 40, "b": 10}
            tagged = {t["tag"]: t["url"] for t in status["components"]["predictor"]["traffic"]}
            assert tagged["latest"].endswith("/serving/default/latest-letters-predictor")
            latest = http.post(f"{tagged['latest']}/v1/models/letters:predict", json={})
            previous = http.post(f"{tagged['prev']}/v1/models/letters:predict", json={})
            assert (latest.json(), previous.json()) == (
                {"predictions": ["b"]},
                {"predictions": ["a"]},
            )

            listing = _kflow(up, "get", "inferenceservices")
            assert listing.returncode == 0, listing.stderr
            header, row = listing.stdout.splitlines()[:2]
            assert header.split() == KSERVE_COLUMNS
            assert row.split()[:7] == [
                "letters",
                url,
                "True",
                "80",
                "20",
                "letters-predictor-00001",
                "letters-predictor-00002",
            ]
            assert _kubectl(up, "get", "isvc", "letters").splitlines()[1].split()[3:7] == [
                "80",
                "20",
                "letters-predictor-00001",
                "letters-predictor-00002",
            ]
        finally:
            kf.delete("inferenceservices", "letters")
            wait_until(lambda: not kf.list("pods").items, timeout=60, interval=0.1)
