"""A transformer's hop to its predictor, as KServe's `Model.predict` makes it.

A `Model` given a predictor host (KServe's `--predictor_host`) does not predict by
itself: its `predict` sends what `preprocess` returned to the predictor, and what
comes back goes to `postprocess`. With protocol `v1` (the default) that is a JSON
POST to `http://<host>/v1/models/<name>:predict`, answered with the JSON body; with
`v2` an Open Inference Protocol request to `http://<host>/v2/models/<name>/infer`:
`preprocess` may return the request body (`{"inputs": [...]}`) or a dict of arrays
(one input per key), and the outputs come back as a dict of numpy arrays, the shape
kflow's V2 custom models take and give. The host may carry a path prefix
(`127.x.y.z:port/serving/<ns>/<name>-predictor`, kflow's cluster-local gateway).
An error answer is raised as `PredictorError` with the predictor's status and message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
import orjson

from kflow.serving import codec, datatypes
from kflow.serving.errors import InvalidInput, PredictorError

PROTOCOLS = ("v1", "v2")
"""KServe's REST `PredictorProtocol` values (`grpc-v2` is not spoken here)."""
V1_URL = "http://{host}/v1/models/{name}:predict"
V2_URL = "http://{host}/v2/models/{name}/infer"
FORWARDED_HEADERS = ("x-request-id", "x-b3-traceid")
"""Request headers passed on to the predictor (KServe passes these two)."""
TIMEOUT = httpx.Timeout(connect=5.0, read=600.0, write=60.0, pool=10.0)
"""KServe's transformer waits up to 600 s for its predictor."""


@dataclass(frozen=True)
class PredictorHop:
    """Where a transformer's predictor is, and how to speak to it."""

    host: str  # `host:port`, optionally followed by a path prefix
    protocol: str = "v1"  # `v1` or `v2`

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise InvalidInput(
                f"predictor protocol {self.protocol!r} is not supported (one of: "
                f"{', '.join(PROTOCOLS)})"
            )


def _v2_request(payload: Any) -> dict[str, Any]:
    """A V2 JSON request body from a body already shaped so, or from named arrays."""
    if isinstance(payload, dict) and isinstance(payload.get("inputs"), list):
        return payload
    if not isinstance(payload, Mapping):
        payload = {"input-0": payload}
    inputs = []
    for name, value in payload.items():
        array = codec.normalize(np.asarray(value))
        inputs.append(
            {
                "name": str(name),
                "shape": list(array.shape),
                "datatype": datatypes.of_array(array),
                "data": codec.to_json_data(array, f"input {name!r}"),
            }
        )
    return {"inputs": inputs}


def _v2_outputs(body: Any) -> dict[str, Any]:
    outputs = body.get("outputs") if isinstance(body, dict) else None
    if not isinstance(outputs, list):
        raise PredictorError("the predictor's V2 answer has no outputs list", 502)
    return {
        str(o.get("name")): codec.from_json(
            o.get("data"), str(o.get("datatype")), o.get("shape"), f"output {o.get('name')!r}"
        )
        for o in outputs
        if isinstance(o, dict)
    }


def _error_message(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:500]
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])
    return answer.text[:500]


async def forward(hop: PredictorHop, name: str, payload: Any, headers: Mapping[str, str]) -> Any:
    """Ask the predictor for model `name` and return its answer (see the module doc)."""
    v2 = hop.protocol == "v2"
    url = (V2_URL if v2 else V1_URL).format(host=hop.host.rstrip("/"), name=name)
    body = _v2_request(payload) if v2 else payload
    lowered = {k.lower(): v for k, v in headers.items()}
    sent = {"content-type": "application/json"}
    sent.update({k: lowered[k] for k in FORWARDED_HEADERS if k in lowered})
    content = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as http:
            answer = await http.post(url, content=content, headers=sent)
    except httpx.HTTPError as exc:
        raise PredictorError(f"the predictor at {url} did not answer: {exc}", 503) from None
    if answer.status_code >= 400:
        raise PredictorError(
            f"the predictor at {url} answered {answer.status_code}: {_error_message(answer)}",
            answer.status_code,
        )
    try:
        result = answer.json()
    except ValueError:
        raise PredictorError(f"the predictor at {url} answered with no JSON body", 502) from None
    return _v2_outputs(result) if v2 else result
