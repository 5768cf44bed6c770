"""Hidden checks of the tiny ``fx`` assignment that the grader's own tests use
(see ``tests/grader/grader_fixtures.py``): 5 points, partial credit per question."""

import numpy as np

from course_grader.checks import check


@check("q1_answer", points=2, message="`answer` should be 42.")
def answer_is_42(nb):
    assert nb.answer == 42, f"answer = {nb.answer!r}"


@check("q2_double", points=1, message="double(x) should return 2 x for numbers.")
def double_numbers(nb):
    for x in (0, 1.5, -3):
        got = nb.double(x)
        assert got == 2 * x, f"double({x}) = {got!r}"


@check("q2_double", points=1, message="double(x) should return 2 x for arrays.")
def double_arrays(nb):
    x = np.arange(4.0)
    got = nb.double(x)
    assert isinstance(got, np.ndarray), f"double(array) returned a {type(got).__name__}"
    np.testing.assert_array_equal(got, 2 * x)


@check("q3_later", points=1, message="cells after a failing cell must still run.")
def later_ran(nb):
    assert nb.later == "ran", f"later = {nb.later!r}"
