"""End-to-end latency of every live widget in a real JupyterLab (headless Chromium): p95 per widget.

    .venv/bin/python benchmarks/bench_lab_widgets.py              # every chapter notebook with a widget
    .venv/bin/python benchmarks/bench_lab_widgets.py --samples 50 notebooks/ch03_losses.ipynb
    .venv/bin/python benchmarks/bench_lab_widgets.py --baseline   # + trivial widgets: the harness's floor

Same harness as the browser test (tests/lab/labdriver.py): JupyterLab on 127.0.0.1 serving a
temporary copy of the notebooks, Run All, then every control of every widget output is operated
``--samples`` times as a person would (arrow keys on sliders, clicks on toggle buttons, ...).
Per action, measured in the page from the user's event (keydown / pointerdown):

  kernel   the kernel is idle again: the Python callback ran and its updates were sent
  first    the first change of the outputs in the page (MutationObserver)
  settled  the last change of that response (quiet for 250 ms after it): the updated output

Goal: settled p95 <= 100 ms for light widgets. A widget whose cell is tagged ``heavy-widget``
says it is heavy (it should wait for a button or use ``continuous_update=False``) and is shown
without the goal. A Play control's figure includes its frame interval. Needs Debian's chromium.
Prints one line per widget; exit status 1 if the harness found a problem (see the test).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "lab"))

import labdriver  # noqa: E402


def _p(values: list[float], q: float) -> str:
    return f"{labdriver.percentile(values, q):6.0f}" if values else "     -"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: discovered in notebooks/")
    parser.add_argument("--samples", type=int, default=30, help="actions per control (default 30)")
    parser.add_argument(
        "--baseline", action="store_true", help="also tests/lab/fixtures/controls.ipynb"
    )
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts" / "lab-bench")
    args = parser.parse_args()

    reason = labdriver.chromium_missing()
    if reason:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    chapters = [p.resolve() for p in args.notebooks] or labdriver.discover(ROOT / "notebooks")
    fixtures = ROOT / "tests" / "lab" / "fixtures"
    wanted = chapters + ([fixtures / "controls.ipynb"] if args.baseline else [])
    from playwright.sync_api import sync_playwright

    reports = []
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        served = labdriver.copy_for_lab(
            {"notebooks": ROOT / "notebooks", "fixtures": fixtures}, Path(tmp)
        )
        by_original = {original.resolve(): name for name, original in served.items()}
        with labdriver.LabServer(Path(tmp)) as server, sync_playwright() as pw:
            browser = labdriver.launch_chromium(pw)
            try:
                for notebook in wanted:
                    if notebook not in by_original:
                        print(f"skipped {notebook}: not under notebooks/ or the fixtures")
                        continue
                    report = labdriver.exercise_notebook(
                        browser,
                        server,
                        notebook,
                        served_as=by_original[notebook],
                        samples=args.samples,
                        artifacts=args.artifacts,
                        log=lambda m: print(m, flush=True),
                    )
                    reports.append(report)
            finally:
                browser.close()

    goal = labdriver.LATENCY_GOAL_MS
    print(f"\nlatency from the user's action, ms (p50 / p95), {args.samples} actions per control")
    header = f"{'widget':<58} {'n':>3} {'kernel':>13} {'first':>13} {'settled':>13}  goal"
    print(header)
    print("-" * len(header))
    problems = []
    for report in reports:
        print(
            f"{report.notebook}: Run All {report.run_seconds:.1f} s, "
            f"{len(report.controls)} controls, {report.display_only} display-only widget outputs"
        )
        for c in report.controls:
            kernel, first, settled = (
                c.latencies("kernel"),
                c.latencies("first"),
                c.latencies("settled"),
            )
            if c.kind == "play":
                verdict = "play: first frame, includes the Play interval"
            elif c.heavy:
                verdict = f"heavy ({labdriver.HEAVY_TAG}): no goal"
            elif not settled:
                verdict = "no timed response"
            else:
                p95 = labdriver.percentile(settled, 95)
                verdict = (
                    f"met (p95 <= {goal:.0f})" if p95 <= goal else f"MISSED (p95 > {goal:.0f})"
                )
            name = f"  cell {c.cell} {c.kind} {c.label!r}"[:58]
            print(
                f"{name:<58} {len(first):>3} {_p(kernel, 50)} /{_p(kernel, 95)}"
                f" {_p(first, 50)} /{_p(first, 95)} {_p(settled, 50)} /{_p(settled, 95)}  {verdict}"
            )
        problems += report.problems
    for p in problems:
        print(f"PROBLEM: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
