#!/usr/bin/env python3
"""Check a built book (_build/html) is offline-first and lean; print page sizes.

Fails (exit 1) when a page
  * loads anything from another host: <script src>, <link href> (stylesheet, preload,
    icon, ...), <img>/<iframe>/<source>/<video>/<audio>/<embed src>, <object data>, or a
    CSS url() in a style attribute/tag, pointing at http(s):// or //host (plain <a href>
    links, such as the launch and repository buttons, are allowed: nothing loads until
    a reader clicks them);
  * names a CDN anywhere in its HTML (inline scripts included): cdn.jsdelivr.net,
    unpkg.com, cdnjs.cloudflare.com, cdn.plot.ly, fonts.googleapis.com, ...;
  * inlines plotly.js (the library banner "plotly.js v" in the page) or is larger than
    --max-page-kb;
and when a page draws plotly figures (Plotly.newPlot) without loading plotly.min.js, or
loads plotly.min.js (4.8 MB) without drawing any.
Warns (no failure) about figures with frames that start playing on page load
(plotly's to_html default auto_play=True): the figure then cycles through every frame
before the reader touches it, and moving its slider meanwhile interrupts the animation,
which logs an uncaught promise rejection; pass auto_play=False to to_html.

Usage: .venv/bin/python scripts/check_book.py [--site _build/html] [--max-page-kb 1500]
"""

from __future__ import annotations

import argparse
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

CDN_PATTERN = re.compile(
    r"(cdn\.jsdelivr\.net|jsdelivr\.com|unpkg\.com|cdnjs\.cloudflare\.com|cdn\.plot\.ly"
    r"|cdn\.plotly\.com|fonts\.googleapis\.com|fonts\.gstatic\.com|ajax\.googleapis\.com"
    r"|code\.jquery\.com|polyfill\.io|mathjax\.org|thebe@)",
    re.IGNORECASE,
)
AUTOPLAY = re.compile(r"Plotly\.animate\(\s*['\"]([^'\"]+)['\"]\s*,\s*null\s*\)")
REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*((?:https?:)?//[^'\")\s]+)", re.IGNORECASE)
# tag -> attributes whose URL the browser fetches on its own
FETCHING_ATTRS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "track": ("src",),
    "input": ("src",),
}
# <link rel=...> values that do not fetch anything by themselves
NON_FETCHING_LINK_RELS = {
    "canonical",
    "alternate",
    "author",
    "license",
    "next",
    "prev",
    "index",
    "search",
    "help",
    "bookmark",
}


class Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []
        self.scripts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link":
            rels = set((attrs.get("rel") or "").lower().split())
            if rels and rels <= NON_FETCHING_LINK_RELS:
                return
        for name in FETCHING_ATTRS.get(tag, ()):
            value = attrs.get(name) or ""
            for url in value.split(",") if name == "srcset" else [value]:
                if REMOTE.match(url):
                    self.remote.append(f"<{tag} {name}={url.strip()!r}>")
        style = attrs.get("style") or ""
        self.remote += [f"style url({u})" for u in CSS_URL.findall(style)]
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.remote += [f"<style> url({u})" for u in CSS_URL.findall(data)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="_build/html", type=Path)
    parser.add_argument("--max-page-kb", default=1500, type=int)
    args = parser.parse_args()
    site: Path = args.site
    if not (site / "index.html").is_file():
        print(f"[check] {site}/index.html missing: build the book first", file=sys.stderr)
        return 1

    problems: list[str] = []
    warnings: list[str] = []
    sizes: list[tuple[int, str, int]] = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        if rel.startswith("_static/"):
            continue
        text = page.read_text(encoding="utf-8", errors="replace")
        scanner = Scanner()
        scanner.feed(text)
        problems += [f"{rel}: loads from another host: {r}" for r in scanner.remote]
        problems += [
            f"{rel}: names a CDN: ...{text[max(0, m.start() - 60) : m.end() + 40]!s}..."
            for m in CDN_PATTERN.finditer(text)
        ]
        if "plotly.js v" in text:
            problems.append(f"{rel}: plotly.js is inlined in the page")
        n_figures = text.count("Plotly.newPlot(")
        loads_plotly = any("plotly.min.js" in s for s in scanner.scripts)
        if n_figures and not loads_plotly:
            problems.append(f"{rel}: draws {n_figures} plotly figure(s) but loads no plotly.min.js")
        if loads_plotly and not n_figures:
            problems.append(f"{rel}: loads plotly.min.js (4.8 MB) but draws no plotly figure")
        for div_id in AUTOPLAY.findall(text):
            warnings.append(
                f"{rel}: plotly figure {div_id!r} auto-plays its frames on load "
                "(use to_html(..., auto_play=False))"
            )
        size = page.stat().st_size
        if size > args.max_page_kb * 1024:
            problems.append(f"{rel}: {size / 1024:.0f} KB > {args.max_page_kb} KB")
        sizes.append((size, rel, n_figures))

    for size, rel, n_figures in sorted(sizes, reverse=True)[:10]:
        figs = f"  ({n_figures} plotly figure{'s' if n_figures != 1 else ''})" if n_figures else ""
        print(f"[check] {size / 1024:8.1f} KB  {rel}{figs}")
    static = sum(p.stat().st_size for p in (site / "_static").rglob("*") if p.is_file())
    print(
        f"[check] {len(sizes)} pages; _static/ {static / 1e6:.1f} MB (plotly.js, MathJax, "
        f"widget manager, theme: fetched once per site, cached by the browser)"
    )
    for w in warnings:
        print(f"[check] WARNING: {w}")
    if problems:
        print(f"[check] FAILED: {len(problems)} problem(s)", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("[check] OK: no page loads anything from another host; plotly.js is not inlined")
    return 0


if __name__ == "__main__":
    sys.exit(main())
