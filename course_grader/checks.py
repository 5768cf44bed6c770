"""Declaring and running hidden graded checks.

A hidden tests file (``solutions/NAME_tests.py``) is plain Python; each check is
a function of the executed notebook's namespace, declared with :func:`check`::

    from course_grader.checks import check

    @check("q1_kl", points=1, message="kl(P, Q) is wrong on the binomial-vs-uniform example.")
    def kl_binomial_example(nb):
        got = float(nb.kl(P, Q))
        assert abs(got - 0.0853) < 1e-4, f"kl(P, Q) = {got:.6g}, expected 0.0853"

* ``question``: the question id (``q1_kl``); a question's score is the sum of
  the points of its passing checks.
* ``points``: what the check is worth; ``message``: shown to the student when
  it fails (the assertion text is kept as ``detail``).
* ``nb.NAME`` is the notebook's global ``NAME``; a missing name fails the check
  with "the notebook does not define `NAME`".

A check passes when it returns without raising. A check whose body contains no
``assert``, ``raise`` or ``assert_*(...)`` call cannot fail and is refused when
the file is loaded.

This module has no state: checks are found by scanning the tests module.
The grading process loads the file and runs the checks itself, with ``nb`` a
:class:`course_grader.remote.RemoteNamespace` whose calls execute in the
student's sandboxed kernel and return plain data (see :mod:`course_grader.run`
and the threat model in :mod:`course_grader.sandbox`); the checks never run in
the student's interpreter. :func:`run` also accepts a plain dict of globals
(an in-process namespace, used by the tests of the checks themselves).
"""

from __future__ import annotations

import ast
import re
import signal
import threading
import traceback
import types
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ATTR = "__course_grader_check__"
_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class CheckSpec:
    """One declared check: ``id`` is ``"<question>.<function name>"``."""

    question: str
    name: str
    points: float
    message: str
    func: Callable[[Any], None]

    @property
    def id(self) -> str:
        return f"{self.question}.{self.name}"


def check(question: str, *, points: float, message: str) -> Callable:
    """Declare the decorated function a graded check of ``question`` (see module docstring)."""
    if not _QUESTION_ID.match(question):
        raise ValueError(f"question id {question!r} must match {_QUESTION_ID.pattern}")
    if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
        raise ValueError(f"points for {question!r} must be a positive number, got {points!r}")
    if not message or not message.strip():
        raise ValueError(f"check of {question!r} needs a non-empty message for the student")

    def mark(func: Callable) -> Callable:
        setattr(func, _ATTR, CheckSpec(question, func.__name__, float(points), message, func))
        return func

    return mark


def collect(namespace: Mapping[str, Any]) -> list[CheckSpec]:
    """The checks declared in a module's namespace, in definition order."""
    specs = [getattr(v, _ATTR) for v in namespace.values() if hasattr(v, _ATTR)]
    ids = [s.id for s in specs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate check ids: {', '.join(duplicates)}")
    return specs


def _can_fail(func: ast.FunctionDef) -> bool:
    """True if the body asserts: ``assert``, ``raise``, or a call to ``[_]assert_*``
    (``np.testing.assert_allclose``, ``torch.testing.assert_close``)."""
    for node in ast.walk(func):
        if isinstance(node, (ast.Assert, ast.Raise)):
            return True
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
            if name.lstrip("_").startswith("assert"):
                return True
    return False


def load_source(source: str, filename: str) -> list[CheckSpec]:
    """Execute a tests file's ``source`` as a fresh module and collect its checks.

    Raises ``ValueError`` if a check has no ``assert``/``raise`` (it could never fail).
    """
    tree = ast.parse(source, filename)
    decorated = {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.decorator_list
    }
    module = types.ModuleType(Path(filename).stem)
    module.__file__ = filename
    exec(compile(tree, filename, "exec"), module.__dict__)
    specs = collect(module.__dict__)
    for spec in specs:
        node = decorated.get(spec.name)
        if node is None or not _can_fail(node):
            raise ValueError(
                f"{filename}: check {spec.id} has no assert, raise or assert_*() call, "
                "so it can never fail"
            )
    if not specs:
        raise ValueError(f"{filename}: no @check functions found")
    return specs


def load(path: str | Path) -> list[CheckSpec]:
    """Load the checks of a tests file (see :func:`load_source`)."""
    path = Path(path)
    return load_source(path.read_text(encoding="utf-8"), str(path))


class NotebookNamespace:
    """Attribute access to an executed notebook's globals, with a clear error."""

    def __init__(self, globals_: Mapping[str, Any]):
        self._globals = globals_

    def __getattr__(self, name: str) -> Any:
        try:
            return self._globals[name]
        except KeyError:
            raise NameError(f"the notebook does not define `{name}`") from None

    def __contains__(self, name: str) -> bool:
        return name in self._globals


class CheckTimeout(Exception):
    """A check ran longer than its time limit."""


class GradingAborted(Exception):
    """The checks cannot go on: the grading channel to the notebook is broken
    (the notebook tampered with it). :func:`run` lets it through."""


@contextmanager
def _time_limit(seconds: float | None):
    # SIGALRM works only in the main thread of a POSIX process (true in a kernel);
    # elsewhere the caller's own timeout (the grading cell's) is the limit.
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _raise(signum, frame):
        raise CheckTimeout(f"ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# A remote namespace bounds each call by the check's time limit; the alarm is a
# backstop for the check's own code, a little later.
_BACKSTOP_S = 15.0


def run(
    specs: list[CheckSpec], globals_: Mapping[str, Any] | Any, *, timeout_s: float | None = 30.0
) -> list[dict[str, Any]]:
    """Run ``specs`` against a notebook's globals (a dict, or a remote namespace);
    one JSON-able dict per check: ``{"id", "passed", "detail"}`` (``detail``: why
    it failed, empty if it passed). :class:`GradingAborted` is not caught."""
    remote = hasattr(type(globals_), "_start_check")
    nb = globals_ if remote else NotebookNamespace(globals_)
    outcomes = []
    for spec in specs:
        try:
            if remote:
                nb._start_check(timeout_s)
            with _time_limit(timeout_s and timeout_s + _BACKSTOP_S if remote else timeout_s):
                spec.func(nb)
        except AssertionError as error:
            outcomes.append(
                {"id": spec.id, "passed": False, "detail": str(error) or "assertion failed"}
            )
        except GradingAborted:
            raise
        except Exception as error:  # the student's code may raise anything
            detail = getattr(error, "detail", None)
            if not isinstance(detail, str):
                frames = [
                    f
                    for f in traceback.extract_tb(error.__traceback__)
                    if f.filename not in (__file__, spec.func.__code__.co_filename)
                ]
                where = f" (in {frames[-1].name}, line {frames[-1].lineno})" if frames else ""
                detail = f"{type(error).__name__}: {error}{where}"
            outcomes.append({"id": spec.id, "passed": False, "detail": detail})
        else:
            outcomes.append({"id": spec.id, "passed": True, "detail": ""})
    return outcomes


def run_source(
    source: str, filename: str, globals_: Mapping[str, Any], *, timeout_s: float | None = 30.0
) -> list[dict[str, Any]]:
    """Load a tests file from its source text and run it (what the grading cell calls)."""
    return run(load_source(source, filename), globals_, timeout_s=timeout_s)
