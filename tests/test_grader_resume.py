"""Robustness of a batch: killed mid-way it resumes without losing or
duplicating a row; a submission past the hard wall-clock limit is killed with
its whole sandbox and the batch goes on; the command line explains itself.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from course_grader.batch import Settings, grade_batch
from course_grader.cli import build_parser
from course_grader.run import grade_notebook
from course_grader.sandbox import Limits

sys.path.insert(0, str(Path(__file__).parent / "grader"))
import grader_fixtures as fixtures  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SLOW = "import time\ntime.sleep(1)"
N_CLASS = 6


def _gradebook(out: Path) -> list[dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _journal_lines(out: Path) -> list[dict]:
    path = out / "journal.jsonl"
    if not path.exists():
        return []
    lines = []
    for line in path.read_bytes().split(b"\n"):
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def test_a_batch_killed_mid_way_resumes_without_losing_or_duplicating_rows(tmp_path):
    root = fixtures.make_root(tmp_path / "course")
    subs, out = tmp_path / "submissions", tmp_path / "out"
    subs.mkdir()
    for i in range(N_CLASS):
        fixtures.write(subs / f"s{i:02d}.ipynb", fixtures.with_cell(SLOW))
    command = [
        sys.executable,
        "-m",
        "course_grader",
        "grade",
        str(subs),
        "--assignment",
        "fx",
        "--out",
        str(out),
        "--root",
        str(root),
        "--jobs",
        "2",
        "--cell-timeout",
        "20",
    ]
    grader = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 180
    while len(_journal_lines(out)) < 2 and time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.2)
    os.killpg(grader.pid, signal.SIGKILL)  # the grader, its forkserver and its jobs, at once
    grader.wait()
    done_before = _journal_lines(out)
    assert 2 <= len(done_before) < N_CLASS, "the kill should land mid-way"
    rows = _gradebook(out)  # atomic: always a complete CSV
    assert [r["file"] for r in rows] == [f"s{i:02d}.ipynb" for i in range(N_CLASS)]
    assert Counter(r["status"] for r in rows)["pending"] >= 1

    for _ in range(50):  # the sandboxes die with their job (parent-death signals)
        if not fixtures.orphaned_sandbox_processes():
            break
        time.sleep(0.2)
    assert fixtures.orphaned_sandbox_processes() == []

    lines: list[str] = []
    settings = Settings(cell_timeout=20, total_timeout=60, check_timeout=10)
    result = grade_batch([subs], "fx", out, root=root, jobs=2, settings=settings, echo=lines.append)
    # the killed grader's scratch folder is swept by the next run
    scratch = Path(tempfile.gettempdir()).glob("cgr-*/owner.pid")
    owners = [p.read_text() for p in scratch if p.is_file()]
    assert str(grader.pid) not in owners
    assert result.reused == len(done_before)
    assert result.graded_now == N_CLASS - len(done_before)
    assert f"{len(done_before)} submission(s) already graded (journal): kept" in lines[0]
    rows = _gradebook(out)
    assert [r["file"] for r in rows] == [f"s{i:02d}.ipynb" for i in range(N_CLASS)]
    assert all(r["status"] == "ok" and r["total"] == "5" for r in rows), rows
    journal = _journal_lines(out)
    per_file = Counter(line["file"] for line in journal)
    assert per_file == {f"s{i:02d}.ipynb": 1 for i in range(N_CLASS)}, (
        "a row was lost or duplicated"
    )
    # graded before the kill means not graded again
    assert [line["key"] for line in journal[: len(done_before)]] == [
        line["key"] for line in done_before
    ]

    # a third run grades nothing; a changed file is regraded, only it
    fixtures.write(subs / "s00.ipynb", [fixtures.IMPORTS, "answer = 41", fixtures.DOUBLE])
    result = grade_batch([subs], "fx", out, root=root, jobs=2, settings=settings, echo=lines.append)
    assert (result.graded_now, result.reused) == (1, N_CLASS - 1)
    row = next(r for r in _gradebook(out) if r["file"] == "s00.ipynb")
    assert row["total"] == "2"


def test_past_the_hard_limit_a_submission_is_killed_and_the_batch_goes_on(tmp_path):
    root = fixtures.make_root(tmp_path / "course")
    subs, out = tmp_path / "submissions", tmp_path / "out"
    subs.mkdir()
    fixtures.write(subs / "sleeper.ipynb", fixtures.with_cell("import time\ntime.sleep(300)"))
    fixtures.write(subs / "correct.ipynb", fixtures.CORRECT)
    settings = Settings(cell_timeout=300, total_timeout=300, check_timeout=10, hard_limit_s=30)
    started = time.monotonic()
    result = grade_batch([subs], "fx", out, root=root, jobs=2, settings=settings, echo=print)
    assert time.monotonic() - started < 150
    rows = {r["file"]: r for r in result.rows}
    assert rows["sleeper.ipynb"]["status"] == "killed"
    assert "hard wall-clock limit of 30 s" in rows["sleeper.ipynb"]["reason"]
    assert rows["sleeper.ipynb"]["total"] == "0"
    assert (rows["correct.ipynb"]["status"], rows["correct.ipynb"]["total"]) == ("ok", "5")
    assert fixtures.orphaned_sandbox_processes() == []
    assert "needs attention:" in result.summary and "sleeper.ipynb: killed" in result.summary


def test_the_cpu_limit_stops_a_kernel_that_ignores_interrupts(tmp_path):
    spin = "while True:\n    try:\n        sum(range(10**6))\n    except KeyboardInterrupt:\n        pass"
    path = fixtures.write(tmp_path / "spinner.ipynb", fixtures.with_cell(spin))
    result = grade_notebook(
        path, tests=fixtures.TESTS, cell_timeout=60, limits=Limits(cpu_s=4, memory_mb=2048)
    )
    assert result.status == "kernel_died" and result.points == 0, result.report()
    assert "CPU time limit (SIGXCPU)" in result.detail


def test_every_option_of_every_command_is_explained():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"grade", "check", "verify", "generate", "execute", "list"} <= set(commands)
    for name, sub in commands.items():
        for action in sub._actions:
            if action.dest != "help":
                assert action.help and action.help.strip(), f"{name} {action.dest}: no help"
    grade_help = commands["grade"].format_help()
    for text in ("--assignment", "--out", "--jobs", "--timeout", "--memory-mb", "gradebook.csv"):
        assert text in grade_help


@pytest.mark.parametrize("command", [["--help"], ["grade", "--help"]])
def test_console_script_help(command):
    script = Path(sys.executable).parent / "course-grade"
    if not script.exists():
        pytest.skip("course-grade is not installed (pip install -e .)")
    done = subprocess.run([str(script), *command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "usage: course-grade" in done.stdout
