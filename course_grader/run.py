"""Grade one notebook: execute it in a sandboxed kernel, run the hidden checks, score.

:func:`grade_notebook` works in two processes that never share an interpreter
(the threat model is in :mod:`course_grader.sandbox`):

1. *kernel* (the student's code, in the sandbox of :mod:`course_grader.sandbox`):
   executes the notebook's cells one by one with a per-cell timeout, in a
   fresh empty working directory (:mod:`course_grader.kernel`); a cell that
   raises does not stop execution, a cell that runs past ``cell_timeout`` is
   interrupted.
2. *grading process* (this one): loads the hidden tests file (never sent to
   the kernel), then runs every check here, with ``nb`` a
   :class:`~course_grader.remote.RemoteNamespace`: ``nb.kl(p, q)`` sends
   copies of ``p`` and ``q`` to the kernel and gets plain data back, which the
   check compares with references computed here.

Points are the sum of the points of passing checks, per question. Statuses,
from best to worst, are listed in :data:`STATUSES`; checks run for ``ok``,
``cell_errors`` and ``timeout``, and those that completed before the kernel
died count for ``kernel_died``; the other statuses score zero.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import checks as checks_mod
from . import notebooks, submissions
from .assignments import TESTS_SUFFIX, Assignment, find_root
from .kernel import CellError, SandboxedKernel
from .remote import RemoteNamespace
from .sandbox import Limits, describe

OK = "ok"  # every cell ran without error
CELL_ERRORS = "cell_errors"  # some cells raised; checks ran on what was defined
TIMEOUT = "timeout"  # a cell was interrupted after cell_timeout, or the total limit was hit
KERNEL_DIED = "kernel_died"  # the kernel died (exit, crash, limit); checks done before count
GRADING_ERROR = "grading_error"  # the notebook broke the grading channel: zero points
INVALID_NOTEBOOK = "invalid_notebook"  # empty, not UTF-8, not JSON, not a notebook
WRONG_ASSIGNMENT = "wrong_assignment"  # a notebook of another assignment
KILLED = "killed"  # batch: stopped at the hard wall-clock limit of a submission
SANDBOX_ERROR = "sandbox_error"  # the grader could not run it (not the student's fault): regrade
UNRECOGNIZED = "unrecognized_file"  # batch: not a notebook named by the convention
DUPLICATE = "duplicate"  # batch: several files for the same student
STATUSES = (
    OK,
    CELL_ERRORS,
    TIMEOUT,
    KERNEL_DIED,
    GRADING_ERROR,
    INVALID_NOTEBOOK,
    WRONG_ASSIGNMENT,
    KILLED,
    SANDBOX_ERROR,
    UNRECOGNIZED,
    DUPLICATE,
)
SCORING = (OK, CELL_ERRORS, TIMEOUT, KERNEL_DIED)  # checks that passed count


__all__ = ["CellError", "CheckResult", "GradeResult", "QuestionResult", "grade_notebook"]


@dataclass(frozen=True)
class CheckResult:
    """One hidden check: ``points`` earned (``max_points`` if passed, else 0)."""

    id: str
    question: str
    name: str
    passed: bool
    points: float
    max_points: float
    message: str  # shown to the student when the check fails
    detail: str = ""  # why it failed (assertion text or exception)


@dataclass(frozen=True)
class QuestionResult:
    """A question's score: the sum of the points of its passing checks."""

    question: str
    points: float
    max_points: float
    checks: tuple[CheckResult, ...]


@dataclass(frozen=True)
class GradeResult:
    """The outcome of grading one notebook (see :data:`STATUSES`)."""

    assignment: str
    notebook: str
    status: str
    points: float
    max_points: float
    questions: tuple[QuestionResult, ...]
    cell_errors: tuple[CellError, ...] = ()
    detail: str = ""  # why, for every status but ok
    notes: tuple[str, ...] = ()  # e.g. output dropped over the limit
    sandbox: str = field(default="", compare=False)  # the isolation the kernel had
    seconds: float = field(default=0.0, compare=False)  # wall time, all included
    execution_seconds: float = field(default=0.0, compare=False)  # the notebook's cells
    check_seconds: float = field(default=0.0, compare=False)  # the hidden checks

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return tuple(c for q in self.questions for c in q.checks)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> GradeResult:
        questions = tuple(
            QuestionResult(
                q["question"],
                q["points"],
                q["max_points"],
                tuple(CheckResult(**c) for c in q["checks"]),
            )
            for q in data["questions"]
        )
        errors = tuple(CellError(**e) for e in data.get("cell_errors", ()))
        fields = {k: v for k, v in data.items() if k not in ("questions", "cell_errors")}
        fields["notes"] = tuple(fields.get("notes", ()))
        return cls(questions=questions, cell_errors=errors, **fields)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    def report(self) -> str:
        """A short human-readable summary: total, per question, and failed checks."""
        lines = [
            f"{self.assignment}: {self.points:g}/{self.max_points:g} points (status: {self.status})"
        ]
        if self.detail:
            lines.append(f"  {self.detail}")
        lines += [f"  note: {note}" for note in self.notes]
        for error in self.cell_errors:
            lines.append(
                f"  cell {error.index} ({error.cell_id}) raised {error.ename}: {error.evalue}"
            )
        for q in self.questions:
            lines.append(f"  {q.question:<24} {q.points:g}/{q.max_points:g}")
            for c in q.checks:
                if not c.passed:
                    why = f" [{c.detail}]" if c.detail else ""
                    lines.append(f"    ✗ {c.name} ({c.max_points:g} pt): {c.message}{why}")
        return "\n".join(lines)


def score(
    name: str,
    path: str | Path,
    specs: list[checks_mod.CheckSpec],
    outcomes: list[dict],
    status: str,
    *,
    cell_errors=(),
    detail: str = "",
    notes=(),
    started: float | None = None,
    **timings,
) -> GradeResult:
    """A :class:`GradeResult` from check outcomes (``{"id", "passed", "detail"}``);
    a check without an outcome failed with ``detail`` (or "check did not run")."""
    by_id = {o["id"]: o for o in outcomes}
    questions: dict[str, list[CheckResult]] = {}
    for spec in specs:
        outcome = by_id.get(spec.id, {"passed": False, "detail": detail or "check did not run"})
        passed = bool(outcome["passed"]) and status in SCORING
        questions.setdefault(spec.question, []).append(
            CheckResult(
                id=spec.id,
                question=spec.question,
                name=spec.name,
                passed=passed,
                points=spec.points if passed else 0.0,
                max_points=spec.points,
                message=spec.message,
                detail="" if passed else str(outcome.get("detail", "")),
            )
        )
    results = tuple(
        QuestionResult(q, sum(c.points for c in cs), sum(c.max_points for c in cs), tuple(cs))
        for q, cs in questions.items()
    )
    seconds = round(time.monotonic() - started, 3) if started is not None else 0.0
    return GradeResult(
        assignment=name,
        notebook=str(path),
        status=status,
        points=sum(q.points for q in results),
        max_points=sum(q.max_points for q in results),
        questions=results,
        cell_errors=tuple(cell_errors),
        detail=detail,
        notes=tuple(notes),
        seconds=seconds,
        **timings,
    )


def resolve_tests(path: Path, nb, tests, assignment, root) -> tuple[str, Path]:
    """The assignment's name and hidden tests file for a notebook."""
    if tests is not None:
        tests = Path(tests)
        return assignment or tests.name.removesuffix(TESTS_SUFFIX), tests
    name = assignment or (nb.metadata.get("course_grader", {}).get("assignment") if nb else None)
    name = name or submissions.parse_name(path.name).assignment or path.stem
    return name, Assignment.at(root or find_root(), name).tests


def precheck(path: Path, nb, read_error: str, name: str, specs, *, expected: str | None, started):
    """A zero result for a notebook that cannot be graded without running it
    (unreadable, or of another assignment); None if it must run."""
    if nb is None:
        return score(name, path, specs, [], INVALID_NOTEBOOK, detail=read_error, started=started)
    declared = nb.metadata.get("course_grader", {}).get("assignment")
    if expected and isinstance(declared, str) and declared != expected:
        why = f"this notebook is assignment {declared!r}, not {expected!r}"
        return score(name, path, specs, [], WRONG_ASSIGNMENT, detail=why, started=started)
    return None


def grade_notebook(
    notebook: str | Path,
    *,
    tests: str | Path | None = None,
    assignment: str | None = None,
    root: str | Path | None = None,
    cell_timeout: int = 60,
    total_timeout: int = 600,
    check_timeout: float = 30.0,
    kernel_name: str = notebooks.KERNELSPEC["name"],
    limits: Limits | None = None,
    isolate: bool = True,
    secrets: tuple[str | Path, ...] = (),
    scratch: str | Path | None = None,
    output_limit: int = 1024 * 1024,
    on_start=None,
) -> GradeResult:
    """Execute ``notebook`` in a sandboxed kernel and grade it against the hidden checks.

    The checks come from ``tests`` if given, else from
    ``<root>/solutions/<assignment>_tests.py``, where ``assignment`` defaults to
    the notebook's ``metadata.course_grader.assignment`` (then its file name)
    and ``root`` to the repository found from the working directory. A
    notebook whose metadata names another assignment than ``assignment``
    scores zero (``wrong_assignment``).

    ``cell_timeout`` limits each cell (the kernel is interrupted and execution
    goes on); ``total_timeout`` limits all cells together (later cells are
    skipped); ``check_timeout`` limits each check. ``limits`` are the kernel's
    resource limits; ``isolate=False`` keeps only them (no namespaces, no own
    user). ``secrets`` are extra folders to hide from the kernel (the course
    root, the tests' folder and the notebook's folder always are).
    ``on_start(launcher_pid, uid)`` is called once the kernel runs.
    Returns a :class:`GradeResult`; raises only if the tests file is missing or invalid.
    """
    del kernel_name  # the sandbox always starts the python3 (ipykernel) kernel
    started = time.monotonic()
    path = Path(notebook)
    nb, read_error = submissions.read_notebook(path)
    name, tests_path = resolve_tests(path, nb, tests, assignment, root)
    specs = checks_mod.load(tests_path)
    early = precheck(path, nb, read_error, name, specs, expected=assignment, started=started)
    if early is not None:
        return early
    notebooks.clear_outputs(nb)
    hidden = [tests_path.parent.resolve(), path.parent.resolve(), *secrets]
    try:
        hidden.append((Path(root) if root else find_root(tests_path.parent)).resolve())
    except FileNotFoundError:
        pass
    kernel = SandboxedKernel(
        nb,
        limits=limits,
        cell_timeout=cell_timeout,
        total_timeout=total_timeout,
        secrets=tuple(hidden),
        scratch=scratch,
        isolate=isolate,
        output_limit=output_limit,
        on_start=on_start,
    )
    try:
        kernel.__enter__()
    except Exception as error:  # noqa: BLE001 - the kernel did not start: the grader's problem
        why = f"the sandbox could not start a kernel: {error}"
        log = kernel.sandbox_log().strip()
        kernel.__exit__(None, None, None)
        detail = why + (f" (sandbox log: {log[-500:]})" if log else "")
        return score(name, path, specs, [], SANDBOX_ERROR, detail=detail, started=started)
    try:
        return _grade_in(kernel, name, path, specs, check_timeout, total_timeout, started)
    finally:
        kernel.__exit__(None, None, None)


def _grade_in(kernel, name, path, specs, check_timeout, total_timeout, started) -> GradeResult:
    execution = kernel.execute()
    isolation = describe(kernel.sandbox_state())
    notes = []
    if execution.dropped_output_bytes:
        notes.append(
            f"output over the limit was dropped ({execution.dropped_output_bytes:,} bytes)"
        )
    common = {
        "cell_errors": execution.cell_errors,
        "notes": notes,
        "started": started,
        "sandbox": isolation,
        "execution_seconds": execution.seconds,
    }
    if execution.died:
        return score(name, path, specs, [], KERNEL_DIED, detail=execution.died, **common)
    channel = kernel.channel()
    checks_started = time.monotonic()
    try:
        outcomes = checks_mod.run(specs, RemoteNamespace(channel), timeout_s=check_timeout)
    except checks_mod.GradingAborted as error:
        return score(name, path, specs, [], GRADING_ERROR, detail=str(error), **common)
    common["check_seconds"] = round(time.monotonic() - checks_started, 3)
    detail = ""
    if channel.died:
        status, detail = KERNEL_DIED, kernel.death_reason() + " (during the checks)"
    elif execution.timed_out:
        status = TIMEOUT
        if execution.skipped_after is not None:
            detail = (
                f"cells after the first {execution.skipped_after} were skipped: "
                f"total time limit {total_timeout} s"
            )
        else:
            detail = "a cell ran out of time and was interrupted"
    elif channel.gone:
        status, detail = TIMEOUT, channel.gone
    else:
        status = CELL_ERRORS if execution.cell_errors else OK
        if execution.cell_errors:
            detail = f"{len(execution.cell_errors)} cell(s) raised an error"
    return score(name, path, specs, outcomes, status, detail=detail, **common)
