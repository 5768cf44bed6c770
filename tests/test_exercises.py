"""The exercise pipeline, both directions: solutions score full marks, generated
exercises score zero, the generator is reproducible and leak-free, markers are
strict, and every hidden check can fail (wrong implementations are caught).

Slow parts (a kernel each): grading the solution, grading the exercise,
regenerating the exercise, one end-to-end wrong answer, the runner edge cases.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from course_grader import checks, selfcheck
from course_grader.assignments import Assignment, discover
from course_grader.cli import main as cli
from course_grader.generate import (
    PREAMBLE_INTRO_ID,
    PREAMBLE_SETUP_ID,
    SETUP_CODE,
    LeakError,
    build_exercise,
    preamble_cells,
)
from course_grader.markers import MarkerError, strip_regions
from course_grader.run import (
    CELL_ERRORS,
    GRADING_ERROR,
    INVALID_NOTEBOOK,
    KERNEL_DIED,
    OK,
    TIMEOUT,
    grade_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
GRADER_FIXTURES = Path(__file__).parent / "grader"
ASSIGNMENTS = discover(ROOT)
NAMES = [a.name for a in ASSIGNMENTS]

sys.path.insert(0, str(GRADER_FIXTURES))
import mutants  # noqa: E402


def _mutants_of(name: str) -> dict:
    """MUTANTS of an assignment: tests/grader/mutants.py for ch03_losses, else mutants_NAME.py."""
    module = "mutants" if name == "ch03_losses" else f"mutants_{name}"
    if not (GRADER_FIXTURES / f"{module}.py").exists():
        return {}
    return importlib.import_module(module).MUTANTS


MUTANT_CASES = [(name, m) for name in NAMES for m in sorted(_mutants_of(name))]


def test_assignments_are_found():
    assert "ch03_losses" in NAMES
    for a in ASSIGNMENTS:
        assert a.tests.exists(), f"{a.name}: hidden tests {a.tests} missing"
        assert a.exercise.exists(), f"{a.name}: exercise {a.exercise} not generated"


# --------------------------------------------------------------------------- grading


@pytest.fixture(scope="module")
def graded():
    """Grade every solution and every committed exercise once (one kernel each)."""
    results = {}
    for a in ASSIGNMENTS:
        results[a.name, "solution"] = grade_notebook(a.solution, root=ROOT, cell_timeout=120)
        results[a.name, "exercise"] = grade_notebook(a.exercise, root=ROOT, cell_timeout=120)
    return results


@pytest.mark.parametrize("name", NAMES)
def test_solution_scores_full_marks(graded, name):
    result = graded[name, "solution"]
    assert result.status == OK, result.report()
    assert result.max_points > 0
    assert result.points == result.max_points, result.report()
    assert all(c.passed for c in result.checks), result.report()


@pytest.mark.parametrize("name", NAMES)
def test_exercise_scores_zero_and_runs_top_to_bottom(graded, name):
    result = graded[name, "exercise"]
    assert result.status == OK, f"the exercise must run without errors:\n{result.report()}"
    assert result.points == 0, result.report()
    assert not any(c.passed for c in result.checks), result.report()
    assert {q.question for q in result.questions} == {
        q.question for q in graded[name, "solution"].questions
    }


def test_result_is_json_serialisable(graded):
    result = graded[NAMES[0], "exercise"]
    data = json.loads(result.to_json())
    assert data["points"] == 0 and data["max_points"] == result.max_points
    assert {c["id"] for q in data["questions"] for c in q["checks"]} == {
        c.id for c in result.checks
    }
    failed = [c for c in result.checks if not c.passed]
    assert all(c.message and c.detail for c in failed), "a failed check must say why"


# ----------------------------------------------------------------- hidden checks can fail


def _solution_namespace(assignment: Assignment) -> dict:
    """The globals of the solution notebook, executed in this process (the setup cell, the
    only one with an IPython magic, is skipped: course_lib is installed here)."""
    namespace: dict = {}
    nb = nbformat.read(assignment.solution, as_version=4)
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.source.strip() != SETUP_CODE:
                exec(compile(cell.source, f"{assignment.name}:{cell.id}", "exec"), namespace)
    return namespace


_SOLVED: dict[str, tuple[dict, list]] = {}


def _solved(name: str) -> tuple[dict, list]:
    """(solution namespace, hidden check specs) of an assignment, computed once per module."""
    if name not in _SOLVED:
        assignment = Assignment.at(ROOT, name)
        _SOLVED[name] = _solution_namespace(assignment), checks.load(assignment.tests)
    return _SOLVED[name]


@pytest.mark.parametrize("name", NAMES)
def test_hidden_checks_pass_in_process_on_the_solution(name):
    namespace, specs = _solved(name)
    outcomes = checks.run(specs, namespace)
    assert [o["id"] for o in outcomes if not o["passed"]] == []


@pytest.mark.parametrize("name", NAMES)
def test_every_question_has_wrong_answers_that_its_checks_catch(name):
    """tests/grader/mutants_NAME.py holds, for every question, a plausible wrong answer."""
    _, specs = _solved(name)
    caught = {i.split(".")[0] for _, must_fail in _mutants_of(name).values() for i in must_fail}
    assert caught >= {s.question for s in specs}, (
        f"questions of {name} without a wrong answer in tests/grader/: "
        f"{sorted({s.question for s in specs} - caught)}"
    )


@pytest.mark.parametrize(("name", "mutant"), MUTANT_CASES)
def test_hidden_checks_catch_a_wrong_implementation(name, mutant):
    namespace, specs = _solved(name)
    replacements, must_fail = _mutants_of(name)[mutant]
    wrong = {**namespace, **replacements}
    questions = {i.split(".")[0] for i in must_fail}
    outcomes = checks.run([s for s in specs if s.question in questions], wrong)
    failed = {o["id"] for o in outcomes if not o["passed"]}
    assert failed == must_fail, f"{mutant}: failed {sorted(failed)}, expected {sorted(must_fail)}"


def test_runner_catches_a_wrong_answer_end_to_end(tmp_path):
    """A solution whose last cell swaps in the biased MMD estimate loses Q4's points."""
    nb = nbformat.read(ROOT / "solutions" / "ch03_losses.ipynb", as_version=4)
    biased = inspect.getsource(mutants.mmd2_biased)
    nb.cells.append(nbformat.v4.new_code_cell(biased + "\n\nmmd2_unbiased = mmd2_biased\n"))
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    result = grade_notebook(path, tests=ROOT / "solutions" / "ch03_losses_tests.py")
    scores = {q.question: (q.points, q.max_points) for q in result.questions}
    failed = {c.id for c in result.checks if not c.passed}
    assert result.status == OK
    assert failed == mutants.MUTANTS["mmd2_biased"][1], result.report()
    assert scores["q4_mmd_unbiased"] == (1.0, 4.0)
    assert result.points == result.max_points - 3


def test_a_check_that_cannot_fail_is_refused(tmp_path):
    path = tmp_path / "bad_tests.py"
    path.write_text(
        "from course_grader.checks import check\n\n"
        "@check('q1_x', points=1, message='m')\n"
        "def always_passes(nb):\n"
        "    nb.f(1) == 2  # no assert: can never fail\n"
    )
    with pytest.raises(ValueError, match=r"q1_x\.always_passes .*can never fail"):
        checks.load(path)


@pytest.mark.parametrize(
    ("question", "points", "message", "error"),
    [
        ("Q1", 1, "m", "question id"),
        ("q1", 0, "m", "positive number"),
        ("q1", True, "m", "positive number"),
        ("q1", 1, " ", "non-empty message"),
    ],
)
def test_check_declarations_are_validated(question, points, message, error):
    with pytest.raises(ValueError, match=error):
        checks.check(question, points=points, message=message)


def test_every_check_of_the_real_tests_asserts():
    for a in ASSIGNMENTS:
        specs = checks.load(a.tests)  # refuses checks without assert/raise
        assert all(s.points > 0 and s.message for s in specs)
        assert len({s.question for s in specs}) >= 3


@pytest.mark.parametrize("name", NAMES)
def test_points_announced_in_the_notebook_match_the_hidden_checks(name):
    """Headings like '## Question 2 — ... (5 points)' agree with the checks' points."""
    nb = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    announced = [
        float(m.group(1))
        for c in nb.cells
        if c.cell_type == "markdown"
        for m in re.finditer(r"^## Question \d+\b.*\((\d+) points?\)$", c.source, re.M)
    ]
    totals: dict[str, float] = {}
    for spec in checks.load(ROOT / "solutions" / f"{name}_tests.py"):
        totals[spec.question] = totals.get(spec.question, 0) + spec.points
    assert announced == list(totals.values())


# ----------------------------------------------------------------------- generation


def _copy_assignment(tmp_path: Path, name: str) -> Assignment:
    for folder in ("solutions", "exercises"):
        (tmp_path / folder).mkdir()
    for src in (f"solutions/{name}.ipynb", f"solutions/{name}_tests.py", f"exercises/{name}.ipynb"):
        shutil.copy(ROOT / src, tmp_path / src)
    return Assignment.at(tmp_path, name)


def test_generate_check_passes_on_committed_exercises(capsys):
    assert cli(["--root", str(ROOT), "generate", "--check"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert f"✓ {name}: up-to-date" in out


@pytest.mark.parametrize("name", NAMES)
def test_generator_reproduces_the_committed_exercise_byte_for_byte(tmp_path, capsys, name):
    copy = _copy_assignment(tmp_path, name)
    copy.exercise.unlink()
    assert cli(["--root", str(tmp_path), "generate", name]) == 0
    assert copy.exercise.read_bytes() == (ROOT / "exercises" / f"{name}.ipynb").read_bytes()
    # Idempotent: generating again changes nothing.
    assert cli(["--root", str(tmp_path), "generate", name]) == 0
    assert f"✓ {name}: unchanged" in capsys.readouterr().out


def test_check_reports_a_stale_exercise_with_a_diff(tmp_path, capsys):
    copy = _copy_assignment(tmp_path, "ch03_losses")
    nb = nbformat.read(copy.solution, as_version=4)
    intro = next(c for c in nb.cells if c.id == "intro")
    intro.source += "\n\nA sentence added after the exercise was generated."
    nbformat.write(nb, copy.solution)
    assert cli(["--root", str(tmp_path), "generate", "--check"]) == 1
    out = capsys.readouterr().out
    assert "differs from what the generator produces" in out
    assert "+" in out and "A sentence added after the exercise was generated." in out
    assert "python -m course_grader generate ch03_losses" in out


def test_check_requires_an_executed_exercise_and_no_strays(tmp_path, capsys):
    copy = _copy_assignment(tmp_path, "ch03_losses")
    nb = nbformat.read(copy.exercise, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count, cell.outputs = None, []
    nbformat.write(nb, copy.exercise)
    (tmp_path / "exercises" / "ch03_losses_tests.py").write_text("# stray")
    assert cli(["--root", str(tmp_path), "generate", "--check"]) == 1
    out = capsys.readouterr().out
    assert "was not executed by the generator" in out
    assert "ch03_losses_tests.py: not generated from any solution notebook" in out


def test_generate_refuses_an_exercise_that_does_not_run(tmp_path, capsys):
    for folder in ("solutions", "exercises"):
        (tmp_path / folder).mkdir()
    nb = _notebook("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION", "f(1)")
    nbformat.write(nb, tmp_path / "solutions" / "demo.ipynb")
    shutil.copy(TINY_TESTS, tmp_path / "solutions" / "demo_tests.py")
    assert cli(["--root", str(tmp_path), "generate", "demo"]) == 1
    err = capsys.readouterr().err
    assert "does not run top to bottom with its placeholders" in err
    assert "NotImplementedError" in err
    assert not (tmp_path / "exercises" / "demo.ipynb").exists()


def _independent_solution_lines(solution) -> set[str]:
    """Region lines found with a plain scan (not course_grader.markers), stripped."""
    lines, inside = set(), False
    for cell in solution.cells:
        for line in cell.source.splitlines():
            s = line.strip()
            if s == "### BEGIN SOLUTION":
                inside = True
            elif s == "### END SOLUTION":
                inside = False
            elif inside and s and not s.startswith(("### TODO:", "### PLACEHOLDER:")):
                lines.add(s)
    return lines


TRIVIAL = re.compile(r"^[\W_]*$")


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_line_leaks_into_the_exercise(name):
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    exercise_text = (ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8")
    exercise = nbformat.reads(exercise_text, as_version=4)
    secret = {s for s in _independent_solution_lines(solution) if not TRIVIAL.match(s)}
    assert len(secret) >= 10
    shown = {line.strip() for cell in exercise.cells for line in cell.source.splitlines()}
    for cell in exercise.cells:
        for output in cell.get("outputs", []):
            shown.update(line.strip() for line in str(output.get("text", "")).splitlines())
    assert secret & shown == set()
    assert "BEGIN SOLUTION" not in exercise_text and "END SOLUTION" not in exercise_text
    assert "PLACEHOLDER" not in exercise_text


def test_hidden_tests_stay_out_of_exercises():
    files = sorted(p.name for p in (ROOT / "exercises").iterdir())
    assert files == sorted(f"{n}.ipynb" for n in NAMES)
    for name in NAMES:
        text = (ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "@check(" not in text and "_tests.py" not in text


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "notebooks").glob("*.ipynb"))
    + sorted((ROOT / "solutions").glob("*.ipynb"))
    + sorted((ROOT / "exercises").glob("*.ipynb")),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_every_notebook_starts_with_the_setup_cell(path):
    """Colab and Binder users run any notebook first: its first code cell installs course_lib."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source.strip() == SETUP_CODE, (
        f"{path.name}: the first code cell must be course_grader.generate.SETUP_CODE"
    )
    assert sum(c.source.strip() == SETUP_CODE for c in nb.cells) == 1


@pytest.mark.parametrize("name", NAMES)
def test_exercise_shape_preamble_ids_and_metadata(name):
    solution = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
    exercise = nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)
    title = solution.metadata["course_grader"]["title"]
    intro, setup = exercise.cells[:2]
    want_intro, want_setup = preamble_cells(title)
    assert (intro.id, intro.source) == (PREAMBLE_INTRO_ID, want_intro.source)
    assert (setup.id, setup.source) == (PREAMBLE_SETUP_ID, want_setup.source)
    assert intro.source.startswith(f"# {title}\n")
    assert setup.source.splitlines() == [
        "# Setup: installs the course library when it is missing (Colab, Binder); does nothing locally.",
        "try:",
        "    import course_lib",
        "except ImportError:",
        '    %pip install --quiet "dl-course @ git+https://github.com/dl-course/dl-course@main"',
    ]
    shared = [c for c in solution.cells if c.source.strip() != SETUP_CODE]
    assert len(shared) == len(solution.cells) - 1, "the solution starts with the setup cell"
    assert [c.id for c in exercise.cells[2:]] == [c.id for c in shared]
    assert [c.cell_type for c in exercise.cells[2:]] == [c.cell_type for c in shared]
    assert exercise.metadata["language_info"] == {"name": "python"}
    assert exercise.metadata["course_grader"]["assignment"] == name
    for cell in exercise.cells:
        assert "execution" not in cell.metadata and "ExecuteTime" not in cell.metadata


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_give_nbval_something_to_compare(name):
    """Self-check cells hold ✓ lines in the solution and ✗ lines in the exercise."""
    for folder, mark, other in (("solutions", "✓", "✗"), ("exercises", "✗", "✓")):
        nb = nbformat.read(ROOT / folder / f"{name}.ipynb", as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), folder
        selfchecks = [c for c in code if "selfcheck." in c.source and "import" not in c.source]
        assert selfchecks, folder
        for cell in selfchecks:
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert mark in text and other not in text, f"{folder} {cell.id}: {text!r}"


# -------------------------------------------------------------------------- markers


def _notebook(*sources: str, cell_type: str = "code"):
    cells = []
    for index, source in enumerate(sources):
        cell = (
            nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
        )(source)
        cell.id = f"cell-{index}"
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["course_grader"] = {"assignment": "demo", "title": "Demo"}
    return nb


GOOD = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (
            "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n",
            "without a matching '### END SOLUTION'",
        ),
        ("x = 1\n### END SOLUTION\n", "without a matching '### BEGIN SOLUTION'"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "cannot nest"),
        ("# BEGIN SOLUTION\nx = 1\n# END SOLUTION\n", "malformed solution marker"),
        ("### begin solution\nx = 1\n### END SOLUTION\n", "malformed solution marker"),
        ("x = 1\n### PLACEHOLDER: x = 0\n", "outside a solution region"),
        (
            "### BEGIN SOLUTION\n### todo: lower case\nx = 1\n### END SOLUTION\n",
            "malformed directive",
        ),
    ],
)
def test_marker_errors_name_the_notebook_and_cell(source, error):
    nb = _notebook(GOOD, source)
    with pytest.raises(MarkerError, match=re.escape(error)) as info:
        build_exercise(nb, name="demo", origin="solutions/demo.ipynb")
    assert "solutions/demo.ipynb, cell 1 (id 'cell-1')" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_placeholders_todos_and_defaults():
    source = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    ### TODO: add one\n"
        "    ### PLACEHOLDER: return 0 * x\n"
        "    y = x + 1\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "\n"
        "def g(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    return 2 * x\n"
        "    ### END SOLUTION\n"
    )
    out, regions = strip_regions(source, "code", where="demo")
    assert len(regions) == 2
    assert out.splitlines() == [
        "def f(x):",
        "    # TODO: add one",
        "    return 0 * x",
        "",
        "def g(x):",
        "    # TODO: write your solution here",
        "    raise NotImplementedError('TODO: write your solution here')",
    ]
    namespace: dict = {}
    exec(out, namespace)
    assert namespace["f"](3) == 0
    with pytest.raises(NotImplementedError):
        namespace["g"](3)

    md, _ = strip_regions(
        "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", "markdown", where="demo"
    )
    assert md == "Why?\n\n_Your answer here._"


def test_a_solution_line_outside_its_region_is_a_leak():
    nb = _notebook(GOOD, "def g(x):\n    return x + 1")  # the same line, shared by mistake
    with pytest.raises(LeakError, match="return x \\+ 1"):
        build_exercise(nb, name="demo", origin="solutions/demo.ipynb")


def test_cell_ids_must_exist_and_be_unique():
    nb = _notebook(GOOD, "x = 1")
    nb.cells[1].id = nb.cells[0].id
    with pytest.raises(ValueError, match="unique id"):
        build_exercise(nb, name="demo", origin="solutions/demo.ipynb")


# --------------------------------------------------------------------------- runner


def _tiny_notebook(tmp_path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


TINY_TESTS = GRADER_FIXTURES / "runner_fixture_tests.py"
WORKDIR_CELL = "import os\ncwd, listing = os.getcwd(), sorted(os.listdir())"


def test_runner_goes_on_after_errors_and_timeouts(tmp_path):
    path = _tiny_notebook(
        tmp_path, WORKDIR_CELL, "answer = 42", "1 / 0", "while True:\n    pass", "later = 'ran'"
    )
    result = grade_notebook(path, tests=TINY_TESTS, cell_timeout=3)
    assert result.status == TIMEOUT, result.report()
    assert [(e.index, e.ename) for e in result.cell_errors] == [
        (2, "ZeroDivisionError"),
        (3, "CellTimeoutError"),
    ]
    assert result.points == result.max_points == 4, result.report()


def test_a_check_that_hangs_is_stopped(tmp_path):
    tests = tmp_path / "spin_tests.py"
    tests.write_text(
        "from course_grader.checks import check\n\n"
        "@check('q1_spin', points=1, message='spin() must return')\n"
        "def spin_returns(nb):\n"
        "    assert nb.spin() == 1\n\n"
        "@check('q2_answer', points=1, message='answer is 42')\n"
        "def answer_is_42(nb):\n"
        "    assert nb.answer == 42\n"
    )
    path = _tiny_notebook(tmp_path, "def spin():\n    while True:\n        pass", "answer = 42")
    result = grade_notebook(path, tests=tests, check_timeout=1.0)
    assert result.status == OK and result.points == 1, result.report()
    (spin,) = [c for c in result.checks if not c.passed]
    assert spin.detail.startswith("CheckTimeout: ran longer than 1 s (in spin, line ")


def test_runner_reports_cell_errors_and_partial_credit(tmp_path):
    path = _tiny_notebook(tmp_path, WORKDIR_CELL, "answer = 41", "later = undefined_name")
    result = grade_notebook(path, tests=TINY_TESTS)
    assert result.status == CELL_ERRORS
    assert {q.question: q.points for q in result.questions} == {
        "q1_answer": 0,
        "q2_later_cells": 0,
        "q3_workdir": 1,
    }
    details = {c.name: c.detail for c in result.checks}
    assert "answer = 41" in details["answer_is_42"]
    assert "the notebook does not define `later`" in details["later_cell_ran"]


def test_runner_scores_zero_when_the_kernel_dies(tmp_path):
    path = _tiny_notebook(tmp_path, "answer = 42", "import os\nos._exit(1)")
    result = grade_notebook(path, tests=TINY_TESTS)
    assert result.status == KERNEL_DIED and result.points == 0
    assert all("kernel died" in c.detail for c in result.checks)


@pytest.mark.parametrize(
    ("sabotage", "why"),
    [
        ("print", "TypeError: 'raw' is an invalid keyword argument"),
        ("lambda *args, **kwargs: None", "the grading cell returned no result"),
    ],
)
def test_runner_scores_zero_when_the_grading_cell_is_sabotaged(tmp_path, sabotage, why):
    path = _tiny_notebook(
        tmp_path, "answer = 42", f"import IPython.display\nIPython.display.display = {sabotage}"
    )
    result = grade_notebook(path, tests=TINY_TESTS)
    assert result.status == GRADING_ERROR and result.points == 0, result.report()
    assert why in result.detail


def test_runner_scores_zero_for_an_unreadable_notebook(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text("{not json")
    result = grade_notebook(path, tests=TINY_TESTS)
    assert result.status == INVALID_NOTEBOOK and result.points == 0 and result.max_points == 4


# ------------------------------------------------------------------------ selfcheck


def test_selfchecks_print_and_never_raise(capsys):
    def boom():
        raise RuntimeError("not yet written")

    selfcheck.close("q1", "value", boom, 1.0, atol=1e-6)
    selfcheck.close("q1", "value", lambda: float("nan"), 1.0, atol=1e-6)
    selfcheck.close("q1", "value", lambda: "text", 1.0, atol=1e-6)
    selfcheck.close("q1", "value", lambda: 1.0 + 1e-9, 1.0, atol=1e-6)
    selfcheck.below("q2", "error", lambda: 0.5, 1e-6)
    selfcheck.below("q2", "error", lambda: 1e-9, 1e-6)
    selfcheck.holds("q3", "property", lambda: False, hint="look at the signs")
    selfcheck.holds("q3", "property", lambda: True)
    assert capsys.readouterr().out.splitlines() == [
        "✗ q1 not yet: value raised RuntimeError: not yet written",
        "✗ q1 not yet: value is nan (expected 1 ± 1e-06)",
        "✗ q1 not yet: value is not a number (ValueError: could not convert string to float: 'text')",
        "✓ q1: value ≈ 1",
        "✗ q2 not yet: error is 0.5 (expected < 1e-06)",
        "✓ q2: error below 1e-06",
        "✗ q3 not yet: property does not hold; look at the signs",
        "✓ q3: property",
    ]
