"""Plain data between the checker and the student's kernel, decoded strictly.

Values cross the sandbox boundary as JSON text; nothing is ever unpickled.
What can cross:

* ``None``, ``bool``, ``int``, ``float`` (``inf`` and ``nan`` included), ``str``
* ``bytes``, ``complex``, ``list``, ``tuple``, ``dict`` (str or int keys)
* NumPy arrays and scalars, PyTorch tensors: dtype, shape and raw
  little-endian bytes (so every bit of a float64 survives); a tensor is rebuilt
  as a plain ``torch.Tensor`` (detached, CPU), an array as a plain ``ndarray``
* a *handle* ``{"handle": {"id", "type", "callable"}}``: any other object the
  kernel returns (a function, a model, a generator) stays in the kernel; the
  checker gets a proxy it can call or index (:mod:`course_grader.remote`) but
  never use as a number, a truth value or in a comparison.

The decoder accepts only these shapes (every dict node has exactly one known
tag), bounded in depth and number of items, with a dtype allow-list and byte
counts that must match the shape: a hostile kernel can send wrong *values*,
never an object with behaviour of its own.
"""

from __future__ import annotations

import base64
import math
import sys
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 32
MAX_NODES = 1_000_000
DTYPES = frozenset(
    "bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 "
    "float16 float32 float64 complex64 complex128".split()
)


class DecodeError(ValueError):
    """The data does not have one of the accepted shapes."""


def _array_node(array) -> dict:
    import numpy as np

    array = np.array(array, order="C", copy=True)  # (ascontiguousarray would make 0-d arrays 1-d)
    if array.dtype.name not in DTYPES:
        if array.dtype.kind == "f":
            array = array.astype(np.float64)
        else:
            raise TypeError(f"cannot send an array of dtype {array.dtype}")
    array = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return {
        "dtype": array.dtype.name,
        "shape": list(array.shape),
        "data": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def encode(value: Any, handle: Callable[[Any], dict] | None = None, _depth: int = 0) -> Any:
    """``value`` as JSON-able plain data; objects that are not data go through
    ``handle(obj) -> {"handle": ...}`` (or ``{"ref": id}``), else ``TypeError``."""
    if _depth > MAX_DEPTH:
        raise ValueError(f"value nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        number = float(value)
        return number if math.isfinite(number) else {"float": repr(number)}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, complex):
        return {"complex": [encode(value.real), encode(value.imag)]}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": base64.b64encode(bytes(value)).decode("ascii")}
    deeper = _depth + 1
    if isinstance(value, (list, tuple)):
        items = [encode(item, handle, deeper) for item in value]
        return {"tuple" if isinstance(value, tuple) else "list": items}
    if isinstance(value, dict):
        pairs = []
        for key, item in value.items():
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"cannot send a dict with a {type(key).__name__} key")
            pairs.append([encode(key), encode(item, handle, deeper)])
        return {"dict": pairs}
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Tensor):
        tensor = value.detach().to("cpu")
        if tensor.is_sparse:
            tensor = tensor.to_dense()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.to(torch.float32)
        return {"tensor": _array_node(tensor.resolve_conj().resolve_neg().contiguous().numpy())}
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return {"ndarray": _array_node(numpy.asarray(value))}
    if numpy is not None and isinstance(value, numpy.generic):
        return {"npscalar": _array_node(numpy.asarray(value))}
    if handle is not None:
        return handle(value)
    raise TypeError(f"cannot send an object of type {type(value).__name__}")


def _array(node: Any):
    import numpy as np

    if not isinstance(node, dict) or set(node) != {"dtype", "shape", "data"}:
        raise DecodeError("malformed array")
    dtype, shape, data = node["dtype"], node["shape"], node["data"]
    if dtype not in DTYPES:
        raise DecodeError(f"dtype {dtype!r} is not allowed")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_DEPTH
        or not all(type(n) is int and 0 <= n for n in shape)
    ):
        raise DecodeError("malformed array shape")
    if not isinstance(data, str):
        raise DecodeError("malformed array data")
    raw = base64.b64decode(data.encode("ascii"), validate=True)
    kind = np.dtype(dtype).newbyteorder("<")
    if len(raw) != math.prod(shape) * kind.itemsize:
        raise DecodeError("array data does not match its shape")
    return np.frombuffer(raw, dtype=kind).astype(kind.newbyteorder("="), copy=True).reshape(shape)


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0

    def spend(self) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise DecodeError(f"more than {MAX_NODES} values")


def decode(
    node: Any,
    handle: Callable[[dict], Any] | None = None,
    _depth: int = 0,
    _budget: _Budget | None = None,
) -> Any:
    """The value :func:`encode` produced; handles and refs go to ``handle(node)``."""
    budget = _budget or _Budget()
    budget.spend()
    if _depth > MAX_DEPTH:
        raise DecodeError(f"value nested deeper than {MAX_DEPTH} levels")
    if node is None or type(node) in (bool, int, float, str):
        return node
    if not isinstance(node, dict) or len(node) != 1:
        raise DecodeError(f"unexpected {type(node).__name__} in the data")
    ((tag, body),) = node.items()
    deeper = _depth + 1
    if tag in ("list", "tuple"):
        if not isinstance(body, list):
            raise DecodeError(f"malformed {tag}")
        items = [decode(item, handle, deeper, budget) for item in body]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        if not isinstance(body, list) or not all(
            isinstance(p, list) and len(p) == 2 and type(p[0]) in (str, int) for p in body
        ):
            raise DecodeError("malformed dict")
        return {key: decode(item, handle, deeper, budget) for key, item in body}
    if tag == "float":
        if body not in ("inf", "-inf", "nan"):
            raise DecodeError("malformed float")
        return float(body)
    if tag == "complex":
        if not isinstance(body, list) or len(body) != 2:
            raise DecodeError("malformed complex")
        real, imag = (decode(part, None, deeper, budget) for part in body)
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (real, imag)):
            raise DecodeError("malformed complex")
        return complex(real, imag)
    if tag == "bytes":
        if not isinstance(body, str):
            raise DecodeError("malformed bytes")
        return base64.b64decode(body.encode("ascii"), validate=True)
    if tag == "ndarray":
        return _array(body)
    if tag == "npscalar":
        array = _array(body)
        if array.shape != ():
            raise DecodeError("malformed numpy scalar")
        return array[()]
    if tag == "tensor":
        array = _array(body)
        try:
            import torch
        except ImportError:
            return array
        return torch.from_numpy(array)
    if tag in ("handle", "ref") and handle is not None:
        return handle(node)
    raise DecodeError(f"unknown tag {tag!r}")
