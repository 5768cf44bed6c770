"""The checker's view of the student's notebook: ``nb`` in a hidden check.

The hidden checks run in the grading process, never in the student's kernel
(see the threat model in :mod:`course_grader.sandbox`). ``nb`` is a
:class:`RemoteNamespace`:

* ``nb.NAME`` asks the kernel for the global ``NAME``: data comes back as a
  fresh value (:mod:`course_grader.codec`), anything else as a
  :class:`RemoteObject` proxy; a missing name raises ``NameError("the
  notebook does not define `NAME`")``.
* calling a proxy (``nb.kl(p, q)``) sends *copies* of the arguments and
  returns the result as data; ``proxy.attr``, ``proxy[key]``, ``len(proxy)``
  work the same way. A proxy refuses to be a number, a truth value or to be
  compared: only data the student's code returned can satisfy an assertion.
* an exception in the student's code becomes :class:`RemoteError` (its
  ``detail`` names the exception and the student's line), a call running past
  the check's time limit is interrupted and raises
  :class:`~course_grader.checks.CheckTimeout`.

Each request is one execution in the kernel (:mod:`course_grader.kernel_side`),
made through a client of the checker's own (the notebook client is closed
first). A missing, malformed,
duplicated or failing answer raises :class:`ChannelError`, which stops the
grading with status ``grading_error`` and zero points; a dead kernel raises
:class:`KernelGone` for the rest of the checks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from queue import Empty
from typing import Any

import zmq
from jupyter_client.blocking import BlockingKernelClient

from . import codec
from .checks import CheckTimeout, GradingAborted
from .kernel_side import MAX_REPLY_BYTES, RESULT_MIME

MAX_MESSAGE_BYTES = 96 * 1024 * 1024  # larger messages from the kernel are refused by the socket


class ChannelError(GradingAborted):
    """The kernel's answer is missing or malformed: the grading channel was broken."""


class KernelGone(Exception):
    """The kernel died or stopped answering; later checks cannot run."""

    @property
    def detail(self) -> str:
        return str(self)


class RemoteError(Exception):
    """The student's code raised while answering a request."""

    def __init__(self, type_name: str, message: str, where: str = ""):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message, self.where = type_name, message, where

    @property
    def detail(self) -> str:
        return f"{self.type_name}: {self.message}{self.where}"


def _text(value: Any, limit: int = 2000) -> str:
    return value[:limit] if isinstance(value, str) else ""


class Channel:
    """Requests to a kernel that has run the notebook, over a client of its own
    (blocking sockets, messages over ``MAX_MESSAGE_BYTES`` refused). ``deadline``
    (monotonic seconds) bounds every request of the current check."""

    def __init__(
        self,
        connection_file: str,
        *,
        is_alive: Callable[[], bool],
        interrupt: Callable[[], None],
        death_reason: Callable[[], str] = lambda: "the kernel died",
        interrupt_grace: float = 5.0,
    ):
        self.context = zmq.Context()
        self.context.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE_BYTES)
        self.kc = BlockingKernelClient(connection_file=connection_file, context=self.context)
        self.kc.load_connection_file()
        self.is_alive, self.interrupt, self.death_reason = is_alive, interrupt, death_reason
        self.interrupt_grace = interrupt_grace
        self.deadline: float | None = None
        self.timeout_s: float | None = None
        self.gone: str | None = None  # why the kernel cannot answer any more
        self.died = False
        self.requests = 0
        self.kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=False)
        self._subscribe()

    def close(self) -> None:
        self.kc.stop_channels()
        self.context.destroy(linger=0)

    def _subscribe(self, timeout: float = 10.0) -> None:
        """Wait until the iopub subscription is live (a message sent before it
        would be lost): ask for kernel info until its status arrives on iopub."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            until = time.monotonic() + 0.25
            while (left := until - time.monotonic()) > 0:
                try:
                    msg = self.kc.get_iopub_msg(timeout=left)
                except Empty:
                    break
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    self._flush_shell()
                    return
            if not self.is_alive():
                break
        self.gone = "the kernel does not answer"

    def _flush_shell(self) -> None:
        while True:
            try:
                self.kc.get_shell_msg(timeout=0.05)
            except Empty:
                return

    def start_check(self, timeout_s: float | None) -> None:
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s if timeout_s else None

    def request(self, request: dict) -> Any:
        """Perform ``request`` in the kernel; the decoded ``ok`` value, or raise."""
        if self.gone:
            raise KernelGone(self.gone)
        if self.deadline is not None and self.deadline <= time.monotonic():
            raise CheckTimeout(f"ran longer than {self.timeout_s:g} s")
        code = (
            '__import__("course_grader.kernel_side", fromlist=["serve"]).serve('
            f"{json.dumps(request)!r})"
        )
        self.requests += 1
        try:
            answers, reply = self._exchange(code)
        except KernelGone:
            raise
        except CheckTimeout:
            raise
        except BaseException:
            self.gone = "the notebook stopped answering"
            raise
        if reply.get("status") != "ok":
            why = f"{_text(reply.get('ename'))}: {_text(reply.get('evalue'))}"
            raise ChannelError(f"the checks could not run: {why}")
        if len(answers) != 1:
            why = "the grading cell returned no result" if not answers else "several results"
            raise ChannelError(f"the checks could not run: {why}")
        return self._decode(answers[0])

    def _exchange(self, code: str) -> tuple[list[str], dict]:
        """Execute ``code``; the answers it displayed and its execute reply."""
        kc = self.kc
        msg_id = kc.execute(code, silent=True, allow_stdin=False, stop_on_error=False)
        answers: list[str] = []
        where = ""
        deadline, interrupted = self.deadline, False
        while True:
            left = 0.5 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                if interrupted:  # still busy after the grace period
                    limit = self._limit()
                    self.gone = f"the notebook stopped answering after a check {limit}"
                    raise CheckTimeout(limit)
                self.interrupt()
                interrupted, deadline = True, time.monotonic() + self.interrupt_grace
                continue
            try:
                msg = kc.get_iopub_msg(timeout=min(left, 0.5))
            except Empty:
                if not self.is_alive():
                    self.gone, self.died = self.death_reason() + " (during the checks)", True
                    raise KernelGone(self.gone) from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue  # another request's late message, or a student's thread
            kind, content = msg.get("msg_type"), msg.get("content", {})
            if kind == "display_data" and RESULT_MIME in content.get("data", {}):
                answers.append(content["data"][RESULT_MIME])
                if interrupted:
                    where = _where(answers[-1])
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        reply = self._reply(msg_id)
        if interrupted:
            timeout = CheckTimeout(self._limit())
            timeout.detail = f"CheckTimeout: {self._limit()}{where}"
            raise timeout
        return answers, reply

    def _reply(self, msg_id: str) -> dict:
        deadline = time.monotonic() + 10
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.kc.get_shell_msg(timeout=left)
            except Empty:
                break
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg.get("content", {})
        return {"status": "error", "ename": "NoReply", "evalue": "the kernel sent no reply"}

    def _limit(self) -> str:
        return f"ran longer than {self.timeout_s:g} s" if self.timeout_s else "ran too long"

    def _decode(self, text: str) -> Any:
        try:
            if not isinstance(text, str) or len(text) > MAX_REPLY_BYTES:
                raise ValueError("not a JSON text of acceptable size")
            answer = json.loads(text)
            if not isinstance(answer, dict) or len(answer) != 1:
                raise ValueError("not a single answer")
            ((kind, body),) = answer.items()
            if kind == "ok":
                return codec.decode(body, self._proxy)
            if kind == "undefined" and isinstance(body, str):
                raise NameError(f"the notebook does not define `{body[:200]}`")
            if kind == "error" and isinstance(body, dict):
                raise RemoteError(
                    _text(body.get("type"), 100) or "Exception",
                    _text(body.get("message")),
                    _text(body.get("where"), 300),
                )
            raise ValueError(f"unknown answer {kind!r}")
        except (ValueError, TypeError, RecursionError) as error:
            raise ChannelError(f"the checks could not run: malformed answer ({error})") from None

    def _proxy(self, node: dict) -> RemoteObject:
        body = node.get("handle")
        if not isinstance(body, dict) or type(body.get("id")) is not int:
            raise codec.DecodeError("malformed handle")
        return RemoteObject(
            self, body["id"], _text(body.get("type"), 100), bool(body.get("callable"))
        )


def _where(text: Any) -> str:
    try:
        error = json.loads(text).get("error", {})
        return _text(error.get("where"), 300)
    except (ValueError, AttributeError, TypeError):
        return ""


def _data(value: Any) -> Any:
    """Arguments go to the kernel as data; proxies as references."""
    return codec.encode(
        value, lambda v: {"ref": v._id} if isinstance(v, RemoteObject) else _refuse(v)
    )


def _refuse(value: Any):
    raise TypeError(f"cannot send a {type(value).__name__} to the notebook")


class RemoteObject:
    """An object that stays in the kernel (see the module docstring)."""

    __slots__ = ("_channel", "_id", "_type", "_callable")

    def __init__(self, channel: Channel, id_: int, type_name: str, is_callable: bool):
        self._channel, self._id, self._type, self._callable = channel, id_, type_name, is_callable

    def __call__(self, *args, **kwargs):
        return self._channel.request(
            {"op": "call", "ref": self._id, "args": _data(list(args)), "kwargs": _data(kwargs)}
        )

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self._channel.request({"op": "getattr", "ref": self._id, "attr": attr})

    def __getitem__(self, key):
        return self._channel.request({"op": "getitem", "ref": self._id, "key": _data(key)})

    def __len__(self) -> int:
        value = self._channel.request({"op": "len", "ref": self._id})
        if type(value) is not int:
            raise TypeError("len() of a notebook object did not return an int")
        return value

    def __repr__(self) -> str:
        return f"<notebook {self._type} object>"

    def _refuse(self, *args, **kwargs):
        raise TypeError(
            f"a {self._type} object from the notebook is not a number, array or tensor: "
            "return plain data (a tensor, an array, a number)"
        )

    __bool__ = __float__ = __int__ = __index__ = __complex__ = _refuse
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __matmul__ = __rmatmul__ = __neg__ = __abs__ = _refuse
    __array__ = __iter__ = _refuse
    __hash__ = None  # type: ignore[assignment]


class RemoteNamespace:
    """``nb`` in a hidden check: the executed notebook's globals, seen from outside."""

    def __init__(self, channel: Channel):
        self._channel = channel
        self._functions: dict[str, RemoteObject] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        cached = self._functions.get(name)
        if cached is not None:
            return cached
        value = self._channel.request({"op": "get", "name": name})
        if isinstance(value, RemoteObject) and value._callable:
            self._functions[name] = value  # a function is looked up once per grading
        return value

    def __contains__(self, name: str) -> bool:
        return bool(self._channel.request({"op": "has", "name": name}))

    def _start_check(self, timeout_s: float | None) -> None:
        """Called by :func:`course_grader.checks.run` before each check."""
        self._channel.start_check(timeout_s)
