"""course_grader: exercise notebooks generated from solutions, graded by hidden checks.

Exercises:

    markers      ### BEGIN SOLUTION / ### END SOLUTION regions (+ TODO, PLACEHOLDER)
    generate     solutions/NAME.ipynb -> exercises/NAME.ipynb (preamble, placeholders, leak check)
    selfcheck    ✓/✗ helpers the exercise notebooks call (public, standard library only)
    notebooks    deterministic read / execute / write
    assignments  where an assignment's files live

Grading (threat model: :mod:`course_grader.sandbox`):

    checks       @check(question, points=, message=) for solutions/NAME_tests.py; run()
    sandbox      the kernel's sandbox: own uid, namespaces (no network, masked files), rlimits
    kernel       execute a notebook in a sandboxed kernel (timeouts, output caps)
    kernel_side  what the kernel runs to answer the checker (untrusted side)
    codec        plain data across the boundary, decoded strictly
    remote       ``nb`` in a check: calls into the kernel, answers as data
    run          grade_notebook(): execute, run the checks here, score
    submissions  naming convention, scanning a folder, reading files defensively
    journal      append-only journal and atomic files (resumable batches)
    reports      gradebook CSV, feedback, Gradescope results.json, summary
    batch        grade a folder in parallel with a hard wall-clock limit per submission
    student      ``check``: a student's run with the public self-checks
    verify       ``verify``: solution full marks, exercise zero, deterministic
    cli          course-grade / python -m course_grader {grade,check,verify,generate,execute,list}

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
