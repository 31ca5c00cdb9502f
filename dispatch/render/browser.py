"""Headless Chromium, offline: the DOM a page builds and a screenshot of it.

Used by ``dispatch render --screenshot`` (the README's pictures) and by the browser test. The
page is loaded from disk with the network shut: flags send every host name to NOTFOUND and every
request through a dead proxy, and when this process may create namespaces (root in CI) Chromium
runs in a fresh network namespace with no interfaces at all. A page that needed a CDN would
therefore render blank, which is the point. ``--virtual-time-budget`` lets the page's scripts
finish before the DOM is dumped or the screenshot taken.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
OFFLINE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
)


class BrowserError(RuntimeError):
    """No browser, or the browser failed to produce what was asked."""


def find_browser(explicit: str | None = None) -> str | None:
    """The browser to use: ``explicit``, $DISPATCH_BROWSER, then chromium on PATH."""
    for candidate in (explicit, os.environ.get("DISPATCH_BROWSER")):
        if candidate:
            return shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _isolated() -> list[str]:
    """``unshare -n`` when this process may make a network namespace; else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        return []
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=10)
    return [unshare, "-n"] if probe.returncode == 0 else []


def _run(page: Path, extra: list[str], browser: str | None, budget_ms: int, timeout: float) -> str:
    binary = find_browser(browser)
    if binary is None:
        raise BrowserError(
            "no Chromium found; install it (Debian: apt-get install chromium) or pass --browser"
        )
    with tempfile.TemporaryDirectory(prefix="dispatch-browser-") as profile:
        command = [
            *_isolated(),
            binary,
            *OFFLINE_FLAGS,
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={budget_ms}",
            *extra,
            page.resolve().as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise BrowserError(f"the browser did not finish within {timeout:.0f} s") from exc
    if result.returncode != 0:
        raise BrowserError(f"the browser failed ({result.returncode}): {result.stderr[-500:]}")
    return result.stdout


def dump_dom(page: Path, browser: str | None = None, budget_ms: int = 15000) -> str:
    """The DOM of ``page`` after its scripts ran, serialised as HTML."""
    return _run(page, ["--dump-dom"], browser, budget_ms, timeout=120)


def screenshot(
    page: Path,
    png: Path,
    size: tuple[int, int] = (1400, 1800),
    browser: str | None = None,
    budget_ms: int = 15000,
) -> Path:
    """A PNG of the top ``size`` pixels of ``page``; BrowserError if none was written."""
    png = png.resolve()
    if png.exists():
        png.unlink()
    extra = [f"--screenshot={png}", f"--window-size={size[0]},{size[1]}"]
    _run(page, extra, browser, budget_ms, timeout=120)
    if not png.exists() or png.stat().st_size == 0:
        raise BrowserError(f"the browser wrote no screenshot to {png}")
    return png
