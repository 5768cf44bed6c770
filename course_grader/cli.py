"""Command line: ``python -m course_grader`` (console script ``course-exercises``).

generate [--check] [ASSIGNMENT ...]   write exercises/ from solutions/ (or verify them)
execute NOTEBOOK ...                  re-execute a notebook in place, deterministically
grade NOTEBOOK [--json]               execute a notebook and score it on the hidden checks
list                                  the assignments under solutions/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import assignments, notebooks
from .generate import generate
from .markers import MarkerError
from .run import CELL_ERRORS, OK, TIMEOUT, grade_notebook


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


def _grade(args) -> int:
    result = grade_notebook(
        args.notebook,
        tests=args.tests,
        assignment=args.assignment,
        root=args.root,
        cell_timeout=args.cell_timeout,
    )
    print(result.to_json() if args.json else result.report())
    return 0 if result.status in (OK, CELL_ERRORS, TIMEOUT) else 1


def _list(args) -> int:
    root = Path(args.root) if args.root else assignments.find_root()
    for a in assignments.discover(root):
        print(f"{a.name}\t{a.solution}\t{a.tests}\t{a.exercise}")
    return 0


def main(argv: list[str] | None = None) -> int:
    root_help = "repository root (default: the nearest folder above with solutions/)"
    parser = argparse.ArgumentParser(prog="course-exercises", description=__doc__.split("\n")[0])
    parser.add_argument("--root", help=root_help)
    # --root is accepted before or after the subcommand.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=argparse.SUPPRESS, help=root_help)
    sub = parser.add_subparsers(dest="command", required=True)

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
    p.add_argument("notebooks", nargs="+")
    p.add_argument("--cell-timeout", type=int, default=120)
    p.set_defaults(func=_execute)

    p = sub.add_parser(
        "grade", parents=[common], help="execute a notebook and score it on the hidden checks"
    )
    p.add_argument("notebook")
    p.add_argument("--assignment", help="default: the notebook's metadata, then its file name")
    p.add_argument("--tests", help="hidden tests file (default: solutions/ASSIGNMENT_tests.py)")
    p.add_argument("--cell-timeout", type=int, default=60, help="seconds per cell (default 60)")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=_grade)

    p = sub.add_parser("list", parents=[common], help="list assignments")
    p.set_defaults(func=_list)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, KeyError, ValueError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2
