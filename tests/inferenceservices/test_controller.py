"""The InferenceService controller with the real local runtime, and the gateway in front.

Replicas are real `kflow serve` processes on the digits model; requests go through
the kflow server's gateway (in-process ASGI) to them over loopback.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

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


def _server_pids(name: str, model: Path) -> list[int]:
    """Pids of the `kflow serve <model> --name <name>` processes on this machine."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"serve" in argv
            and name.encode() in argv
            and any(str(model) in a.decode() for a in argv)
        ):
            found.append(int(entry))
    return found


def _client(plane: Plane) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(plane.app), base_url=GATEWAY_URL)


async def _predict(plane: Plane, name: str, rows: np.ndarray) -> list[int]:
    async with _client(plane) as http:
        answer = await http.post(
            f"/serving/default/{name}/v1/models/{name}:predict",
            json={"instances": rows.tolist()},
        )
    assert answer.status_code == 200, answer.text
    return [int(p) for p in answer.json()["predictions"]]


@runs_async
async def test_an_inference_service_serves_through_the_gateway(
    tmp_path: Path, digits: Digits
) -> None:
    async with control_plane(tmp_path / "runtime") as plane:
        plane.store.create(
            c.RESOURCE,
            inference_service("digits", {"sklearn": {"storageUri": f"file://{digits.directory}"}}),
        )
        await plane.wait_ready("digits")
        status = plane.isvc("digits")["status"]
        assert status["url"] == f"{GATEWAY_URL}/serving/default/digits"
        assert {cond["type"]: cond["status"] for cond in status["conditions"]} == {
            "IngressReady": "True",
            "PredictorReady": "True",
            "Ready": "True",
        }
        predictor = status["components"]["predictor"]
        assert predictor["latestReadyRevision"] == "digits-predictor-00001"
        assert predictor["traffic"] == [
            {"revisionName": "digits-predictor-00001", "percent": 100, "latestRevision": True}
        ]
        assert status["modelStatus"]["states"]["activeModelState"] == "Loaded"
        assert plane.store.get("services", "default", "digits-predictor")["spec"]["selector"] == {
            c.ISVC_LABEL: "digits",
            c.COMPONENT_LABEL: "predictor",
        }

        predictions = await _predict(plane, "digits", digits.x[:20])
        assert np.mean(np.array(predictions) == digits.y[:20]) > 0.9
        async with _client(plane) as http:
            v2 = await http.post(
                "/serving/default/digits/v2/models/digits/infer",
                json={
                    "inputs": [
                        {
                            "name": "input-0",
                            "shape": [2, 64],
                            "datatype": "FP64",
                            "data": digits.x[:2].tolist(),
                        }
                    ]
                },
            )
            assert v2.status_code == 200, v2.text
            outputs = {o["name"]: o for o in v2.json()["outputs"]}
            assert outputs["output-0"]["data"] == [int(v) for v in digits.y[:2]]
            missing = await http.get("/serving/default/nothing/v2/health/ready")
            assert missing.status_code == 404
            assert missing.json()["reason"] == "NotFound"

        # the model server dies: the runtime restarts it, the gateway waits for it
        [pid] = _server_pids("digits", digits.directory)
        os.kill(pid, signal.SIGKILL)
        await async_wait_until(
            lambda: any(
                int(cs.get("restartCount") or 0) >= 1
                for p in plane.pods("digits")
                for cs in (p.get("status") or {}).get("containerStatuses") or []
            ),
            timeout=30,
        )
        await async_wait_until(
            lambda: (
                _server_pids("digits", digits.directory)
                and _server_pids("digits", digits.directory) != [pid]
            ),
            timeout=30,
        )
        await plane.wait_ready("digits")
        await async_wait_until(
            lambda: any(
                (m.meta(p).get("annotations") or {}).get(c.READY_ADDRESS_ANNOTATION)
                for p in plane.pods("digits")
            ),
            timeout=30,
        )
        assert await _predict(plane, "digits", digits.x[:3]) == [int(v) for v in digits.y[:3]]

        # a deleted replica is replaced by a new pod
        [old] = plane.pods("digits")
        plane.store.delete("pods", "default", m.name_of(old), grace_period_seconds=0)
        await async_wait_until(
            lambda: [p for p in plane.pods("digits") if m.name_of(p) != m.name_of(old)],
            timeout=30,
        )


@runs_async
async def test_replicas_scale_and_a_new_revision_replaces_the_old(
    tmp_path: Path, digits: Digits
) -> None:
    async with control_plane(tmp_path / "runtime") as plane:
        body = inference_service(
            "scaled",
            {
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": str(digits.directory)},
                "minReplicas": 2,
                "maxReplicas": 3,
                "canaryTrafficPercent": 100,
            },
        )
        plane.store.create(c.RESOURCE, body)
        await plane.wait_ready("scaled")
        await async_wait_until(
            lambda: len(plane.app.state.gateway.replicas("default", "scaled")) == 2, timeout=60
        )
        assert plane.isvc("scaled")["spec"]["predictor"]["canaryTrafficPercent"] == 100

        current = plane.isvc("scaled")
        current["spec"]["predictor"]["minReplicas"] = 1
        current["spec"]["predictor"]["batcher"] = {"maxBatchSize": 16, "maxLatency": 5}
        plane.store.update(c.RESOURCE, current)
        await async_wait_until(
            lambda: (
                (plane.isvc("scaled").get("status") or {})
                .get("components", {})
                .get("predictor", {})
                .get("latestReadyRevision")
                == "scaled-predictor-00002"
            ),
            timeout=60,
        )
        await async_wait_until(
            lambda: (
                [m.labels_of(p)[c.REVISION_LABEL] for p in plane.pods("scaled")]
                == ["scaled-predictor-00002"]
            ),
            timeout=30,
        )
        predictor = plane.isvc("scaled")["status"]["components"]["predictor"]
        assert predictor["previousRolledoutRevision"] == "scaled-predictor-00001"
        assert await _predict(plane, "scaled", digits.x[:2]) == [int(v) for v in digits.y[:2]]


@runs_async
async def test_a_model_that_fails_to_load_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    async with control_plane(tmp_path / "runtime") as plane:
        plane.store.create(
            c.RESOURCE, inference_service("broken", {"sklearn": {"storageUri": str(empty)}})
        )

        def failure() -> dict[str, str]:
            model = (plane.isvc("broken").get("status") or {}).get("modelStatus") or {}
            return dict(model.get("lastFailureInfo") or {})

        await async_wait_until(failure, timeout=60, interval=0.05)
        status = plane.isvc("broken")["status"]
        assert failure()["reason"] == "ModelLoadFailed"
        assert "no sklearn model file" in failure()["message"]
        assert status["modelStatus"]["states"]["targetModelState"] == "FailedToLoad"
        assert status["modelStatus"]["transitionStatus"] == "BlockedByFailedLoad"
        ready = next(cond for cond in status["conditions"] if cond["type"] == "Ready")
        assert ready["status"] == "False"
        assert "no sklearn model file" in ready["message"]
        async with _client(plane) as http:
            answer = await http.get("/serving/default/broken/v2/health/ready")
        assert answer.status_code == 503
