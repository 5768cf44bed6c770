"""course_grader: exercise notebooks generated from solutions, graded by hidden checks.

    markers      ### BEGIN SOLUTION / ### END SOLUTION regions (+ TODO, PLACEHOLDER)
    generate     solutions/NAME.ipynb -> exercises/NAME.ipynb (preamble, placeholders, leak check)
    checks       @check(question, points=, message=) for solutions/NAME_tests.py
    run          grade_notebook(): execute in a fresh kernel, run checks, score
    selfcheck    ✓/✗ helpers the exercise notebooks call (public, standard library only)
    notebooks    deterministic read / execute / write
    assignments  where an assignment's files live
    cli          python -m course_grader {generate,execute,grade,list}

Importing the package (or ``selfcheck``, ``checks``, ``markers``) needs only the
standard library, so exercise notebooks run where nbclient is not installed;
``grade_notebook`` and the result types load nbclient on first use.
"""

from .checks import check

__all__ = ["check", "grade_notebook", "GradeResult", "QuestionResult", "CheckResult"]


def __getattr__(name: str):
    if name in ("grade_notebook", "GradeResult", "QuestionResult", "CheckResult"):
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module 'course_grader' has no attribute {name!r}")
