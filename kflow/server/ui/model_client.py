"""Asking a digits model for the ten class probabilities, over V2 REST or TF Serving REST.

The web UI speaks the two REST protocols a served MNIST model is usually reached
with, exactly as any other client would: the Open Inference Protocol (KServe V2,
Triton) and TF Serving's REST API. Where the requests go (kflow's gateway in the same
process, or a model server's URL) is the caller's `Send`; this module only builds the
requests (`model_answers` reads what comes back), so both routes share it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from kflow.api.errors import BadGateway, Invalid, ServiceUnavailable
from kflow.server.ui.model_answers import (
    PROBABILITY_OUTPUTS,
    Prediction,
    answer_error,
    reading,
    short,
)


class Protocol(enum.Enum):
    """The REST protocols the UI can speak to a model server."""

    V2 = "v2"  # Open Inference Protocol: GET /v2/models/<m>, POST /v2/models/<m>/infer
    TF_SERVING = "tfserving"  # TF Serving REST: GET /v1/models/<m>, POST /v1/models/<m>:predict


PROTOCOL_TITLES = {
    Protocol.V2: "Open Inference Protocol (V2) REST",
    Protocol.TF_SERVING: "TF Serving REST",
}
FLOAT_TYPES = ("FP16", "FP32", "FP64")
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$")

Send = Callable[[str, str, Any], Awaitable[httpx.Response]]
"""(method, path on the model server, JSON body or None) -> the response."""


@dataclass(frozen=True)
class Connection:
    """Whether the model answers, and which version serves it."""

    version: str | None  # the newest available version, when the server says

    @property
    def message(self) -> str:
        return f"Connected (model version: {self.version})" if self.version else "Connected"


def check_model_name(model: str) -> str:
    """The model name, if it can be put in a URL path as is."""
    if not model:
        raise Invalid("model: Required value: the name the model server serves the model as")
    if not MODEL_NAME.match(model):
        raise Invalid(
            f'model: Invalid value: "{model}": a model name is letters, digits, ".", "_" or "-", '
            "starting with a letter or digit"
        )
    return model


class ModelClient:
    """One model on one server, over one protocol."""

    def __init__(self, send: Send, protocol: Protocol, model: str) -> None:
        self._send = send
        self.protocol = protocol
        self.model = check_model_name(model)

    async def connect(self) -> Connection:
        """Check the model is ready; the version it serves."""
        if self.protocol is Protocol.V2:
            await self._call("GET", f"/v2/models/{self.model}/ready", None)
            meta = await self._call("GET", f"/v2/models/{self.model}", None)
            return Connection(_newest([str(v) for v in meta.get("versions") or []]))
        status = await self._call("GET", f"/v1/models/{self.model}", None)
        available = [
            str(s.get("version"))
            for s in status.get("model_version_status") or []
            if isinstance(s, dict) and s.get("state") == "AVAILABLE"
        ]
        if status.get("model_version_status") and not available:
            raise ServiceUnavailable(f'model "{self.model}" has no AVAILABLE version yet')
        return Connection(_newest(available))

    async def predict(self, pixels: Sequence[float]) -> Prediction:
        """The model's answer for one image of 64 pixels in 0..1."""
        if self.protocol is Protocol.V2:
            return await self._infer_v2(pixels)
        body = await self._call(
            "POST", f"/v1/models/{self.model}:predict", {"instances": [list(pixels)]}
        )
        rows = body.get("predictions", body.get("outputs"))
        if not isinstance(rows, list) or not rows:
            raise BadGateway(f"the model server's answer has no predictions: {short(body)}")
        return reading(rows[0], None)

    async def _infer_v2(self, pixels: Sequence[float]) -> Prediction:
        meta = await self._call("GET", f"/v2/models/{self.model}", None)
        inputs = meta.get("inputs") or [{}]
        datatype = inputs[0].get("datatype")
        request: dict[str, Any] = {
            "inputs": [
                {
                    "name": inputs[0].get("name") or "input-0",
                    "shape": [1, len(pixels)],
                    "datatype": datatype if datatype in FLOAT_TYPES else "FP32",
                    "data": list(pixels),
                }
            ]
        }
        listed = [str(o.get("name")) for o in meta.get("outputs") or []]
        wanted = [name for name in listed if name in PROBABILITY_OUTPUTS]
        if wanted:
            request["outputs"] = [{"name": wanted[0]}]
        body = await self._call("POST", f"/v2/models/{self.model}/infer", request)
        outputs = {str(o.get("name")): o.get("data") for o in body.get("outputs") or []}
        if not outputs:
            raise BadGateway(f"the model server's answer has no outputs: {short(body)}")
        return reading(outputs, _text(body.get("model_version")))

    async def _call(self, method: str, path: str, body: Any) -> dict[str, Any]:
        try:
            response = await self._send(method, path, body)
        except httpx.TimeoutException:
            raise BadGateway(f"the model server did not answer {method} {path} in time") from None
        except httpx.HTTPError as exc:
            raise BadGateway(f"cannot reach the model server: {exc}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if response.status_code >= 400:
            raise answer_error(response.status_code, answer, response.text, method, path)
        if not isinstance(answer, dict):
            raise BadGateway(f"{method} {path}: the model server did not answer a JSON object")
        return answer


def _newest(versions: list[str]) -> str | None:
    if not versions:
        return None
    return max(versions, key=lambda v: (v.isdigit(), int(v) if v.isdigit() else 0, v))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
