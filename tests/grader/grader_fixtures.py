"""Fixture submissions for the grader tests: one real notebook per behaviour.

The tiny assignment ``fx`` (hidden tests: ``fx_tests.py`` next to this file)
asks for ``answer = 42``, ``double(x) = 2 x`` and a last cell ``later =
'ran'`` (5 points). Each fixture is the correct notebook with one cell added
before the last one (or replaced), written as a real ``.ipynb`` by
:func:`write_class`, named ``<student_id>.ipynb`` like a real submission.
Notebooks are generated rather than committed so that broken ones (syntax
errors, invalid JSON) stay out of the linters' way.

``FX`` maps a student id to ``(cells, statuses, points)``: the expected status
(one of a set when it depends on the machine) and points.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat

from course_grader.sandbox import UID_BASE

HERE = Path(__file__).parent
ASSIGNMENT = "fx"
TESTS = HERE / "fx_tests.py"

IMPORTS, ANSWER, DOUBLE, LATER = (
    "import numpy as np",
    "answer = 42",
    "def double(x):\n    return 2 * x",
    "later = 'ran'",
)
CORRECT = [IMPORTS, ANSWER, DOUBLE, LATER]


def with_cell(source: str, *, answer: str = ANSWER, double: str = DOUBLE) -> list[str]:
    """The correct notebook with ``source`` as the cell before the last one."""
    return [IMPORTS, answer, double, source, LATER]


ALLOCATES = "blob = []\nwhile True:\n    blob.append(np.empty(64 * 1024 * 1024, dtype=np.uint8))"
PRINTS = "for i in range(100_000):\n    print('x' * 99)"
FORKS = (
    "import os, time\n"
    "children = 0\n"
    "while True:\n"
    "    if os.fork() == 0:\n"
    "        time.sleep(600)\n"
    "        os._exit(0)\n"
    "    children += 1"
)
PATCHES_CHECKS = """\
import builtins, numpy, numpy.testing
import course_grader.checks as checks
numpy.array_equal = lambda *args, **kwargs: True
numpy.allclose = lambda *args, **kwargs: True
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
builtins.all = lambda iterable: True
checks.run = lambda specs, namespace, **kwargs: [
    {"id": s.id, "passed": True, "detail": ""} for s in specs
]
checks.run_source = lambda *args, **kwargs: []
"""
FORGES_ANSWERS = """\
import course_grader.kernel_side as kernel_side
kernel_side.reply = lambda request: '{"ok": 42}'  # every question the checker asks: 42
"""
LIAR = """\
class Liar:
    def __eq__(self, other):
        return True
    def __float__(self):
        return 42.0
    def __bool__(self):
        return True
"""

OK, CELL_ERRORS, TIMEOUT, KERNEL_DIED = "ok", "cell_errors", "timeout", "kernel_died"

FX: dict[str, tuple[list[str], set[str], float]] = {
    "correct": (CORRECT, {OK}, 5),
    "partial": ([IMPORTS, "answer = 41", DOUBLE, LATER], {OK}, 3),
    "raises": (with_cell("raise ValueError('a bug in my code')"), {CELL_ERRORS}, 5),
    "defines_nothing": ([], {OK}, 0),
    "syntax_error": (with_cell("def broken(:\n    pass"), {CELL_ERRORS}, 5),
    "imports_missing": (with_cell("import not_a_real_package_xyz"), {CELL_ERRORS}, 5),
    "loops_forever": (with_cell("while True:\n    pass"), {TIMEOUT}, 5),
    "allocates_forever": (with_cell(ALLOCATES), {CELL_ERRORS}, 5),
    "prints_megabytes": (with_cell(PRINTS), {OK}, 5),
    "fork_bomb": (with_cell(FORKS), {CELL_ERRORS}, 5),
    "calls_sys_exit": (with_cell("import sys\nsys.exit(3)"), {CELL_ERRORS}, 5),
    "calls_os_exit": (with_cell("import os\nos._exit(0)"), {KERNEL_DIED}, 0),
    "kills_its_kernel": (
        with_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
        {KERNEL_DIED},
        0,
    ),
    # in its own PID namespace there is nothing else to kill; without one, only itself
    "kills_everything": (
        with_cell("import os, signal\nos.kill(-1, signal.SIGKILL)"),
        {CELL_ERRORS, KERNEL_DIED},
        -1,
    ),
    # wrong answers, and every checking function it can reach patched to "pass"
    "patches_checks": (
        with_cell(PATCHES_CHECKS, answer="answer = 41", double="def double(x):\n    return x"),
        {OK},
        1,
    ),
    # answers 42 to everything through the grading channel: only `answer` is right
    "forges_answers": (
        with_cell(FORGES_ANSWERS, double="def double(x):\n    return x"),
        {OK},
        2,
    ),
    # objects that claim to equal anything: not data, so no check accepts them
    "liar": (
        [LIAR, "answer = Liar()", "def double(x):\n    return Liar()", LATER],
        {OK},
        1,
    ),
}

# Snooping: what it reaches goes into `leaks`; it answers 42 only if it reached nothing.
SNOOP = """\
import os, socket
leaks = []

def attempt(what, action):
    try:
        action()
    except Exception:
        return
    leaks.append(what)

def non_empty(folder):
    if not os.listdir(folder):
        raise FileNotFoundError(folder)

for path in {read!r}:
    attempt("read " + path, lambda p=path: open(p, "rb").read(1))
for path in {write!r}:
    attempt("write " + path, lambda p=path: open(p, "ab").write(b"#"))
for folder in {listed!r}:
    attempt("list " + folder, lambda f=folder: non_empty(f))
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2))
others = {{int(p) for p in os.listdir("/proc") if p.isdigit()}} - {{1, os.getpid()}}
if others:
    leaks.append(f"sees {{len(others)}} other processes")
job = os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd())))
if set(os.listdir(os.path.dirname(job))) - {{os.path.basename(job)}}:
    leaks.append("sees other jobs")
answer = 42 if not leaks else leaks
"""


def snoop_cells(*, read: list[str], write: list[str], listed: list[str]) -> list[str]:
    return [IMPORTS, SNOOP.format(read=read, write=write, listed=listed), DOUBLE, LATER]


def notebook(cells: list[str], assignment: str = ASSIGNMENT) -> nbformat.NotebookNode:
    if cells:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    else:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Nothing here.")])
    nb.metadata["course_grader"] = {"assignment": assignment}
    return nb


def write(path: Path, cells: list[str], assignment: str = ASSIGNMENT) -> Path:
    nbformat.write(notebook(cells, assignment), path)
    return path


def make_root(root: Path) -> Path:
    """A course root with the ``fx`` assignment's solution and hidden tests."""
    (root / "solutions").mkdir(parents=True, exist_ok=True)
    shutil.copy(TESTS, root / "solutions" / "fx_tests.py")
    write(root / "solutions" / "fx.ipynb", CORRECT)
    return root


def write_class(folder: Path, root: Path, out: Path) -> dict[str, Path]:
    """Every fixture of the safety list into ``folder``, plus files that are not
    gradable submissions; returns the paths by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    for student, (cells, _, _) in FX.items():
        write(folder / f"{student}.ipynb", cells)
    write(
        folder / "snoop.ipynb",
        snoop_cells(
            read=[
                str(root / "solutions" / "fx_tests.py"),
                str(root / "solutions" / "fx.ipynb"),
                str(folder / "correct.ipynb"),
                str(out / "gradebook.csv"),
                str(out / "journal.jsonl"),
                str(HERE.parent.parent / "solutions" / "ch03_losses_tests.py"),
                str(HERE.parent.parent / ".git" / "HEAD"),
            ],
            write=[
                str(root / "solutions" / "fx_tests.py"),
                str(folder / "correct.ipynb"),
                str(out / "gradebook.csv"),
                str(out / "journal.jsonl"),
                str(Path(nbformat.__file__).parent / "__init__.py"),
                str(HERE.parent.parent / "course_grader" / "checks.py"),
            ],
            listed=[
                str(root / "solutions"),
                str(folder),
                str(out),
                str(HERE.parent.parent / "solutions"),
            ],
        ),
    )
    # not gradable as they are
    (folder / "not_json.ipynb").write_text("{this is not json")
    (folder / "empty.ipynb").write_bytes(b"")
    text = nbformat.writes(notebook(CORRECT)).replace("answer = 42", "answer = 42  # café")
    (folder / "latin1.ipynb").write_bytes(text.encode("latin-1"))
    write(folder / "other_assignment.ipynb", CORRECT, assignment="ch99_other")
    write(folder / "someone__ch99_other.ipynb", CORRECT)
    write(folder / "twice.ipynb", CORRECT)
    write(folder / f"twice__{ASSIGNMENT}.ipynb", CORRECT)
    (folder / "Bad Name!.ipynb").write_text(nbformat.writes(notebook(CORRECT)))
    (folder / "readme.txt").write_text("not a notebook")
    (folder / "a_folder").mkdir(exist_ok=True)
    os.symlink(root / "solutions" / "fx.ipynb", folder / "symlinked.ipynb")
    (folder / ".ipynb_checkpoints").mkdir(exist_ok=True)
    return {p.name: p for p in folder.iterdir()}


def orphaned_sandbox_processes() -> list[int]:
    """Processes of a sandbox uid (``UID_BASE`` + the pid of the grading process
    that owns the sandbox) whose owner is gone: what a kill must not leave behind.
    Sandboxes of gradings still running elsewhere (another test worker) are not
    counted."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                uid = os.stat(f"/proc/{entry}").st_uid
            except OSError:
                continue
            if uid >= UID_BASE and not os.path.exists(f"/proc/{uid - UID_BASE}"):
                found.append(int(entry))
    return found
