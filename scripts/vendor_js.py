#!/usr/bin/env python3
"""Copy the book's pinned JavaScript from node_modules/ into book/_vendor/.

The built book must work offline and never load anything from a CDN, so the
four browser libraries it needs are installed from npm (versions pinned in
package.json / package-lock.json, installed by `npm ci` in scripts/setup.sh)
and this script copies only the files the site serves into book/_vendor/
(gitignored).  Sphinx serves that folder through `html_static_path` (see
_config.yml), so it ends up in _build/html/_static/:

    _static/mathjax/            MathJax 3 es5 tree (tex-chtml.js + components + fonts)
    _static/require.js          require.js (AMD loader the widget manager needs)
    _static/jupyter-widgets/    @jupyter-widgets/html-manager embed-amd.js + its icon fonts
    _static/plotly.min.js       plotly.js, same version as the Python plotly package bundles
    _static/VENDOR.json         what was copied, from which package version, sha256

The folder is deliberately NOT a `_static/` folder in the source tree: Jupyter
Book adds every .js under a source `_static/` as a <script> tag on every page.

Checks (exit 1 on failure): node_modules matches package-lock.json, and the
vendored plotly.js version equals the one the Python plotly package bundles
(figures are serialised by Python plotly and drawn by this plotly.js).

Usage:  .venv/bin/python scripts/vendor_js.py [--check]
        --check: only verify that book/_vendor is present and up to date.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
DEST = ROOT / "book" / "_vendor"
LOCK = ROOT / "package-lock.json"

# (npm package, source path inside the package, destination inside book/_vendor)
# A source that is a directory is copied whole.
FILES = [
    ("mathjax", "es5", "mathjax"),
    ("requirejs", "require.js", "require.js"),
    ("@jupyter-widgets/html-manager", "dist/embed-amd.js", "jupyter-widgets/embed-amd.js"),
    ("plotly.js-dist-min", "plotly.min.js", "plotly.min.js"),
]
# embed-amd.js resolves its Font Awesome files relative to its own URL.
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def locked_versions() -> dict[str, str]:
    lock = json.loads(LOCK.read_text())
    return {
        key[len("node_modules/") :]: meta["version"]
        for key, meta in lock.get("packages", {}).items()
        if key.startswith("node_modules/") and "version" in meta
    }


def installed_version(package: str) -> str:
    pkg_json = NODE / package / "package.json"
    if not pkg_json.is_file():
        sys.exit(f"[vendor] {pkg_json} missing: run `bash scripts/setup.sh` (npm ci) first")
    return json.loads(pkg_json.read_text())["version"]


def python_plotlyjs_version() -> str | None:
    try:
        from plotly.offline import get_plotlyjs_version
    except ImportError:  # plotly not importable from this interpreter: skip the check
        return None
    return get_plotlyjs_version()


def wanted_manifest() -> dict:
    """Versions and sources the vendored tree must correspond to (no hashing)."""
    locked = locked_versions()
    packages = {}
    for package, _src, _dst in FILES:
        have = installed_version(package)
        if locked.get(package) != have:
            sys.exit(
                f"[vendor] node_modules/{package} is {have}, package-lock.json wants "
                f"{locked.get(package)}: run `npm ci`"
            )
        packages[package] = have
    return {"packages": packages, "files": [list(f) for f in FILES]}


def copy_tree() -> dict[str, str]:
    if DEST.exists():
        shutil.rmtree(DEST)
    DEST.mkdir(parents=True)
    for package, src, dst in FILES:
        source, target = NODE / package / src, DEST / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy2(source, target)
    fonts_src = NODE / "@jupyter-widgets/html-manager/dist"
    for font in sorted(fonts_src.iterdir()):
        if font.suffix in FONT_SUFFIXES:
            shutil.copy2(font, DEST / "jupyter-widgets" / font.name)
    return {
        p.relative_to(DEST).as_posix(): sha256(p)
        for p in sorted(DEST.rglob("*"))
        if p.is_file() and p.name != "VENDOR.json"
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify only, copy nothing")
    args = parser.parse_args()

    want = wanted_manifest()
    plotly_js = want["packages"]["plotly.js-dist-min"]
    py_plotly_js = python_plotlyjs_version()
    if py_plotly_js is not None and py_plotly_js != plotly_js:
        print(
            f"[vendor] plotly.js-dist-min is {plotly_js} but the Python plotly package bundles "
            f"plotly.js {py_plotly_js}: pin plotly.js-dist-min@{py_plotly_js} in package.json",
            file=sys.stderr,
        )
        return 1

    manifest_path = DEST / "VENDOR.json"
    try:
        have = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        have = {}
    up_to_date = {k: have.get(k) for k in ("packages", "files")} == want and all(
        (DEST / rel).is_file() for rel in have.get("sha256", {})
    )
    if args.check:
        print(f"[vendor] book/_vendor {'up to date' if up_to_date else 'MISSING or STALE'}")
        return 0 if up_to_date else 1
    if up_to_date:
        print(f"[vendor] book/_vendor up to date ({len(have['sha256'])} files)")
        return 0

    hashes = copy_tree()
    manifest_path.write_text(
        json.dumps({**want, "sha256": hashes}, indent=1, sort_keys=True) + "\n"
    )
    size = sum((DEST / rel).stat().st_size for rel in hashes)
    print(
        f"[vendor] copied {len(hashes)} files ({size / 1e6:.1f} MB) into book/_vendor: "
        + ", ".join(f"{k}@{v}" for k, v in want["packages"].items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
