"""Reading what a model server answered: ten scores, named outputs, a label, or an error.

A model answers with probabilities (the demo's classifier, an sklearn model asked for
its `probabilities` output), with other scores (passed through softmax, so the bars
always sum to one) or with a bare class label (then there are no bars). kflow's own
refusals from the gateway (`kind: Status`) keep their code; anything else a model
server says is wrong becomes a 502 quoting it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from kflow.api.errors import (
    ApiError,
    BadGateway,
    BadRequest,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    Unauthorized,
)

CLASSES = 10
PROBABILITY_OUTPUTS = ("probabilities", "predict_proba", "probs", "scores")
"""Output names that hold class probabilities, asked for when a V2 model lists one."""


@dataclass(frozen=True)
class Prediction:
    """What the model said about one image."""

    digit: int
    probabilities: list[float] | None  # ten values summing to 1; None for a bare label
    version: str | None  # the version that answered, when the protocol reports it


def reading(row: Any, version: str | None) -> Prediction:
    """A prediction from one row of output: ten scores, named outputs, or a label."""
    if isinstance(row, dict):
        named = [row[n] for n in PROBABILITY_OUTPUTS if n in row]
        tens = [v for v in row.values() if np.asarray(v).size == CLASSES]
        row = (named or tens or list(row.values()))[0]
    try:
        values = np.asarray(row, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise BadGateway(
            f"the model answered something that is not numbers: {short(row)}"
        ) from None
    if values.size == CLASSES and np.all(np.isfinite(values)):
        probabilities = _distribution(values)
        return Prediction(int(np.argmax(probabilities)), probabilities, version)
    if values.size == 1 and float(values[0]).is_integer():
        return Prediction(int(values[0]), None, version)
    raise BadGateway(
        f"the model answered {values.size} values; expected ten class scores or one label"
    )


def _distribution(scores: Any) -> list[float]:
    if np.all(scores >= 0) and math.isclose(float(scores.sum()), 1.0, abs_tol=1e-3):
        return [float(v) for v in scores / scores.sum()]
    shifted = np.exp(scores - scores.max())
    return [float(v) for v in shifted / shifted.sum()]


def short(body: Any) -> str:
    text = str(body)
    return text if len(text) <= 200 else text[:200] + "..."


_STATUS_ERRORS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    503: ServiceUnavailable,
}
"""kflow's own refusals (a `kind: Status` from the gateway) keep their code."""


def answer_error(code: int, answer: Any, text: str, method: str, path: str) -> ApiError:
    if isinstance(answer, dict) and answer.get("kind") == "Status":
        return _STATUS_ERRORS.get(code, BadGateway)(str(answer.get("message") or text))
    detail = answer.get("error") if isinstance(answer, dict) else None
    return BadGateway(
        f"{method} {path}: the model server answered {code}: {short(detail or text.strip())}"
    )
