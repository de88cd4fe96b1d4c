"""What the MNIST page's JSON twin accepts: parsed, checked and decoded at the edge.

A prediction request names the server, model and protocol and carries either the
64 pixels the model takes (0..1) or a drawing: the canvas's ink as base64 bytes, one
per pixel, which `drawing.digit_from_ink` turns into those pixels. A test image is
one of the held-out digits of the demo's split. Every problem is an `Invalid` naming
the field and what is allowed.
"""

from __future__ import annotations

import base64
import binascii
import random
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kflow.api.errors import BadRequest, Cause, Invalid
from kflow.demos.digits import INTENSITY_LEVELS, split
from kflow.server.ui.drawing import EmptyDrawing, digit_from_ink
from kflow.server.ui.model_client import Protocol

PIXELS = 64
MAX_SIDE = 1024
"""Largest drawing accepted, per side (a canvas is a few hundred pixels)."""

Pixel = Annotated[float, Field(ge=0, le=1)]


class Drawing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    width: int = Field(ge=1, le=MAX_SIDE)
    height: int = Field(ge=1, le=MAX_SIDE)
    data: str  # base64: width*height bytes of ink (0 = paper, 255 = full ink), row by row


class PredictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    server: str  # namespace/name, name, or a URL (see servers.parse_address)
    model: str = ""  # default: the InferenceService's name
    protocol: Protocol = Protocol.V2
    pixels: Annotated[list[Pixel], Field(min_length=PIXELS, max_length=PIXELS)] | None = None
    image: Drawing | None = None

    @model_validator(mode="after")
    def _one_input(self) -> PredictRequest:
        if (self.pixels is None) == (self.image is None):
            raise ValueError("give exactly one of pixels (64 values in 0..1) or image")
        return self

    def model_input(self) -> list[float]:
        """The 64 pixels for the model: as given, or made from the drawing."""
        if self.pixels is not None:
            return self.pixels
        assert self.image is not None  # the validator saw to it
        return _pixels_of(self.image)


def parse_predict(body: Any) -> PredictRequest:
    try:
        return PredictRequest.model_validate(body)
    except ValidationError as exc:
        causes = [
            Cause(".".join(str(p) for p in error["loc"]), error["msg"])
            for error in exc.errors(include_url=False)
        ]
        raise Invalid.of("PredictRequest", "", causes) from None


def parse_protocol(text: str) -> Protocol:
    try:
        return Protocol(text)
    except ValueError:
        allowed = ", ".join(f'"{p.value}"' for p in Protocol)
        raise Invalid(
            f'protocol: Unsupported value: "{text}": supported values: {allowed}'
        ) from None


def held_out_sample(index_text: str | None) -> dict[str, Any]:
    """Held-out digit number `index_text` (random when not given), with its truth."""
    held_out = split()
    count = len(held_out.y_test)
    if not index_text:
        index = random.randrange(count)
    elif not index_text.isdigit() or int(index_text) >= count:
        raise Invalid(
            f'sample: Invalid value: "{index_text}": a held-out digit number, 0 to {count - 1}'
        )
    else:
        index = int(index_text)
    return {
        "index": index,
        "truth": int(held_out.y_test[index]),
        "pixels": [float(v) for v in held_out.x_test[index]],
    }


def _pixels_of(image: Drawing) -> list[float]:
    try:
        raw = base64.b64decode(image.data, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("image.data: Invalid value: not base64") from None
    if len(raw) != image.width * image.height:
        raise Invalid(
            f"image.data: Invalid value: {len(raw)} bytes for a {image.width}x{image.height} "
            f"drawing (want one byte per pixel: {image.width * image.height})"
        )
    ink = np.frombuffer(raw, dtype=np.uint8).reshape(image.height, image.width)
    try:
        digit = digit_from_ink(ink)
    except EmptyDrawing as exc:
        raise BadRequest(f"image: {exc}") from None
    return [float(v) / INTENSITY_LEVELS for v in digit.ravel()]
