"""The real chapter 3 assignment through the sandboxed grader.

* a class of two: a partial answer (the biased MMD estimate) and a
  submission that patches every library and checking function the hidden
  checks could use (``torch.allclose``, ``numpy.allclose``, ``numpy.testing``,
  ``ot.sinkhorn``, ``scipy.stats``, ``builtins``, ``course_grader.checks``)
  around the placeholder code;
* ``course-grade verify ch03_losses`` (the acceptance command): the solution
  graded twice (full marks, identical results) and the exercise (zero),
  through the same batch machinery;
* ``course-grade check`` on the solution and on a broken notebook (students).
"""

from __future__ import annotations

import csv
import inspect
import sys
from pathlib import Path

import nbformat
import pytest

from course_grader.batch import Settings, grade_batch
from course_grader.cli import main as cli
from course_grader.student import check_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grader"))
import mutants  # noqa: E402

PATCHES = """\
import builtins, math, sys
import numpy, numpy.testing, scipy.stats, torch, ot
import course_grader.checks as checks
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_allclose = lambda *args, **kwargs: None
ot.sinkhorn = lambda a, b, M, reg, **kwargs: numpy.zeros((len(a), len(b)))
ot.emd2 = lambda *args, **kwargs: 0.0
ot.emd2_1d = lambda *args, **kwargs: 0.0
scipy.stats.entropy = lambda *args, **kwargs: 0.0
scipy.stats.wasserstein_distance = lambda *args, **kwargs: 0.0
builtins.abs = lambda x: 0.0
checks.run = lambda specs, namespace, **kwargs: [
    {"id": s.id, "passed": True, "detail": ""} for s in specs
]
sys.modules["ch03_losses_tests"] = None
"""


def _with_cell(source: Path, code: str, target: Path) -> None:
    nb = nbformat.read(source, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def ch03_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("ch03")
    subs = base / "submissions"
    subs.mkdir()
    biased = inspect.getsource(mutants.mmd2_biased) + "\n\nmmd2_unbiased = mmd2_biased\n"
    _with_cell(ROOT / "solutions" / "ch03_losses.ipynb", biased, subs / "cleo.ipynb")
    _with_cell(ROOT / "exercises" / "ch03_losses.ipynb", PATCHES, subs / "mallory.ipynb")
    out = base / "out"
    settings = Settings(cell_timeout=60, total_timeout=120, check_timeout=30)
    result = grade_batch(
        [subs], "ch03_losses", out, root=ROOT, jobs=2, settings=settings, echo=print
    )
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {r["student_id"]: r for r in csv.DictReader(handle)}, result, out


def test_a_partial_answer_gets_partial_credit(ch03_class):
    rows, _, _ = ch03_class
    cleo = rows["cleo"]
    assert cleo["status"] == "ok" and cleo["q4_mmd_unbiased"] == "1" and cleo["total"] == "15"


def test_patching_libraries_and_checks_does_not_pass(ch03_class):
    rows, _, out = ch03_class
    mallory = rows["mallory"]
    assert mallory["total"] == "0", (out / "feedback" / "mallory.md").read_text()
    assert mallory["status"] in ("ok", "cell_errors"), mallory


def test_verify_passes_for_chapter_3(capsys):
    code = cli(["--root", str(ROOT), "verify", "ch03_losses", "--jobs", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "✓ solution scores 18/18 (ok)" in out
    assert "✓ exercise runs top to bottom and scores 0/18 (ok)" in out
    assert "✓ grading the solution twice gives identical results" in out
    assert "✓ hidden tests are not shipped with the exercise" in out


def test_student_check_reports_the_public_self_checks():
    report = check_notebook(ROOT / "solutions" / "ch03_losses.ipynb", cell_timeout=60)
    assert report.ok, report.text("")
    assert len(report.lines) == 8 and all(passed for passed, _, _ in report.lines)
    text = report.text("limits")
    assert "8 of 8 self-checks pass." in text
    # only the notebook's own checks: nothing of the hidden tests
    hidden = (ROOT / "solutions" / "ch03_losses_tests.py").read_text()
    assert "scipy.stats.entropy" in hidden and "scipy.stats.entropy" not in text


def test_student_check_shows_what_is_wrong(tmp_path, capsys):
    nb = nbformat.read(ROOT / "exercises" / "ch03_losses.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("undefined_name + 1"))
    path = tmp_path / "mine.ipynb"
    nbformat.write(nb, path)
    assert cli(["check", str(path), "--cell-timeout", "60"]) == 1
    out = capsys.readouterr().out
    assert "✗ q1_kl not yet: KL(P‖Q) is 0 (expected 0.0853 ± 0.0001)" in out
    assert "raised NameError: name 'undefined_name' is not defined" in out
    assert "0 of 8 self-checks pass; 1 cell(s) raised an error." in out
    assert "necessary, not sufficient" in out
