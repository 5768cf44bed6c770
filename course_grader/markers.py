"""Solution-region markers, parsed strictly (nbgrader syntax, plus two directives).

A solution notebook marks what the student must write with whole lines::

    def kl(p, q):
        ### BEGIN SOLUTION
        ### TODO: sum p * log(p / q) over the support of p
        ### PLACEHOLDER: return torch.zeros((), dtype=p.dtype)
        mask = p > 0
        return (p[mask] * torch.log(p[mask] / q[mask])).sum()
        ### END SOLUTION

In the exercise the region becomes::

        # TODO: sum p * log(p / q) over the support of p
        return torch.zeros((), dtype=p.dtype)

* ``### TODO: text`` (optional) names what to write; it becomes ``# TODO: text``
  at the indentation of ``### BEGIN SOLUTION``.
* ``### PLACEHOLDER: code`` (optional, repeatable) is the code the student
  starts from, at the indentation of its own line. Prefer code that runs, so the
  exercise notebook executes top to bottom. An empty ``### PLACEHOLDER:`` means
  "nothing but the TODO comment" (when code after the region already runs).
  Without any, the placeholder is ``raise NotImplementedError(...)`` (code) or
  ``_Your answer here._`` (markdown).
* The same markers work in markdown cells (a written answer).

Parsing is strict because a marker typo would leak a solution: any line that
mentions ``BEGIN SOLUTION`` / ``END SOLUTION`` but is not exactly the marker, an
unclosed or nested region, or a directive outside a region raises
:class:`MarkerError` naming the notebook and cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
TODO = "### TODO:"
PLACEHOLDER = "### PLACEHOLDER:"

DEFAULT_TODO = "write your solution here"
MARKDOWN_PLACEHOLDER = "_Your answer here._"

_MENTIONS_MARKER = re.compile(r"(BEGIN|END)[ _]+SOLUTION", re.IGNORECASE)
_MENTIONS_DIRECTIVE = re.compile(r"^#+\s*(TODO|PLACEHOLDER)\s*:", re.IGNORECASE)


class MarkerError(ValueError):
    """A solution marker is malformed; the message names the notebook and cell."""


@dataclass(frozen=True)
class Region:
    """One ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block of a cell.

    ``begin`` and ``end`` are the 0-based line numbers of the two markers;
    ``solution`` holds the lines in between that are not directives.
    """

    begin: int
    end: int
    indent: str
    todo: str | None
    placeholder: tuple[str, ...]
    solution: tuple[str, ...]


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def find_regions(source: str, *, where: str) -> list[Region]:
    """Parse the solution regions of one cell's ``source``.

    ``where`` describes the cell for error messages, e.g.
    ``"solutions/ch03_losses.ipynb, cell 7 (id 'q1-solution')"``.
    """
    regions: list[Region] = []
    open_at: int | None = None
    todo: str | None = None
    placeholder: list[str] = []
    solution: list[str] = []
    lines = source.splitlines()
    for number, line in enumerate(lines):
        stripped = line.strip()
        at = f"{where}, line {number + 1}"
        if stripped == BEGIN:
            if open_at is not None:
                raise MarkerError(
                    f"{at}: '{BEGIN}' inside the region opened on line {open_at + 1}; "
                    f"close it with '{END}' first (regions cannot nest)"
                )
            open_at, todo, placeholder, solution = number, None, [], []
        elif stripped == END:
            if open_at is None:
                raise MarkerError(f"{at}: '{END}' without a matching '{BEGIN}'")
            regions.append(
                Region(
                    begin=open_at,
                    end=number,
                    indent=_indent(lines[open_at]),
                    todo=todo,
                    placeholder=tuple(placeholder),
                    solution=tuple(solution),
                )
            )
            open_at = None
        elif _MENTIONS_MARKER.search(stripped):
            raise MarkerError(
                f"{at}: malformed solution marker {stripped!r}; write exactly "
                f"'{BEGIN}' or '{END}' alone on the line"
            )
        elif stripped.startswith(TODO) or stripped.startswith(PLACEHOLDER):
            if open_at is None:
                raise MarkerError(f"{at}: {stripped.split(':')[0]!r} outside a solution region")
            if stripped.startswith(TODO):
                if todo is not None:
                    raise MarkerError(f"{at}: a region takes at most one '{TODO}' line")
                todo = stripped[len(TODO) :].strip()
            else:
                code = stripped[len(PLACEHOLDER) :].strip()
                placeholder.append(_indent(line) + code)
        elif stripped.startswith("###") and _MENTIONS_DIRECTIVE.match(stripped):
            raise MarkerError(
                f"{at}: malformed directive {stripped!r}; write '{TODO} text' or "
                f"'{PLACEHOLDER} code'"
            )
        elif open_at is not None:
            solution.append(line)
    if open_at is not None:
        raise MarkerError(f"{where}, line {open_at + 1}: '{BEGIN}' without a matching '{END}'")
    return regions


def strip_regions(source: str, cell_type: str, *, where: str) -> tuple[str, list[Region]]:
    """Return ``source`` with each region replaced by its placeholder, and the regions."""
    regions = find_regions(source, where=where)
    if not regions:
        return source, regions
    lines = source.splitlines()
    out: list[str] = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor : region.begin])
        out.extend(_placeholder_lines(region, cell_type))
        cursor = region.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out), regions


def _placeholder_lines(region: Region, cell_type: str) -> list[str]:
    given = [line for line in region.placeholder if line.strip()]
    if cell_type == "markdown":
        head = [f"{region.indent}**TODO:** {region.todo}", ""] if region.todo else []
        return head + (given if region.placeholder else [region.indent + MARKDOWN_PLACEHOLDER])
    todo = region.todo or DEFAULT_TODO
    if not region.placeholder:
        given = [f"{region.indent}raise NotImplementedError({('TODO: ' + todo)!r})"]
    return [f"{region.indent}# TODO: {todo}", *given]
