"""Hidden checks for the small notebooks that tests/test_exercises.py builds to
exercise the runner itself (errors, timeouts, working directory)."""

from course_grader.checks import check


@check("q1_answer", points=2, message="`answer` should be 42.")
def answer_is_42(nb):
    assert nb.answer == 42, f"answer = {nb.answer!r}"


@check("q2_later_cells", points=1, message="cells after a failing or slow cell must still run.")
def later_cell_ran(nb):
    assert nb.later == "ran", f"later = {nb.later!r}"


@check("q3_workdir", points=1, message="the notebook must run in a fresh, empty working folder.")
def fresh_empty_workdir(nb):
    assert nb.listing == [], f"working folder holds {nb.listing!r}"
    assert "course-grader-run-" in nb.cwd, (
        f"working folder {nb.cwd!r} is not a grader scratch folder"
    )
