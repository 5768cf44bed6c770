"""Submitted files: the naming convention, reading a notebook defensively.

Naming convention (one folder per assignment, files at its top level)::

    <student_id>.ipynb                   e.g. jdoe42.ipynb
    <student_id>__<assignment>.ipynb     e.g. jdoe42__ch03_losses.ipynb

``student_id``: letters, digits, ``.``, ``-`` and single ``_`` (it starts
with a letter or digit; ``__`` separates the assignment). Every other entry
of the folder is *reported*, never silently dropped:

* a file that does not follow the convention, a sub-folder, a symbolic link
  (never followed: it could point at the solutions): ``unrecognized_file``;
* ``__<assignment>`` naming another assignment: ``wrong_assignment``;
* two files of the same student: ``duplicate`` (both listed; neither graded
  until one is removed);
* hidden entries (``.DS_Store``, ``.ipynb_checkpoints``): listed as ignored in
  the summary.

:func:`read_notebook` says precisely why a file is not a notebook: empty,
not UTF-8 (with the offset of the first bad byte), not JSON, not a notebook.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
STUDENT_ID = r"[A-Za-z0-9](?:[A-Za-z0-9.\-]|_(?!_))*"
_NAME = re.compile(rf"^(?P<student>{STUDENT_ID})(?:__(?P<assignment>[A-Za-z0-9_]+))?\.ipynb$")
CONVENTION = "<student_id>.ipynb or <student_id>__<assignment>.ipynb"


@dataclass(frozen=True)
class Name:
    student: str | None
    assignment: str | None


def parse_name(filename: str) -> Name:
    """Student id and assignment from a file name (``Name(None, None)`` if it does not match)."""
    match = _NAME.match(filename)
    if not match or match.group("student").endswith("_"):
        return Name(None, None)
    return Name(match.group("student"), match.group("assignment"))


@dataclass(frozen=True)
class Entry:
    """One entry of a submissions folder. ``status`` is None when it is to be graded,
    else why not (``unrecognized_file``, ``wrong_assignment``, ``duplicate``)."""

    path: Path
    student: str | None
    status: str | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        return self.path.name


def scan(paths: list[str | Path], assignment: str) -> tuple[list[Entry], list[str]]:
    """Entries of the given folders and files (sorted by file name), and the
    hidden entries that were ignored."""
    from .run import DUPLICATE, UNRECOGNIZED, WRONG_ASSIGNMENT

    candidates: list[Path] = []
    ignored: list[str] = []
    for given in map(Path, paths):
        if given.is_dir() and not given.is_symlink():
            for child in sorted(given.iterdir()):
                if child.name.startswith("."):
                    ignored.append(child.name)
                else:
                    candidates.append(child)
        else:
            candidates.append(given)
    entries: list[Entry] = []
    for path in sorted(candidates, key=lambda p: (p.name, str(p))):
        name = parse_name(path.name)
        if path.is_symlink():
            entries.append(
                Entry(path, name.student, UNRECOGNIZED, "a symbolic link (not followed)")
            )
        elif path.is_dir():
            entries.append(Entry(path, None, UNRECOGNIZED, "a folder, not a notebook"))
        elif not path.exists():
            entries.append(Entry(path, None, UNRECOGNIZED, "no such file"))
        elif name.student is None:
            why = f"the name does not follow {CONVENTION}"
            if path.suffix.lower() != ".ipynb":
                why = f"not a notebook (.ipynb); {why}"
            entries.append(Entry(path, None, UNRECOGNIZED, why))
        elif name.assignment and name.assignment != assignment:
            why = f"the file name says assignment {name.assignment!r}, not {assignment!r}"
            entries.append(Entry(path, name.student, WRONG_ASSIGNMENT, why))
        else:
            entries.append(Entry(path, name.student))
    by_student: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.student and entry.status in (None, WRONG_ASSIGNMENT):
            by_student.setdefault(entry.student, []).append(entry)
    out = []
    for entry in entries:
        same = by_student.get(entry.student or "", [])
        if len(same) > 1 and entry in same:
            files = ", ".join(e.name for e in same)
            why = f"{len(same)} files for student {entry.student}: {files}; keep one and regrade"
            entry = Entry(entry.path, entry.student, DUPLICATE, why)
        out.append(entry)
    return out, ignored


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_notebook(path: str | Path) -> tuple[nbformat.NotebookNode | None, str]:
    """``(notebook, "")``, or ``(None, why it cannot be read)``."""
    path = Path(path)
    prefix = f"cannot read {path.name}: "
    try:
        size = path.stat().st_size
        if size == 0:
            return None, prefix + "the file is empty"
        if size > MAX_NOTEBOOK_BYTES:
            return None, prefix + f"the file is too large ({size:,} bytes)"
        raw = path.read_bytes()
    except OSError as error:
        return None, prefix + f"{type(error).__name__}: {error.strerror or error}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = raw[error.start]
        return None, prefix + (
            f"the file is not UTF-8 text (byte 0x{byte:02x} at offset {error.start}); "
            "save the notebook from Jupyter again"
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        return None, prefix + f"the file is not valid JSON ({error})"
    if not isinstance(data, dict) or not isinstance(
        data.get("cells", data.get("worksheets")), list
    ):
        return None, prefix + "valid JSON but not a Jupyter notebook (no list of cells)"
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 - nbformat raises many kinds
        return None, prefix + f"not a readable notebook ({type(error).__name__}: {error})"
    for index, cell in enumerate(nb.cells):
        if not isinstance(cell, dict) or not isinstance(cell.get("source"), str):
            return None, prefix + f"cell {index} is malformed"
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            return None, prefix + f"cell {index} has an unknown type"
    return nb, ""
