"""What a batch writes: gradebook rows, student feedback, Gradescope results, summary.

* ``gradebook.csv``: one row per submitted file, in file-name order:
  ``student_id, file, status, reason, <one column per question>, total,
  max_total, sha256, seconds``. Files that were not graded (unrecognized,
  duplicate) have a status and a reason, and empty question columns.
* ``feedback/<student_id>.md``: the score, per question, every check that
  failed with its message (and what was off), the checks that passed, and the
  notebook's own errors. Messages and assertion texts only: never the code of
  the hidden tests.
* ``results/<student_id>/results.json``: the same in Gradescope's autograder
  format (``score``, ``execution_time``, ``output``, ``tests: [{name, number,
  score, max_score, status, output, visibility}]``), to hand grading to a
  large-scale service or import into it.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter

from .run import STATUSES, GradeResult

BASE_COLUMNS = ["student_id", "file", "status", "reason"]
TAIL_COLUMNS = ["total", "max_total", "sha256", "seconds"]


def _pts(value: float) -> str:
    return f"{value:g}"


def row(
    *, student: str | None, file: str, status: str, reason: str = "", result=None, sha=""
) -> dict:
    """One gradebook row (question columns come from ``result``)."""
    out = {
        "student_id": student or "",
        "file": file,
        "status": status,
        "reason": reason,
        "sha256": sha[:12],
    }
    if result is not None:
        out.update({q.question: _pts(q.points) for q in result.questions})
        out.update(
            total=_pts(result.points),
            max_total=_pts(result.max_points),
            seconds=f"{result.seconds:.1f}",
        )
    return out


def gradebook_csv(rows: list[dict], questions: list[str], max_total: float) -> str:
    """The CSV text (rows without a result get total 0)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=BASE_COLUMNS + questions + TAIL_COLUMNS,
        extrasaction="ignore",
        lineterminator="\n",
    )
    writer.writeheader()
    for r in rows:
        writer.writerow({"total": "0", "max_total": _pts(max_total), **r})
    return buffer.getvalue()


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def feedback_markdown(student: str, result: GradeResult) -> str:
    """The student's feedback file (see the module docstring)."""
    lines = [
        f"# {result.assignment}: feedback for {student}",
        "",
        f"**Score: {_pts(result.points)} / {_pts(result.max_points)}** (status: `{result.status}`)",
    ]
    if result.detail:
        lines += ["", _one_line(result.detail, 1000)]
    lines += [f"- note: {n}" for n in result.notes]
    lines += ["", "| question | points |", "|---|---|"]
    lines += [
        f"| {q.question} | {_pts(q.points)} / {_pts(q.max_points)} |" for q in result.questions
    ]
    failed = [c for c in result.checks if not c.passed]
    passed = [c for c in result.checks if c.passed]
    if failed:
        lines += ["", "## Not yet", ""]
        for c in failed:
            lines.append(f"- ✗ **{c.question}** `{c.name}` ({_pts(c.max_points)} pt): {c.message}")
            if c.detail:
                lines.append(f"  - what was off: {_one_line(c.detail, 600)}")
    if passed:
        lines += ["", "## Passed", ""]
        lines += [f"- ✓ {c.question} `{c.name}` ({_pts(c.max_points)} pt)" for c in passed]
    if result.cell_errors:
        lines += ["", "## Errors in your notebook", ""]
        for e in result.cell_errors:
            lines.append(
                f"- cell {e.index} (id `{e.cell_id}`) raised {e.ename}: {_one_line(e.evalue)}"
            )
    lines += [
        "",
        "Your notebook was run top to bottom in a fresh kernel; hidden tests then called "
        "your functions on new data and compared the results with independent references.",
        "",
    ]
    return "\n".join(lines)


def gradescope_results(result: GradeResult) -> dict:
    """Gradescope's ``results.json`` for one submission."""
    tests = []
    numbers: Counter = Counter()
    order = {q.question: i + 1 for i, q in enumerate(result.questions)}
    for c in result.checks:
        numbers[c.question] += 1
        output = "" if c.passed else c.message + (f"\n\n{c.detail}" if c.detail else "")
        tests.append(
            {
                "name": f"{c.question}: {c.name}",
                "number": f"{order[c.question]}.{numbers[c.question]}",
                "score": c.points,
                "max_score": c.max_points,
                "status": "passed" if c.passed else "failed",
                "output": output,
                "visibility": "visible",
                "tags": [c.question],
            }
        )
    summary = [f"Status: {result.status}."]
    if result.detail:
        summary.append(result.detail)
    summary += [f"Cell {e.index} raised {e.ename}: {e.evalue}" for e in result.cell_errors]
    return {
        "score": result.points,
        "execution_time": round(result.seconds, 3),
        "output": "\n".join(summary),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"status": result.status, "max_score": result.max_points},
    }


def gradescope_json(result: GradeResult) -> str:
    return json.dumps(gradescope_results(result), indent=1, ensure_ascii=False) + "\n"


def summary(
    rows: list[dict],
    *,
    assignment: str,
    max_total: float,
    graded_now: int,
    reused: int,
    seconds: float,
    jobs: int,
    ignored: list[str],
    isolation: str,
    out: str,
) -> str:
    """The text printed at the end of a batch (and saved as ``summary.txt``)."""
    counts = Counter(r["status"] for r in rows)
    scored = [float(r["total"]) for r in rows if r.get("total") not in (None, "")]
    rate = graded_now / (seconds / 60) if seconds > 0 and graded_now else 0.0
    lines = [
        f"{assignment}: {len(rows)} file(s); graded {graded_now} now in {seconds:.0f} s "
        f"({rate:.1f}/min with {jobs} job(s)), {reused} already graded (kept)",
        "status: "
        + ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])
        + ("" if all(s in STATUSES for s in counts) else f", other {dict(counts)}"),
    ]
    if scored:
        lines.append(
            f"score: mean {statistics.mean(scored):.2f} / {max_total:g}, "
            f"median {statistics.median(scored):g}, full marks {sum(s == max_total for s in scored)}"
        )
    attention = [
        r
        for r in rows
        if r["status"] in ("unrecognized_file", "duplicate", "sandbox_error", "killed")
    ]
    if attention:
        lines.append("needs attention:")
        lines += [f"  {r['file']}: {r['status']}: {r['reason']}" for r in attention]
    if ignored:
        lines.append(f"ignored hidden entries: {', '.join(ignored)}")
    if isolation:
        lines.append(f"sandbox: {isolation}")
        if "fallback:" in isolation:
            lines.append(
                "WARNING: no namespaces: a submission could read any file the grader's user "
                "can read (run as root for the full sandbox)"
            )
    lines.append(
        f"wrote {out}/gradebook.csv, {out}/feedback/<student>.md, "
        f"{out}/results/<student>/results.json ({out}/journal.jsonl: resume record)"
    )
    return "\n".join(lines)
