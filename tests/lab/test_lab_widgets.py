"""The live widgets of the chapter notebooks, proven in a real JupyterLab (headless Chromium).

For every notebook under notebooks/ that holds a live widget (found from the notebooks'
stored outputs, see labdriver.discover: no list to keep), on a temporary copy:
  * JupyterLab on 127.0.0.1 (no token, throwaway settings), the course .venv as the kernel;
  * open the notebook, Run All, wait for the kernel to go idle, no cell shows an error,
    every widget output rendered;
  * every control found in the widget outputs is operated as a person would (drag and
    arrow-key sliders, click toggle buttons, pick dropdown values, press play, ...) and the
    outputs must change each time with no error from the kernel;
  * per control, the time from the action to the first and to the last change of the outputs
    is measured in the page and printed (benchmarks/bench_lab_widgets.py prints p95 per widget);
  * screenshots before/after per control go to artifacts/lab/<notebook>/ (gitignored), with a
    JSON report per notebook next to them.
The harness is checked on its own fixtures (tests/lab/fixtures/): a notebook with every kind
of control must pass; a callback that raises and one that stops updating its output must fail.

Needs Debian's chromium (apt-get install -y chromium) and the playwright Python package;
skips with the reason otherwise, but fails under CI (CI set). Run:
    .venv/bin/python -m pytest -m browser tests/lab -v
About 2-3 minutes on 2 cores, most of it running the chapter notebooks.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labdriver  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "notebooks"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BINDER = ROOT / "binder"
ARTIFACTS = ROOT / "artifacts" / "lab"
CHAPTER_NOTEBOOKS = labdriver.discover(CHAPTERS)

# Operated per control in a chapter (plus one mouse drag for a slider); the benchmark uses more.
SAMPLES = int(os.environ.get("LAB_SAMPLES", "6"))


def _unavailable(reason: str):
    """Skip on a developer's machine; fail under CI (CI=true), where the test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"JupyterLab browser test cannot run under CI: {reason}")
    pytest.skip(reason)


# --------------------------------------------------------------------------- no browser needed
def _notebook(path: Path, cells: list[dict]) -> Path:
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _code(source: str, outputs: list[dict] | None = None) -> dict:
    return {
        "cell_type": "code",
        "source": source,
        "metadata": {},
        "outputs": outputs or [],
        "execution_count": None,
    }


def test_discovery_reads_widgets_from_the_notebooks(tmp_path):
    view = {
        "output_type": "display_data",
        "data": {labdriver.WIDGET_MIME: {"model_id": "x"}, "text/plain": "IntSlider()"},
        "metadata": {},
    }
    text = {"output_type": "stream", "name": "stdout", "text": "1\n"}
    _notebook(tmp_path / "a_widget.ipynb", [_code("print(1)", [text]), _code("s", [view])])
    _notebook(tmp_path / "b_plain.ipynb", [_code("print(1)", [text])])
    _notebook(tmp_path / "c_unexecuted.ipynb", [_code("import ipywidgets as W\nW.IntSlider()")])
    (tmp_path / ".ipynb_checkpoints").mkdir()
    _notebook(tmp_path / ".ipynb_checkpoints" / "a_widget-checkpoint.ipynb", [_code("s", [view])])
    found = [p.name for p in labdriver.discover(tmp_path)]
    assert found == ["a_widget.ipynb", "c_unexecuted.ipynb"]
    assert labdriver.widget_cells(tmp_path / "a_widget.ipynb") == [1]


def test_the_chapters_and_the_fixtures_are_discovered():
    assert CHAPTER_NOTEBOOKS, (
        f"no notebook under {CHAPTERS} stores a widget output: the Sinkhorn explorer of "
        "chapter 3 should (is the notebook stored with its outputs?)"
    )
    assert [p.name for p in labdriver.discover(FIXTURES)] == [
        "callback_raises.ipynb",
        "controls.ipynb",
        "output_stalls.ipynb",
    ]


def test_percentile():
    assert labdriver.percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert labdriver.percentile([0.0, 100.0], 95) == pytest.approx(95.0)
    assert labdriver.percentile([7.0], 95) == 7.0


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line.strip())
        if m:
            pins[m[1].lower().replace("_", "-")] = m[2]
    return pins


def test_binder_environment_follows_the_course_pins():
    binder, course = _pins(BINDER / "requirements.txt"), _pins(ROOT / "requirements.txt")
    assert binder.get("torch", "").startswith(course["torch"]), (
        "torch must be pinned as the course's"
    )
    for name, version in binder.items():
        assert name in course, f"binder/requirements.txt pins {name}, the course does not"
        assert version.split("+")[0] == course[name], (
            f"{name}: binder {version}, course {course[name]}"
        )
    for runtime in ("numpy", "ipywidgets", "anywidget", "plotly", "jupyterlab", "ipykernel"):
        assert runtime in binder, f"binder/requirements.txt misses {runtime}"
    for dev_only in ("playwright", "jupyter-book", "pytest", "nbval", "ruff"):
        assert dev_only not in binder, f"{dev_only} is for CI, not for students on Binder"
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    assert "pip install" in post_build.read_text(encoding="utf-8")
    assert re.fullmatch(r"python-3\.\d+\s*", (BINDER / "runtime.txt").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- in the browser
@pytest.fixture(scope="module")
def browser():
    reason = labdriver.chromium_missing()
    if reason:
        _unavailable(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = labdriver.launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab serving copies of notebooks/ and the fixtures ({served path: original})."""
    root = tmp_path_factory.mktemp("lab-root")
    served = labdriver.copy_for_lab({"notebooks": CHAPTERS, "fixtures": FIXTURES}, root)
    server = labdriver.LabServer(root)
    try:
        server.start()
    except RuntimeError as err:
        pytest.fail(str(err))
    try:
        yield server, {original: name for name, original in served.items()}
    finally:
        server.stop()


def _exercise(lab, browser, notebook: Path, **options) -> labdriver.NotebookReport:
    server, served = lab
    report = labdriver.exercise_notebook(
        browser, server, notebook, served_as=served[notebook], artifacts=ARTIFACTS, **options
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(served[notebook]).stem
    (ARTIFACTS / f"{stem}.json").write_text(report.to_json(), encoding="utf-8")
    return report


@pytest.mark.browser
@pytest.mark.parametrize("notebook", CHAPTER_NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_widgets_work_in_jupyterlab(notebook, lab, browser, capsys):
    report = _exercise(lab, browser, notebook, samples=SAMPLES)
    with capsys.disabled():
        print("\n" + report.summary())
    assert not report.problems, "\n".join(report.problems) + f"\n(screenshots: {ARTIFACTS})"


@pytest.mark.browser
def test_harness_operates_every_kind_of_control(lab, browser, capsys):
    report = _exercise(lab, browser, FIXTURES / "controls.ipynb", samples=2)
    with capsys.disabled():
        print("\n" + report.summary())
    assert not report.problems, "\n".join(report.problems)
    kinds = {c.kind for c in report.controls}
    assert kinds == {
        "slider", "toggle-buttons", "toggle-button", "dropdown", "select",
        "radio", "checkbox", "button", "text", "play",
    }  # fmt: skip
    for control in report.controls:
        assert control.latencies("first"), f"{control.name}: no timed response"
        assert len(control.screenshots) == 2, f"{control.name}: screenshots {control.screenshots}"


@pytest.mark.browser
def test_harness_fails_a_callback_that_raises(lab, browser):
    report = _exercise(lab, browser, FIXTURES / "callback_raises.ipynb", samples=3)
    assert report.problems, "a callback raising ZeroDivisionError went unnoticed"
    assert any(
        "ZeroDivisionError: deliberately broken fixture callback" in p for p in report.problems
    ), report.problems


@pytest.mark.browser
def test_harness_fails_an_output_that_stops_updating(lab, browser):
    report = _exercise(lab, browser, FIXTURES / "output_stalls.ipynb", samples=3, action_timeout=5)
    assert report.problems, "a callback that stopped updating its output went unnoticed"
    assert any("no output changed within 5 s" in p for p in report.problems), report.problems
