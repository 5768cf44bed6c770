"""Public self-checks for exercise notebooks: print ✓ or ✗, never raise.

Each function takes the question id, a short description of what is checked,
and a zero-argument function computing the value from the student's code, so
that an exception in the student's code becomes a ✗ line instead of stopping
the notebook::

    from course_grader import selfcheck

    selfcheck.close("q1_kl", "KL(P‖Q) on the binomial example", lambda: kl(P, Q), 0.0853, atol=1e-4)
    # ✓ q1_kl: KL(P‖Q) on the binomial example ≈ 0.0853
    # ✗ q1_kl not yet: KL(P‖Q) on the binomial example is 0 (expected 0.0853 ± 0.0001)

Passing lines print the expected value, not the computed one, so that a
notebook's stored output does not depend on the last bits of a float. The
functions return ``None`` (a notebook cell ending with a check shows no
``True``/``False``); they only print.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _evaluate(question: str, what: str, compute: Callable[[], Any]) -> tuple[bool, Any]:
    """Call ``compute``; on an exception print the ✗ line and return ``(False, None)``."""
    try:
        return True, compute()
    except Exception as error:  # the student's code may raise anything
        print(f"✗ {question} not yet: {what} raised {type(error).__name__}: {error}")
        return False, None


def _as_float(question: str, what: str, value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError) as error:
        print(f"✗ {question} not yet: {what} is not a number ({type(error).__name__}: {error})")
        return None


def passed(question: str, what: str) -> None:
    """Print the ✓ line for ``question``."""
    print(f"✓ {question}: {what}")


def failed(question: str, why: str) -> None:
    """Print the ✗ line for ``question``."""
    print(f"✗ {question} not yet: {why}")


def close(
    question: str,
    what: str,
    compute: Callable[[], Any],
    expected: float,
    *,
    atol: float,
) -> None:
    """Check that ``compute()`` is a number within ``atol`` of ``expected``."""
    ok, value = _evaluate(question, what, compute)
    got = _as_float(question, what, value) if ok else None
    if got is None:
        return
    if math.isfinite(got) and abs(got - expected) <= atol:
        passed(question, f"{what} ≈ {_fmt(expected)}")
    else:
        failed(question, f"{what} is {_fmt(got)} (expected {_fmt(expected)} ± {atol:g})")


def below(question: str, what: str, compute: Callable[[], Any], bound: float) -> None:
    """Check that ``compute()`` is a number below ``bound`` (e.g. an error)."""
    ok, value = _evaluate(question, what, compute)
    got = _as_float(question, what, value) if ok else None
    if got is None:
        return
    if got < bound:
        passed(question, f"{what} below {bound:g}")
    else:
        failed(question, f"{what} is {_fmt(got)} (expected < {bound:g})")


def holds(question: str, what: str, compute: Callable[[], Any], *, hint: str = "") -> None:
    """Check that ``compute()`` is true; ``hint`` says what to look at if not."""
    ok, value = _evaluate(question, what, compute)
    if not ok:
        return
    try:
        truth = bool(value)
    except (TypeError, ValueError, RuntimeError) as error:
        failed(question, f"{what}: cannot tell ({type(error).__name__}: {error})")
        return
    if truth:
        passed(question, what)
    else:
        failed(question, f"{what} does not hold" + (f"; {hint}" if hint else ""))
