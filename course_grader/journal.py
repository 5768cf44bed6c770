"""Crash-safe bookkeeping of a batch: an append-only journal and atomic files.

Every finished submission is one JSON line appended to ``journal.jsonl`` with
a single ``write`` and an ``fsync`` before the batch moves on. The journal is
the only record of what is done: ``gradebook.csv`` and the per-student files
are rebuilt from it, each written to a temporary file in the same folder and
renamed over the old one (``os.replace``), so a reader, or a batch killed at
any instant, sees either the old or the new file, never half of one.

A line is keyed by the submitted file's name, the SHA-256 of its bytes and
the SHA-256 of the hidden tests: rerunning the batch skips what is already
graded, regrades a file that changed (or all of them when the tests changed)
and never duplicates a row (the last line of a key wins). A line cut short by
a kill is ignored, and cut off before the next append.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that no reader ever sees a partial file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def key(filename: str, file_sha: str, tests_sha: str) -> str:
    """What identifies one grading: the file, its content, the tests' content."""
    return f"{filename}:{file_sha[:16]}:{tests_sha[:16]}"


class Journal:
    """``journal.jsonl`` in the output folder (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> dict[str, dict]:
        """Every complete record by key (the last one of a key wins)."""
        records: dict[str, dict] = {}
        if not self.path.exists():
            return records
        with open(self.path, "rb") as handle:
            data = handle.read()
        for line in data.split(b"\n"):
            try:
                record = json.loads(line)
            except ValueError:
                continue  # empty, or cut short by a kill
            if isinstance(record, dict) and isinstance(record.get("key"), str):
                records[record["key"]] = record
        return records

    def _repair(self) -> None:
        """Cut a last line left incomplete by a kill, so appends start on a new line."""
        if not self.path.exists():
            return
        with open(self.path, "rb+") as handle:
            data = handle.read()
            if data and not data.endswith(b"\n"):
                handle.truncate(data.rfind(b"\n") + 1)
                handle.flush()
                os.fsync(handle.fileno())

    def append(self, record: dict) -> None:
        """Append one record durably (one write, then fsync)."""
        if not hasattr(self, "_repaired"):
            self._repair()
            self._repaired = True
        line = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            written = os.write(fd, line)
            while written < len(line):
                written += os.write(fd, line[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
