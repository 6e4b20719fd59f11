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
