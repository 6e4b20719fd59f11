"""What a probe's browser does not load: fonts, images, media and analytics, per target (`block:` in its file).

A customer's question does not need the shop's photos, web fonts or tracking scripts; Chromium spends CPU and
memory fetching, decoding and running them. A target lists what to leave out; the probe's browser context aborts
those requests (`blockedbyclient`) before they go out. Leave a kind out of the list when a page needs it to work
(a chat widget that only renders once its web font has loaded, say). tests/test_blocking.py shows it in real
Chromium, for a page and for a frame of another site.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Iterable
from typing import Any, Literal
from urllib.parse import urlsplit

Blockable = Literal["fonts", "images", "media", "analytics"]
_TYPES = {"fonts": {"font"}, "images": {"image"}, "media": {"media"}}
#: hosts (and their subdomains) of common analytics, tag-manager and session-recording services
ANALYTICS_HOSTS = (
    "google-analytics.com", "googletagmanager.com", "doubleclick.net", "googleadservices.com", "segment.com", "segment.io",
    "hotjar.com", "hotjar.io", "connect.facebook.net", "mixpanel.com", "amplitude.com", "clarity.ms", "fullstory.com",
    "heapanalytics.com", "heap.io", "matomo.cloud", "plausible.io", "newrelic.com", "nr-data.net", "bat.bing.com",
    "static.ads-twitter.com", "analytics.tiktok.com", "snap.licdn.com", "cdn.mxpnl.com",
)


def should_block(resource_type: str, url: str, kinds: Iterable[str]) -> bool:
    """Whether a request of this Playwright resource type to `url` is of a kind the target blocks."""
    kinds = set(kinds)
    if any(resource_type in _TYPES.get(kind, ()) for kind in kinds):
        return True
    if "analytics" in kinds:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in ANALYTICS_HOSTS)
    return False


def patterns(kinds: Iterable[str]) -> list[dict[str, str]]:
    """CDP `Fetch.RequestPattern`s of the requests that may be of `kinds`: only those are held for a decision."""
    kinds = set(kinds)
    out = [{"urlPattern": "*", "resourceType": cdp_type, "requestStage": "Request"}
           for kind, cdp_type in (("fonts", "Font"), ("images", "Image"), ("media", "Media")) if kind in kinds]
    if "analytics" in kinds:
        out += [{"urlPattern": f"*://{prefix}{host}/*", "requestStage": "Request"} for host in ANALYTICS_HOSTS for prefix in ("", "*.")]
    return out


#: each page's (or cross-site frame's) blocking set-up, awaited by `ready` before the page's first navigation
_SETUP: weakref.WeakKeyDictionary[Any, asyncio.Future[None]] = weakref.WeakKeyDictionary()
_DECISIONS: set[asyncio.Task[None]] = set()


async def _decide(session: Any, event: dict[str, Any], kinds: tuple[str, ...]) -> None:
    request_id = event["requestId"]
    with contextlib.suppress(Exception):  # the page or frame went away meanwhile: nothing to decide
        if should_block(str(event.get("resourceType", "")).lower(), event["request"]["url"], kinds):
            await session.send("Fetch.failRequest", {"requestId": request_id, "errorReason": "BlockedByClient"})
        else:
            await session.send("Fetch.continueRequest", {"requestId": request_id})


async def _hold(context: Any, target: Any, kinds: tuple[str, ...]) -> None:
    """Hold the requests of `target` (a page, or a frame of another site, which has its own DevTools target) that
    match `patterns(kinds)`, and abort those `should_block` says."""
    session = await context.new_cdp_session(target)

    def paused(event: dict[str, Any]) -> None:
        task = asyncio.ensure_future(_decide(session, event, kinds))
        _DECISIONS.add(task)
        task.add_done_callback(_DECISIONS.discard)

    session.on("Fetch.requestPaused", paused)
    await session.send("Fetch.enable", {"patterns": patterns(kinds)})


def _watch(context: Any, page: Any, kinds: tuple[str, ...]) -> None:
    setup = _SETUP[page] = asyncio.ensure_future(_hold(context, page, kinds))
    setup.add_done_callback(lambda done: done.cancelled() or done.exception())  # a page closed at once: nothing to hold
    origins: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()  # cross-site frames: the host each was held on

    def navigated(frame: Any) -> None:
        origin = urlsplit(frame.url).netloc
        if frame == page.main_frame or not origin or origins.get(frame) == origin:
            return
        origins[frame] = origin
        task = asyncio.ensure_future(_frame(context, frame, kinds))
        _DECISIONS.add(task)  # type: ignore[arg-type]
        task.add_done_callback(_DECISIONS.discard)  # type: ignore[arg-type]

    page.on("framenavigated", navigated)


async def _frame(context: Any, frame: Any, kinds: tuple[str, ...]) -> None:
    with contextlib.suppress(Exception):  # a frame of the page's own process is covered by the page's session
        await _hold(context, frame, kinds)


async def install(context: Any, kinds: Iterable[str]) -> None:
    """Abort the requests of `kinds` in every page of a browser context (nothing when `kinds` is empty).

    Only requests that may be of those kinds stop on their way (a DevTools `Fetch` pattern per resource type and
    analytics host, on each page's own session): the page's documents, scripts and form posts go out untouched.
    Playwright's `context.route` would hold every request for Python to look at, which cost a form probe ~30 ms of
    CPU (10%) against the demo desk. Call `ready(page)` before a new page's first navigation. A frame of another
    site runs in a process of its own, with its own session, set up when it first navigates: requests it makes
    before that (its first few milliseconds) are not held. The same goes for a pop-up's first requests."""
    chosen = tuple(kinds)
    if not chosen:
        return
    for page in context.pages:
        _watch(context, page, chosen)
    context.on("page", lambda page: _watch(context, page, chosen))


async def ready(page: Any) -> None:
    """Wait until the page's blocking is in place (at once when its context blocks nothing)."""
    setup = _SETUP.get(page)
    if setup is not None:
        with contextlib.suppress(Exception):  # no session for a page closed meanwhile: its navigation fails on its own
            await asyncio.shield(setup)
