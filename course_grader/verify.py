"""``course-grade verify ASSIGNMENT``: is an assignment ready to grade a class?

Grades, through the same sandboxed batch machinery as students' notebooks
(:func:`course_grader.batch.run_tasks`), the solution twice and the generated
exercise once, in parallel, and requires:

* the solution runs without error and scores full marks;
* the exercise runs top to bottom and scores zero (a check it passes gives
  free points: listed, and accepted only with ``allow_free_points``);
* the two gradings of the solution agree check by check (status, pass/fail
  and every failure message): the checks are deterministic;
* the hidden tests are not shipped: no ``*_tests.py`` under ``exercises/``,
  no ``@check(`` in the exercise.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import assignments
from . import checks as checks_mod
from .batch import Settings, Task, default_jobs, run_tasks
from .run import OK, GradeResult


@dataclass
class Verdict:
    ok: bool
    lines: list[str]

    def text(self) -> str:
        return "\n".join(self.lines)


def _fingerprint(result: GradeResult) -> list[tuple]:
    return [(result.status,)] + [(c.id, c.passed, c.detail) for c in result.checks]


def verify(
    name: str,
    *,
    root: str | Path,
    jobs: int | None = None,
    settings: Settings | None = None,
    allow_free_points: bool = False,
) -> Verdict:
    """Check one assignment (see the module docstring)."""
    settings = settings or Settings()
    assignment = assignments.get(root, name)
    specs = checks_mod.load(assignment.tests)
    results: dict[str, GradeResult] = {}
    with tempfile.TemporaryDirectory(prefix="cgr-verify-") as scratch:
        hidden = (str(Path(root).resolve()), str(assignment.tests.resolve().parent), scratch)
        tasks = [
            Task(
                str(path),
                label,
                name,
                str(assignment.tests),
                str(root),
                hidden,
                f"{scratch}/{label}",
            )
            for label, path in (
                ("solution", assignment.solution),
                ("solution-again", assignment.solution),
                ("exercise", assignment.exercise),
            )
        ]
        run_tasks(
            tasks,
            specs,
            settings,
            jobs=min(jobs or default_jobs(), len(tasks)),
            on_result=lambda task, result: results.__setitem__(task.label, result),
        )
    lines, ok = [f"{name}:"], True

    def say(passed: bool, text: str) -> None:
        nonlocal ok
        ok &= passed
        lines.append(f"  {'✓' if passed else '✗'} {text}")

    solution, again, exercise = results["solution"], results["solution-again"], results["exercise"]
    full = solution.status == OK and solution.points == solution.max_points > 0
    say(full, f"solution scores {solution.points:g}/{solution.max_points:g} ({solution.status})")
    if not full:
        lines.append("    " + solution.report().replace("\n", "\n    "))
    free = [c for c in exercise.checks if c.passed]
    zero = exercise.status == OK and (not free or allow_free_points)
    say(
        zero,
        f"exercise runs top to bottom and scores {exercise.points:g}/{exercise.max_points:g} "
        f"({exercise.status})",
    )
    for c in free:
        lines.append(f"    free points: {c.id} ({c.max_points:g}) passes on the placeholder code")
    same = _fingerprint(solution) == _fingerprint(again)
    say(same, "grading the solution twice gives identical results (deterministic checks)")
    if not same:
        for a, b in zip(_fingerprint(solution), _fingerprint(again), strict=False):
            if a != b:
                lines.append(f"    differs: {a} vs {b}")
    shipped = sorted(p.name for p in assignment.exercise.parent.glob("*_tests.py"))
    leaked = "@check(" in assignment.exercise.read_text(encoding="utf-8")
    say(not shipped and not leaked, "hidden tests are not shipped with the exercise")
    lines.append(
        f"  ({len(specs)} checks; solution graded in {solution.seconds:.1f} s, "
        f"checks {solution.check_seconds:.1f} s; sandbox: {solution.sandbox or 'n/a'})"
    )
    return Verdict(ok, lines)
