"""``course-grade check NOTEBOOK``: what a student runs before submitting.

The notebook runs exactly as it will be graded (:mod:`course_grader.kernel`:
fresh sandboxed kernel, empty working folder, no network, the same time and
memory limits); then the report lists the notebook's own *public*
self-checks (the ✓ / ✗ lines printed by :mod:`course_grader.selfcheck`
cells), the cells that raised or ran out of time, and whether the kernel
survived. The hidden tests are not involved at all: they are not needed,
not read and never shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks, submissions
from .kernel import CellError, SandboxedKernel
from .sandbox import Limits, describe

_LINE = re.compile(r"^(?P<mark>[✓✗]) (?P<question>[a-z][a-z0-9_]*)\b(?P<rest>.*)$")


@dataclass
class CheckReport:
    """The outcome of ``check``: self-check lines in notebook order, and problems."""

    notebook: str
    lines: list[tuple[bool, str, str]] = field(default_factory=list)  # (passed, question, text)
    cell_errors: list[CellError] = field(default_factory=list)
    problem: str = ""  # unreadable notebook, dead kernel, skipped cells
    sandbox: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.problem
            and not self.cell_errors
            and bool(self.lines)
            and all(p for p, _, _ in self.lines)
        )

    def text(self, limits: str) -> str:
        out = [f"Checked {self.notebook} the way it will be graded ({limits})."]
        if self.problem:
            out.append(f"✗ {self.problem}")
        out += [text for _, _, text in self.lines]
        if self.cell_errors:
            out.append("Errors:")
            out += [
                f"  cell {e.index} (id {e.cell_id}) raised {e.ename}: {e.evalue}"
                for e in self.cell_errors
            ]
        passed = sum(p for p, _, _ in self.lines)
        out.append(
            f"{passed} of {len(self.lines)} self-checks pass"
            + (f"; {len(self.cell_errors)} cell(s) raised an error" if self.cell_errors else "")
            + "."
        )
        if not self.lines and not self.problem:
            out.append("(no self-check lines found: did the self-check cells run?)")
        out.append(
            "The graded tests are hidden and check more cases: passing every self-check is "
            "necessary, not sufficient."
        )
        return "\n".join(out)


def selfcheck_lines(outputs: list) -> list[tuple[bool, str, str]]:
    """The ✓ / ✗ lines a cell printed."""
    found = []
    for output in outputs:
        if output.get("output_type") != "stream" or output.get("name") != "stdout":
            continue
        for line in str(output.get("text", "")).splitlines():
            match = _LINE.match(line.strip())
            if match:
                found.append((match["mark"] == "✓", match["question"], line.strip()))
    return found


def check_notebook(
    path: str | Path,
    *,
    cell_timeout: int = 60,
    total_timeout: int = 300,
    limits: Limits | None = None,
    isolate: bool = True,
) -> CheckReport:
    """Run ``path`` as the grader would and collect its public self-checks."""
    path = Path(path)
    report = CheckReport(str(path))
    nb, why = submissions.read_notebook(path)
    if nb is None:
        report.problem = why
        return report
    notebooks.clear_outputs(nb)
    with SandboxedKernel(
        nb,
        limits=limits,
        cell_timeout=cell_timeout,
        total_timeout=total_timeout,
        secrets=(str(path.resolve().parent),),
        isolate="best-effort" if isolate else False,
    ) as kernel:
        execution = kernel.execute()
        report.sandbox = describe(kernel.sandbox_state())
    for _, outputs in execution.outputs:
        report.lines += selfcheck_lines(outputs)
    report.cell_errors = list(execution.cell_errors)
    if execution.died:
        report.problem = f"{execution.died}: cells after it did not run"
    elif execution.skipped_after is not None:
        report.problem = (
            f"the notebook ran past {total_timeout} s: cells from {execution.skipped_after} "
            "on did not run"
        )
    return report
