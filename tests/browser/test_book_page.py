"""Browser test of the built course book: every chapter page in headless Chromium.

Serves _build/html on 127.0.0.1 (random free port, http.server in a thread), opens each
chapter page (one per notebook in notebooks/) and checks that, fully offline:
  * MathJax typeset the math (mjx-container elements),
  * at least one plotly figure is drawn (svg.main-svg),
  * moving the slider of EVERY plotly figure that has one changes the trace data it shows,
    and pressing the play button of every animation advances its frames,
  * saved ipywidgets, if the page has any, are rendered by the widget manager,
  * no request left 127.0.0.1 (every other request is aborted and fails the test),
  * no console error and no uncaught page error.
Screenshots before/after moving the slider go to artifacts/browser/ (gitignored).

Needs the book built first (bash scripts/book.sh --no-serve) and Chromium from Debian
(apt-get install -y chromium); skips with the reason otherwise. Run:
    .venv/bin/python -m pytest -m browser tests/browser -v
BOOK_BROWSER_PAGE=notebooks/other.html checks that page only.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from headless import INTERNAL_SCHEMES, LOCAL_HOSTS, chromium_missing, launch_chromium  # noqa: E402

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# The chapter pages under test, relative to _build/html: one per chapter notebook.
PAGES = (
    [os.environ["BOOK_BROWSER_PAGE"]]
    if os.environ.get("BOOK_BROWSER_PAGE")
    else [f"notebooks/{nb.stem}.html" for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))]
)
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "artifacts" / "browser"
TIMEOUT_MS = 30_000

# Ids of the figures with a slider (the static twins of the widgets), and what one of them
# shows: its traces as drawn (gd.data) plus the slider's active step, as JSON to compare.
JS_SLIDER_FIGURES = """
() => Array.from(document.querySelectorAll('.js-plotly-plot'))
  .filter(p => p.layout && p.layout.sliders && p.layout.sliders.length).map(p => p.id)
"""
JS_FIGURE_STATE = """
id => {
  const gd = document.getElementById(id);
  return JSON.stringify({id: gd.id, active: gd.layout.sliders[0].active, data: gd.data});
}
"""


def _unavailable(reason: str):
    """Skip on a developer's machine; fail under CI (CI=true), where the test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run under CI: {reason}")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@pytest.fixture(scope="module")
def site_url():
    if not SITE.is_dir():
        _unavailable(f"{SITE} missing: build the book first (bash scripts/book.sh --no-serve)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    reason = chromium_missing()
    if reason:
        _unavailable(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


def _move_slider(page, figure, fig_id: str, stem: str, k: int) -> tuple[dict, dict]:
    """Click along the figure's slider rail until the step changes; (before, after) states."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.evaluate(JS_FIGURE_STATE, fig_id)
    figure.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # let responsive layout settle before the screenshot
    figure.screenshot(path=str(ARTIFACTS / f"{stem}_fig{k}_slider_before.png"))
    rail = figure.locator("rect.slider-rail-touch-rect").first
    box = rail.bounding_box()
    assert box is not None, f"{fig_id}: slider rail not visible"
    after = before
    # Click the far end of the rail, then the middle: at least one is another step.
    for frac in (0.98, 0.5, 0.02):
        page.mouse.click(box["x"] + frac * box["width"], box["y"] + box["height"] / 2)
        try:
            page.wait_for_function(
                f"([id, s]) => ({JS_FIGURE_STATE})(id) !== s", arg=[fig_id, before], timeout=5_000
            )
        except PlaywrightTimeout:  # that position is the current step: try another one
            continue
        page.wait_for_timeout(500)  # any slider transition finishes
        after = page.evaluate(JS_FIGURE_STATE, fig_id)
        break
    figure.screenshot(path=str(ARTIFACTS / f"{stem}_fig{k}_slider_after.png"))
    return json.loads(before), json.loads(after)


def _press_play(page, figure, fig_id: str) -> bool:
    """Press the figure's play button (an animation), if it has one: do its frames advance?

    The animation is left to reach its last frame: pausing (or moving the slider) while it
    plays makes plotly reject the running animation's promise, an uncaught 'undefined'.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    play = figure.locator("g.updatemenu-button", has_text="play")
    if not play.count():
        return True
    before = page.evaluate(JS_FIGURE_STATE, fig_id)
    play.first.click()
    try:
        page.wait_for_function(
            f"([id, s]) => ({JS_FIGURE_STATE})(id) !== s", arg=[fig_id, before], timeout=10_000
        )
    except PlaywrightTimeout:
        return False
    last = """id => {
      const gd = document.getElementById(id), s = gd.layout.sliders[0];
      return s.active === s.steps.length - 1;
    }"""
    page.wait_for_function(last, arg=fig_id, timeout=120_000)
    page.wait_for_timeout(500)
    return True


@pytest.mark.parametrize("page_path", PAGES)
def test_chapter_page_renders_offline(site_url, browser, page_path):
    if not (SITE / page_path).is_file():
        pytest.fail(f"{SITE / page_path} missing: is the chapter in _toc.yml and the book rebuilt?")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = Path(page_path).stem
    external: list[str] = []
    requests: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []

    context = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in INTERNAL_SCHEMES or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", guard)
    page.on("request", lambda r: requests.append(r.url))
    page.on(
        "console",
        lambda m: (
            console_errors.append(f"{m.text} ({m.location.get('url', '')})")
            if m.type == "error"
            else None
        ),
    )
    # an uncaught promise rejection arrives with message "undefined": keep its origin
    page.on("pageerror", lambda e: page_errors.append(f"{e.message} {e.stack or ''}".strip()))

    started = time.perf_counter()
    page.goto(f"{site_url}/{page_path}", wait_until="load")

    # MathJax 3 (deferred) typesets after load; plotly draws from inline scripts.
    page.wait_for_selector("mjx-container", state="attached")
    page.wait_for_selector(".js-plotly-plot svg.main-svg", state="attached")
    n_math = page.locator("mjx-container").count()
    n_plots = page.locator(".js-plotly-plot").count()
    assert n_math > 0, "MathJax rendered no math"
    assert n_plots > 0, "no plotly figure drawn"
    assert page.evaluate("typeof window.Plotly") == "object", "global Plotly missing"

    # ipywidgets saved in the page (if any) are drawn by the vendored widget manager.
    if page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        page.wait_for_selector(".jupyter-widgets.widget-slider, .jupyter-widgets", state="visible")

    # Every figure with a slider (a widget's static twin): move it, the traces drawn change;
    # an animation's play button advances its frames.
    fig_ids = page.evaluate(JS_SLIDER_FIGURES)
    assert fig_ids, "no plotly figure with a `sliders` control on the page"
    moves = []
    for k, fig_id in enumerate(fig_ids):
        figure = page.locator(f"#{fig_id}")
        b, a = _move_slider(page, figure, fig_id, stem, k)
        assert a["active"] != b["active"], f"{fig_id}: clicking the slider rail did not move it"
        assert a["data"] != b["data"], f"{fig_id}: moving the slider did not change the traces"
        assert _press_play(page, figure, fig_id), f"{fig_id}: pressing play changed nothing"
        moves.append(f"{b['active']}->{a['active']}")
    page.screenshot(path=str(ARTIFACTS / f"{stem}_page.png"), full_page=False)
    elapsed = time.perf_counter() - started

    context.close()
    print(
        f"\n[browser] {page_path}: {n_math} math, {n_plots} plotly figures, "
        f"sliders moved {', '.join(moves)}, {len(requests)} requests, {elapsed:.1f} s"
    )
    assert not external, f"requests left 127.0.0.1: {external}"
    assert not page_errors, (
        f"uncaught errors in the page: {page_errors} ('undefined' is a promise rejected "
        "without a reason, e.g. a plotly animation interrupted by the slider: a figure "
        "exported with to_html(auto_play=True) animates on load)"
    )
    assert not console_errors, f"console errors: {console_errors}"
