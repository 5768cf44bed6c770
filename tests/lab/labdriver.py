"""Drive the course's live widgets in a real JupyterLab with headless Chromium.

One harness for the browser test (tests/lab/test_lab_widgets.py: pass/fail) and the
benchmark (benchmarks/bench_lab_widgets.py: latency per widget):

* ``discover(folder)``: the notebooks that hold a live widget, read from the notebooks
  themselves (stored outputs of type ``application/vnd.jupyter.widget-view+json``); no list.
* ``LabServer(root)``: JupyterLab on 127.0.0.1, random free port, no token, throwaway config,
  data, settings, workspaces and runtime folders, the app exposed to the page
  (``--LabApp.expose_app_in_browser``) and the notebook's kernel started without a dialog.
  Kernels run ``sys.executable`` (the course ``.venv``).
* ``launch_chromium(playwright)``: Debian's /usr/bin/chromium with the same launch settings as
  tests/browser/test_book_page.py.
* ``exercise_notebook(browser, server, path)``: opens the notebook, runs all cells, waits for
  the kernel to go idle, checks that no cell shows an error and that every widget output
  rendered, then operates every ipywidgets control found in the outputs as a person would
  (drag and arrow-key sliders, click toggle buttons / buttons / check boxes / radio
  buttons, pick dropdown and list values, press play, type into text boxes). After each
  action the outputs (minus the control itself) must change and the kernel must not report
  an error (a callback that raises sends an ``error`` message); the page must log no error.
  The time from the action (pointerdown / keydown / input in the page) to the first and to
  the last change of the outputs is measured in the page with a MutationObserver, and to the
  kernel going idle again. Screenshots of the widget's cell before and after go to
  ``artifacts``. Returns a ``NotebookReport``; ``report.problems`` is empty when everything
  worked.

Cell tags read by the harness: ``raises-exception`` (the cell may show an error, as in the
book build) and ``heavy-widget`` (the widgets of that cell are exempt from the 100 ms latency
goal; such a widget should wait for a button or use ``continuous_update=False``).

Controls the harness does not know (e.g. a colour picker, a custom anywidget with inputs) are
reported as problems, not skipped: teach ``_Operator.step`` (and probe.js ``CONTROL_KINDS``)
the new kind.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# anywidget (which plotly's FigureWidget is built on) gives a widget model 2 s to load its
# JavaScript module and initialize; plotly's is 4.9 MB. On an overloaded machine that can take
# longer: the model is then dead (its figure never updates) and the page reports this error.
# A slow machine, not the notebook: exercise_notebook says so and tries once more (the module
# is in the browser's cache by then).
ANYWIDGET_TIMEOUT = "[anywidget] Failed to initialize model"
HEAVY_TAG = "heavy-widget"
RAISES_TAG = "raises-exception"
LATENCY_GOAL_MS = 100.0

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# tests/headless.py: Chromium and its flags, shared with tests/browser (re-exported here)
from headless import (  # noqa: E402, F401
    INTERNAL_SCHEMES,
    LOCAL_HOSTS,
    chromium_missing,
    launch_chromium,
)

PROBE_JS = (Path(__file__).with_name("probe.js")).read_text(encoding="utf-8")
VIEWPORT = {"width": 1280, "height": 900}

# JupyterLab user settings written into the throwaway settings folder.
LAB_SETTINGS = {
    # start the notebook's kernel without the "Select Kernel" dialog (notebooks stored
    # without kernelspec metadata would otherwise ask)
    # and keep every cell in the DOM (windowing detaches off-screen cells)
    "@jupyterlab/notebook-extension/tracker": {
        "autoStartDefaultKernel": True,
        "windowingMode": "none",
    },
    # no "official Jupyter news?" toast and no update check (no request leaves 127.0.0.1)
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # the test works on a copy, but never write it behind the test's back
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


# --------------------------------------------------------------------------- discovery
def _load(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def widget_cells(path: Path) -> list[int]:
    """Indices (in ``cells``) of the code cells whose stored outputs include a widget view."""
    cells = _load(path).get("cells", [])
    found = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        if any(WIDGET_MIME in (out.get("data") or {}) for out in cell.get("outputs", [])):
            found.append(i)
    return found


_WIDGET_SOURCE = re.compile(r"\b(ipywidgets|anywidget|FigureWidget|interact(ive)?\s*\()")


def holds_widget(path: Path) -> bool:
    """A notebook holds a live widget if a stored output is a widget view; a notebook stored
    without any outputs (never executed) counts when its code mentions a widget library."""
    if widget_cells(path):
        return True
    cells = [c for c in _load(path).get("cells", []) if c.get("cell_type") == "code"]
    if any(c.get("outputs") for c in cells):
        return False
    return any(_WIDGET_SOURCE.search("".join(c.get("source", ""))) for c in cells)


def discover(folder: Path) -> list[Path]:
    """The notebooks under ``folder`` (recursively, checkpoints excluded) holding a live widget."""
    folder = Path(folder)
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    return [p for p in paths if holds_widget(p)]


def tagged_cells(path: Path, tag: str) -> set[int]:
    cells = _load(path).get("cells", [])
    return {i for i, c in enumerate(cells) if tag in (c.get("metadata", {}).get("tags") or [])}


# --------------------------------------------------------------------------- JupyterLab server
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on 127.0.0.1 serving ``root`` (use a copy: JupyterLab may write to it).

    ``with LabServer(root) as lab: lab.url`` -> ``http://127.0.0.1:<port>``. Everything
    JupyterLab would write under $HOME goes to a temporary folder removed on exit; the server
    log is kept in ``lab.log_path`` until then (``lab.log_tail()``).
    """

    def __init__(self, root: Path, *, python: str = sys.executable, start_timeout: float = 90):
        self.root = Path(root)
        self.python = python
        self.start_timeout = start_timeout
        self.home: Path | None = None
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> LabServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _env(self) -> dict[str, str]:
        home = self.home
        env = dict(os.environ)
        for var in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "MPLBACKEND", "JUPYTER_TOKEN"):
            env.pop(var, None)
        env.update(
            JUPYTER_CONFIG_DIR=str(home / "config"),
            JUPYTER_DATA_DIR=str(home / "data"),
            JUPYTER_RUNTIME_DIR=str(home / "runtime"),
            JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
            IPYTHONDIR=str(home / "ipython"),
            JUPYTER_PREFER_ENV_PATH="1",  # the course .venv's kernel, not a user-level one
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONHASHSEED=env.get("PYTHONHASHSEED", "0"),
        )
        return env

    def start(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="lab-home-"))
        for name in ("config", "data", "runtime", "settings", "workspaces", "ipython"):
            (self.home / name).mkdir()
        for plugin, values in LAB_SETTINGS.items():
            target = self.home / "settings" / f"{plugin}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values), encoding="utf-8")
        self.log_path = self.home / "server.log"
        last_error = ""
        for _attempt in range(3):  # a free port can be taken between probe and bind
            port = _free_port()
            cmd = [
                self.python, "-m", "jupyterlab",
                "--no-browser", "--allow-root",
                "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
                "--IdentityProvider.token=", "--ServerApp.password=",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.expose_app_in_browser=True",
                "--ServerApp.terminals_enabled=False",
            ]  # fmt: skip
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    cmd,
                    cwd=self.root,
                    env=self._env(),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped as one
                )
            self.url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + self.start_timeout
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                        if r.status == 200:
                            return
                except (urllib.error.URLError, ConnectionError, OSError):
                    time.sleep(0.25)
            last_error = self.log_tail()
            self._terminate()
        raise RuntimeError(f"JupyterLab did not start:\n{last_error}")

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        try:
            for kernel in self.api("/api/kernels") or []:
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except (urllib.error.URLError, OSError, ValueError):
            pass

    def log_tail(self, n: int = 40) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def _terminate(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and anything it started
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.shutdown_kernels()  # kernels live in their own sessions
        self._terminate()
        if self.home is not None:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


# --------------------------------------------------------------------------- browser
# --------------------------------------------------------------------------- reports
def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in [0, 100]) of a non-empty list."""
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class Sample:
    action: str
    first_ms: float | None  # action -> first change of the outputs
    settled_ms: float | None  # action -> last change of that response (None for play)
    kernel_ms: float | None  # action -> kernel idle again (callback done, updates sent)
    value: str  # the control's own value afterwards
    timed: bool = True  # counted in the latency figures (a drag is not: it lasts)


@dataclass
class ControlReport:
    notebook: str
    cell: int
    kind: str
    label: str
    heavy: bool = False
    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    diagnosis: dict = field(default_factory=dict)  # page state when an output did not change

    @property
    def name(self) -> str:
        label = f" {self.label!r}" if self.label else ""
        return f"{self.notebook} cell {self.cell} {self.kind}{label}"

    def latencies(self, which: str = "settled") -> list[float]:
        """Latencies in ms of the timed actions; which: "first", "settled" or "kernel"."""
        values = [getattr(s, f"{which}_ms") for s in self.samples if s.timed]
        return [v for v in values if v is not None]

    def summary(self) -> str:
        first, settled = self.latencies("first"), self.latencies("settled")
        parts = [f"{self.name}: {len(self.samples)} actions"]
        if first:
            parts.append(
                f"first change p50 {percentile(first, 50):.0f} / p95 {percentile(first, 95):.0f} ms"
            )
        if settled:
            parts.append(
                f"settled p50 {percentile(settled, 50):.0f} / p95 {percentile(settled, 95):.0f} ms"
            )
        if self.heavy:
            parts.append(f"heavy ({HEAVY_TAG})")
        if self.problems:
            parts.append(f"PROBLEMS: {self.problems}")
        return ", ".join(parts)


@dataclass
class NotebookReport:
    notebook: str
    open_seconds: float = math.nan  # page load until the kernel is idle
    run_seconds: float = math.nan  # Run All until the kernel is idle
    render_seconds: float = math.nan  # widget views rendered and the page quiet
    total_seconds: float = math.nan
    widget_outputs: int = 0
    display_only: int = 0  # widget outputs without controls (progress bars, labels)
    controls: list[ControlReport] = field(default_factory=list)
    run_problems: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)  # not checked: for diagnosis
    external_requests: list[str] = field(default_factory=list)
    # problems of an earlier attempt that failed only because the machine was too slow
    # (ANYWIDGET_TIMEOUT); this report is of the attempt after it
    earlier_attempt: list[str] = field(default_factory=list)

    @property
    def slow_machine(self) -> bool:
        """The page lost a widget model to anywidget's 2 s initialization limit."""
        return any(ANYWIDGET_TIMEOUT in e for e in self.page_errors)

    @property
    def problems(self) -> list[str]:
        found = list(self.run_problems)
        found += [f"uncaught error in the page: {e}" for e in self.page_errors]
        found += [f"console error in the page: {e}" for e in self.console_errors]
        found += [f"request left 127.0.0.1: {u}" for u in self.external_requests]
        for c in self.controls:
            found += [f"{c.name}: {p}" for p in c.problems]
        return found

    def to_json(self) -> str:
        data = asdict(self)
        data["problems"] = self.problems
        return json.dumps(data, indent=1, ensure_ascii=False)

    def summary(self) -> str:
        lines = [
            f"[lab] {self.notebook}: open {self.open_seconds:.1f} s, Run All {self.run_seconds:.1f} s, "
            f"render {self.render_seconds:.1f} s, {self.widget_outputs} widget "
            f"outputs ({self.display_only} display-only), {len(self.controls)} controls operated, "
            f"{self.total_seconds:.1f} s in all"
        ]
        lines += [f"[lab]   {c.summary()}" for c in self.controls]
        if self.earlier_attempt:
            lines.append(
                f"[lab]   (second attempt: the first lost a widget model to anywidget's 2 s "
                f"initialization limit on this loaded machine: {self.earlier_attempt[:2]})"
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- driving a notebook
class _Page:
    """The page of one open notebook plus the probe (tests/lab/probe.js)."""

    def __init__(self, page, *, quiet_ms: int, action_timeout: float):
        self.page = page
        self.quiet_ms = quiet_ms
        self.action_timeout = action_timeout

    def js(self, expr: str, arg=None):
        return self.page.evaluate(f"(arg) => window.__labProbe.{expr}", arg)

    def wait(self, expr: str, timeout: float, polling: int = 20) -> bool:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(
                f"() => window.__labProbe.{expr}", timeout=timeout * 1000, polling=polling
            )
            return True
        except PlaywrightTimeout:
            return False

    def wait_idle(self, timeout: float = 60) -> bool:
        return self.wait("kernelStatus() === 'idle'", timeout)

    def value(self, ctl: dict) -> str:
        return str(self.js("value(arg)", ctl["id"]))


def _ms(a, b) -> float | None:
    return None if a is None or b is None else round(b - a, 1)


class _Operator:
    """Operates one control: each ``step()`` sends one user action and says what it was."""

    def __init__(self, lab: _Page, ctl: dict):
        self.lab, self.ctl, self.page = lab, ctl, lab.page
        self.root = self.page.locator(f'[data-lab-control="{ctl["id"]}"]')
        self.direction = 1
        self.steps = 0

    def _keys_with_turnaround(self, target, forward: str, backward: str) -> str:
        """Press a key on ``target``; at the end of the range (nothing moved) turn around."""
        target.focus()
        before = self.lab.value(self.ctl)
        key = forward if self.direction > 0 else backward
        self.page.keyboard.press(key)
        if self.lab.value(self.ctl) == before:
            self.direction = -self.direction
            self.lab.js("arm()")  # time the key that moved it, not the one that did not
            key = forward if self.direction > 0 else backward
            self.page.keyboard.press(key)
        return key

    def step(self) -> tuple[str, bool]:
        """Send one action; returns (description, timed)."""
        kind, root, page = self.ctl["kind"], self.root, self.page
        self.steps += 1
        if kind == "slider":
            handle = root.locator(".noUi-handle").first
            if self.steps == 1:  # first a drag with the mouse, then the arrow keys
                return self._drag(handle), False
            if self.ctl["vertical"]:
                return self._keys_with_turnaround(handle, "ArrowUp", "ArrowDown"), True
            return self._keys_with_turnaround(handle, "ArrowRight", "ArrowLeft"), True
        if kind == "toggle-buttons":
            button = root.locator("button.widget-toggle-button:not(.mod-active)").first
            text = button.text_content().strip()
            button.click()
            return f"click {text!r}", True
        if kind in ("toggle-button", "button"):
            root.click()
            return "click", True
        if kind == "checkbox":
            root.locator("input").first.click()
            return "click", True
        if kind == "radio":
            radio = root.locator("input:not(:checked)").first
            radio.click()
            return "click", True
        if kind in ("dropdown", "select"):
            # a native <select> pops up outside the page: pick the next option the way
            # Playwright picks one (the page sees input + change events, as from a person)
            select = root.locator("select").first
            options = select.locator("option").evaluate_all("os => os.map(o => o.value)")
            current = select.evaluate("s => s.value")
            nxt = (
                options[(options.index(current) + 1) % len(options)]
                if current in options
                else options[0]
            )
            select.select_option(value=nxt)
            return f"pick option {nxt!r}", True
        if kind == "text":
            box = root.locator("input, textarea").first
            if self.ctl["numeric"]:
                return self._keys_with_turnaround(box, "ArrowUp", "ArrowDown"), True
            box.focus()
            page.keyboard.press("End")
            self.lab.js("arm()")  # from the key that edits the text
            key = "x" if self.steps % 2 else "Backspace"
            page.keyboard.press(key)
            page.keyboard.press("Enter")
            return f"{key} Enter", True
        if kind == "play":
            root.locator("button").first.click()  # play / pause
            return "click play", True
        raise ValueError(f"no operator for control kind {kind!r}")

    def _drag(self, handle) -> str:
        base = self.root.locator(".noUi-base").first.bounding_box()
        box = handle.bounding_box()
        if base is None or box is None:
            return "drag (slider not visible)"
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        if self.ctl["vertical"]:
            mid = base["y"] + base["height"] / 2
            tx, ty = cx, base["y"] + base["height"] * (0.25 if cy > mid else 0.75)
        else:
            mid = base["x"] + base["width"] / 2
            tx, ty = base["x"] + base["width"] * (0.25 if cx > mid else 0.75), cy
        self.page.mouse.move(cx, cy)
        self.page.mouse.down()
        self.page.mouse.move(tx, ty, steps=8)
        self.page.mouse.up()
        return "drag"


def _screenshot(page, cell: int, path: Path | None) -> str | None:
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        page.locator(f'[data-lab-cell="{cell}"]').screenshot(path=str(path), timeout=15_000)
    except Exception as err:  # noqa: BLE001 - a screenshot is an artifact, not a check
        return f"(screenshot failed: {err})"
    return str(path)


def _exercise_control(
    lab: _Page, ctl: dict, report: ControlReport, samples: int, shots: Path | None
) -> None:
    page = lab.page
    op = _Operator(lab, ctl)
    op.root.scroll_into_view_if_needed()
    stem = f"cell{ctl['cell']:02d}-{ctl['id']}-{ctl['kind']}"
    shot = _screenshot(page, ctl["cell"], shots / f"{stem}-before.png" if shots else None)
    if shot:
        report.screenshots.append(shot)
    kind = ctl["kind"]
    n = min(samples, 3) if kind == "play" else samples + (1 if kind == "slider" else 0)
    for i in range(n):
        before_print = lab.js("fingerprint()")
        before_value = lab.value(ctl)
        mark = lab.js("arm()")
        action, timed = op.step()
        if kind == "play":  # frames keep coming while it plays: time the first, then pause
            responded = lab.wait("timing().first !== null", lab.action_timeout)
            t = lab.js("timing()")
            op.step()  # pause
            lab.wait(f"quiet({lab.quiet_ms})", lab.action_timeout)
            settled = None
        else:
            responded = lab.wait(f"settled({lab.quiet_ms})", lab.action_timeout)
            t = lab.js("timing()")
            settled = _ms(t["t0"], t["last"])
        lab.js("disarm()")
        idle = lab.wait_idle()
        errors = lab.js("errorsSince(arg)", mark)
        after_print = lab.js("fingerprint()")
        value = lab.value(ctl)
        report.samples.append(
            Sample(
                action, _ms(t["t0"], t["first"]), settled, _ms(t["t0"], t["kernel"]), value, timed
            )
        )
        where = f"action {i + 1} ({action})"
        if errors:
            e = errors[0]
            report.problems.append(
                f"{where}: the kernel reported {e['ename']}: {e['evalue']} "
                f"(from a {e['parent'] or 'kernel'} message)\n{e['traceback'][-1500:]}"
            )
        if not idle:
            report.problems.append(f"{where}: the kernel stayed busy for 60 s")
        if kind not in ("button", "play") and value == before_value:
            report.problems.append(f"{where}: the control itself did not change ({value!r})")
        if not responded:
            if kind == "button" and i > 0:
                break  # a button may be idempotent: only its first click must show something
            found = lab.js("diagnose(arg)", ctl["cell"])
            report.diagnosis = found
            figures = (
                f", plotly figures in the cell: {found['figures']}" if found["figures"] else ""
            )
            report.problems.append(
                f"{where}: no output changed within {lab.action_timeout:.0f} s "
                f"(control value {before_value!r} -> {value!r}{figures})"
            )
        elif after_print == before_print and kind != "play":
            report.problems.append(f"{where}: the outputs re-rendered but show the same content")
        if report.problems:
            break
    shot = _screenshot(page, ctl["cell"], shots / f"{stem}-after.png" if shots else None)
    if shot:
        report.screenshots.append(shot)


def exercise_notebook(browser, server: LabServer, notebook: Path, **options) -> NotebookReport:
    """Open ``served_as`` (path relative to the server root) in JupyterLab, run it, operate its
    widgets. ``notebook``: the repository file it is a copy of (stored outputs, tags).

    An attempt whose page lost a widget model to anywidget's initialization limit (see
    ANYWIDGET_TIMEOUT: the machine, not the notebook) is repeated once; the report says so.
    Any other problem is reported as found.
    """
    report = _exercise_once(browser, server, notebook, **options)
    if report.problems and report.slow_machine:
        log = options.get("log") or (lambda _m: None)
        log(f"[lab] {options['served_as']}: anywidget timed out (slow machine): once more")
        retry = _exercise_once(browser, server, notebook, **options)
        retry.earlier_attempt = report.problems
        return retry
    return report


def _exercise_once(
    browser,
    server: LabServer,
    notebook: Path,
    *,
    served_as: str,
    samples: int = 6,
    artifacts: Path | None = None,
    run_timeout: float = 600,
    action_timeout: float = 10,
    quiet_ms: int = 250,
    log: Callable[[str], None] = lambda _m: None,
) -> NotebookReport:
    started = time.perf_counter()
    report = NotebookReport(notebook=served_as)
    expected = widget_cells(notebook)
    heavy = tagged_cells(notebook, HEAVY_TAG)
    shots = Path(artifacts) / Path(served_as).stem if artifacts else None
    if shots is not None:
        shutil.rmtree(shots, ignore_errors=True)  # no screenshot left from an earlier run
    context = browser.new_context(viewport=VIEWPORT, service_workers="block")

    def guard(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in INTERNAL_SCHEMES or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            report.external_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda e: report.page_errors.append(f"{e.message} {e.stack or ''}"[:2000]))

    def console(message):
        if message.type == "error":
            report.console_errors.append(message.text[:500])
        elif message.type == "warning":
            report.console_warnings.append(message.text[:500])

    page.on("console", console)
    lab = _Page(page, quiet_ms=quiet_ms, action_timeout=action_timeout)
    try:
        page.goto(f"{server.url}/lab/tree/{quote(served_as)}?reset", wait_until="load")
        page.wait_for_function("() => !!window.jupyterapp", timeout=60_000)
        page.evaluate(PROBE_JS)
        if not lab.wait("ready()", 120, polling=100):
            report.run_problems.append("the notebook did not open with an idle kernel in 120 s")
            return report
        report.open_seconds = time.perf_counter() - started
        lab.js("install()")
        log(f"[lab] {served_as}: Run All")
        t_run = time.perf_counter()
        lab.js("runAll()")
        if not lab.wait("runState() !== 'running'", run_timeout, polling=200):
            report.run_problems.append(f"Run All did not finish in {run_timeout:.0f} s")
            return report
        lab.wait_idle()
        report.run_seconds = time.perf_counter() - t_run
        # widget views render asynchronously: wait for them, then for the page to settle
        lab.wait("cells().every(c => c.rendered === c.widgetViews)", 60, polling=200)
        lab.wait("quiet(500)", 30, polling=100)
        report.render_seconds = time.perf_counter() - t_run - report.run_seconds
        _check_run(lab, report, expected)
        scan = lab.js("scan()")
        report.widget_outputs = sum(c["widgetViews"] for c in lab.js("cells()"))
        report.display_only = scan["displayOnly"]
        for u in scan["unsupported"]:
            report.run_problems.append(
                f"cell {u['cell']}: a <{u['tag']}> the harness cannot operate "
                f"(in {u['classes'] or 'an unknown widget'!r}, {u['text']!r}): "
                "teach tests/lab/labdriver.py _Operator and probe.js CONTROL_KINDS"
            )
        for ctl in scan["controls"]:
            control = ControlReport(
                served_as, ctl["cell"], ctl["kind"], ctl["label"], heavy=ctl["cell"] in heavy
            )
            report.controls.append(control)
            if ctl["disabled"]:
                control.problems.append("disabled after Run All: nothing a person could do")
                continue
            log(f"[lab]   operating {control.name}")
            _exercise_control(lab, ctl, control, samples, shots)
        if report.problems and shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "failure-page.png"), full_page=False)
    finally:
        try:
            page.evaluate("() => window.__labProbe && window.__labProbe.shutdown()")
        except Exception:  # noqa: BLE001 - the page may already be gone
            pass
        context.close()
        server.shutdown_kernels()
        report.total_seconds = time.perf_counter() - started
    return report


def _check_run(lab: _Page, report: NotebookReport, expected: list[int]) -> None:
    cells = {c["index"]: c for c in lab.js("cells()")}
    for i, c in cells.items():
        if c["errors"] and RAISES_TAG not in c["tags"]:
            e = c["errors"][0]
            report.run_problems.append(
                f"cell {i} shows an error after Run All: {e['ename']}: {e['evalue']}\n"
                f"{e['traceback'][-1500:]}"
            )
        elif c["executionCount"] is None:
            report.run_problems.append(f"cell {i} did not run ({c['source'][:60]!r})")
        if c["widgetViews"] != c["rendered"]:
            report.run_problems.append(
                f"cell {i}: {c['widgetViews'] - c['rendered']} of {c['widgetViews']} widget "
                'outputs did not render ("Error displaying widget" or never loaded)'
            )
    for i in expected:
        if i in cells and cells[i]["widgetViews"] == 0:
            report.run_problems.append(
                f"cell {i} shows a widget in the stored notebook but none after Run All"
            )
    for e in lab.js("errorsSince(0)"):
        if e["parent"] != "execute_request":  # those are cell errors, checked above
            report.run_problems.append(
                f"the kernel reported {e['ename']}: {e['evalue']} while the notebook ran "
                f"(from a {e['parent'] or 'kernel'} message)"
            )


def copy_for_lab(sources: dict[str, Path], root: Path) -> dict[str, Path]:
    """Copy folders of notebooks under ``root`` (JupyterLab must not touch the repository's
    files); ``sources``: {name under root: folder}. Returns {served path: original notebook}."""
    served = {}
    for name, folder in sources.items():
        folder = Path(folder)
        shutil.copytree(
            folder, root / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
        for nb in folder.rglob("*.ipynb"):
            if ".ipynb_checkpoints" not in nb.parts:
                served[f"{name}/{nb.relative_to(folder).as_posix()}"] = nb
    return served
