"""Grade a generated class of chapter 3 submissions; print throughput and overhead.

    .venv/bin/python benchmarks/bench_grader.py            # 200 submissions, --jobs = cores
    .venv/bin/python benchmarks/bench_grader.py --n 40     # a quicker run

The class is generated from ``solutions/ch03_losses.ipynb`` and the exercise
(same cell ids), seeded: 40 % correct (the solution), 35 % partial (each
question's solution cell swapped for the exercise's placeholder with
probability 1/2), 10 % untouched exercises, 15 % broken (a cell that raises, a
syntax error, an infinite loop stopped by the cell timeout, invalid JSON, an
empty file). Everything is graded by the real batch grader
(``course_grader.batch.grade_batch``: sandbox, hidden checks, journal,
gradebook) into a temporary folder.

Printed: submissions per minute; the notebook's own run time (the solution
executed by plain nbclient in a fresh, unsandboxed kernel, start-up
included, median of 3); the grading cost per submission (wall time x jobs /
submissions); the overhead beyond the notebook's own run time; and where a
submission's time goes (cells, hidden checks, the rest: sandbox, kernel
start and stop, scheduling).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "ch03_losses.ipynb"
EXERCISE = ROOT / "exercises" / "ch03_losses.ipynb"
QUESTION_CELLS = ("q1-solution", "q2-solution", "q3-solution", "q4-solution")


def _mixed(solution, exercise, rng: random.Random, swap: float):
    """The solution with some questions' cells taken from the exercise."""
    nb = nbformat.from_dict(json.loads(json.dumps(solution)))
    placeholders = {c.id: c for c in exercise.cells}
    for index, cell in enumerate(nb.cells):
        if cell.id in QUESTION_CELLS and rng.random() < swap:
            nb.cells[index] = nbformat.from_dict(dict(placeholders[cell.id]))
    return nb


def generate_class(folder: Path, n: int, seed: int = 0) -> Counter:
    """Write ``n`` submissions ``sNNN.ipynb`` into ``folder``; the count of each kind."""
    rng = random.Random(seed)
    solution = nbformat.read(SOLUTION, as_version=4)
    exercise = nbformat.read(EXERCISE, as_version=4)
    kinds: Counter = Counter()
    for i in range(n):
        path = folder / f"s{i:03d}.ipynb"
        draw = rng.random()
        if draw < 0.40:
            kind, nb = "correct", solution
        elif draw < 0.75:
            kind, nb = "partial", _mixed(solution, exercise, rng, 0.5)
        elif draw < 0.85:
            kind, nb = "exercise", exercise
        else:
            kind = rng.choice(["raises", "syntax", "loops", "invalid_json", "empty"])
            nb = nbformat.from_dict(json.loads(json.dumps(solution)))
            broken = {
                "raises": "raise RuntimeError('unfinished')",
                "syntax": "def oops(:\n    pass",
                "loops": "while True:\n    pass",
            }
            if kind in broken:
                nb.cells.insert(3, nbformat.v4.new_code_cell(broken[kind]))
        kinds[kind] += 1
        if kind == "invalid_json":
            path.write_text('{"cells": [')
        elif kind == "empty":
            path.write_bytes(b"")
        else:
            nbformat.write(nb, path)
    return kinds


def own_run_time(repeats: int = 3) -> float:
    """Median seconds to execute the solution with plain nbclient (unsandboxed)."""
    from nbclient import NotebookClient

    times = []
    for _ in range(repeats):
        nb = nbformat.read(SOLUTION, as_version=4)
        with tempfile.TemporaryDirectory() as workdir:
            started = time.monotonic()
            NotebookClient(nb, timeout=120, resources={"metadata": {"path": workdir}}).execute()
            times.append(time.monotonic() - started)
    return statistics.median(times)


def main() -> int:
    from course_grader.batch import Settings, default_jobs, grade_batch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="submissions (default 200)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="default: cores")
    parser.add_argument("--cell-timeout", type=int, default=10, help="seconds (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="keep the outputs here (default: a temporary folder)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-grader-") as tmp:
        subs = Path(tmp) / "submissions"
        subs.mkdir()
        out = Path(args.out) if args.out else Path(tmp) / "out"
        kinds = generate_class(subs, args.n, args.seed)
        print(f"class of {args.n}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
        baseline = own_run_time()
        print(f"notebook's own run time (plain nbclient, fresh kernel): {baseline:.2f} s")
        settings = Settings(cell_timeout=args.cell_timeout, total_timeout=120)
        started = time.monotonic()
        result = grade_batch(
            [subs],
            "ch03_losses",
            out,
            root=ROOT,
            jobs=args.jobs,
            settings=settings,
            echo=lambda line: None,
        )
        wall = time.monotonic() - started
        journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
        ran = [r["result"] for r in journal if r["result"]["execution_seconds"] > 0]
        statuses = Counter(r["status"] for r in result.rows)
    cost = wall * args.jobs / args.n
    mean = statistics.mean
    total = mean(r["seconds"] for r in ran)
    cells = mean(r["execution_seconds"] for r in ran)
    checks = mean(r["check_seconds"] for r in ran)
    print("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(
        f"graded {args.n} submissions in {wall:.1f} s with {args.jobs} jobs: "
        f"{args.n / wall * 60:.1f} submissions/minute"
    )
    print(f"grading cost per submission (wall x jobs / n): {cost:.2f} s")
    print(f"overhead beyond the notebook's own run time: {cost - baseline:+.2f} s per submission")
    print(
        f"per executed submission (mean of {len(ran)}): {total:.2f} s in its job = "
        f"cells {cells:.2f} s + hidden checks {checks:.2f} s + "
        f"sandbox, kernel start/stop and the rest {total - cells - checks:.2f} s"
    )
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
