"""Blocking what a probe does not need (fonts, images, media, analytics): real Chromium against a real local server."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mysteryshop.channels.blocking import should_block
from mysteryshop.channels.browser import Browser, BrowserOptions

PAGE = b"""<!doctype html><html lang=en><head><title>Shop</title>
<style>@font-face { font-family: Shop; src: url(/shop.woff2); } body { font-family: Shop; }</style>
<script src="http://www.google-analytics.com/analytics.js"></script></head>
<body><p>Hello</p><img src="/photo.png" alt="photo"></body></html>"""


def test_what_is_blocked_by_kind() -> None:
    assert should_block("font", "https://shop.example/a.woff2", ["fonts"])
    assert not should_block("font", "https://shop.example/a.woff2", ["images"])
    assert should_block("script", "https://www.googletagmanager.com/gtm.js", ["analytics"])
    assert not should_block("script", "https://shop.example/app.js", ["analytics", "fonts", "images", "media"])
    assert not should_block("script", "https://notgoogle-analytics.com/x.js", ["analytics"])  # a suffix of the name is not the host


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
@pytest.mark.parametrize("block", [[], ["fonts", "images", "media", "analytics"]], ids=["nothing-blocked", "all-blocked"])
def test_blocked_kinds_never_reach_the_server_and_the_page_still_loads(block: list[str]) -> None:
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            body = PAGE if self.path == "/" else b"\x00" * 64
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if self.path == "/" else "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def visit() -> list[str]:
        browser = Browser(BrowserOptions(concurrency=1, artifacts="off"))
        failed: list[str] = []
        try:
            probe = await browser.context("p", block=block)
            page = await browser.new_page(probe, 15)
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            await page.goto(f"http://127.0.0.1:{server.server_port}/", wait_until="load")
            assert await page.inner_text("p") == "Hello"
        finally:
            await browser.stop()
        return failed

    try:
        failed = asyncio.run(visit())
    finally:
        server.shutdown()
    if block:
        assert "/photo.png" not in hits and "/shop.woff2" not in hits and "/" in hits, hits
        assert any("google-analytics.com" in f and "BLOCKED_BY_CLIENT" in f for f in failed), failed
    else:
        assert "/photo.png" in hits and "/shop.woff2" in hits, hits


FRAMED = b"""<!doctype html><html><body><p>Shop</p><iframe src="http://localhost:%d/widget"></iframe></body></html>"""
WIDGET = b"""<!doctype html><html><body><p>Widget</p><script>
setTimeout(() => { const img = new Image(); img.src = '/late-avatar.png'; document.body.append(img);
                   fetch('https://www.google-analytics.com/collect').catch(() => {});
                   document.title = 'asked'; }, 700);
</script></body></html>"""


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium")
def test_a_frame_of_another_site_is_blocked_in_its_own_process_too() -> None:
    """A vendor's chat widget is a frame of another site, which Chromium runs in a process (a DevTools target) of its
    own: what it loads once it is up is held and blocked like the page's own requests."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            port = self.server.server_port  # type: ignore[attr-defined]
            body = {"/": FRAMED % port, "/widget": WIDGET}.get(self.path, b"\x89PNG" + b"\x00" * 60)
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if self.path in ("/", "/widget") else "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def visit() -> list[str]:
        browser = Browser(BrowserOptions(concurrency=1, artifacts="off"))
        failed: list[str] = []
        try:
            probe = await browser.context("p", block=["images", "analytics"])
            page = await browser.new_page(probe, 15)
            page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
            await page.goto(f"http://127.0.0.1:{server.server_port}/", wait_until="load")
            frame = next(f for f in page.frames if "/widget" in f.url)
            await frame.wait_for_function("document.title === 'asked'", timeout=10_000)
            await page.wait_for_timeout(300)
        finally:
            await browser.stop()
        return failed

    try:
        failed = asyncio.run(visit())
    finally:
        server.shutdown()
    assert "/widget" in hits, hits
    assert "/late-avatar.png" not in hits, hits
    assert any("late-avatar.png" in f and "BLOCKED_BY_CLIENT" in f for f in failed), failed
