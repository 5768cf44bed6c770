"""Headless Chromium for the browser tests (tests/browser: the built book; tests/lab: JupyterLab).

Debian's chromium package only (``apt-get install -y chromium``; never a browser download),
driven by Playwright. The flags and the notion of a local request live here, once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # see ../shared/TOOLCHAIN.md, "Browser"
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A page may only load from these hosts; data:, blob: and about: URLs are not requests out.
LOCAL_HOSTS = {"127.0.0.1"}
INTERNAL_SCHEMES = {"data", "blob", "about"}


def chromium_missing() -> str | None:
    """Why Chromium + Playwright cannot run here, or None."""
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"{CHROMIUM} missing: apt-get update && apt-get install -y chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (the Python package) is not installed"
    return None


def launch_chromium(playwright):
    """A headless Chromium browser from a running ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
