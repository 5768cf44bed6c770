"""Sphinx extension of the course book: plotly output bundles (loaded from _config.yml).

Chapter figures are displayed by course_lib with an output bundle holding both
``application/vnd.plotly.v1+json`` (for JupyterLab / Colab) and ``text/html`` (a
``<div>`` + ``<script>Plotly.newPlot(...)</script>`` that uses the plotly.js the site
serves once per page). myst-nb renders every mime type of a bundle before it picks
one per builder, and it has no renderer for the plotly JSON, so out of the box it
warns "skipping unknown output mime type" (a failure under -W) and drops it.

This extension

1. registers a myst-nb mime renderer for the plotly JSON that renders a placeholder
   (never shown: the HTML builders are told, in _config.yml
   ``nb_mime_priority_overrides``, to take ``text/html`` and never the plotly JSON);
2. fails the build (a warning, an error under -W) for a plotly bundle that has no
   ``text/html``: plain ``fig.show()`` under plotly 7 emits JSON only, which the
   static book cannot draw. Use the course_lib display helper instead;
3. adds plotly.js (``_static/plotly.min.js``, 4.8 MB, synchronous, in ``<head>`` before
   require.js) to exactly the pages that draw a plotly figure, not to every page;
4. after the build, trims each page's saved ipywidgets to what its displayed widgets
   need, fails on displayed widgets the static page cannot render (anywidget, e.g. a
   plotly FigureWidget), and renames the kernel's random model ids so the HTML is
   identical on every build (see ``finalize_widgets``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

PLOTLY_MIME = "application/vnd.plotly.v1+json"
LOGGER = logging.getLogger(__name__)


class PlotlyJsonPlaceholder:
    """myst-nb MimeRenderPlugin (see myst_nb.core.render.MimeRenderPlugin)."""

    mime_priority_overrides: tuple = ()

    @staticmethod
    def handle_mime(renderer: Any, data: Any, inline: bool) -> list[nodes.Element] | None:
        if data.mime_type != PLOTLY_MIME:
            return None
        return [nodes.comment("", "plotly figure JSON (rendered from text/html)")]


def _register_mime_renderer() -> None:
    """Add PlotlyJsonPlaceholder to the renderers myst-nb consults.

    myst-nb finds mime renderers through the ``myst_nb.mime_renderers`` entry point
    group, looked up by ``myst_nb.core.render.load_mime_renders()`` on each output. A
    local extension has no entry point, so wrap that function (myst-nb is pinned by
    jupyter-book==1.0.4.post1; fail loudly if its layout changes).
    """
    try:
        from myst_nb.core import render
    except ImportError as exc:  # pragma: no cover
        raise ExtensionError("course_book needs myst-nb") from exc
    original = getattr(render, "load_mime_renders", None)
    if original is None:
        raise ExtensionError(
            "course_book: myst_nb.core.render.load_mime_renders is gone; "
            "update book/_ext/course_book.py for this myst-nb version"
        )
    if getattr(original, "_course_book", False):
        return

    def load_mime_renders() -> list:
        return [*original(), PlotlyJsonPlaceholder]

    load_mime_renders._course_book = True  # type: ignore[attr-defined]
    render.load_mime_renders = load_mime_renders


class RequireHtmlForPlotly(SphinxPostTransform):
    """Warn about plotly bundles without a text/html fallback (before myst-nb selects)."""

    default_priority = 3  # myst_nb.sphinx_.SelectMimeType runs at 4
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        for bundle in list(self.document.findall(nodes.container)):
            if bundle.get("nb_element") != "mime_bundle":
                continue
            mime_types = {child.get("mime_type") for child in bundle.children}
            if PLOTLY_MIME in mime_types and "text/html" not in mime_types:
                LOGGER.warning(
                    "plotly figure output has no text/html, so the static book cannot "
                    "draw it (plain fig.show() under plotly 7 emits JSON only); display "
                    "it with the course_lib plotly helper [course_book.plotly_html]",
                    type="course_book",
                    subtype="plotly_html",
                    location=bundle,
                )


WIDGET_STATE = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>', re.DOTALL
)
WIDGET_VIEW = re.compile(
    r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', re.DOTALL
)
WIDGET_SCRIPTS = re.compile(
    r'\s*<script [^>]*src="[^"]*(?:/require\.js|/course-widgets\.js|/jupyter-widgets/embed-amd\.js)'
    r'(?:\?[^"]*)?"[^>]*></script>'
)
MODEL_REF = re.compile(r"IPY_MODEL_([0-9a-f]{32})")
# widget modules the vendored @jupyter-widgets/html-manager renders by itself
BUILTIN_WIDGET_MODULES = {
    "@jupyter-widgets/base",
    "@jupyter-widgets/controls",
    "@jupyter-widgets/output",
}
STATIC_NOTE = (
    '<div class="admonition note course-live-widget"><p>This interactive control needs a '
    "running Python kernel: open the notebook (launch button above, or locally) to use it."
    "</p></div>"
)


def _reachable(roots: list[str], state: dict) -> set[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r in state]
    while todo:
        model_id = todo.pop()
        if model_id in seen:
            continue
        seen.add(model_id)
        refs = MODEL_REF.findall(json.dumps(state[model_id].get("state", {})))
        todo += [r for r in refs if r in state and r not in seen]
    return seen


def finalize_widgets(page: Path, rel: str) -> str | None:
    """Make one built page's saved ipywidgets lean, renderable and reproducible.

    * keeps only the widget models that a displayed widget needs: the kernel saves the
      state of *every* widget alive at the end of execution, including ones whose output
      is hidden (``remove-output``), e.g. a plotly FigureWidget whose state carries
      ~5 MB of JavaScript;
    * replaces a displayed widget that the static manager cannot render (a module other
      than the core ipywidgets ones, e.g. anywidget) by a short note, and reports it;
    * renames the kernel's random model ids to ids derived from the page and order;
    * drops require.js and the widget manager from a page left without widgets.

    Returns a problem description for displayed widgets that could not be kept.
    """
    text = page.read_text(encoding="utf-8")
    match = WIDGET_STATE.search(text)
    if not match:
        return None
    saved = json.loads(match.group(1))  # JSON reads the "<\\/script>" escape as "</script>"
    state: dict = saved.get("state", {})

    problem = None
    roots: list[str] = []

    def keep_or_replace(view: re.Match) -> str:
        nonlocal problem
        model_id = json.loads(view.group(1)).get("model_id", "")
        needed = _reachable([model_id], state)
        foreign = sorted({state[m]["model_module"] for m in needed} - BUILTIN_WIDGET_MODULES)
        if model_id not in state or foreign:
            problem = (
                f"{rel}: a displayed widget cannot render in the static book "
                f"({', '.join(foreign) or 'no saved state'}); tag its cell remove-output "
                "and show the precomputed plotly figure instead"
            )
            return STATIC_NOTE
        roots.append(model_id)
        return view.group(0)

    text = WIDGET_VIEW.sub(keep_or_replace, text)
    kept = _reachable(roots, state)
    if not kept:
        text = WIDGET_STATE.sub("", text)
        text = WIDGET_SCRIPTS.sub("", text)
    else:
        ordered = [m for m in state if m in kept]  # saved order = creation order
        lean = dict(saved, state={m: state[m] for m in ordered})
        body = json.dumps(lean).replace("</script>", "<\\/script>")
        match = WIDGET_STATE.search(text)  # positions moved with the view rewrite
        text = text[: match.start(1)] + body + text[match.end(1) :]
        for i, model_id in enumerate(ordered):
            text = text.replace(model_id, hashlib.sha256(f"{rel}:{i}".encode()).hexdigest()[:32])
    page.write_text(text, encoding="utf-8")
    return problem


def finalize_pages(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder is None or app.builder.format != "html":
        return
    outdir = Path(app.builder.outdir)
    for page in sorted(outdir.rglob("*.html")):
        problem = finalize_widgets(page, page.relative_to(outdir).as_posix())
        if problem:
            LOGGER.warning(problem, type="course_book", subtype="static_widget")


def add_plotly_where_drawn(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """html-page-context: a page whose body calls Plotly.newPlot gets plotly.min.js.

    Figures are ``<div>`` + inline ``Plotly.newPlot`` scripts, which need the global
    ``Plotly`` when they run: a synchronous ``<script>`` in ``<head>``, ordered before
    require.js (priority 200 < 500). ``add_js_file`` during this event adds to this page only.
    """
    if "Plotly.newPlot(" in context.get("body", ""):
        app.add_js_file("plotly.min.js", priority=200)


def setup(app: Sphinx) -> dict[str, Any]:
    _register_mime_renderer()
    app.add_post_transform(RequireHtmlForPlotly)
    app.connect("html-page-context", add_plotly_where_drawn)
    app.connect("build-finished", finalize_pages)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
