"""PDF export of the one-pager, printed by Debian's Chromium through Playwright (never `playwright install`)."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mysteryshop.atomic import atomic_path
from mysteryshop.errors import ConfigError

log = logging.getLogger(__name__)

#: Flags for a quiet, offline, headless Chromium: no GPU, no QUIC, no background traffic.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to drive: `explicit`, $MYSTERYSHOP_CHROMIUM, the browser channel's finder, or Debian's.

    Raises ConfigError naming what was tried and how to fix it.
    """
    candidates = [explicit, os.environ.get("MYSTERYSHOP_CHROMIUM")]
    try:  # the browser channels own the canonical finder once they exist
        from mysteryshop.channels.browser import find_chromium as channel_finder  # type: ignore[attr-defined]

        candidates.append(channel_finder())
    except Exception:  # noqa: BLE001 - module absent or no browser found there; fall through to the usual places
        pass
    candidates += ["/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise ConfigError(
        "no Chromium found for the PDF export (tried $MYSTERYSHOP_CHROMIUM, /usr/bin/chromium, chromium on PATH). "
        "Install Debian's package (`sudo apt-get install chromium`, or `bash scripts/bootstrap.sh`) or set MYSTERYSHOP_CHROMIUM."
    )


@contextmanager
def chromium(executable: str | None = None) -> Iterator[Any]:
    """A Playwright Chromium browser (sync API), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=find_chromium(executable), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


#: The A4 page inside the one-pager's 10 mm @page margins, in CSS pixels (96 per inch).
A4_CONTENT_PX = ((210 - 20) / 25.4 * 96, (297 - 20) / 25.4 * 96)


def fit_scale(page: Any, selector: str = "#onepager") -> float:
    """The print scale that keeps `selector` on one A4 page: 1 when it fits (the one-pager's layout is made to), else
    the page height over its height, rounded down to a hundredth. `page` shows the HTML in print media at the A4
    content width."""
    height = page.evaluate(f"() => {{ const e = document.querySelector({selector!r}); return e ? e.getBoundingClientRect().height : 0; }}")
    if not height or height <= A4_CONTENT_PX[1]:
        return 1.0
    return max(0.1, int(A4_CONTENT_PX[1] / height * 100) / 100)


def write_pdf(html_path: Path, pdf_path: Path, *, executable: str | None = None, browser: Any = None) -> Path:
    """Print `html_path` (the one-pager) to an A4 PDF at `pdf_path`; reuses `browser` when given.

    A one-pager taller than the page (more journeys or companies than the layout is made for) is printed smaller, by
    `fit_scale`, so that it stays one page; the log says by how much.
    """
    if browser is None:
        with chromium(executable) as own:
            return write_pdf(html_path, pdf_path, browser=own)
    page = browser.new_page(viewport={"width": round(A4_CONTENT_PX[0]), "height": round(A4_CONTENT_PX[1])})
    try:
        page.goto(Path(html_path).resolve().as_uri())
        page.emulate_media(media="print")
        scale = fit_scale(page)
        if scale < 1:
            log.info("%s is taller than one A4 page: printed at %d%% to keep it on one", html_path, round(scale * 100))
        with atomic_path(pdf_path) as tmp:  # whole or not at all
            page.pdf(path=str(tmp), format="A4", print_background=True, prefer_css_page_size=True, scale=scale)
    finally:
        page.close()
    return pdf_path
