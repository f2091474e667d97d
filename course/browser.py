"""Headless Chromium for the course's tests and scripts: Debian's `chromium` package, driven by Playwright
(which downloads no browser of its own here).

As root Chromium needs --no-sandbox; the other switches keep it quiet and offline. Playwright adds --headless
and gives every launch a fresh profile folder of its own (it refuses a --user-data-dir switch).
"""
import shutil

INSTALL = "apt-get install chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path():
    """Where Chromium is installed, or None."""
    return shutil.which("chromium")


def launch(playwright):
    """Start headless Chromium with a Playwright instance (from playwright.sync_api.sync_playwright())."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
