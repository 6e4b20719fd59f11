"""The demo desk's embedded chat widget: the way most companies' chat really reaches a customer.

The company's page (`GET /widget-chat` on the desk's website) loads a script from a second origin
(another port on the same host, like a vendor's CDN). The script puts a shadow-DOM host on the page
with a launcher button in its (open) shadow root; the launcher opens a cross-origin <iframe>, the
messenger, whose conversation lives in a shadow root of its own and talks to the same chat
websocket as `/chat` (so the same conversation plan and the same ground-truth log).

Query parameters of `/widget-chat` give the variants a probe has to cope with:

- `nested=1`: the messenger frame holds a second frame (`name=nw-conversation`) with the conversation;
- `consent=1`: a cookie banner covers the bottom of the page, and the widget's script is loaded only
  once it is accepted (`#nw-consent-accept`), as consent managers gate third-party scripts;
  `consent=over`: the widget loads at once, under the banner (its launcher cannot be clicked);
- `launcher=moves`: the launcher appears on the left and slides to the right half a second later;
  `launcher=restless`: it never stops moving (an endless animation); `launcher=frame`: the launcher
  is a button in a cross-origin frame of its own (`name=nw-launcher`), as Intercom and Zendesk do;
- `frame=never`: the messenger frame's URL never answers (the frame never loads);
- `shadow=closed`: the messenger's shadow root is closed;
- `busy=<ms>`: once the chat starts, the messenger keeps its main thread busy that long (at most 20 s), as a heavy
  script does: an accessibility audit of the open widget times out.

The messenger sends a read receipt for each message (`{type: 'seen', t}`, its page clock when the
message arrived): the desk logs it, so a benchmark can split a chat message's timing error into the
delivery to the browser and what the probe's own clock adds (bench/chat_widget_timing.py).
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

NOTICE = "Our chat team is here from 8am to 8pm."
HANG_S = 120  # how long `/hang` holds a request (bounded: the desk's stop ends it sooner)
VARIANTS = {"nested": ("1",), "consent": ("1", "over"), "launcher": ("moves", "restless", "frame"), "frame": ("never",), "shadow": ("closed",)}

_HOST_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; color: #1d2330; }
#nw-consent { position: fixed; left: 0; right: 0; bottom: 0; height: 40vh; background: #1d2330; color: #fff; padding: 1rem 2rem; z-index: 10; }
#nw-consent button { margin-right: 1rem; padding: .5rem 1.2rem; }
"""

_LOADER = """
(() => {
  const me = document.currentScript;
  const origin = new URL(me.src).origin;
  const opts = JSON.parse(me.dataset.options || '{}');
  const host = document.createElement('div');
  host.id = 'nw-widget';
  document.body.appendChild(host);
  const root = host.attachShadow({mode: 'open'});
  root.innerHTML = `<style>
    .nw-launcher { position: fixed; bottom: 1rem; right: 1rem; padding: .7rem 1.2rem; border-radius: 2rem; border: 0;
                   background: #2458d6; color: #fff; z-index: 5; transition: right .3s, left .3s; }
    .nw-launcher.left { right: auto; left: 1rem; }
    .nw-launcher.restless { animation: nw-wander .4s linear infinite alternate; }
    @keyframes nw-wander { from { transform: translateX(0); } to { transform: translateX(-12rem); } }
    iframe { position: fixed; bottom: 1rem; right: 1rem; width: 24rem; height: 30rem; border: 1px solid #889; background: #fff; z-index: 6; }
  </style><button class="nw-launcher" type="button" aria-label="Open chat">Chat with us</button>`;
  let launcher = root.querySelector('.nw-launcher');
  if (opts.launcher === 'moves') { launcher.classList.add('left'); setTimeout(() => launcher.classList.remove('left'), 500); }
  if (opts.launcher === 'restless') launcher.classList.add('restless');
  function openMessenger() {
    if (root.querySelector('iframe[name=nw-messenger]')) return;
    const frame = document.createElement('iframe');
    frame.name = 'nw-messenger';
    frame.title = 'Northwind chat';
    const query = new URLSearchParams({nested: opts.nested || '', shadow: opts.shadow || '', busy: opts.busy || ''});
    frame.src = origin + (opts.frame === 'never' ? '/hang' : (opts.nested ? '/shell?' : '/messenger?') + query);
    root.appendChild(frame);
    launcher.hidden = true;
  }
  if (opts.launcher === 'frame') {
    // the launcher in a frame of its own, which asks the page to open the messenger
    const frame = document.createElement('iframe');
    frame.name = 'nw-launcher';
    frame.title = 'Open the chat';
    frame.src = origin + '/launcher';
    frame.style.cssText = 'position: fixed; bottom: 1rem; right: 1rem; width: 10rem; height: 3.5rem; border: 0; z-index: 5;';
    launcher.replaceWith(frame);
    launcher = frame;
    window.addEventListener('message', (event) => { if (event.origin === origin && event.data === 'nw-open') openMessenger(); });
  } else {
    launcher.addEventListener('click', openMessenger);
  }
})();
"""

_MESSENGER = """<!doctype html><html lang=en><head><meta charset=utf-8><title>Northwind chat</title></head>
<body style="margin:0;font:14px/1.4 system-ui,sans-serif"><div id="nw-app"></div>
<script>
(() => {
  const mode = new URLSearchParams(location.search).get('shadow') === 'closed' ? 'closed' : 'open';
  const busy = Math.min(Number(new URLSearchParams(location.search).get('busy')) || 0, 20000);
  const root = document.getElementById('nw-app').attachShadow({mode});
  root.innerHTML = `<style>
    .pane { padding: .5rem; } #chat-log { height: 20rem; overflow-y: auto; border: 1px solid #dde; padding: .3rem; margin-bottom: .4rem; }
    .msg { margin: .25rem 0; padding: .25rem .5rem; border-radius: 6px; }
    .msg.bot { background: #eef; } .msg.agent { background: #efe; } .msg.customer { background: #f4f4f4; text-align: right; }
    .typing { color: #667; font-style: italic; } .chat-ended { color: #667; text-align: center; }
  </style>
  <div class="pane" id="chat-prechat"><label for="chat-email">Your email (optional)</label><input type="email" id="chat-email">
    <button id="chat-start" type="button">Start chat</button></div>
  <div class="pane" id="chat-conversation" hidden><div id="chat-log" aria-live="polite"></div>
    <input type="text" id="chat-input" placeholder="Type a message" aria-label="Message"><button id="chat-send" type="button">Send</button></div>`;
  const $ = (id) => root.getElementById(id);
  const log = $('chat-log');
  let ws = null, open = false, pending = [];
  function removeTyping() { for (const el of log.querySelectorAll('.typing')) el.remove(); }
  function add(author, text, planned) {
    removeTyping();
    const el = document.createElement('div');
    el.className = 'msg ' + author;
    el.dataset.author = author;
    if (planned) el.dataset.mysteryshopPlanned = planned;
    el.textContent = text;
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
  }
  function send(obj) { if (open) ws.send(JSON.stringify(obj)); else pending.push(obj); }
  $('chat-start').addEventListener('click', () => {
    const startedAt = performance.timeOrigin + performance.now();
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    ws.addEventListener('open', () => { open = true; ws.send(JSON.stringify({type: 'start', email: $('chat-email').value, t: startedAt})); for (const m of pending) ws.send(JSON.stringify(m)); pending = []; });
    ws.addEventListener('message', (event) => {
      const at = performance.timeOrigin + performance.now();
      const m = JSON.parse(event.data);
      if (m.type === 'message') { add(m.author, m.text, m.planned); ws.send(JSON.stringify({type: 'seen', text: m.text, t: at})); }
      else if (m.type === 'typing' && m.on) { removeTyping(); const t = document.createElement('div'); t.className = 'typing'; if (m.planned) t.dataset.mysteryshopPlanned = m.planned; t.textContent = m.name + ' is typing…'; log.appendChild(t); }
      else if (m.type === 'typing') removeTyping();
      else if (m.type === 'end') { const e = document.createElement('div'); e.className = 'chat-ended'; e.textContent = 'The chat has ended.'; log.appendChild(e); }
    });
    $('chat-prechat').hidden = true; $('chat-conversation').hidden = false; $('chat-input').focus();
    if (busy) setTimeout(() => { const end = Date.now() + busy; while (Date.now() < end) {} }, 100);
  });
  function sendInput() {
    const text = $('chat-input').value.trim();
    if (!text || !ws) return;
    const t = performance.timeOrigin + performance.now();
    add('customer', text, t);  // the time the desk counts its plan from: the harness counts from it too
    send({type: 'message', text, t});
    $('chat-input').value = '';
  }
  $('chat-send').addEventListener('click', sendInput);
  $('chat-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') sendInput(); });
})();
</script></body></html>"""

_LAUNCHER = """<!doctype html><html lang=en><head><meta charset=utf-8><title>Open the chat</title></head>
<body style="margin:0"><button type="button" style="width:100%;height:3.5rem;border:0;border-radius:2rem;background:#2458d6;color:#fff"
 onclick="parent.postMessage('nw-open', '*')">Chat with us</button></body></html>"""

_SHELL = """<!doctype html><html lang=en><head><meta charset=utf-8><title>Northwind messenger</title></head>
<body style="margin:0"><iframe name="nw-conversation" title="Conversation" src="/messenger?%s" style="border:0;width:100%%;height:29rem"></iframe></body></html>"""


MAX_BUSY_MS = 20_000


def variant(query: dict[str, str]) -> dict[str, str]:
    """The widget variant a page asks for (unknown parameters and values are ignored)."""
    chosen = {key: query[key] for key, allowed in VARIANTS.items() if query.get(key) in allowed}
    if query.get("busy", "").isdigit():
        chosen["busy"] = str(min(int(query["busy"]), MAX_BUSY_MS))
    return chosen


#: set when the visitor accepts the cookie banner (remembered on later pages of the same site, as consent managers do)
CONSENT_COOKIE = "nw_consent"


def consent_banner(loader: str = "") -> str:
    """A cookie banner; accepting it sets CONSENT_COOKIE and runs `loader` (a <script src> tag whose script is added only
    then, as consent managers gate third-party scripts)."""
    load = ("const t = document.getElementById('nw-loader').content.querySelector('script');"
            "const s = document.createElement('script'); s.src = t.src; s.dataset.options = t.dataset.options; document.body.appendChild(s);"
            if loader else "")
    return ('<div id="nw-consent" role="dialog" aria-label="Cookie consent"><p>We use cookies to run our chat and to improve our site.</p>'
            '<button id="nw-consent-accept" type="button">Accept all</button><button id="nw-consent-reject" type="button">Reject</button></div>'
            + (f"<template id=nw-loader>{loader}</template>" if loader else "") + "<script>"
            "document.getElementById('nw-consent-accept').addEventListener('click', () => {"
            f"  document.cookie = '{CONSENT_COOKIE}=1; path=/; SameSite=Lax';"
            "  document.getElementById('nw-consent').remove();" + load + "});</script>")


def host_page(widget_origin: str, options: dict[str, str], *, title: str = "Help centre") -> str:
    """The company's page that embeds the widget from `widget_origin`."""
    loader = f'<script src="{widget_origin}/loader.js" data-options="{html.escape(json.dumps(options), quote=True)}"></script>'
    consent = ""
    if options.get("consent") == "over":
        consent = ('<div id="nw-consent" role="dialog" aria-label="Cookie consent"><p>We use cookies to run our chat and to improve our site.</p>'
                   '<button id="nw-consent-accept" type="button" onclick="this.parentElement.remove()">Accept all</button></div>')
    elif options.get("consent"):
        consent = consent_banner(loader)
        loader = ""
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)} — Northwind Outfitters</title>"
            f"<style>{_HOST_STYLE}</style></head><body><h1>{html.escape(title)}</h1><p>Questions about an order? Our team is here to help.</p>"
            # the company's own page uses the widget's class names too: only the widget's frame is the conversation
            f'<p class="msg bot notice">{NOTICE}</p>'
            f"{consent}{loader}</body></html>")


class WidgetSite:
    """The widget's own origin: loader script, messenger frames and the chat websocket (the desk's)."""

    def __init__(self, chat_ws: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> None:
        """`chat_ws`: the desk's chat websocket handler (the widget's frame talks to it from this origin)."""
        self.chat_ws = chat_ws
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()

    async def start(self, host: str) -> int:
        app = web.Application()
        app.add_routes([
            web.get("/loader.js", self._loader),
            web.get("/messenger", self._messenger),
            web.get("/shell", self._shell),
            web.get("/launcher", self._launcher),
            web.get("/hang", self._hang),
            web.get("/ws", self.chat_ws),
        ])
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, 0, reuse_address=True)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _loader(self, request: web.Request) -> web.Response:
        return web.Response(text=_LOADER, content_type="application/javascript")

    async def _messenger(self, request: web.Request) -> web.Response:
        return web.Response(text=_MESSENGER, content_type="text/html")

    async def _launcher(self, request: web.Request) -> web.Response:
        return web.Response(text=_LAUNCHER, content_type="text/html")

    async def _shell(self, request: web.Request) -> web.Response:
        query = "&".join((["shadow=closed"] if request.query.get("shadow") == "closed" else [])
                         + ([f"busy={request.query['busy']}"] if request.query.get("busy", "").isdigit() else []))
        return web.Response(text=_SHELL % query, content_type="text/html")

    async def _hang(self, request: web.Request) -> web.Response:
        """A frame that never loads: the request is held until the desk stops (at most HANG_S)."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=HANG_S)
        except TimeoutError:
            pass
        return web.Response(status=504, text="gave up")
