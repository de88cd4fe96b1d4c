"""The MNIST page's JSON twin against a real model server, through the gateway or by URL.

The model server is `kflow serve`'s app on a loopback port serving the demo's model
(and a scikit-learn classifier); the kflow app's store holds an InferenceService
whose ready replica is that server, so the UI's requests go through the real gateway.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from kflow.api.kserve import contracts as c
from kflow.demos.digits import split
from kflow.server.app import create_app
from kflow.server.identity import Authorizer, Identity, LocalAuthenticator
from kflow.serving import ModelConfig
from kflow.store.memory import MemoryStore
from tests.inferenceservices.test_gateway import _store
from tests.serving.conftest import RunningServer, running_server, save_sklearn
from tests.ui.conftest import ellipse, rasterize, vertical_line

BOB = Identity("bob", ("system:authenticated",))

Check = Callable[[httpx.AsyncClient], Awaitable[None]]


class MayGet:
    """Lets its user `get` the one InferenceService named, and nothing else."""

    def __init__(self, name: str) -> None:
        self.name = name

    def authorize(
        self, identity: Identity, verb: str, resource: str, namespace: str, name: str
    ) -> bool:
        return (verb, resource, name) == ("get", c.RESOURCE, self.name)


@pytest.fixture(scope="module")
def servers(mnist_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One model server with the demo's model ("mnist") and an sklearn one ("sk")."""
    held = split()
    sklearn_dir = save_sklearn(
        LogisticRegression(max_iter=500).fit(held.x_train, held.y_train),
        tmp_path_factory.mktemp("sk") / "sk",
    )
    configs = [ModelConfig("mnist", str(mnist_model)), ModelConfig("sk", str(sklearn_dir))]
    with running_server(configs) as server:
        yield server


def _run(
    server: RunningServer,
    check: Check,
    *,
    identity: Identity | None = None,
    authorizer: Authorizer | None = None,
) -> None:
    store: MemoryStore = _store([f"127.0.0.1:{server.port}"])  # isvc ml/digits, one replica
    app = create_app(
        store=store,
        authenticator=LocalAuthenticator(identity) if identity else None,
        authorizer=authorizer,
    )

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kflow") as http:
            await check(http)
        await app.state.gateway.close()

    asyncio.run(go())


def _sum_is_one(probabilities: list[float]) -> bool:
    return len(probabilities) == 10 and abs(sum(probabilities) - 1) < 1e-6


def _ink(strokes: Any) -> dict[str, Any]:
    ink = rasterize(strokes)
    return {"width": 280, "height": 280, "data": base64.b64encode(ink.tobytes()).decode()}


@pytest.mark.parametrize("protocol", ["v2", "tfserving"])
def test_the_page_state_is_a_held_out_digit_and_the_models_answer(
    servers: RunningServer, protocol: str
) -> None:
    async def check(http: httpx.AsyncClient) -> None:
        right = 0
        for index in range(10):
            state = (
                await http.get(
                    "/ui/mnist.json",
                    params={"server": "ml/digits", "model": "mnist", "protocol": protocol}
                    | {"sample": str(index)},
                )
            ).json()
            assert state["connection"] == {
                "connected": True,
                "message": "Connected (model version: 1)",
                "modelVersion": "1",
            }
            sample, result = state["sample"], state["result"]
            assert sample["index"] == index and len(sample["pixels"]) == 64
            assert sample["pixels"] == list(split().x_test[index])
            assert _sum_is_one(result["probabilities"])
            assert result["prediction"] == int(np.argmax(result["probabilities"]))
            assert result["modelVersion"] == ("1" if protocol == "v2" else None)
            assert result["protocol"] == protocol and result["server"] == "ml/digits"
            right += result["prediction"] == sample["truth"]
        assert right >= 9

        random = (await http.get("/ui/mnist.json", params={"server": "ml/digits"})).json()
        assert 0 <= random["sample"]["index"] < len(split().y_test)
        assert random["model"] == "digits"  # an InferenceService's model is named after it

    _run(servers, check)


def test_a_drawing_is_predicted_and_the_model_input_returned(servers: RunningServer) -> None:
    async def check(http: httpx.AsyncClient) -> None:
        for strokes, digit in ((vertical_line(), 1), (ellipse(), 0)):
            for protocol in ("v2", "tfserving"):
                answer = await http.post(
                    "/ui/mnist/predict",
                    json={
                        "server": "ml/digits",
                        "model": "mnist",
                        "protocol": protocol,
                        "image": _ink(strokes),
                    },
                )
                assert answer.status_code == 200, answer.text
                result = answer.json()
                assert result["prediction"] == digit and _sum_is_one(result["probabilities"])
                pixels = np.array(result["pixels"]).reshape(8, 8)
                assert pixels.min() >= 0 and pixels.max() <= 1 and pixels[:, 0].sum() == 0

        held = split()
        by_pixels = await http.post(
            "/ui/mnist/predict",
            json={"server": "ml/digits", "model": "mnist", "pixels": list(held.x_test[3])},
        )
        assert by_pixels.json()["pixels"] == list(held.x_test[3])

    _run(servers, check)


def test_a_model_server_url_is_for_admins_and_an_sklearn_model_gives_probabilities(
    servers: RunningServer,
) -> None:
    async def check(http: httpx.AsyncClient) -> None:
        v2 = await http.post(
            "/ui/mnist/predict",
            json={"server": servers.url + "/", "model": "sk", "image": _ink(vertical_line())},
        )
        assert v2.status_code == 200, v2.text
        assert v2.json()["server"] == servers.url and _sum_is_one(v2.json()["probabilities"])
        tf = await http.post(
            "/ui/mnist/predict",
            json={
                "server": servers.url,
                "model": "sk",
                "protocol": "tfserving",
                "pixels": list(split().x_test[0]),
            },
        )
        # TF Serving's predict answers the classifier's label, with no probabilities
        assert tf.json()["probabilities"] is None
        assert tf.json()["prediction"] == int(split().y_test[0])
        nameless = await http.get("/ui/mnist.json", params={"server": servers.url})
        assert nameless.status_code == 422
        assert nameless.json()["message"].startswith("model: Required value")

    _run(servers, check)


def test_a_viewer_of_the_inference_service_may_use_it_but_not_a_url(
    servers: RunningServer,
) -> None:
    async def check(http: httpx.AsyncClient) -> None:
        through_gateway = await http.post(
            "/ui/mnist/predict",
            json={"server": "ml/digits", "model": "mnist", "image": _ink(ellipse())},
        )
        assert through_gateway.status_code == 200 and through_gateway.json()["prediction"] == 0
        # the URL `kubectl get isvc` shows is the same InferenceService
        by_status_url = await http.post(
            "/ui/mnist/predict",
            json={"server": "http://kflow/serving/ml/digits", "model": "mnist", "pixels": [0] * 64},
        )
        assert by_status_url.status_code == 200, by_status_url.text
        direct = await http.post(
            "/ui/mnist/predict", json={"server": servers.url, "model": "mnist", "pixels": [0] * 64}
        )
        assert direct.status_code == 403
        assert 'cannot create resource "nodes/proxy"' in direct.json()["message"]

    _run(servers, check, identity=BOB, authorizer=MayGet("digits"))


def test_someone_who_may_not_get_the_inference_service_learns_why(
    servers: RunningServer,
) -> None:
    async def check(http: httpx.AsyncClient) -> None:
        state = (await http.get("/ui/mnist.json", params={"server": "ml/digits"})).json()
        assert state["connection"]["connected"] is False
        assert (
            'User "bob" cannot get resource "inferenceservices"' in state["connection"]["message"]
        )
        assert state["result"] is None and len(state["sample"]["pixels"]) == 64
        predict = await http.post(
            "/ui/mnist/predict", json={"server": "ml/digits", "pixels": [0] * 64}
        )
        assert predict.status_code == 403

    _run(servers, check, identity=BOB, authorizer=MayGet("another"))


def test_bad_input_names_the_field(servers: RunningServer) -> None:
    async def check(http: httpx.AsyncClient) -> None:
        async def predict(body: dict[str, Any]) -> tuple[int, str]:
            answer = await http.post("/ui/mnist/predict", json=body)
            return answer.status_code, answer.json()["message"]

        base = {"server": "ml/digits", "model": "mnist"}
        blank = {"width": 4, "height": 4, "data": base64.b64encode(bytes(16)).decode()}
        cases = [
            ({**base, "pixels": [0.5] * 63}, 422, "pixels: List should have at least 64"),
            (
                {**base, "pixels": [2.0] * 64},
                422,
                "pixels.0: Input should be less than or equal to 1",
            ),
            ({**base}, 422, "exactly one of pixels"),
            ({**base, "protocol": "grpc", "pixels": [0] * 64}, 422, "protocol: Input should be"),
            ({**base, "image": blank}, 400, "image: the drawing has no ink"),
            (
                {**base, "image": {**blank, "data": "!!"}},
                422,
                "image.data: Invalid value: not base64",
            ),
            ({**base, "image": {**blank, "width": 5}}, 422, "16 bytes for a 5x4 drawing"),
            ({**base, "image": {**blank, "width": 5000}}, 422, "image.width: Input should be less"),
            (
                {"server": "Not A Name", "pixels": [0] * 64},
                422,
                'server: Invalid value: "Not A Name"',
            ),
            ({"server": "ftp://x", "pixels": [0] * 64}, 422, "server: Invalid value"),
            (
                {**base, "model": "../etc", "pixels": [0] * 64},
                422,
                'model: Invalid value: "../etc"',
            ),
            ({**base, "server": "ml/nope", "pixels": [0] * 64}, 404, '"nope" not found'),
        ]
        for body, code, message in cases:
            got = await predict(body)
            assert got[0] == code and message in got[1], (body.keys(), got)

        twin = await http.get("/ui/mnist.json", params={"sample": "100000"})
        assert twin.status_code == 422 and "sample: Invalid value" in twin.json()["message"]
        twin = await http.get("/ui/mnist.json", params={"server": "ml/digits", "protocol": "x"})
        assert 'supported values: "v2", "tfserving"' in twin.json()["message"]
        unknown = (
            await http.get("/ui/mnist.json", params={"server": "ml/digits", "model": "nope"})
        ).json()
        assert unknown["connection"]["connected"] is False
        assert "answered 404" in unknown["connection"]["message"]
        empty = (await http.get("/ui/mnist.json")).json()
        assert empty["connection"]["message"].startswith("Enter a server address")

    _run(servers, check)
