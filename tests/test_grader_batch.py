"""Grading a class: one batch over every misbehaving fixture submission.

One module-scoped batch (``course_grader.batch.grade_batch``, 2 jobs, short
limits) grades ``tests/grader/grader_fixtures.py``'s class of the tiny ``fx``
assignment: correct and partial notebooks, one notebook per bad behaviour of
the safety list (raises, defines nothing, syntax error, missing import, loops
forever, allocates without bound, prints megabytes, forks, sys.exit, os._exit,
kills its kernel, patches the checks, forges answers, snoops), files that are
not gradable (invalid JSON, empty, non-UTF-8, another assignment's notebook,
bad names, duplicates, a folder, a symlink). The tests then read the outputs.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from course_grader.batch import Settings, grade_batch
from course_grader.sandbox import Limits

sys.path.insert(0, str(Path(__file__).parent / "grader"))
import grader_fixtures as fixtures  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = Settings(
    cell_timeout=4,
    total_timeout=30,
    check_timeout=5,
    limits=Limits(memory_mb=1536, cpu_s=60, processes=96, file_mb=16, disk_mb=64),
)
PROTECTED = [ROOT / "course_grader" / "checks.py", ROOT / "solutions" / "ch03_losses_tests.py"]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("class")
    root = fixtures.make_root(base / "course")
    subs, out = base / "submissions", base / "out"
    files = fixtures.write_class(subs, root, out)
    tests_file = root / "solutions" / "fx_tests.py"
    before = {p: _sha(p) for p in [tests_file, subs / "correct.ipynb", *PROTECTED]}
    lines: list[str] = []
    result = grade_batch([subs], "fx", out, root=root, jobs=2, settings=SETTINGS, echo=lines.append)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = {r["file"]: r for r in csv.DictReader(handle)}
    return {
        "result": result,
        "rows": rows,
        "out": out,
        "files": files,
        "before": before,
        "lines": lines,
        "root": root,
    }


@pytest.mark.parametrize("student", sorted(fixtures.FX))
def test_each_behaviour_gets_its_status_and_points(graded, student):
    _, statuses, points = fixtures.FX[student]
    row = graded["rows"][f"{student}.ipynb"]
    assert row["status"] in statuses, row
    if points >= 0:
        assert float(row["total"]) == points, row
    assert row["student_id"] == student
    if row["status"] != "ok":
        assert row["reason"], f"a {row['status']} row must say why"


def test_statuses_and_reasons_name_the_problem(graded):
    rows = graded["rows"]
    reason = {name: row["reason"] for name, row in rows.items()}
    assert "kernel died" in reason["calls_os_exit.ipynb"]
    assert "SIGKILL" in reason["kills_its_kernel.ipynb"]
    assert "ran out of time" in reason["loops_forever.ipynb"]
    feedback = {
        name: (graded["out"] / "feedback" / f"{name}.md").read_text()
        for name in ("raises", "syntax_error", "imports_missing", "allocates_forever", "fork_bomb")
    }
    assert "ValueError: a bug in my code" in feedback["raises"]
    assert "SyntaxError" in feedback["syntax_error"]
    assert "ModuleNotFoundError" in feedback["imports_missing"]
    assert "MemoryError" in feedback["allocates_forever"]
    assert "BlockingIOError" in feedback["fork_bomb"]
    flood = (graded["out"] / "feedback" / "prints_megabytes.md").read_text()
    assert "output over the limit was dropped" in flood


def test_files_that_cannot_be_graded_are_reported_not_dropped(graded):
    rows = graded["rows"]
    expected = {
        "not_json.ipynb": ("invalid_notebook", "not valid JSON"),
        "empty.ipynb": ("invalid_notebook", "empty"),
        "latin1.ipynb": ("invalid_notebook", "not UTF-8"),
        "other_assignment.ipynb": ("wrong_assignment", "'ch99_other', not 'fx'"),
        "someone__ch99_other.ipynb": ("wrong_assignment", "'ch99_other', not 'fx'"),
        "twice.ipynb": ("duplicate", "twice.ipynb, twice__fx.ipynb"),
        "twice__fx.ipynb": ("duplicate", "twice.ipynb, twice__fx.ipynb"),
        "Bad Name!.ipynb": ("unrecognized_file", "does not follow"),
        "readme.txt": ("unrecognized_file", "not a notebook"),
        "a_folder": ("unrecognized_file", "a folder"),
        "symlinked.ipynb": ("unrecognized_file", "symbolic link"),
    }
    for name, (status, why) in expected.items():
        assert rows[name]["status"] == status, rows[name]
        assert why in rows[name]["reason"], rows[name]
        assert float(rows[name]["total"]) == 0
    # every entry of the folder has exactly one row, hidden ones are named in the summary
    visible = {n for n in graded["files"] if not n.startswith(".")}
    assert set(rows) == visible
    assert "ignored hidden entries: .ipynb_checkpoints" in graded["result"].summary


def test_monkeypatching_or_forging_cannot_pass(graded):
    rows = graded["rows"]
    assert rows["patches_checks.ipynb"]["q1_answer"] == "0"
    assert rows["patches_checks.ipynb"]["q2_double"] == "0"
    # the forger answers 42 to every request: right for `answer`, wrong for double(x)
    assert rows["forges_answers.ipynb"]["q2_double"] == "0"
    assert rows["forges_answers.ipynb"]["q3_later"] == "0"
    liar = (graded["out"] / "feedback" / "liar.md").read_text()
    assert "not a number, array or tensor" in liar


def test_a_submission_reaches_no_other_file_process_or_network(graded):
    if "masks: yes" not in graded["result"].summary:
        pytest.skip(f"this machine allows no namespaces: {graded['result'].summary}")
    row = graded["rows"]["snoop.ipynb"]
    # the snoop sets answer = 42 only if every read, write, listing and connection failed
    assert row["q1_answer"] == "2", (graded["out"] / "feedback" / "snoop.md").read_text()
    for path, digest in graded["before"].items():
        assert _sha(path) == digest, f"{path} changed"


def test_no_process_of_any_sandbox_survives_the_batch(graded):
    """A sandbox's uid is UID_BASE + the pid of the job that graded it: once the
    batch is over, no process may run under the uid of a job that has ended."""
    leftovers = fixtures.orphaned_sandbox_processes()
    assert leftovers == []


def test_the_sandbox_is_recorded(graded):
    summary = graded["result"].summary
    assert "sandbox: " in summary
    if os.geteuid() == 0:
        assert "namespaces: network, mount, pid, ipc" in summary
        assert "its own, no groups" in summary
        assert "masks: yes" in summary


def test_outputs_gradebook_feedback_and_gradescope(graded):
    out, rows = graded["out"], graded["rows"]
    header = (out / "gradebook.csv").read_text().splitlines()[0].split(",")
    assert header == [
        "student_id",
        "file",
        "status",
        "reason",
        "q1_answer",
        "q2_double",
        "q3_later",
        "total",
        "max_total",
        "sha256",
        "seconds",
    ]
    assert rows["partial.ipynb"]["q1_answer"] == "0" and rows["partial.ipynb"]["total"] == "3"
    results = json.loads((out / "results" / "partial" / "results.json").read_text())
    assert results["score"] == 3.0 and results["execution_time"] > 0
    assert [t["name"] for t in results["tests"]] == [
        "q1_answer: answer_is_42",
        "q2_double: double_numbers",
        "q2_double: double_arrays",
        "q3_later: later_ran",
    ]
    first = results["tests"][0]
    assert first["status"] == "failed" and first["score"] == 0 and first["max_score"] == 2
    assert "`answer` should be 42." in first["output"] and "answer = 41" in first["output"]
    assert {t["visibility"] for t in results["tests"]} == {"visible"}
    feedback = (out / "feedback" / "partial.md").read_text()
    assert "**Score: 3 / 5**" in feedback and "answer = 41" in feedback
    # never the hidden test code
    tests_source = (graded["root"] / "solutions" / "fx_tests.py").read_text()
    for text in (feedback, json.dumps(results)):
        assert "def answer_is_42" not in text and "np.testing" not in text
        assert tests_source[:200] not in text
    invalid = json.loads((out / "results" / "empty" / "results.json").read_text())
    assert invalid["score"] == 0 and "empty" in invalid["output"]
    assert not (out / "feedback" / "twice.md").exists()  # duplicates are not graded


def test_summary_counts_every_status(graded):
    summary = graded["result"].summary
    for text in (
        "29 file(s)",
        "duplicate 2",
        "unrecognized_file 4",
        "invalid_notebook 3",
        "wrong_assignment 2",
        f"kernel_died {sum(r['status'] == 'kernel_died' for r in graded['rows'].values())}",
        "score: mean",
    ):
        assert text in summary, summary
    assert (graded["out"] / "summary.txt").read_text().strip() == summary.strip()
