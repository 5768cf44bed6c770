"""Reading, executing and writing notebooks deterministically.

Committed notebooks (solutions with outputs, generated exercises) must not
change when nothing changed: no timestamps, no interpreter version, cells
executed in a fresh kernel in a scratch directory, execution counts 1..N.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
# Cell metadata that editors and executors add and that carries no meaning.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled", "jupyter")


def read(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook as nbformat 4 (cell ids are required: nbformat >= 4.5)."""
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """The exact text :func:`write` puts on disk (sorted keys, indent 1, final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write(nb: nbformat.NotebookNode, path: str | Path) -> bool:
    """Write ``nb`` to ``path`` only if the text changes; return whether it did."""
    path = Path(path)
    text = dumps(nb)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop volatile metadata in place: timings, interpreter version, UI state."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    for key in ("widgets", "toc", "varInspector"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("execute_result", "display_data"):
                output["metadata"] = {}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def clear_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove every output and execution count in place."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def execute(nb: nbformat.NotebookNode, *, cell_timeout: int = 120) -> nbformat.NotebookNode:
    """Execute ``nb`` in place in a fresh kernel whose working directory is a new
    empty temporary folder; a cell error raises ``nbclient.exceptions.CellExecutionError``.
    """
    clear_outputs(nb)
    with tempfile.TemporaryDirectory(prefix="course-grader-exec-") as workdir:
        NotebookClient(
            nb,
            timeout=cell_timeout,
            kernel_name=KERNELSPEC["name"],
            record_timing=False,
            resources={"metadata": {"path": workdir}},
        ).execute()
    return normalize(nb)
