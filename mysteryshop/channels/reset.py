"""Pooled browser contexts: a context with its page, handed from one persona to the next and cleared in between.

What a persona can leave in a context, and how it is cleared before the next persona gets it:
- what runs: the page goes to about:blank first (its scripts stop, its unload handlers run before anything is
  cleared, so they cannot write after); other pages of the context (popups, a chat's page) are closed;
- cookies: `context.clear_cookies()`;
- per origin (every origin any frame of any page of the context navigated to, from `framenavigated`):
  localStorage, IndexedDB, Cache Storage, service workers (and the rest of CDP's `all` storage types) with
  `Storage.clearDataForOrigin`;
- sessionStorage (it belongs to the tab): Chromium 156's `Storage.clearDataForOrigin` clears it too. An older or
  newer build might not, and the only other way is a document of the origin in the tab, which costs a navigation.
  So the page reports every write to it (CDP `DOMStorage` events on the page's own session, unload handlers'
  writes included; origins of cross-site frames, whose writes go to another session, count as written), and the
  first reset in a browser that has such an origin checks: the page opens `<origin>/__mysteryshop_reset__`
  (answered inside the browser by a route with an empty document, no request reaches the company) and reads
  sessionStorage there. Empty: this browser's clearing is trusted from then on. Not empty: it is cleared there,
  and so on every reset (one navigation per origin written to). A probe that never touches sessionStorage costs
  no navigation either way;
- `window.name`, which outlives navigations in the tab: emptied on the parked page;
- permissions granted: `context.clear_permissions()`;
- the HTTP cache (an ETag or a cached script can carry an id): `Network.clearBrowserCache`;
- the tab's history (`history.length`): `Page.resetNavigationHistory`.

Not cleared, and no CDP command clears it: the context's network stack (idle keep-alive sockets, TLS session
tickets, HSTS entries), so a server could link two personas that reach it within its keep-alive time over one
connection (tests/test_browser_reuse.py shows it does). Reuse is therefore a per-target choice (`browser_reuse:`
in the target file, or `--browser-reuse` for a run): on for the embedded demo desk, off for real companies unless
their target file turns it on.

tests/test_browser_reuse.py proves the list in real Chromium: persona B sees none of what persona A left.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mysteryshop.channels.blocking import ready as blocking_ready

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
    session_origins: set[str] = field(default_factory=set)  # origins whose sessionStorage the page reported written
    frame_origins: set[str] = field(default_factory=set)  # origins of cross-site frames (their writes are not reported)
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
            if frame != page.main_frame:  # a cross-site frame's storage writes go to another CDP session: assume it wrote
                lease.frame_origins.add(origin)

    page.on("framenavigated", navigated)


def _session_written(lease: Lease, event: dict[str, Any]) -> None:
    """A `DOMStorage.domStorageItemAdded/Updated` event of the lease's page: note the origin of a sessionStorage write."""
    storage = event.get("storageId") or {}
    if storage.get("isLocalStorage") is False:
        origin = storage.get("securityOrigin") or origin_of(storage.get("storageKey") or "")
        if origin:
            lease.session_origins.add(origin.rstrip("/"))


async def new_lease(browser: Any, block: Sequence[str], install_blocking: Callable[[Any, Sequence[str]], Awaitable[None]]) -> Lease:
    """A new context (same options as a fresh probe context) with one page, its CDP session, and origin tracking."""
    context = await browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US")
    await install_blocking(context, block)
    page = await context.new_page()
    await blocking_ready(page)
    lease = Lease(context, page, await context.new_cdp_session(page), tuple(block))
    _track(lease, page)
    context.on("page", lambda other: _track(lease, other))  # a popup's sessionStorage goes with its tab, closed at reset
    lease.cdp.on("DOMStorage.domStorageItemAdded", lambda event: _session_written(lease, event))
    lease.cdp.on("DOMStorage.domStorageItemUpdated", lambda event: _session_written(lease, event))
    await lease.cdp.send("DOMStorage.enable")
    return lease


async def _empty(route: Any) -> None:
    await route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>reset</title>")


#: browser version -> whether its `Storage.clearDataForOrigin` was seen to clear sessionStorage (the first reset checks)
CLEARS_SESSION_STORAGE: dict[str, bool] = {}
_READ_AND_CLEAR = "(() => { const n = sessionStorage.length; sessionStorage.clear(); return n; })()"


async def clear_origin(cdp: Any, origin: str) -> None:
    await cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"})


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
        # answered by the page's renderer after every storage event it sent before (unload handlers' writes included)
        await cdp.send("Runtime.evaluate", {"expression": "window.name = ''; 0"})
        await asyncio.gather(context.clear_cookies(), context.clear_permissions(), *(clear_origin(cdp, o) for o in sorted(lease.origins)))
        version = context.browser.version if context.browser is not None else ""
        session = sorted(lease.session_origins | lease.frame_origins) if CLEARS_SESSION_STORAGE.get(version) is not True else []
        if session:  # their service workers are gone now: the route answers these navigations
            await page.route("**" + RESET_PATH, _empty)
            for origin in session:
                await page.goto(origin + RESET_PATH, timeout=RESET_TIMEOUT_MS)
                left = await page.evaluate(_READ_AND_CLEAR)
                if origin in lease.session_origins:  # written for sure: whether clearDataForOrigin cleared it tells
                    CLEARS_SESSION_STORAGE[version] = CLEARS_SESSION_STORAGE.get(version, True) and left == 0
            await page.unroute("**" + RESET_PATH, _empty)
            await park(page)
            await cdp.send("Runtime.evaluate", {"expression": "window.name = ''; 0"})
        await asyncio.gather(cdp.send("Network.clearBrowserCache"), cdp.send("Page.resetNavigationHistory"))
        await context.clear_cookies()  # any a service worker or unload handler set while the rest was cleared
    except Exception:  # noqa: BLE001 - not cleared: never handed on
        with contextlib.suppress(Exception):
            await page.close()
        return False
    lease.origins.clear()
    lease.session_origins.clear()
    lease.frame_origins.clear()
    return True

