"""Grade one notebook: execute it, run the hidden checks in its kernel, score.

:func:`grade_notebook` works in two processes, so that a sandboxed grader can
reuse it unchanged (run the kernel inside the sandbox):

1. *grading process* (this one): loads the hidden tests file to know every
   check's question, points and message; these numbers never come from the
   student's kernel.
2. *kernel* (the student's code): executes the notebook's cells one by one with
   a per-cell timeout, in a fresh empty temporary working directory; then one
   extra grading cell receives the tests file's *source text* (the file is never
   put where the notebook runs), runs the checks against the notebook's globals
   and returns ``{"checks": [{"id", "passed", "detail"}]}`` as a display output
   of MIME type :data:`RESULT_MIME`.

A cell that raises does not stop execution (later questions still count); a
cell that runs past ``cell_timeout`` is interrupted. Points are the sum of the
points of passing checks, per question.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from . import checks as checks_mod
from . import notebooks
from .assignments import TESTS_SUFFIX, Assignment, find_root

RESULT_MIME = "application/vnd.course-grader.checks+json"

# Statuses, from best to worst. Checks run for the first three; the others score zero.
OK = "ok"  # every cell ran without error
CELL_ERRORS = "cell_errors"  # some cells raised; checks ran on what was defined
TIMEOUT = "timeout"  # some cell was interrupted after cell_timeout (or the total limit was hit)
KERNEL_DIED = "kernel_died"  # the kernel died while running the notebook
GRADING_ERROR = "grading_error"  # the grading cell itself failed or timed out
INVALID_NOTEBOOK = "invalid_notebook"  # the file is not a readable notebook
STATUSES = (OK, CELL_ERRORS, TIMEOUT, KERNEL_DIED, GRADING_ERROR, INVALID_NOTEBOOK)


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
class CellError:
    """A notebook cell that raised (``ename`` is ``CellTimeoutError`` after a timeout)."""

    index: int
    cell_id: str | None
    ename: str
    evalue: str


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
    detail: str = ""  # why grading failed, for the non-scoring statuses
    seconds: float = field(default=0.0, compare=False)

    @property
    def checks(self) -> tuple[CheckResult, ...]:
        return tuple(c for q in self.questions for c in q.checks)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False)

    def report(self) -> str:
        """A short human-readable summary: total, per question, and failed checks."""
        lines = [
            f"{self.assignment}: {self.points:g}/{self.max_points:g} points (status: {self.status})"
        ]
        if self.detail:
            lines.append(f"  {self.detail}")
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


def grading_cell_source(tests_source: str, tests_name: str, check_timeout: float) -> str:
    """The code of the extra cell that runs the checks inside the student's kernel."""
    return "\n".join(
        [
            "def _course_grader_run():",
            "    import IPython.display",
            "    from course_grader.checks import run_source",
            f"    outcomes = run_source({tests_source!r}, {tests_name!r}, globals(), "
            f"timeout_s={check_timeout!r})",
            f"    IPython.display.display({{{RESULT_MIME!r}: {{'checks': outcomes}}}}, raw=True)",
            "_course_grader_run()",
            "del _course_grader_run",
        ]
    )


def _resolve_tests(path: Path, nb, tests, assignment, root) -> tuple[str, Path]:
    if tests is not None:
        tests = Path(tests)
        return assignment or tests.name.removesuffix(TESTS_SUFFIX), tests
    name = assignment or (nb.metadata.get("course_grader", {}).get("assignment") if nb else None)
    name = name or path.stem
    return name, Assignment.at(root or find_root(), name).tests


def _score(name, path, specs, outcomes, status, *, cell_errors=(), detail="", started=0.0):
    by_id = {o["id"]: o for o in outcomes}
    questions: dict[str, list[CheckResult]] = {}
    for spec in specs:
        outcome = by_id.get(spec.id, {"passed": False, "detail": detail or "check did not run"})
        passed = bool(outcome["passed"]) and status in (OK, CELL_ERRORS, TIMEOUT)
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
    return GradeResult(
        assignment=name,
        notebook=str(path),
        status=status,
        points=sum(q.points for q in results),
        max_points=sum(q.max_points for q in results),
        questions=results,
        cell_errors=tuple(cell_errors),
        detail=detail,
        seconds=round(time.monotonic() - started, 3),
    )


def _well_formed(payload) -> bool:
    """The grading cell's answer has the expected shape (the kernel is not trusted)."""
    return (
        isinstance(payload, dict)
        and isinstance(payload.get("checks"), list)
        and all(
            isinstance(o, dict)
            and isinstance(o.get("id"), str)
            and isinstance(o.get("passed"), bool)
            for o in payload["checks"]
        )
    )


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
) -> GradeResult:
    """Execute ``notebook`` in a fresh kernel and grade it against the hidden checks.

    The checks come from ``tests`` if given, else from
    ``<root>/solutions/<assignment>_tests.py``, where ``assignment`` defaults to
    the notebook's ``metadata.course_grader.assignment`` (then its file name)
    and ``root`` to the repository found from the working directory.

    ``cell_timeout`` limits each cell (the kernel is interrupted and execution
    goes on); ``total_timeout`` limits all cells together (later cells are
    skipped); ``check_timeout`` limits each check, and the grading cell gets
    ``check_timeout`` times the number of checks plus 30 s.
    Returns a :class:`GradeResult`; it raises only if the tests file is missing or invalid.
    """
    started = time.monotonic()
    path = Path(notebook)
    try:
        # Lenient on purpose: editors (Colab, old Jupyter) write slightly off-schema
        # notebooks; nbformat.read logs schema problems instead of raising.
        nb = nbformat.read(str(path), as_version=4)
    except Exception as error:  # any unreadable submission scores zero, with the reason
        nb = None
        read_error = f"cannot read {path.name}: {type(error).__name__}: {error}"
    name, tests_path = _resolve_tests(path, nb, tests, assignment, root)
    specs = checks_mod.load(tests_path)
    if nb is None:
        return _score(name, path, specs, [], INVALID_NOTEBOOK, detail=read_error, started=started)

    notebooks.clear_outputs(nb)
    n_cells = len(nb.cells)
    errors: list[CellError] = []  # student cells that raised
    grading_reply: dict = {}  # the grading cell's execute reply content

    def on_cell_executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if cell_index >= n_cells:
            grading_reply.update(content)
        elif content.get("status") == "error":
            errors.append(
                CellError(
                    cell_index, cell.get("id"), content.get("ename", ""), content.get("evalue", "")
                )
            )

    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name=kernel_name,
        allow_errors=True,
        record_timing=False,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"ran longer than {cell_timeout} s",
        },
        on_cell_executed=on_cell_executed,
    )
    grading_cell = nbformat.v4.new_code_cell(
        grading_cell_source(tests_path.read_text(encoding="utf-8"), tests_path.name, check_timeout)
    )
    nb.cells.append(grading_cell)
    ran_out_of_time = False
    with tempfile.TemporaryDirectory(prefix="course-grader-run-") as workdir:
        client.resources = {"metadata": {"path": workdir}}
        try:
            with client.setup_kernel():
                for index in range(n_cells):
                    if time.monotonic() - started > total_timeout:
                        ran_out_of_time = True
                        break
                    client.execute_cell(nb.cells[index], index)
                client.timeout = int(check_timeout * len(specs) + 30)
                client.error_on_timeout = {
                    "ename": "CellTimeoutError",
                    "evalue": f"the checks ran longer than {client.timeout} s",
                }
                client.execute_cell(grading_cell, n_cells)
        except DeadKernelError as error:
            return _score(
                name,
                path,
                specs,
                [],
                KERNEL_DIED,
                cell_errors=errors,
                detail=f"the kernel died: {error}",
                started=started,
            )

    payload = next(
        (
            o["data"][RESULT_MIME]
            for o in grading_cell.outputs
            if o.get("output_type") == "display_data" and RESULT_MIME in o.get("data", {})
        ),
        None,
    )
    if not _well_formed(payload):
        why = (
            f"{grading_reply.get('ename')}: {grading_reply.get('evalue')}"
            if grading_reply.get("status") == "error"
            else "the grading cell returned no result"
        )
        return _score(
            name,
            path,
            specs,
            [],
            GRADING_ERROR,
            cell_errors=errors,
            detail=f"the checks could not run: {why}",
            started=started,
        )
    if ran_out_of_time or any(e.ename == "CellTimeoutError" for e in errors):
        status = TIMEOUT
    else:
        status = CELL_ERRORS if errors else OK
    detail = (
        f"cells after the first {index} were skipped: total time limit {total_timeout} s"
        if ran_out_of_time
        else ""
    )
    return _score(
        name,
        path,
        specs,
        payload["checks"],
        status,
        cell_errors=errors,
        detail=detail,
        started=started,
    )
