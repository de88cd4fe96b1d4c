"""Scale to zero and autoscaling on a real `kflow up`, with real load over HTTPS.

Replicas are real `kflow serve` processes on the digits model; requests are httpx
async clients going through the kflow server's gateway. Windows are the shortest
Knative allows (6 s) so a test sees a service go idle, go to zero and come back.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import joblib
import pytest

from kflow.api.kserve import contracts as c
from kflow.sdk import Client
from tests.conftest import async_wait_until, wait_until
from tests.inferenceservices.conftest import Digits
from tests.training.conftest import Up

pytestmark = pytest.mark.slow

SHORT_WINDOW = {"autoscaling.knative.dev/window": "6s"}


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    server = Up(tmp_path_factory.mktemp("kflow-autoscaling"))
    try:
        yield server
    finally:
        server.stop()


def _isvc(
    name: str, model: Path, predictor: dict[str, Any], annotations: dict[str, str]
) -> dict[str, Any]:
    return {
        "apiVersion": c.API_VERSION,
        "kind": c.KIND,
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"predictor": {"sklearn": {"storageUri": f"file://{model}"}, **predictor}},
    }


def _pods(kf: Client, name: str) -> list[dict[str, Any]]:
    return [
        p
        for p in kf.list("pods", labels=f"{c.ISVC_LABEL}={name}").items
        if not p["metadata"].get("deletionTimestamp")
    ]


def _ready_pods(kf: Client, name: str) -> int:
    return sum(
        1
        for p in _pods(kf, name)
        if (p["metadata"].get("annotations") or {}).get(c.READY_ADDRESS_ANNOTATION)
    )


def _http(up: Up) -> httpx.AsyncClient:
    info = json.loads((up.home / "server.json").read_text())
    return httpx.AsyncClient(
        base_url=info["url"],
        verify=ssl.create_default_context(cafile=info["ca"]),
        headers={"Authorization": f"Bearer {info['token']}"},
        timeout=60,
    )


def _rows(digits: Digits, n: int) -> dict[str, Any]:
    return {"instances": digits.x[n : n + 2].tolist()}


def test_an_idle_service_goes_to_zero_and_held_requests_bring_it_back(
    up: Up, digits: Digits
) -> None:
    with up.client() as kf:
        kf.create(_isvc("idle", digits.directory, {"minReplicas": 0}, SHORT_WINDOW))
        try:
            kf.wait_for("isvc", "idle", "condition=Ready", timeout=90)
            assert len(_pods(kf, "idle")) == 1  # initial scale 1, as Knative starts
            # no request for a stable window: the replica goes, the service stays Ready
            wait_until(lambda: not _pods(kf, "idle"), timeout=60, interval=0.2)
            wait_until(
                lambda: (
                    (kf.get("isvc", "idle")["status"]["modelStatus"]["copies"])
                    == {"totalCopies": 0, "failedCopies": 0}
                ),
                timeout=10,
                interval=0.1,
            )
            status = kf.get("isvc", "idle")["status"]
            assert {x["type"]: x["status"] for x in status["conditions"]}["Ready"] == "True"
            assert status["modelStatus"]["states"]["targetModelState"] == "Pending"
            reasons = [e.get("reason") for e in kf.events_for(kf.get("isvc", "idle"))]
            assert "ScaledToZero" in reasons

            # requests at zero are held, not failed, and all answered once a replica is up
            async def burst() -> tuple[list[httpx.Response], float]:
                async with _http(up) as http:
                    start = time.monotonic()
                    answers = await asyncio.gather(
                        *(
                            http.post(
                                "/serving/default/idle/v1/models/idle:predict",
                                json=_rows(digits, n),
                            )
                            for n in range(0, 16, 2)
                        )
                    )
                    return list(answers), time.monotonic() - start

            answers, took = asyncio.run(burst())
            assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
            model = joblib.load(digits.directory / "model.joblib")
            for n, answer in zip(range(0, 16, 2), answers, strict=True):
                expected = model.predict(digits.x[n : n + 2]).tolist()
                assert answer.json()["predictions"] == expected
            assert len(_pods(kf, "idle")) == 1
            print(f"scale from zero: 8 held requests answered in {took:.2f}s")
        finally:
            kf.delete("inferenceservices", "idle")
            wait_until(lambda: not _pods(kf, "idle"), timeout=60, interval=0.1)


def test_a_replica_that_never_becomes_ready_ends_the_held_request_with_503(
    up: Up, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    annotations = {"autoscaling.knative.dev/initial-scale": "0", **SHORT_WINDOW}
    with up.client() as kf:
        kf.create(_isvc("broken", empty, {"minReplicas": 0, "timeout": 3}, annotations))
        try:

            async def ask() -> tuple[httpx.Response, float]:
                async with _http(up) as http:
                    start = time.monotonic()
                    answer = await http.get("/serving/default/broken/v2/health/ready")
                    return answer, time.monotonic() - start

            answer, took = asyncio.run(ask())
            assert answer.status_code == 503
            assert (
                "none became ready within 3s (spec.predictor.timeout)" in answer.json()["message"]
            )
            assert 3 <= took < 10
            assert _pods(kf, "broken")  # the gateway asked for a replica: it was started
        finally:
            kf.delete("inferenceservices", "broken")
            wait_until(lambda: not _pods(kf, "broken"), timeout=60, interval=0.1)


def test_concurrency_scales_replicas_up_under_load_and_back_down(up: Up, digits: Digits) -> None:
    annotations = {"autoscaling.knative.dev/target-utilization-percentage": "100", **SHORT_WINDOW}
    predictor = {"minReplicas": 1, "maxReplicas": 3, "scaleMetric": "concurrency", "scaleTarget": 1}
    with up.client() as kf:
        kf.create(_isvc("busy", digits.directory, predictor, annotations))
        try:
            kf.wait_for("isvc", "busy", "condition=Ready", timeout=90)
            assert len(_pods(kf, "busy")) == 1

            async def load() -> tuple[int, int, set[int]]:
                """Six clients, each with one request in flight at a time, until three
                replicas are ready (bounded by a deadline)."""
                answered, failed, peak = 0, 0, set()
                stop = asyncio.Event()

                async def client(http: httpx.AsyncClient, n: int) -> None:
                    nonlocal answered, failed
                    while not stop.is_set():
                        answer = await http.post(
                            "/serving/default/busy/v1/models/busy:predict", json=_rows(digits, n)
                        )
                        if answer.status_code == 200:
                            answered += 1
                        else:
                            failed += 1

                async with _http(up) as http:
                    clients = [asyncio.ensure_future(client(http, 2 * n)) for n in range(6)]
                    try:
                        await async_wait_until(
                            lambda: (peak.add(_ready_pods(kf, "busy")) or max(peak)) >= 3,
                            timeout=90,
                            interval=0.5,
                        )
                    finally:
                        stop.set()
                        await asyncio.gather(*clients)
                return answered, failed, peak

            answered, failed, peak = asyncio.run(load())
            assert failed == 0 and answered > 0
            assert max(peak) == 3  # maxReplicas bounds it: six in flight would want six
            # the load is gone: back to minReplicas within a stable window or two
            wait_until(lambda: len(_pods(kf, "busy")) == 1, timeout=60, interval=0.2)
        finally:
            kf.delete("inferenceservices", "busy")
            wait_until(lambda: not _pods(kf, "busy"), timeout=60, interval=0.1)


def test_v2_grpc_through_the_gateway_wakes_a_service_at_zero(up: Up, digits: Digits) -> None:
    grpcclient = pytest.importorskip("tritonclient.grpc")
    errors = pytest.importorskip("tritonclient.utils")
    info = json.loads((up.home / "server.json").read_text())
    auth = {"authorization": f"Bearer {info['token']}"}
    annotations = {"autoscaling.knative.dev/initial-scale": "0", **SHORT_WINDOW}
    with up.client() as kf:
        kf.create(_isvc("grpcdigits", digits.directory, {"minReplicas": 0}, annotations))
        triton = grpcclient.InferenceServerClient(info["servingGrpc"])
        try:
            assert not _pods(kf, "grpcdigits")  # at zero from the start
            assert triton.is_server_live(headers=auth)
            x = grpcclient.InferInput("input-0", [4, 64], "FP64")
            x.set_data_from_numpy(digits.x[:4])
            result = triton.infer("grpcdigits", [x], headers=auth)  # held, then answered
            model = joblib.load(digits.directory / "model.joblib")
            assert result.as_numpy("output-0").tolist() == model.predict(digits.x[:4]).tolist()
            assert len(_pods(kf, "grpcdigits")) == 1
            metadata = triton.get_model_metadata("grpcdigits", headers=auth)
            assert metadata.name == "grpcdigits"
            assert [t.name for t in metadata.inputs] == ["input-0"]
            with pytest.raises(errors.InferenceServerException) as anonymous:
                triton.infer("grpcdigits", [x])
            assert "UNAUTHENTICATED" in str(anonymous.value.status())
            with pytest.raises(errors.InferenceServerException) as missing:
                triton.infer("nothing", [x], headers=auth)
            assert "NOT_FOUND" in str(missing.value.status())
            assert 'no inferenceservice serves model "nothing"' in missing.value.message()
        finally:
            triton.close()
            kf.delete("inferenceservices", "grpcdigits")
            wait_until(lambda: not _pods(kf, "grpcdigits"), timeout=60, interval=0.1)
