"""Command line: ``course-grade`` (also ``course-exercises``, ``python -m course_grader``).

Instructors:

    grade SUBMISSIONS... --assignment ID --out DIR   grade a class: gradebook, feedback, Gradescope
    grade NOTEBOOK [--json]                          score one notebook, print the report
    verify [ASSIGNMENT ...]                          solutions full marks, exercises zero, deterministic
    generate [--check] [ASSIGNMENT ...]              write exercises/ from solutions/ (or verify them)
    execute NOTEBOOK ...                             re-execute a notebook in place, deterministically
    list                                             the assignments under solutions/

Students:

    check NOTEBOOK                                   run it as the grader will, show the self-checks
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import assignments, notebooks
from .generate import generate
from .markers import MarkerError
from .sandbox import Limits

# Exit codes of ``grade NOTEBOOK``: 0 when the notebook could be graded.
_GRADED = ("ok", "cell_errors", "timeout")


def _generate(args) -> int:
    root = Path(args.root) if args.root else assignments.find_root()
    names = args.assignments or [a.name for a in assignments.discover(root)]
    if not names:
        print(f"no solution notebooks under {root / assignments.SOLUTIONS_DIR}", file=sys.stderr)
        return 1
    failed = False
    for name in names:
        try:
            outcome = generate(
                assignments.get(root, name), check=args.check, cell_timeout=args.cell_timeout
            )
        except (KeyError, MarkerError, ValueError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            print(f"✗ {name}: {message}", file=sys.stderr)
            failed = True
            continue
        mark = "✓" if outcome.ok else "✗"
        print(f"{mark} {name}: {outcome.status}: {outcome.message}")
        failed |= not outcome.ok
    if args.check and not args.assignments:
        known = {a.name for a in assignments.discover(root)}
        for orphan in sorted((root / assignments.EXERCISES_DIR).glob("*")):
            if orphan.suffix != ".ipynb" or orphan.stem not in known:
                print(f"✗ {orphan}: not generated from any solution notebook; remove it")
                failed = True
    return 1 if failed else 0


def _execute(args) -> int:
    for path in args.notebooks:
        nb = notebooks.execute(notebooks.read(path), cell_timeout=args.cell_timeout)
        changed = notebooks.write(nb, path)
        print(f"{path}: {'outputs updated' if changed else 'unchanged'}")
    return 0


def _limits(args) -> Limits:
    return Limits(
        memory_mb=args.memory_mb or None,
        cpu_s=args.cpu_s or None,
        processes=args.processes or None,
        file_mb=args.file_mb or None,
        disk_mb=args.disk_mb,
    )


def _settings(args):
    from .batch import Settings

    return Settings(
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        check_timeout=args.check_timeout,
        limits=_limits(args),
        isolate=not args.no_isolation,
        output_limit=args.output_kb * 1024,
    )


def _grade(args) -> int:
    paths = [Path(p) for p in args.submissions]
    single = len(paths) == 1 and not paths[0].is_dir() and args.out is None
    if single:
        from .run import grade_notebook

        settings = _settings(args)
        result = grade_notebook(
            paths[0],
            tests=args.tests,
            assignment=args.assignment,
            root=args.root,
            cell_timeout=settings.cell_timeout,
            total_timeout=settings.total_timeout,
            check_timeout=settings.check_timeout,
            limits=settings.limits,
            isolate=settings.isolate,
            output_limit=settings.output_limit,
        )
        print(result.to_json() if args.json else result.report())
        return 0 if result.status in _GRADED else 1
    if not args.assignment:
        raise ValueError("grading a folder needs --assignment ID")
    if args.out is None:
        raise ValueError("grading a folder needs --out DIR (gradebook, feedback, results)")
    from .batch import grade_batch

    grade_batch(
        paths,
        args.assignment,
        args.out,
        root=args.root,
        tests=args.tests,
        jobs=args.jobs,
        settings=_settings(args),
        regrade=args.regrade,
    )
    return 0


def _check(args) -> int:
    from .student import check_notebook

    report = check_notebook(
        args.notebook,
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        limits=_limits(args),
        isolate=not args.no_isolation,
    )
    limits = f"fresh kernel, empty folder, no network, {args.cell_timeout} s per cell"
    print(report.text(limits))
    return 0 if report.ok else 1


def _verify(args) -> int:
    from .verify import verify

    root = Path(args.root) if args.root else assignments.find_root()
    names = args.assignments or [a.name for a in assignments.discover(root)]
    ok = True
    for name in names:
        verdict = verify(
            name,
            root=root,
            jobs=args.jobs,
            settings=_settings(args),
            allow_free_points=args.allow_free_points,
        )
        print(verdict.text())
        ok &= verdict.ok
    return 0 if ok else 1


def _list(args) -> int:
    root = Path(args.root) if args.root else assignments.find_root()
    for a in assignments.discover(root):
        print(f"{a.name}\t{a.solution}\t{a.tests}\t{a.exercise}")
    return 0


def _add_run_options(p: argparse.ArgumentParser, *, cell_timeout: int, timeout: int) -> None:
    """Options of everything that runs a student's notebook (grade, check, verify)."""
    g = p.add_argument_group("limits per notebook (each runs in its own sandbox)")
    limits = [  # (flag, default, metavar, help: "{d}" is the default)
        ("--cell-timeout", cell_timeout, "S",
         "wall-clock seconds per cell; the cell is interrupted, later cells still run "
         "(default {d})"),
        ("--timeout", timeout, "S",
         "wall-clock seconds for all the cells together; later cells are skipped (default {d})"),
        ("--memory-mb", Limits.memory_mb, "MB",
         "address-space limit of the kernel (RLIMIT_AS): MemoryError beyond it "
         "(default {d}; 0: none)"),
        ("--cpu-s", Limits.cpu_s, "S", "CPU seconds of the kernel (RLIMIT_CPU) (default {d}; 0: none)"),
        ("--processes", Limits.processes, "N",
         "processes and threads of the kernel's user (RLIMIT_NPROC; stops fork bombs) "
         "(default {d}; 0: none)"),
        ("--file-mb", Limits.file_mb, "MB",
         "largest file the notebook may write (RLIMIT_FSIZE) (default {d})"),
        ("--disk-mb", Limits.disk_mb, "MB",
         "size of the notebook's working folder and of its /tmp (default {d})"),
        ("--output-kb", 1024, "KB",
         "cell output kept per notebook; the rest is counted and dropped (default {d})"),
    ]  # fmt: skip
    for flag, default, metavar, text in limits:
        g.add_argument(
            flag, type=int, default=default, metavar=metavar, help=text.format(d=default)
        )
    g.add_argument(
        "--no-isolation",
        action="store_true",
        help="run the kernel without namespaces or its own user (resource limits only); "
        "for machines where the sandbox cannot start",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``course-grade`` argument parser (every option has a help text)."""
    root_help = "course repository root (default: the nearest folder above with solutions/)"
    parser = argparse.ArgumentParser(
        prog="course-grade",
        description="Exercise notebooks: generate them, grade them safely, check them.",
        epilog=__doc__.split("\n", 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--root", help=root_help)
    # --root is accepted before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, help=root_help)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "grade",
        parents=[common],
        help="grade a folder of submissions (or one notebook)",
        description="Grade submitted notebooks: each runs in its own sandbox (own user, no "
        "network, hidden files, time/memory/process limits); the hidden checks run outside it. "
        "Submissions are named <student_id>.ipynb or <student_id>__<assignment>.ipynb. With "
        "--out, writes DIR/gradebook.csv, DIR/feedback/<student>.md, "
        "DIR/results/<student>/results.json (Gradescope) and DIR/journal.jsonl; a rerun skips "
        "what is already graded. One notebook without --out: prints its report.",
    )
    p.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSIONS",
        help="folders of submitted notebooks (top level only) and/or notebook files",
    )
    p.add_argument(
        "--assignment",
        metavar="ID",
        help="assignment id (solutions/ID_tests.py); required for a folder; for one notebook "
        "the default is its metadata, then its file name",
    )
    p.add_argument(
        "--out", metavar="DIR", help="output folder (required for a folder of submissions)"
    )
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="submissions graded in parallel (default: the number of CPU cores)",
    )
    p.add_argument(
        "--check-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds per hidden check, calls into the notebook included (default 30)",
    )
    p.add_argument(
        "--tests", metavar="FILE", help="hidden tests file (default: solutions/ID_tests.py)"
    )
    p.add_argument(
        "--regrade",
        action="store_true",
        help="grade everything again, ignoring the journal of earlier runs",
    )
    p.add_argument(
        "--json", action="store_true", help="one notebook: print the full result as JSON"
    )
    _add_run_options(p, cell_timeout=60, timeout=300)
    p.set_defaults(func=_grade)

    p = sub.add_parser(
        "check",
        help="students: run a notebook as the grader will and report its self-checks",
        description="Run NOTEBOOK exactly as the grader will (fresh sandboxed kernel, empty "
        "folder, no network, same limits) and report its public self-checks (✓/✗ lines), the "
        "cells that raised and the cells that ran out of time. The hidden tests are not used. "
        "Exit code 0 when every self-check passes and no cell raised.",
    )
    p.add_argument("notebook", metavar="NOTEBOOK", help="the notebook to check")
    _add_run_options(p, cell_timeout=60, timeout=300)
    p.set_defaults(func=_check)

    p = sub.add_parser(
        "verify",
        parents=[common],
        help="check an assignment: solution full marks, exercise zero, deterministic",
        description="Grade the solution twice and the generated exercise once, in the "
        "sandbox, and require: full marks for the solution, zero for the exercise, identical "
        "results for both gradings of the solution, no hidden tests under exercises/. "
        "Exit code 1 if any fails.",
    )
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all")
    p.add_argument("--jobs", type=int, metavar="N", help="parallel gradings (default: cores)")
    p.add_argument(
        "--check-timeout", type=float, default=30.0, metavar="S", help="seconds per check"
    )
    p.add_argument(
        "--allow-free-points",
        action="store_true",
        help="accept checks that pass on the exercise's placeholder code",
    )
    _add_run_options(p, cell_timeout=120, timeout=600)
    p.set_defaults(func=_verify)

    p = sub.add_parser(
        "generate", parents=[common], help="write exercises/NAME.ipynb from solutions/NAME.ipynb"
    )
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="default: all")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a committed exercise differs (outputs excluded)",
    )
    p.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell (default 120)")
    p.set_defaults(func=_generate)

    p = sub.add_parser(
        "execute", help="re-execute notebooks in place (e.g. a solution after editing)"
    )
    p.add_argument("notebooks", nargs="+", help="notebooks to execute and rewrite")
    p.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell (default 120)")
    p.set_defaults(func=_execute)

    p = sub.add_parser("list", parents=[common], help="list assignments")
    p.set_defaults(func=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "root"):
        args.root = None
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except (FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2
