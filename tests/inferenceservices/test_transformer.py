"""A transformer in front of the predictor, as KServe's image transformer example.

Clients send raw 8x8 grayscale images (base64 bytes, 0-240) in a V1 request; the
transformer, a `kflow serve` process hosting a `Model` subclass with preprocess and
postprocess, turns them into the tensor the digits classifier takes, asks the
predictor over V2 through the cluster-local gateway, and answers with V1 predictions.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from kflow.api import meta as m
from kflow.api.kserve import contracts as c
from tests.conftest import async_wait_until
from tests.inferenceservices.conftest import (
    GATEWAY_URL,
    Digits,
    Plane,
    control_plane,
    inference_service,
    runs_async,
)

pytestmark = pytest.mark.slow

TRANSFORMER = """
import base64

import numpy as np

from kflow.serving import Model


class ImageTransformer(Model):
    def preprocess(self, payload, headers=None):
        images = [base64.b64decode(i["image"]["b64"]) for i in payload["instances"]]
        pixels = np.stack([np.frombuffer(raw, dtype=np.uint8) for raw in images])
        return {"input-0": pixels.astype(np.float32) / 240.0}

    def postprocess(self, response, headers=None):
        return {"predictions": [int(v) for v in response["output-0"]]}
"""


def write_transformer(root: Path) -> Path:
    directory = root / "transformer"
    directory.mkdir()
    (directory / "model.py").write_text(TRANSFORMER)
    return directory


def transformer_spec(directory: Path) -> dict[str, Any]:
    return {
        "containers": [
            {
                "image": "kflow-model-server",
                "command": [sys.executable, "-m", "kflow", "serve", str(directory)],
                "args": ["--protocol", "v2", "--grpc-port", "0"],
            }
        ]
    }


def images(x: np.ndarray) -> list[dict[str, Any]]:
    """Digits (0-1 floats) as raw 8-bit images, base64 encoded."""
    raw = np.rint(x * 240).astype(np.uint8)
    return [{"image": {"b64": base64.b64encode(row.tobytes()).decode()}} for row in raw]


def _client(plane: Plane) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(plane.app), base_url=GATEWAY_URL)


@runs_async
async def test_a_transformer_turns_raw_images_into_the_predictors_tensor(
    tmp_path: Path, digits: Digits
) -> None:
    directory = write_transformer(tmp_path)
    async with control_plane(tmp_path / "runtime") as plane:
        body = inference_service("digits", {"sklearn": {"storageUri": str(digits.directory)}})
        body["spec"]["transformer"] = transformer_spec(directory)
        plane.store.create(c.RESOURCE, body)
        await plane.wait_ready("digits", timeout=90)

        status = plane.isvc("digits")["status"]
        conditions = {cond["type"]: cond["status"] for cond in status["conditions"]}
        assert conditions == {
            "IngressReady": "True",
            "PredictorReady": "True",
            "TransformerReady": "True",
            "Ready": "True",
        }
        transformer = status["components"]["transformer"]
        assert transformer["latestReadyRevision"] == "digits-transformer-00001"
        assert transformer["traffic"] == [
            {"revisionName": "digits-transformer-00001", "percent": 100, "latestRevision": True}
        ]
        assert transformer["url"] == f"{GATEWAY_URL}/serving/default/digits-transformer"
        assert status["address"]["url"] == "http://digits-transformer.default.svc.cluster.local"
        [pod] = [
            p for p in plane.pods("digits") if m.labels_of(p)[c.COMPONENT_LABEL] == c.TRANSFORMER
        ]
        args = pod["spec"]["containers"][0]["args"]
        host = args[args.index("--predictor_host") + 1]
        assert host.endswith("/serving/default/digits-predictor")
        assert args[args.index("--model_name") + 1] == "digits"
        assert plane.store.get("services", "default", "digits-transformer")

        async with _client(plane) as http:
            answer = await http.post(
                "/serving/default/digits/v1/models/digits:predict",
                json={"instances": images(digits.x[:20])},
                headers={"x-request-id": "r-1"},
            )
            assert answer.status_code == 200, answer.text
            predicted = answer.json()["predictions"]
            assert np.mean(np.array(predicted) == digits.y[:20]) >= 0.9
            # the predictor's own route skips the transformer
            direct = await http.post(
                "/serving/default/digits-predictor/v1/models/digits:predict",
                json={"instances": digits.x[:3].tolist()},
            )
            assert direct.status_code == 200, direct.text
            assert direct.json()["predictions"] == [int(v) for v in digits.y[:3]]
            # what the transformer cannot read is its error, not a hang or a gateway error
            bad = await http.post(
                "/serving/default/digits/v1/models/digits:predict", json={"rows": []}
            )
            assert bad.status_code == 500
            assert "instances" in bad.json()["error"]

        # the transformer taken out: its pods go, requests reach the predictor directly
        current = plane.isvc("digits")
        del current["spec"]["transformer"]
        plane.store.update(c.RESOURCE, current)
        await async_wait_until(
            lambda: (
                "transformer"
                not in (plane.isvc("digits").get("status") or {}).get("components", {})
                and {m.labels_of(p)[c.COMPONENT_LABEL] for p in plane.pods("digits")}
                == {c.PREDICTOR}
            ),
            timeout=30,
        )
        async with _client(plane) as http:
            answer = await http.post(
                "/serving/default/digits/v1/models/digits:predict",
                json={"instances": digits.x[:3].tolist()},
            )
        assert answer.status_code == 200, answer.text
        assert answer.json()["predictions"] == [int(v) for v in digits.y[:3]]
