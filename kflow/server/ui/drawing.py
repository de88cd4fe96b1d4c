"""A drawing on the page's canvas turned into the 8x8 digit the model was trained on.

scikit-learn's digits (UCI optdigits) were made from 32x32 binary bitmaps of
handwritten digits, each size-normalised to fill the box, by counting the inked
pixels in every 4x4 block: 8x8 pixels of 0..16. A mouse drawing is nothing like that
until it is brought to the same shape, so this module does what optdigits did:

1. crop to the ink's bounding box and pad it to a square, the digit centred (so a
   "1" stays a thin upright stroke in the middle, as in the training data);
2. area-average the square down to 32x32 and binarise it;
3. thicken the strokes until they cover as much of the box as the training digits do
   on average (a pen stroke on a big canvas is far thinner, relative to the digit,
   than the strokes in the data set, and the model reads thin strokes as faint);
4. count the inked pixels of each 4x4 block.

Pure NumPy, no image library: the canvas arrives as one byte of ink per pixel.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BITMAP = 32
"""Side of the intermediate binary bitmap, as in optdigits."""
BLOCK = 4
"""Side of the blocks whose inked pixels make one of the 8x8 pixels (so 0..16)."""
TRAINING_INK = 0.30
"""Share of the 32x32 box the training digits ink on average (19.5 of 64 cells
at full intensity, the same for every class); strokes are thickened up to it."""
INK_MIN = 26
"""Canvas ink (0..255) below this is antialiasing fringe, not part of the digit."""
MAX_THICKENING = 8
"""Dilation steps at most: enough for a hairline on a large canvas."""


class EmptyDrawing(ValueError):
    """The drawing has no ink."""


def digit_from_ink(ink: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """The 8x8 digit (0..16 per pixel) for a canvas of ink values (0..255, row-major)."""
    inked = ink >= INK_MIN
    if not inked.any():
        raise EmptyDrawing("the drawing has no ink: draw a digit first")
    rows = np.flatnonzero(inked.any(axis=1))
    cols = np.flatnonzero(inked.any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float64) / 255.0
    coverage = _area_resample(_pad_to_square(crop), BITMAP)
    bitmap = _thicken(coverage >= coverage.max() / 2)
    cells = BITMAP // BLOCK
    counts = bitmap.reshape(cells, BLOCK, cells, BLOCK).sum(axis=(1, 3))
    return np.asarray(counts, dtype=np.int64)


def _pad_to_square(image: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    height, width = image.shape
    side = max(height, width)
    square = np.zeros((side, side))
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = image
    return square


def _area_weights(source: int, target: int) -> npt.NDArray[np.float64]:
    """`target x source` matrix: how much of each source pixel falls in each target pixel."""
    edges = np.arange(target + 1) * (source / target)
    low, high = edges[:-1, None], edges[1:, None]
    index = np.arange(source)[None, :]
    overlap = np.clip(np.minimum(high, index + 1) - np.maximum(low, index), 0.0, None)
    return np.asarray(overlap / (source / target), dtype=np.float64)


def _area_resample(square: npt.NDArray[np.float64], side: int) -> npt.NDArray[np.float64]:
    """Each output pixel is the mean of the input area it covers (exact, any size ratio)."""
    weights = _area_weights(square.shape[0], side)
    return np.asarray(weights @ square @ weights.T, dtype=np.float64)


def _thicken(bitmap: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Grow the strokes one pixel at a time (4-neighbourhood) up to the training ink."""
    for _ in range(MAX_THICKENING):
        if bitmap.mean() >= TRAINING_INK:
            break
        padded = np.pad(bitmap, 1)
        bitmap = (
            padded[1:-1, 1:-1]
            | padded[:-2, 1:-1]
            | padded[2:, 1:-1]
            | padded[1:-1, :-2]
            | padded[1:-1, 2:]
        )
    return bitmap
