"""The MNIST web UI: Kubeflow's MNIST example page, plus a canvas to draw on.

As in Kubeflow's example, the page names a model and the server it is on, shows a
random test image with its truth, the model's prediction and ten probability bars,
and can fetch another image; here a person can also draw a digit with the mouse (or
a finger) and see what the model makes of it. Everything the page does is JSON too:

    GET  /ui/mnist?server=NS/NAME&model=M&protocol=v2|tfserving   the page
    GET  /ui/mnist.json?server=...&model=...&protocol=...[&sample=I]
         connection, a random held-out digit (or number I) and the model's answer
    POST /ui/mnist/predict  {"server", "model", "protocol", "pixels" | "image"}
         the prediction for 64 pixels in 0..1, or for a drawing (`image`: width,
         height and base64 bytes of ink, one per pixel, row by row)

Held-out digits are the test split of the demo's training data (`kflow.demos.digits`).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp

from kflow.api.errors import ApiError, Unauthorized
from kflow.server.context import ServerContext
from kflow.server.responses import JSONResponse, parse_json
from kflow.server.sessions import COOKIE
from kflow.server.ui import pages
from kflow.server.ui.login import login_url
from kflow.server.ui.mnist_requests import held_out_sample, parse_predict, parse_protocol
from kflow.server.ui.model_answers import Prediction
from kflow.server.ui.model_client import PROTOCOL_TITLES, ModelClient, Protocol
from kflow.server.ui.servers import ServerAddress, parse_address, sender

PATH = "/ui/mnist"


def mnist_page_url(
    base_url: str, namespace: str, name: str, *, model: str = "", token: str | None = None
) -> str:
    """The page for an InferenceService on the server at `base_url` (what `kflow demo` prints).

    With `token`, a sign-in link that lands on the page: the token rides in the URL's
    fragment, which the browser never sends, so no server log or proxy sees it.
    """
    query = urlencode({"server": f"{namespace}/{name}", "model": model or name})
    page_path = f"{PATH}?{query}"
    if token is None:
        return f"{base_url.rstrip('/')}{page_path}"
    return f"{base_url.rstrip('/')}{login_url(page_path)}#{urlencode({'token': token})}"


async def page(ctx: ServerContext, request: Request) -> Response:
    try:
        identity = ctx.identify(request)
    except Unauthorized:
        return RedirectResponse(login_url(request.url.path + "?" + request.url.query), 303)
    params = request.query_params
    return pages.render(
        "mnist.html",
        server=params.get("server", ""),
        model=params.get("model", ""),
        protocol=params.get("protocol", Protocol.V2.value),
        protocols=[(p.value, title) for p, title in PROTOCOL_TITLES.items()],
        user=identity.user,
        signed_in=COOKIE in request.cookies,
    )


class Routes:
    """The JSON twin; `app` is the kflow app itself, whose gateway reaches InferenceServices."""

    def __init__(
        self, ctx: ServerContext, app: ASGIApp, transport: httpx.AsyncBaseTransport | None
    ) -> None:
        self.ctx = ctx
        self.app = app
        self.transport = transport

    def _client(
        self, request: Request, server: str, model: str, protocol: Protocol
    ) -> tuple[ServerAddress, ModelClient]:
        identity = self.ctx.identify(request)
        address = parse_address(server, request.headers.get("host", ""))
        send = sender(self.ctx, self.app, request, identity, address, self.transport)
        return address, ModelClient(send, protocol, model or address.default_model)

    async def state(self, request: Request) -> Response:
        """What the page shows first: the connection, a held-out digit and its prediction."""
        self.ctx.identify(request)
        params = request.query_params
        sample = held_out_sample(params.get("sample"))
        body: dict[str, Any] = {
            "server": params.get("server", ""),
            "model": params.get("model", ""),
            "protocol": params.get("protocol", Protocol.V2.value),
            "sample": sample,
            "connection": {"connected": False, "message": "", "modelVersion": None},
            "result": None,
        }
        if not body["server"].strip():
            body["connection"]["message"] = (
                "Enter a server address: an InferenceService (namespace/name) or a model server URL"
            )
            return JSONResponse(body)
        protocol = parse_protocol(body["protocol"])
        address, client = self._client(request, body["server"], body["model"], protocol)
        body["model"] = client.model
        try:
            connection = await client.connect()
            started = time.perf_counter()
            prediction = await client.predict(sample["pixels"])
        except ApiError as exc:
            body["connection"]["message"] = exc.message
            return JSONResponse(body)
        body["connection"] = {
            "connected": True,
            "message": connection.message,
            "modelVersion": connection.version,
        }
        body["result"] = _result(address, client, prediction, sample["pixels"], started)
        return JSONResponse(body)

    async def predict(self, request: Request) -> Response:
        asked = parse_predict(parse_json(await request.body()))
        address, client = self._client(request, asked.server, asked.model, asked.protocol)
        pixels = asked.model_input()
        started = time.perf_counter()
        prediction = await client.predict(pixels)
        return JSONResponse(_result(address, client, prediction, pixels, started))


def _result(
    address: ServerAddress,
    client: ModelClient,
    prediction: Prediction,
    pixels: list[float],
    started: float,
) -> dict[str, Any]:
    return {
        "server": str(address),
        "model": client.model,
        "protocol": client.protocol.value,
        "prediction": prediction.digit,
        "probabilities": prediction.probabilities,
        "modelVersion": prediction.version,
        "pixels": pixels,
        "elapsedMs": round((time.perf_counter() - started) * 1000, 1),
    }
