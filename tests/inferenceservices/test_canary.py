"""Canary rollout, promotion and rollback with real replicas, as KServe's canary example.

Each revision serves a custom model that answers with its own letter, so the
responses through the gateway show which revision took each request.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from kflow.api import meta as m
from kflow.api.kserve import contracts as c
from tests.conftest import async_wait_until
from tests.inferenceservices.conftest import (
    GATEWAY_URL,
    Plane,
    control_plane,
    inference_service,
    runs_async,
)

pytestmark = pytest.mark.slow

MODEL = """
class Letter:
    def __init__(self, name):
        self.name = name

    def predict(self, payload, headers=None):
        return {{"predictions": ["{letter}"]}}
"""
R1, R2 = "canary-predictor-00001", "canary-predictor-00002"


def _letter_model(root: Path, letter: str) -> str:
    directory = root / letter
    directory.mkdir()
    (directory / "model.py").write_text(MODEL.format(letter=letter))
    return str(directory)


def _predictor(uri: str, canary: int | None = None) -> dict[str, Any]:
    predictor: dict[str, Any] = {"model": {"modelFormat": {"name": "custom"}, "storageUri": uri}}
    if canary is not None:
        predictor["canaryTrafficPercent"] = canary
    return predictor


def _component(plane: Plane, name: str) -> dict[str, Any]:
    status = plane.isvc(name).get("status") or {}
    return dict((status.get("components") or {}).get("predictor") or {})


def _split(plane: Plane, name: str) -> list[tuple[str, int, bool, str | None]]:
    return [
        (t["revisionName"], t["percent"], t["latestRevision"], t.get("tag"))
        for t in _component(plane, name).get("traffic") or []
    ]


def _update(plane: Plane, name: str, predictor: dict[str, Any]) -> None:
    current = plane.isvc(name)
    current["spec"]["predictor"] = predictor
    plane.store.update(c.RESOURCE, current)


def _revisions_running(plane: Plane, name: str) -> list[str]:
    return sorted(m.labels_of(p)[c.REVISION_LABEL] for p in plane.pods(name))


async def _letters(plane: Plane, route: str, count: int) -> Counter[str]:
    seen: Counter[str] = Counter()
    transport = httpx.ASGITransport(plane.app)
    async with httpx.AsyncClient(transport=transport, base_url=GATEWAY_URL) as http:
        for _ in range(count):
            answer = await http.post(
                f"/serving/default/{route}/v1/models/canary:predict", json={"instances": [1]}
            )
            assert answer.status_code == 200, answer.text
            seen[answer.json()["predictions"][0]] += 1
    return seen


@runs_async
async def test_canary_split_rollback_promotion_and_rollback_again(tmp_path: Path) -> None:
    a, b = _letter_model(tmp_path, "a"), _letter_model(tmp_path, "b")
    async with control_plane(tmp_path / "runtime") as plane:
        body = inference_service("canary", _predictor(a))
        m.meta(body)["annotations"] = {c.TAG_ROUTING_ANNOTATION: "true"}
        plane.store.create(c.RESOURCE, body)
        await plane.wait_ready("canary")
        assert _split(plane, "canary") == [(R1, 100, True, "latest")]

        # a new model with 25% of the traffic; the rolled-out revision keeps the rest
        _update(plane, "canary", _predictor(b, canary=25))
        await async_wait_until(
            lambda: _split(plane, "canary") == [(R2, 25, True, "latest"), (R1, 75, False, "prev")],
            timeout=60,
        )
        component = _component(plane, "canary")
        assert component["latestCreatedRevision"] == R2
        assert component["latestReadyRevision"] == R2
        assert component["latestRolledoutRevision"] == R1
        assert "previousRolledoutRevision" not in component
        assert component["traffic"][1]["url"] == (
            f"{GATEWAY_URL}/serving/default/prev-canary-predictor"
        )
        assert _revisions_running(plane, "canary") == [R1, R2]
        assert plane.condition("canary", "Ready") == "True"
        split = await _letters(plane, "canary", 200)
        assert abs(split["b"] - 50) <= 10 and split["a"] + split["b"] == 200, split
        assert await _letters(plane, "latest-canary-predictor", 5) == {"b": 5}
        assert await _letters(plane, "prev-canary-predictor", 5) == {"a": 5}
        assert await _letters(plane, "canary-predictor", 8) == {"a": 6, "b": 2}

        # rolled back and pinned: everything to the previous revision, the latest tagged
        _update(plane, "canary", _predictor(b, canary=0))
        await async_wait_until(
            lambda: _split(plane, "canary") == [(R2, 0, True, "latest"), (R1, 100, False, "prev")],
            timeout=30,
        )
        assert await _letters(plane, "canary", 20) == {"a": 20}
        assert await _letters(plane, "latest-canary-predictor", 3) == {"b": 3}
        assert _component(plane, "canary")["latestCreatedRevision"] == R2  # no new revision

        # promoted: the canary setting removed; revision 1 retired
        _update(plane, "canary", _predictor(b))
        await async_wait_until(
            lambda: _split(plane, "canary") == [(R2, 100, True, "latest")], timeout=30
        )
        assert await _letters(plane, "canary", 20) == {"b": 20}
        await async_wait_until(lambda: _revisions_running(plane, "canary") == [R2], timeout=30)
        component = _component(plane, "canary")
        assert (component["latestRolledoutRevision"], component["previousRolledoutRevision"]) == (
            R2,
            R1,
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(plane.app), base_url=GATEWAY_URL
        ) as http:
            gone = await http.get("/serving/default/prev-canary-predictor/v2/health/ready")
        assert gone.status_code == 404
        assert 'no revision tagged "prev"' in gone.json()["message"]

        # pinned below 100% after the promotion: revision 1 comes back from its record
        _update(plane, "canary", _predictor(b, canary=0))
        await async_wait_until(
            lambda: _split(plane, "canary") == [(R2, 0, True, "latest"), (R1, 100, False, "prev")],
            timeout=30,
        )
        await async_wait_until(
            lambda: len(plane.app.state.gateway.replicas_by_revision("default", "canary")) == 2,
            timeout=60,
        )
        assert await _letters(plane, "canary", 10) == {"a": 10}
        assert _component(plane, "canary")["latestRolledoutRevision"] == R1


@runs_async
async def test_a_revision_that_never_gets_ready_takes_no_traffic(tmp_path: Path) -> None:
    a = _letter_model(tmp_path, "a")
    empty = tmp_path / "empty"
    empty.mkdir()
    async with control_plane(tmp_path / "runtime") as plane:
        plane.store.create(c.RESOURCE, inference_service("canary", _predictor(a)))
        await plane.wait_ready("canary")
        _update(plane, "canary", _predictor(str(empty), canary=50))

        def failed() -> bool:
            return plane.condition("canary", "PredictorReady") == "False"

        await async_wait_until(failed, timeout=60, interval=0.05)
        status = plane.isvc("canary")["status"]
        ready = next(cond for cond in status["conditions"] if cond["type"] == "Ready")
        assert ready["status"] == "False"
        assert ready["reason"] == "RevisionFailed"
        assert f'Revision "{R2}" failed with message:' in ready["message"]
        assert "Traffic stays on canary-predictor-00001" in ready["message"]
        assert _split(plane, "canary") == [(R1, 50, True, None), (R1, 50, False, "prev")]
        assert status["components"]["predictor"]["latestReadyRevision"] == R1
        assert status["modelStatus"]["states"] == {
            "activeModelState": "Loaded",
            "targetModelState": "FailedToLoad",
        }
        assert await _letters(plane, "canary", 30) == {"a": 30}
        assert _revisions_running(plane, "canary") == [R1, R2]
