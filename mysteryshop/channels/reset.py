"""Pooled browser contexts: a context with its page, handed from one persona to the next and cleared in between.

What a persona can leave in a context, and how it is cleared before the next persona gets it:
- cookies: `context.clear_cookies()`;
- per origin (every origin any frame of any page of the context navigated to, from `framenavigated`):
  localStorage, IndexedDB, Cache Storage, service workers (and the rest of CDP's `all` storage types) with
  `Storage.clearDataForOrigin`; sessionStorage belongs to the tab and can only be cleared from a document of its
  origin in it: the page opens `<origin>/__mysteryshop_reset__`, answered inside the browser by a route with an
  empty document, and clears it there (one navigation per origin, no request reaches the company);
- permissions granted: `context.clear_permissions()`;
- the HTTP cache (an ETag or a cached script can carry an id): `Network.clearBrowserCache`;
- the tab's history (`history.length`): `Page.resetNavigationHistory`;
- what runs: the page goes to about:blank first (its scripts stop, its unload handlers run before anything is
  cleared, so they cannot write after); other pages of the context (popups, a chat's page) are closed.

Not cleared: the context's network stack (idle keep-alive sockets, TLS session tickets, HSTS entries), so a
server could link two personas that reach it within its keep-alive time over one connection. A target where
that matters needs reuse off (`BrowserOptions(reuse=False)`: a fresh context per probe; not yet a per-target or
command-line setting).

tests/test_browser_reuse.py proves the list in real Chromium: persona B sees none of what persona A left.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: the longest a reset may take before the context is closed instead of pooled
RESET_TIMEOUT_MS = 10_000
#: sessionStorage can only be cleared from a document of its origin in its tab: the page is sent to this path of
#: each origin, answered by a route with an empty document (no request leaves the browser)
RESET_PATH = "/__mysteryshop_reset__"


@dataclass(slots=True, eq=False)
class Lease:
    """A pooled context and its page, with the origins its pages have visited since the last reset."""

    context: Any
    page: Any
    cdp: Any
    block: tuple[str, ...]
    origins: set[str] = field(default_factory=set)
    probes: int = 0  # personas that used it


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of a web URL; None for about:, data:, blob: and the like."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _track(lease: Lease, page: Any) -> None:
    def navigated(frame: Any) -> None:
        origin = origin_of(frame.url)
        if origin:
            lease.origins.add(origin)

    page.on("framenavigated", navigated)


async def new_lease(browser: Any, block: Sequence[str], install_blocking: Callable[[Any, Sequence[str]], Awaitable[None]]) -> Lease:
    """A new context (same options as a fresh probe context) with one page, its CDP session, and origin tracking."""
    context = await browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US")
    await install_blocking(context, block)
    page = await context.new_page()
    await page.route("**" + RESET_PATH, _empty)
    lease = Lease(context, page, await context.new_cdp_session(page), tuple(block))
    _track(lease, page)
    context.on("page", lambda other: _track(lease, other))
    return lease


async def _empty(route: Any) -> None:
    await route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>reset</title>")


async def park(page: Any) -> bool:
    """Send a page no step uses to about:blank (its scripts stop); False if it could not be (then close it)."""
    try:
        await page.goto("about:blank", timeout=RESET_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - a crashed or hung page is closed by the caller
        return False
    return True


async def reset(lease: Lease) -> bool:
    """Clear everything a persona left in the lease (see the module's docstring). False: it could not be cleared
    (a crashed page, a CDP error), and the caller closes the context instead of pooling it."""
    page, context, cdp = lease.page, lease.context, lease.cdp
    if page is None or page.is_closed():
        return False
    try:
        for other in list(context.pages):
            if other is not page:
                await other.close(run_before_unload=False)
        if page.url != "about:blank" and not await park(page):
            return False
        await context.clear_cookies()
        await context.clear_permissions()
        for origin in sorted(lease.origins):
            await cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})
        for origin in sorted(lease.origins):  # its service worker is gone now: the route answers this navigation
            await page.goto(origin + RESET_PATH, timeout=RESET_TIMEOUT_MS)
            await page.evaluate("sessionStorage.clear()")
        await cdp.send("Network.clearBrowserCache")
        await cdp.send("Page.resetNavigationHistory")
        await context.clear_cookies()  # any a service worker or unload handler set while the rest was cleared
    except Exception:  # noqa: BLE001 - not cleared: never handed on
        with contextlib.suppress(Exception):
            await page.close()
        return False
    lease.origins.clear()
    return True
