"""Pooled browser contexts leak nothing from one persona to the next: real Chromium, a real local server.

Persona A's page sets a cookie (by script and by the server), localStorage, sessionStorage, IndexedDB, Cache
Storage, registers a service worker, fills the HTTP cache with an ETag'd resource, and on a second origin
stores data too; A is granted geolocation and notifications. Persona B then gets the same context and the
same page from the pool and must see none of it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import mysteryshop.channels.browser as browser_module
from mysteryshop.channels.browser import Browser, BrowserOptions

pytestmark = [pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium"), pytest.mark.timeout(120)]

LEAVE = """<!doctype html><html><body><p>A</p>
<script>const framed = new Promise((ok) => addEventListener('message', ok, {once: true}));</script>
<iframe id=f src="http://localhost:%(port)d/frame"></iframe>
<script>
window.done = (async () => {
  document.cookie = 'js_cookie=persona-a; max-age=3600; path=/';
  window.name = 'persona-a';
  localStorage.setItem('who', 'persona-a');
  sessionStorage.setItem('who', 'persona-a');
  await new Promise((ok, fail) => {
    const open = indexedDB.open('shop', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('s');
    open.onsuccess = () => { const tx = open.result.transaction('s', 'readwrite'); tx.objectStore('s').put('persona-a', 'who');
                             tx.oncomplete = () => { open.result.close(); ok(); }; tx.onerror = fail; };
    open.onerror = fail;
  });
  const cache = await caches.open('shop');
  await cache.put('/cached', new Response('persona-a'));
  await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, {once: true}));
  await (await fetch('/etag')).text();
  await framed;
  return true;
})();
</script></body></html>"""

#: on a second origin (localhost), in a frame of A's page (where Chromium denies a third-party frame its storage) and
#: then as a page of its own, as a journey that crosses from a shop's home page to its help centre would
FRAME = b"""<!doctype html><script>try { localStorage.setItem('who', 'persona-a-frame'); sessionStorage.setItem('who', 'persona-a-frame');
document.cookie = 'frame_cookie=persona-a; max-age=3600; path=/'; } catch (e) {}
window.done = true; if (parent !== window) parent.postMessage('stored', '*');</script>"""

READ = """async () => {
  const idb = await new Promise((ok) => {
    const open = indexedDB.open('shop');
    open.onupgradeneeded = () => { open.transaction.abort(); ok(null); };
    open.onsuccess = () => { const db = open.result;
      if (!db.objectStoreNames.contains('s')) { db.close(); ok(null); return; }
      const get = db.transaction('s').objectStore('s').get('who'); get.onsuccess = () => { db.close(); ok(get.result ?? null); }; };
    open.onerror = () => ok(null);
  });
  const perm = async (name) => (await navigator.permissions.query({name})).state;
  return {
    cookie: document.cookie, local: localStorage.getItem('who'), session: sessionStorage.getItem('who'), idb,
    databases: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(), cached: await caches.match('/cached') ? 'persona-a' : null,
    workers: (await navigator.serviceWorker.getRegistrations()).length, controlled: !!navigator.serviceWorker.controller,
    geolocation: await perm('geolocation'), notifications: await perm('notifications'), history: history.length, name: window.name,
  };
}"""

SW = b"self.addEventListener('activate', (e) => e.waitUntil(clients.claim()));\nself.addEventListener('fetch', (e) => { if (new URL(e.request.url).pathname === '/sw-probe') e.respondWith(new Response('sw of persona-a')); });"


class Server:
    """The shop: `/leave` (persona A's page), `/frame` (cross-origin, on localhost), `/read`, `/sw.js`, `/etag`."""

    def __init__(self) -> None:
        self.etag_requests: list[dict[str, str | None]] = []
        self.cookies_seen: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                server.cookies_seen.append(self.headers.get("Cookie"))
                headers = {"Content-Type": "text/html"}
                if path == "/leave":
                    body = (LEAVE % {"port": server.port}).encode()
                    headers["Set-Cookie"] = "server_cookie=persona-a; Max-Age=3600; Path=/"
                elif path == "/frame":
                    body = FRAME
                elif path == "/sw.js":
                    body, headers["Content-Type"] = SW, "text/javascript"
                elif path == "/etag":
                    server.etag_requests.append({"if-none-match": self.headers.get("If-None-Match")})
                    body, headers["ETag"], headers["Cache-Control"] = b"x", '"persona-a"', "max-age=3600"
                else:
                    body = b"<!doctype html><p>B</p>"
                self.send_response(200)
                for key, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


async def leave_and_read(server: Server, block: list[str]) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Persona A leaves state; persona B, in the reused context and page, reads it. Returns (B's view on the page's
    origin, B's view on the frame's origin, [A's context is B's, A's page is B's])."""
    base, frame = f"http://127.0.0.1:{server.port}", f"http://localhost:{server.port}"
    browser = Browser(BrowserOptions(concurrency=1, artifacts="off", reuse=True))
    try:
        a = await browser.context("persona-a", block=block)
        page = await browser.new_page(a, 20)
        await a.context.grant_permissions(["geolocation", "notifications"], origin=base)
        await page.goto(base + "/leave")
        assert await page.evaluate("window.done") is True
        seen_by_a = await page.evaluate(READ)
        assert seen_by_a["local"] == "persona-a" and seen_by_a["workers"] == 1 and seen_by_a["geolocation"] == "granted"  # A did leave it
        assert await page.evaluate("fetch('/sw-probe').then((r) => r.text())") == "sw of persona-a"
        await page.goto(frame + "/frame")
        assert await page.evaluate("localStorage.getItem('who')") == "persona-a-frame"
        await (await a.context.new_page()).goto(base + "/popup")  # a second page A leaves open
        context_a, page_a = a.context, page
        await browser.close_page(a, page)
        await browser.finish("persona-a", failed=False)
        await browser.settled()

        b = await browser.context("persona-b", block=block)
        page = await browser.new_page(b, 20)
        same = [b.context is context_a, page is page_a, len(b.context.pages)]
        server.etag_requests.clear()
        server.cookies_seen.clear()
        await page.goto(base + "/read")
        on_page = await page.evaluate(READ)
        on_page["etag"] = await page.evaluate("fetch('/etag').then((r) => r.text())")
        on_page["sw_probe"] = await page.evaluate("fetch('/sw-probe').then((r) => r.text())")
        on_page["etag_requests"] = list(server.etag_requests)
        on_page["cookies_sent"] = [c for c in server.cookies_seen if c]
        await page.goto(frame + "/read")
        on_frame = await page.evaluate(READ)
        await browser.close_page(b, page)
        await browser.finish("persona-b", failed=False)
        return on_page, on_frame, same
    finally:
        await browser.stop()


def assert_clean(view: dict[str, Any], pages_of_b: int) -> None:
    assert view["cookie"] == ""
    assert view["local"] is None
    assert view["session"] is None
    assert view["idb"] is None and "shop" not in view["databases"]
    assert view["caches"] == [] and view["cached"] is None
    assert view["workers"] == 0 and view["controlled"] is False
    assert view["geolocation"] != "granted" and view["notifications"] != "granted"
    assert view["name"] == ""
    # A visited three pages; B's tab holds only the reset document before B's own page (a fresh tab's initial
    # about:blank is replaced instead: the one difference from a new tab, and the same for every persona)
    assert view["history"] <= 1 + pages_of_b


@pytest.mark.parametrize("block", [[], ["fonts", "images", "media", "analytics"]], ids=["no-blocking", "blocking"])
def test_persona_b_sees_nothing_persona_a_left_in_the_reused_context(block: list[str]) -> None:
    server = Server()
    on_page, on_frame, same = asyncio.run(leave_and_read(server, block))
    assert same == [True, True, 1], "persona B must get persona A's context and page from the pool, with A's popup closed"
    assert_clean(on_page, 1)
    assert_clean(on_frame, 2)
    assert on_page["etag_requests"] == [{"if-none-match": None}], "the HTTP cache carried persona A's ETag"
    assert on_page["cookies_sent"] == []
    assert on_page["sw_probe"] == "<!doctype html><p>B</p>"  # the server answers: no worker of A's intercepts
    assert on_page["etag"] == "x"


def test_the_check_sees_what_a_context_keeps_when_nothing_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same scenario without the reset: each kind of state shows up for persona B (the check can fail)."""

    async def keep_everything(lease: Any) -> bool:
        return True

    monkeypatch.setattr(browser_module, "reset", keep_everything)
    on_page, on_frame, same = asyncio.run(leave_and_read(Server(), []))
    assert same[:2] == [True, True]
    assert on_page["cookie"] and on_page["local"] == "persona-a" and on_page["session"] == "persona-a" and on_page["idb"] == "persona-a"
    # (the ETag is not carried even then: Playwright turns the HTTP cache off in a page with a route, as pooled pages have)
    assert on_page["sw_probe"] == "sw of persona-a"
    assert on_page["caches"] == ["shop"] and on_page["workers"] == 1 and on_page["geolocation"] == "granted"
    assert on_page["history"] > 1 and on_page["cookies_sent"]
    assert on_page["name"] == "persona-a"
    assert on_frame["local"] == "persona-a-frame" and on_frame["session"] == "persona-a-frame"
    print(json.dumps(on_page))


def test_artifacts_trace_never_reuses_a_context(tmp_path: Path) -> None:
    """A trace and HAR belong to one probe's context: with artifacts `trace` every probe gets a fresh one."""

    async def two() -> list[Any]:
        browser = Browser(BrowserOptions(concurrency=1, artifacts="trace", artifacts_dir=tmp_path, reuse=True))
        try:
            contexts = []
            for probe_id in ("a", "b"):
                probe = await browser.context(probe_id)
                contexts.append(probe.context)
                await browser.close_page(probe, await browser.new_page(probe, 10))
                await browser.finish(probe_id, failed=False)
                await browser.settled()
            return contexts
        finally:
            await browser.stop()

    first, second = asyncio.run(two())
    assert first is not second


UNLOAD = b"""<!doctype html><p>A</p><script>
addEventListener('pagehide', () => sessionStorage.setItem('who', 'persona-a-pagehide'));
addEventListener('unload', () => sessionStorage.setItem('late', 'persona-a-unload'));
</script>"""


async def unload_writes(server: Server) -> tuple[list[Any], int]:
    """Persona A's page writes sessionStorage only while it is left; B opens the same origin. Returns (what B reads,
    the navigations the reset made: reset documents the page opened)."""
    base = f"http://127.0.0.1:{server.port}"
    browser = Browser(BrowserOptions(concurrency=1, artifacts="off", reuse=True))
    try:
        a = await browser.context("persona-a")
        page = await browser.new_page(a, 20)
        resets: list[str] = []
        page.on("framenavigated", lambda frame: resets.append(frame.url) if "__mysteryshop_reset__" in frame.url else None)
        await page.route("**/unload", lambda route: route.fulfill(status=200, content_type="text/html", body=UNLOAD))
        await page.goto(base + "/unload")
        assert await page.evaluate("sessionStorage.length") == 0
        await browser.close_page(a, page)
        await browser.finish("persona-a", failed=False)
        await browser.settled()
        b = await browser.context("persona-b")
        page = await browser.new_page(b, 20)
        await page.goto(base + "/read")
        seen = await page.evaluate("[sessionStorage.getItem('who'), sessionStorage.getItem('late')]")
        return seen, len(resets)
    finally:
        await browser.stop()


def test_sessionstorage_written_by_unload_handlers_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first reset in a browser checks, on a reset document of an origin the page reported sessionStorage writes
    to (those of pagehide and unload handlers too), that `Storage.clearDataForOrigin` cleared it; once it has, later
    resets trust it and navigate nowhere. The control half: with nothing cleared and the check skipped, A's writes
    reach B (so the test can fail)."""
    import mysteryshop.channels.reset as reset_module

    monkeypatch.setattr(reset_module, "CLEARS_SESSION_STORAGE", {})
    seen, navigations = asyncio.run(unload_writes(Server()))
    assert seen == [None, None]
    assert navigations == 1 and list(reset_module.CLEARS_SESSION_STORAGE.values()) == [True]
    seen, navigations = asyncio.run(unload_writes(Server()))
    assert seen == [None, None] and navigations == 0, "a browser whose clearing was checked is trusted"

    async def nothing(cdp: Any, origin: str) -> None:
        return None

    monkeypatch.setattr(reset_module, "clear_origin", nothing)
    seen, navigations = asyncio.run(unload_writes(Server()))
    assert navigations == 0 and seen == ["persona-a-pagehide", "persona-a-unload"]


def test_a_browser_that_does_not_clear_sessionstorage_gets_a_navigation_per_written_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    """If clearDataForOrigin leaves sessionStorage (another Chromium build), the check finds it and the reset document
    clears it, then and on every later reset."""
    import mysteryshop.channels.reset as reset_module

    async def all_but_session(cdp: Any, origin: str) -> None:
        return None  # as a build whose clearing leaves sessionStorage (the rest of this origin is not written here)

    monkeypatch.setattr(reset_module, "CLEARS_SESSION_STORAGE", {})
    monkeypatch.setattr(reset_module, "clear_origin", all_but_session)
    for _ in range(2):
        seen, navigations = asyncio.run(unload_writes(Server()))
        assert seen == [None, None] and navigations == 1
    assert list(reset_module.CLEARS_SESSION_STORAGE.values()) == [False]


async def quiet_probe(server: Server) -> int:
    base = f"http://127.0.0.1:{server.port}"
    browser = Browser(BrowserOptions(concurrency=1, artifacts="off", reuse=True))
    try:
        a = await browser.context("persona-a")
        page = await browser.new_page(a, 20)
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        await page.goto(base + "/read")
        await browser.close_page(a, page)
        await browser.finish("persona-a", failed=False)
        await browser.settled()
        return sum("__mysteryshop_reset__" in url for url in navigations)
    finally:
        await browser.stop()


def test_a_persona_that_never_touched_sessionstorage_costs_no_reset_navigation() -> None:
    assert asyncio.run(quiet_probe(Server())) == 0


class KeepAliveServer:
    """HTTP/1.1 with keep-alive: each request's answer is the client's port (which socket it came over); `accepted`
    lists the port of every connection opened (Chromium may open more than one: a speculative preconnect)."""

    def __init__(self) -> None:
        accepted: list[int] = []
        self.accepted = accepted

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                # no favicon: Chromium's request for /favicon.ico, cancelled when the page closes, closes its socket
                body = f'<!doctype html><link rel="icon" href="data:,"><body>{self.client_address[1]}</body>'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Keep-Alive", "timeout=60")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Recording(ThreadingHTTPServer):
            def process_request(self, request: Any, client_address: Any) -> None:
                accepted.append(client_address[1])
                super().process_request(request, client_address)

        self.httpd = Recording(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/port"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


async def sockets_of_two_personas(server: KeepAliveServer, options: BrowserOptions, target_reuse: bool) -> tuple[set[int], int, bool]:
    """(the sockets opened while persona A ran, the socket persona B's request came over, whether B got A's context)."""
    url = server.url
    browser = Browser(options)
    try:
        ports, contexts = [], []
        opened_by_a: set[int] = set()
        for persona in ("persona-a", "persona-b"):
            if persona == "persona-b":
                opened_by_a = set(server.accepted)
            probe = await browser.context(persona, reuse=target_reuse)
            contexts.append(probe.context)
            page = await browser.new_page(probe, 20)
            await page.goto(url)
            ports.append(await page.evaluate("document.body.innerText"))
            await browser.close_page(probe, page)
            await browser.finish(persona, failed=False)
            await browser.settled()
        assert int(ports[0]) in opened_by_a
        return opened_by_a, int(ports[1]), contexts[0] is contexts[1]
    finally:
        await browser.stop()


@pytest.mark.parametrize(("run", "target", "shared"), [(None, True, True), (None, False, False), (False, True, False), (True, False, True)],
                         ids=["target-on", "target-off", "run-off-overrides", "run-on-overrides"])
def test_reuse_is_the_targets_choice_unless_the_run_makes_it_and_a_reused_context_keeps_its_socket(
        run: bool | None, target: bool, shared: bool) -> None:
    """What reuse does not clear, shown: persona B reaches the server over persona A's keep-alive socket in a reused
    context (no CDP command closes it), and over a socket of its own in a fresh one. Hence off unless a target (or the
    run) turns it on."""
    server = KeepAliveServer()
    opened_by_a, port_b, same_context = asyncio.run(sockets_of_two_personas(server, BrowserOptions(concurrency=1, artifacts="off", reuse=run), target))
    assert same_context is shared
    assert (port_b in opened_by_a) is shared, f"sockets opened while persona A ran {sorted(opened_by_a)}, persona B's request came over {port_b}"


async def contexts_while_a_waits_for_email(server: KeepAliveServer, *, page_open: bool) -> tuple[bool, bool, int]:
    """Persona A drives a page, its walk ends (`walked`) while it still waits (for email, say): does persona B, who
    starts then, get A's context? (whether B got A's context, whether A's page was kept open, probes reused)"""
    browser = Browser(BrowserOptions(concurrency=2, artifacts="off", reuse=True))
    try:
        a = await browser.context("persona-a", reuse=True)
        context_a = a.context
        page = await browser.new_page(a, 20)
        await page.goto(server.url)
        if not page_open:
            await browser.close_page(a, page)
        browser.walked("persona-a")
        await browser.settled()
        shared = (await browser.context("persona-b", reuse=True)).context is context_a
        kept_open = page_open and not page.is_closed()
        await browser.finish("persona-a", failed=False)
        await browser.finish("persona-b", failed=False)
        return shared, kept_open, browser.reused
    finally:
        await browser.stop()


def test_a_probe_whose_walk_ended_hands_its_context_on_before_it_ends() -> None:
    """A form probe then waits minutes or hours for the company's email; the personas that start meanwhile reuse its
    context (before, each opened one of its own and pooling stopped under load: 30 of 100 bench probes reused)."""
    server = KeepAliveServer()
    shared, kept_open, reused = asyncio.run(contexts_while_a_waits_for_email(server, page_open=False))
    assert shared and reused == 1


def test_a_probe_with_a_page_still_open_keeps_its_context_until_it_ends() -> None:
    """An open page (a chat's) is the probe's evidence if it fails: `walked` leaves it and the context alone."""
    server = KeepAliveServer()
    shared, kept_open, reused = asyncio.run(contexts_while_a_waits_for_email(server, page_open=True))
    assert kept_open and not shared and reused == 0
