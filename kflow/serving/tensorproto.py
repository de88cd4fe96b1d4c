"""TensorFlow's `TensorProto` to numpy and back, for TF Serving's gRPC API.

A request tensor carries its values either as little-endian `tensor_content` bytes or
in the typed field for its dtype (`float_val`, `int_val`, ...); one typed value with a
larger shape fills the whole tensor, as TensorFlow reads it. Responses use the typed
fields, as TF Serving's do (its clients read `outputs["scores"].float_val`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from kflow.serving import codec, datatypes
from kflow.serving.datatypes import Array
from kflow.serving.errors import InvalidInput
from kflow.serving.protos import tensor_pb2, types_pb2


def _datatype(proto: tensor_pb2.TensorProto, where: str) -> str:
    name = types_pb2.DataType.Name(proto.dtype) if proto.dtype in _DTYPE_NUMBERS else None
    if name is None or name not in datatypes.FROM_TENSORFLOW:
        shown = name or f"enum value {proto.dtype}"
        raise InvalidInput(
            f"{where}: dtype {shown} is not supported "
            f"(one of {', '.join(datatypes.FROM_TENSORFLOW)})"
        )
    return datatypes.FROM_TENSORFLOW[name]


_DTYPE_NUMBERS = set(types_pb2.DataType.values())


def to_array(proto: tensor_pb2.TensorProto, where: str) -> Array:
    """The numpy array a request's `TensorProto` holds; `where` names it in errors."""
    datatype = _datatype(proto, where)
    if proto.tensor_shape.unknown_rank:
        raise InvalidInput(f"{where}: tensor_shape has unknown_rank; send the tensor's shape")
    dims = [d.size for d in proto.tensor_shape.dim]
    if any(d < 0 for d in dims):
        raise InvalidInput(f"{where}: tensor_shape {dims} has an unknown (-1) dimension")
    if proto.tensor_content:
        if datatype == "BYTES":
            raise InvalidInput(f"{where}: DT_STRING values go in string_val, not tensor_content")
        return codec.from_bytes(proto.tensor_content, datatype, dims, where)
    field = datatypes.TENSORPROTO_FIELD[datatype]
    values: Any = getattr(proto, field)
    count = math.prod(dims)
    if datatype == "BYTES":
        flat = np.empty(len(values), dtype=object)
        flat[:] = list(values)
    elif datatype == "FP16":
        flat = np.asarray(values, dtype=np.uint16).view(np.float16)
    else:
        flat = datatypes.narrow(np.asarray(values), datatype, where)
    if flat.size == count:
        return flat.reshape(dims)
    if flat.size == 1 and count > 1:  # TensorFlow fills the shape with a lone value
        return np.full(dims, flat[0], dtype=flat.dtype)
    raise InvalidInput(
        f"{where}: tensor_shape {dims} needs {count} values, {field} has {flat.size}"
    )


def from_array(array: Array) -> tensor_pb2.TensorProto:
    """A response `TensorProto` with the values in the typed field for their dtype."""
    datatype = datatypes.of_array(array)
    proto = tensor_pb2.TensorProto(dtype=types_pb2.DataType.Value(datatypes.TENSORFLOW[datatype]))
    for size in array.shape:
        proto.tensor_shape.dim.add(size=size)
    flat = array.reshape(-1)
    values: Any = getattr(proto, datatypes.TENSORPROTO_FIELD[datatype])
    if datatype == "BYTES":
        values.extend(v if isinstance(v, bytes) else str(v).encode() for v in flat)
    elif datatype == "FP16":
        values.extend(flat.view(np.uint16).tolist())
    else:
        values.extend(flat.tolist())
    return proto
