"""What the UI makes of model servers' answers, over V2 and TF Serving REST."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from kflow.api.errors import ApiError, BadGateway, Forbidden, ServiceUnavailable
from kflow.server.ui.model_answers import Prediction
from kflow.server.ui.model_client import ModelClient, Protocol
from tests.support import free_port


def _client(protocol: Protocol, answers: dict[str, httpx.Response]) -> ModelClient:
    """A client whose server answers each path from `answers` (and records the bodies)."""
    asked: list[tuple[str, Any]] = []

    async def send(method: str, path: str, body: Any) -> httpx.Response:
        asked.append((path, body))
        return answers[path]

    client = ModelClient(send, protocol, "m")
    client.asked = asked  # type: ignore[attr-defined]
    return client


def _predict(client: ModelClient) -> Prediction:
    return asyncio.run(client.predict([0.0] * 64))


def test_scores_that_are_not_probabilities_go_through_softmax() -> None:
    logits = [0.0] * 10
    logits[7] = 5.0
    client = _client(
        Protocol.TF_SERVING,
        {"/v1/models/m:predict": httpx.Response(200, json={"predictions": [logits]})},
    )
    prediction = _predict(client)
    assert prediction.digit == 7 and prediction.version is None
    assert prediction.probabilities is not None
    assert abs(sum(prediction.probabilities) - 1) < 1e-9 and prediction.probabilities[7] > 0.9


def test_named_outputs_and_the_v2_probabilities_output_are_found() -> None:
    row = {"classes": 3, "probabilities": [0.0, 0.0, 0.0, 1.0] + [0.0] * 6}
    named = _client(
        Protocol.TF_SERVING,
        {"/v1/models/m:predict": httpx.Response(200, json={"predictions": [row]})},
    )
    assert _predict(named).digit == 3

    meta = {
        "name": "m",
        "versions": ["1", "2"],
        "inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 64]}],
        "outputs": [{"name": "output-0"}, {"name": "probabilities"}],
    }
    answer = {
        "model_name": "m",
        "model_version": "2",
        "outputs": [{"name": "probabilities", "shape": [1, 10], "data": [0.1] * 10}],
    }
    v2 = _client(
        Protocol.V2,
        {
            "/v2/models/m": httpx.Response(200, json=meta),
            "/v2/models/m/infer": httpx.Response(200, json=answer),
        },
    )
    prediction = _predict(v2)
    assert prediction.version == "2" and prediction.probabilities == pytest.approx([0.1] * 10)
    sent = v2.asked[-1][1]  # type: ignore[attr-defined]
    assert sent["inputs"][0]["name"] == "x" and sent["inputs"][0]["datatype"] == "FP64"
    assert sent["outputs"] == [{"name": "probabilities"}]


def test_model_server_failures_become_clear_errors() -> None:
    def fails(response: httpx.Response, protocol: Protocol = Protocol.TF_SERVING) -> ApiError:
        client = _client(protocol, {"/v1/models/m:predict": response, "/v1/models/m": response})
        with pytest.raises(ApiError) as caught:
            _predict(client)
        return caught.value

    error = fails(httpx.Response(400, json={"error": "bad input shape"}))
    assert isinstance(error, BadGateway) and error.code == 502
    assert (
        error.message == "POST /v1/models/m:predict: the model server answered 400: bad input shape"
    )
    assert "answered 500: boom" in fails(httpx.Response(500, text="boom")).message
    status = {"kind": "Status", "message": "no way", "code": 403}
    assert isinstance(fails(httpx.Response(403, json=status)), Forbidden)
    wrong = fails(httpx.Response(200, json={"predictions": [[1.0, 2.0]]}))
    assert "answered 2 values" in wrong.message
    assert "not answer a JSON object" in fails(httpx.Response(200, text="<html>")).message
    odd = fails(httpx.Response(200, json={"predictions": [[[1], [2, 3]]]}))
    assert "not numbers" in odd.message


def test_a_tf_serving_model_with_no_available_version_is_not_connected() -> None:
    status = {"model_version_status": [{"version": "1", "state": "LOADING"}]}
    client = _client(Protocol.TF_SERVING, {"/v1/models/m": httpx.Response(200, json=status)})
    with pytest.raises(ServiceUnavailable, match="no AVAILABLE version"):
        asyncio.run(client.connect())


def test_an_unreachable_server_is_a_bad_gateway() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    async def send(method: str, path: str, body: Any) -> httpx.Response:
        async with httpx.AsyncClient() as http:
            return await http.request(method, url + path, json=body)

    with pytest.raises(BadGateway, match="cannot reach the model server"):
        asyncio.run(ModelClient(send, Protocol.V2, "m").connect())
