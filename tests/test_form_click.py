"""The submit button's click point (webform._CLICK_POINT_JS): where a customer would click, or None when Playwright's
own locator click must handle it (covered, disabled, hidden, Playwright-only selector syntax). Real Chromium."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from mysteryshop.channels.browser import Browser, BrowserOptions
from mysteryshop.channels.webform import _CLICK_POINT_JS

pytestmark = [pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium"), pytest.mark.timeout(60)]

PAGE = """<!doctype html><body style="margin:0">
<div style="height:1500px">tall</div>
<p><button id=send style="width:100px;height:40px" onclick="window.clicks.push(event.isTrusted)">Send</button></p>
<button id=off disabled>Off</button><button id=gone style="display:none">Gone</button>
<div style="height:300px"></div><button id=moving style="position:relative;animation:slide 2s linear infinite">Moving</button>
<style>@keyframes slide { from { left: 0 } to { left: 400px } }</style><button id=under style="display:block;width:100px;height:40px">Under</button>
<div style="position:relative;top:-40px;width:200px;height:60px;background:#fff">cover</div>
<script>window.clicks = [];</script></body>"""


async def points() -> dict[str, Any]:
    browser = Browser(BrowserOptions(concurrency=1, artifacts="off"))
    try:
        probe = await browser.context("click")
        page = await browser.new_page(probe, 10)
        await page.set_content(PAGE)
        found = {css: await page.evaluate(_CLICK_POINT_JS, css) for css in ("#send", "#off", "#gone", "#under", "#moving", "#none", "button:has-text('Send')")}
        x, y = found["#send"]
        await page.mouse.click(x, y)
        found["clicks"] = await page.evaluate("window.clicks")
        found["scrolled"] = await page.evaluate("scrollY")
        return found
    finally:
        await browser.stop()


def test_the_click_point_is_the_visible_uncovered_enabled_button_scrolled_into_view() -> None:
    found = asyncio.run(points())
    assert found["clicks"] == [True], "the point must hit the button with a trusted click"
    assert found["scrolled"] > 0, "a button below the fold is scrolled into view first"
    assert found["#off"] is None and found["#gone"] is None and found["#none"] is None
    assert found["#under"] is None, "a covered button is left to Playwright's actionability checks"
    assert found["#moving"] is None, "so is a button that moves (a CSS animation)"
    assert found["button:has-text('Send')"] is None, "Playwright's own selector syntax is left to Playwright"
