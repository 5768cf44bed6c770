"""The code the student's kernel runs to answer one call from the checker.

After the notebook's cells have run, the checker (see :mod:`course_grader.remote`)
executes, for every ``nb.NAME`` or ``nb.f(...)`` in a hidden check, one line::

    __import__("course_grader.kernel_side", fromlist=["serve"]).serve(REQUEST_JSON)

:func:`serve` performs the request on the notebook's globals and answers with
one display output of MIME type :data:`RESULT_MIME` holding JSON text:
``{"ok": DATA}``, ``{"undefined": NAME}`` or ``{"error": {type, message,
where, interrupted}}``, where ``DATA`` is :mod:`course_grader.codec` data.

Nothing here is trusted. The student's code can replace this module, the
import machinery or ``IPython.display``; the checker only ever receives data
from it, validates its shape and treats a missing or malformed answer as a
broken grading channel (status ``grading_error``, zero points).
Standard library only (NumPy and PyTorch are used when the notebook imported them).
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from . import codec

RESULT_MIME = "application/vnd.course-grader.checks+json"
MAX_REPLY_BYTES = 64 * 1024 * 1024

_objects: dict[int, Any] = {}  # handles: objects the checker refers to by number


class _Undefined(Exception):
    pass


def _handle(value: Any) -> dict:
    key = len(_objects) + 1
    _objects[key] = value
    return {"handle": {"id": key, "type": type(value).__name__[:100], "callable": callable(value)}}


def _resolve(node: dict) -> Any:
    if "ref" in node and type(node["ref"]) is int and node["ref"] in _objects:
        return _objects[node["ref"]]
    raise ValueError(f"unknown object reference {node!r}")


def _globals() -> dict:
    import IPython

    return IPython.get_ipython().user_ns


def _target(request: dict) -> Any:
    if "ref" in request:
        return _resolve({"ref": request["ref"]})
    name = request["name"]
    namespace = _globals()
    if name not in namespace:
        raise _Undefined(name)
    return namespace[name]


def _perform(request: dict) -> Any:
    op = request["op"]
    if op == "has":
        return request["name"] in _globals()
    if op == "get":
        return _target(request)
    if op == "call":
        args = codec.decode(request["args"], _resolve)
        kwargs = codec.decode(request["kwargs"], _resolve)
        return _target(request)(*args, **kwargs)
    if op == "getattr":
        return getattr(_target(request), request["attr"])
    if op == "getitem":
        return _target(request)[codec.decode(request["key"], _resolve)]
    if op == "len":
        return len(_target(request))
    raise ValueError(f"unknown request {op!r}")


def _describe(error: BaseException) -> dict:
    try:
        message = str(error)[:2000]
    except Exception:  # a student's exception whose __str__ raises
        message = "(message unavailable)"
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    where = f" (in {frames[-1].name}, line {frames[-1].lineno})" if frames else ""
    return {
        "type": type(error).__name__[:100],
        "message": message,
        "where": where,
        "interrupted": isinstance(error, KeyboardInterrupt),
    }


def reply(request_text: str) -> str:
    """The JSON answer to one request (never raises)."""
    try:
        request = json.loads(request_text)
        try:
            value = _perform(request)
        except _Undefined as missing:
            return json.dumps({"undefined": str(missing)})
        text = json.dumps({"ok": codec.encode(value, _handle)}, allow_nan=False)
    except BaseException as error:  # the student's code may raise anything, even SystemExit
        text = json.dumps({"error": _describe(error)})
    if len(text) > MAX_REPLY_BYTES:
        error = {
            "type": "ValueError",
            "message": f"the value is too large to grade ({len(text)} bytes)",
        }
        text = json.dumps({"error": {**error, "where": "", "interrupted": False}})
    return text


def serve(request_text: str) -> None:
    """Answer one request with a display output (what the checker executes)."""
    import IPython.display

    answer = reply(request_text)
    sys.stdout.flush()
    IPython.display.display({RESULT_MIME: answer}, raw=True)
