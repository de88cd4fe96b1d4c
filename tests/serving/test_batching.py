"""Adaptive batching: concurrent requests merge into one model call and split back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import numpy as np
import pytest

from kflow.serving import BatchingConfig, ModelConfig
from kflow.serving.batching import Batcher
from kflow.serving.model import Tensors

from . import models
from .conftest import running_server


async def _concurrent(url: str, count: int) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=url) as client:

        async def one(index: int) -> dict[str, object]:
            body = {
                "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [index] * 4}]
            }
            response = await client.post("/v2/models/echo/infer", json=body)
            assert response.status_code == 200, response.text
            result: dict[str, object] = response.json()
            return result

        return await asyncio.gather(*(one(i) for i in range(count)))


@pytest.mark.parametrize("batching", [None, BatchingConfig(max_batch_size=8, max_latency=0.05)])
def test_concurrent_requests_share_model_calls(
    tmp_path: Path, batching: BatchingConfig | None
) -> None:
    (tmp_path / "model.py").write_text(models.echo(delay=0.02))
    with running_server([ModelConfig("echo", str(tmp_path), batching=batching)]) as server:
        version = server.repository.get("echo").resolve()
        seen: list[int] = version.tensor_model.extra["seen"]
        seen.clear()  # forget the warm-up call
        results = asyncio.run(_concurrent(server.url, 32))
    for index, result in enumerate(results):  # every request got its own row back
        assert result["outputs"] == [
            {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [float(index)] * 4}
        ]
    assert sum(seen) == 32
    if batching is None:
        assert set(seen) == {1}
    else:
        assert max(seen) > 1 and max(seen) <= 8
        assert len(seen) <= 16


def test_only_compatible_requests_merge_and_a_bad_one_fails_alone() -> None:
    calls: list[tuple[int, ...]] = []

    def run(inputs: Tensors, names: object) -> Tensors:
        x = inputs["x"]
        calls.append(x.shape)
        if (x < 0).any():
            raise ValueError("negative input")
        return {"y": x * 2}

    async def scenario() -> list[object]:
        batcher = Batcher(run, BatchingConfig(max_batch_size=16, max_latency=0.05))
        requests = [
            np.ones((2, 3)),
            np.ones((1, 3)),
            np.ones((1, 5)),  # another trailing shape: its own batch
            -np.ones((1, 3)),  # fails, alone
        ]
        results = await asyncio.gather(
            *(batcher.predict({"x": r}, ("y",)) for r in requests), return_exceptions=True
        )
        await batcher.close()
        return results

    results = asyncio.run(scenario())
    assert results[0]["y"].shape == (2, 3) and results[1]["y"].shape == (1, 3)  # type: ignore[index]
    assert results[2]["y"].shape == (1, 5)  # type: ignore[index]
    assert isinstance(results[3], ValueError)
    assert (4, 3) in calls and (1, 5) in calls  # merged, then retried one by one
    assert calls.count((2, 3)) == 1 and calls.count((1, 3)) == 2
