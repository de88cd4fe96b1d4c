"""Tensors on the wire: V2 JSON data (nested or flat) and Triton's binary layout.

Binary data is little-endian, row-major, without padding; BOOL is one byte; a BYTES
element is a 4-byte little-endian length followed by its bytes. JSON BYTES elements
are strings (UTF-8).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from kflow.serving import datatypes
from kflow.serving.datatypes import Array
from kflow.serving.errors import InvalidInput


def _check_shape(shape: Any, where: str) -> tuple[int, ...]:
    if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
        raise InvalidInput(f"{where}: shape must be a list of non-negative integers, got {shape!r}")
    return tuple(shape)


def from_json(data: Any, datatype: str, shape: Any, where: str) -> Array:
    """A tensor from V2 JSON `data` (nested lists or flat, row-major)."""
    dims = _check_shape(shape, where)
    dtype = datatypes.to_numpy(datatype, where)
    expected = math.prod(dims)
    if datatype == "BYTES":
        flat = _flatten(data)
        array = np.empty(len(flat), dtype=object)
        for index, item in enumerate(flat):
            array[index] = item.encode() if isinstance(item, str) else bytes(item)
    else:
        try:
            array = np.asarray(data, dtype=dtype).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"{where}: data does not fit datatype {datatype}: {exc}") from None
    if array.size != expected:
        raise InvalidInput(
            f"{where}: shape {list(dims)} needs {expected} elements, data has {array.size}"
        )
    return array.reshape(dims)


def _flatten(data: Any) -> list[Any]:
    if not isinstance(data, list):
        return [data]
    out: list[Any] = []
    for item in data:
        out.extend(_flatten(item))
    return out


def from_bytes(raw: memoryview | bytes, datatype: str, shape: Any, where: str) -> Array:
    """A tensor from Triton's binary layout."""
    dims = _check_shape(shape, where)
    dtype = datatypes.to_numpy(datatype, where)
    expected = math.prod(dims)
    if datatype != "BYTES":
        if len(raw) != expected * dtype.itemsize:
            raise InvalidInput(
                f"{where}: shape {list(dims)} of {datatype} needs {expected * dtype.itemsize} "
                f"bytes, binary_data_size is {len(raw)}"
            )
        return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(dims)
    items: list[bytes] = []
    offset = 0
    view = memoryview(raw)
    while offset < len(view):
        if offset + 4 > len(view):
            raise InvalidInput(f"{where}: BYTES element {len(items)} has a truncated length")
        (length,) = struct.unpack_from("<I", view, offset)
        offset += 4
        if offset + length > len(view):
            raise InvalidInput(f"{where}: BYTES element {len(items)} runs past the tensor data")
        items.append(bytes(view[offset : offset + length]))
        offset += length
    if len(items) != expected:
        raise InvalidInput(
            f"{where}: shape {list(dims)} needs {expected} BYTES elements, data has {len(items)}"
        )
    array = np.empty(expected, dtype=object)
    array[:] = items
    return array.reshape(dims)


def to_bytes(array: Array) -> bytes:
    """A tensor in Triton's binary layout."""
    if datatypes.of_array(array) == "BYTES":
        parts = []
        for item in array.reshape(-1):
            value = item if isinstance(item, bytes) else str(item).encode()
            parts.append(struct.pack("<I", len(value)))
            parts.append(value)
        return b"".join(parts)
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def to_json_data(array: Array, where: str) -> list[Any]:
    """Flat, row-major JSON data for a tensor (BYTES as UTF-8 strings)."""
    flat = array.reshape(-1)
    if datatypes.of_array(array) != "BYTES":
        return list(flat.tolist())
    out = []
    for item in flat:
        if isinstance(item, bytes):
            try:
                out.append(item.decode())
            except UnicodeDecodeError:
                raise InvalidInput(
                    f"{where}: BYTES output is not UTF-8; ask for it as binary data"
                ) from None
        else:
            out.append(str(item))
    return out


def normalize(array: Array) -> Array:
    """Unicode/`S` arrays as BYTES object arrays, so every output has a V2 datatype."""
    if array.dtype.kind in "US":
        out = np.empty(array.shape, dtype=object)
        out.reshape(-1)[:] = [
            v.encode() if isinstance(v, str) else bytes(v) for v in array.reshape(-1)
        ]
        return out
    return array


def zeros(shape: Sequence[int], datatype: str) -> Array:
    """A tensor of zeros (empty bytes for BYTES), for automatic warm-up."""
    dtype = datatypes.NUMPY[datatype]
    if datatype == "BYTES":
        array = np.empty(tuple(shape), dtype=object)
        array.reshape(-1)[:] = [b""] * math.prod(shape)
        return array
    return np.zeros(tuple(shape), dtype=dtype)
