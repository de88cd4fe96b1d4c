"""The one table of tensor datatypes: Open Inference Protocol names, numpy, TF Serving.

V2 (`FP32`, `BYTES`, ...) is the lingua franca inside the server; TF Serving's
metadata speaks `DT_FLOAT`. BYTES tensors are numpy object arrays of `bytes`. The gRPC
APIs carry typed values in a field per datatype: `V2_CONTENTS` and `TENSORPROTO_FIELD`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from kflow.serving.errors import InvalidInput

#: V2 datatype -> numpy dtype. BYTES is an object array holding `bytes`.
NUMPY: dict[str, np.dtype[np.generic]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BYTES": np.dtype(np.object_),
}

#: V2 datatype -> TF Serving's DataType enum name, for `/metadata`.
TENSORFLOW: dict[str, str] = {
    "BOOL": "DT_BOOL",
    "UINT8": "DT_UINT8",
    "UINT16": "DT_UINT16",
    "UINT32": "DT_UINT32",
    "UINT64": "DT_UINT64",
    "INT8": "DT_INT8",
    "INT16": "DT_INT16",
    "INT32": "DT_INT32",
    "INT64": "DT_INT64",
    "FP16": "DT_HALF",
    "FP32": "DT_FLOAT",
    "FP64": "DT_DOUBLE",
    "BYTES": "DT_STRING",
}

#: V2 datatype -> the `InferTensorContents` field of V2 gRPC (FP16 travels only raw).
V2_CONTENTS: dict[str, str] = {
    "BOOL": "bool_contents",
    "UINT8": "uint_contents",
    "UINT16": "uint_contents",
    "UINT32": "uint_contents",
    "UINT64": "uint64_contents",
    "INT8": "int_contents",
    "INT16": "int_contents",
    "INT32": "int_contents",
    "INT64": "int64_contents",
    "FP32": "fp32_contents",
    "FP64": "fp64_contents",
    "BYTES": "bytes_contents",
}

#: V2 datatype -> the typed-values field of TensorFlow's `TensorProto` (FP16: bit patterns).
TENSORPROTO_FIELD: dict[str, str] = {
    "BOOL": "bool_val",
    "UINT8": "int_val",
    "UINT16": "int_val",
    "UINT32": "uint32_val",
    "UINT64": "uint64_val",
    "INT8": "int_val",
    "INT16": "int_val",
    "INT32": "int_val",
    "INT64": "int64_val",
    "FP16": "half_val",
    "FP32": "float_val",
    "FP64": "double_val",
    "BYTES": "string_val",
}

#: TF Serving's DataType enum name -> V2 datatype.
FROM_TENSORFLOW: dict[str, str] = {tf: v2 for v2, tf in TENSORFLOW.items()}

Array = npt.NDArray[Any]  # any numpy array; a tensor

_BY_NUMPY = {dtype: name for name, dtype in NUMPY.items()}


def to_numpy(datatype: str, where: str) -> np.dtype[np.generic]:
    """The numpy dtype of a V2 datatype; `where` names the tensor in the error."""
    try:
        return NUMPY[datatype]
    except KeyError:
        raise InvalidInput(
            f"{where}: datatype {datatype!r} is not supported (one of {', '.join(NUMPY)})"
        ) from None


def of_array(array: Array) -> str:
    """The V2 datatype of a numpy array (strings and bytes are BYTES)."""
    if array.dtype.kind in "OSU":
        return "BYTES"
    try:
        return _BY_NUMPY[array.dtype]
    except KeyError:
        raise InvalidInput(f"numpy dtype {array.dtype} has no V2 datatype") from None


def narrow(values: Array, datatype: str, where: str) -> Array:
    """Typed gRPC values (carried in a wider field: INT8 in int32) as `datatype`'s dtype,
    refusing values that do not fit rather than wrapping them."""
    dtype = to_numpy(datatype, where)
    array = values.astype(dtype)
    if dtype.kind in "iu" and array.size and not np.array_equal(array, values):
        info = np.iinfo(dtype.name)
        raise InvalidInput(f"{where}: values outside {datatype}'s range {info.min}..{info.max}")
    return array
