"""What a probe's browser does not load: fonts, images, media and analytics, per target (`block:` in its file).

A customer's question does not need the shop's photos, web fonts or tracking scripts; Chromium spends CPU and
memory fetching, decoding and running them. A target lists what to leave out; the probe's browser context aborts
those requests (`blockedbyclient`) before they go out. Leave a kind out of the list when a page needs it to work
(a chat widget that only renders once its web font has loaded, say).
"""

from __future__ import annotations

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


async def install(context: Any, kinds: Iterable[str]) -> None:
    """Abort the requests of `kinds` in every page of a browser context (nothing when `kinds` is empty)."""
    chosen = tuple(kinds)
    if not chosen:
        return

    async def route(route: Any) -> None:
        request = route.request
        if should_block(request.resource_type, request.url, chosen):
            await route.abort("blockedbyclient")
        else:
            await route.continue_()

    await context.route("**/*", route)
