"""The demo desk's web side: a contact form and a chat widget (aiohttp, a real websocket).

It runs on the same loop, in the same process, as the email desk (`EmailDesk`), shares its
behaviour profile, its CRM (what the company knows about each customer address) and its
ground-truth log, so the demo company is one process with one JSON-lines truth file:

- `GET /contact`, `POST /contact`: the form (name, email, order id, topic, message, preferred
  reply, attachment, consent). Server-side validation shows its errors on the page; a valid
  submission gets a confirmation page with a ticket number, then emails per the profile,
  threaded to that ticket (`[#NW-123456]` in the subject).
- `GET /contact?busy=<ms>`: the same form with a heavy script that keeps the page's main thread busy for that
  long (at most 20 s) once it has loaded, as a slow third-party script does: an accessibility audit times out.
- `GET /contact-protected`: the same form behind a CAPTCHA (to check that probes report it as
  blocked rather than hang).
- `GET /deep/...`, `GET /nowayin/...`: more site layouts (demo/site.py): the contact form hidden three
  clicks deep (`/deep/help/contact`, which also asks for a phone number and a date of birth; in German
  under `/deep/de/`, with a scripted button under `/deep/js/`), a shop with no way to contact support, and
  `/chathelp/`: a shop whose chat widget is reachable only through its help centre (behind a cookie banner).
- `GET /widget-chat`: the same chat as a widget embedded the way vendors do it: a launcher in a
  shadow root, a cross-origin <iframe> served from a second port (see mysteryshop/demo/widget.py
  for its variants: nested frames, a cookie banner, a moving launcher, a frame that never loads).
- `GET /chat`, `GET /chat/ws`: a page with a chat widget. A bot greets, shows the queue position
  and estimated wait, a human agent joins after the profile's handoff delay (typing indicator
  first), answers with the profile's quality, sends status updates while the customer waits and
  asks a satisfaction question at the end. Every message is logged with the monotonic time the
  desk pushed it into the websocket (`sent_ns`).

Delays are company time, divided by the desk's `speedup`.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from mysteryshop.demo.company import Customer, company, topic_of
from mysteryshop.demo.keys import contact_rng
from mysteryshop.demo.site import CHATHELP, CHATHELP_CHAT, DEEP, DEEP_DE, DEEP_FORM, DEEP_JS, NOWAYIN, site_page
from mysteryshop.demo.widget import CONSENT_COOKIE, WidgetSite, consent_banner, host_page, variant

if TYPE_CHECKING:
    from mysteryshop.demo.desk import EmailDesk

TOPICS = {
    "returns": "Returns and refunds",
    "delivery": "Delivery",
    "warranty": "Warranty and repairs",
    "other": "Something else",
}
REPLY_BY = {"email": "Email", "phone": "Phone"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ORDER_ID = re.compile(r"^ORD-\d{6}$")
_ORDER_IN_TEXT = re.compile(r"\b(ORD-\d+)\b")
MAX_FIELD = 5000
MAX_CHAT_EVENTS = 200
MAX_BUSY_MS = 20_000

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 40rem; padding: 0 1rem; color: #1d2330; }
label { display: block; margin-top: .8rem; font-weight: 600; }
input[type=text], input[type=email], select, textarea { width: 100%; padding: .4rem; box-sizing: border-box; }
.error { color: #b3261e; margin: .2rem 0; } .errors { border: 1px solid #b3261e; padding: .5rem 1rem; background: #fde7e4; }
fieldset { margin-top: .8rem; } button { margin-top: 1rem; padding: .5rem 1.2rem; }
#chat-launcher { position: fixed; right: 1rem; bottom: 1rem; }
#chat-panel { position: fixed; right: 1rem; bottom: 1rem; width: 22rem; border: 1px solid #889; background: #fff; padding: .5rem; }
#chat-log { height: 18rem; overflow-y: auto; border: 1px solid #dde; padding: .3rem; margin-bottom: .4rem; }
.msg { margin: .25rem 0; padding: .25rem .5rem; border-radius: 6px; }
.msg.bot { background: #eef; } .msg.agent { background: #efe; } .msg.customer { background: #f4f4f4; text-align: right; }
.typing { color: #667; font-style: italic; } .chat-ended { color: #667; text-align: center; }
"""


def _page(title: str, body: str) -> str:
    return f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>{body}</body></html>"


#: the poor profile's form (Profile.accessible_form false): the order number's label is not tied to its input (axe: `label`,
#: critical) and a hint is grey on white at 1.6:1 (axe: `color-contrast`, serious), two faults of real contact forms
_UNLABELLED_ORDER = '<span class="fake-label">Order number</span><input type="text" id="order" name="order_id" value="{value}">'
_PALE_HINT = '<p class="hint" style="color:#c4c4c4">We usually answer within 48 hours.</p>'


def _form_html(action: str, values: dict[str, str], errors: dict[str, str], *, captcha: bool = False, personal: bool = False,
               accessible: bool = True) -> str:
    """The contact form. `personal`: it also asks for a phone number (required, HTML5 `required`: the browser checks it
    before sending) and a date of birth (optional), which a question about an order has no need of (the deep site)."""
    v = {k: html.escape(str(values.get(k, "")), quote=True) for k in ("name", "email", "order_id", "message", "topic", "reply_by", "phone", "birth_date")}

    def err(name: str) -> str:
        return f'<p class="error" id="error-{name}" role="alert">{html.escape(errors[name])}</p>' if name in errors else ""

    summary = ""
    if errors:
        items = "".join(f"<li>{html.escape(m)}</li>" for m in errors.values())
        summary = f'<div class="errors" role="alert"><p>Please correct the following:</p><ul>{items}</ul></div>'
    options = "".join(
        f'<option value="{k}"{" selected" if v["topic"] == k else ""}>{html.escape(label)}</option>' for k, label in TOPICS.items()
    )
    radios = "".join(
        f'<input type="radio" id="reply-{k}" name="reply_by" value="{k}"{" checked" if v["reply_by"] == k else ""}>'
        f'<label for="reply-{k}" style="display:inline;font-weight:normal">{label}</label> '
        for k, label in REPLY_BY.items()
    )
    widget = ""
    if captcha:
        widget = (
            '<div class="g-recaptcha" data-sitekey="6Lc-demo-sitekey"><iframe title="reCAPTCHA" '
            "srcdoc=\"<label><input type=checkbox> I'm not a robot</label>\" width=300 height=80></iframe></div>"
        )
    extra = ""
    if personal:
        extra = (f'<label for="phone">Phone number *</label><input type="tel" id="phone" name="phone" required value="{v["phone"]}">{err("phone")}'
                 f'<label for="birth">Date of birth</label><input type="date" id="birth" name="birth_date" value="{v["birth_date"]}">')
    order_field = (f'<label for="order">Order number</label><input type="text" id="order" name="order_id" value="{v["order_id"]}" placeholder="ORD-123456">'
                   if accessible else _UNLABELLED_ORDER.format(value=v["order_id"]))
    return _page("Contact us — Northwind Outfitters", f"""
<h1>Contact customer care</h1>
{"" if accessible else _PALE_HINT}
{summary}
<form method="post" action="{action}" enctype="multipart/form-data"{"" if personal else " novalidate"}>
  <label for="name">Your name</label><input type="text" id="name" name="name" value="{v['name']}">{err('name')}
  <label for="email">Email address</label><input type="email" id="email" name="email" value="{v['email']}">{err('email')}
  {extra}
  {order_field}{err('order_id')}
  <label for="topic">Topic</label><select id="topic" name="topic"><option value="">Choose a topic</option>{options}</select>{err('topic')}
  <label for="message">Message</label><textarea id="message" name="message" rows="6">{v['message']}</textarea>{err('message')}
  <fieldset><legend>How should we reply?</legend>{radios}</fieldset>
  <label for="attachment">Attachment (optional)</label><input type="file" id="attachment" name="attachment">
  <p><input type="checkbox" id="consent" name="consent" value="yes"{" checked" if values.get("consent") else ""}>
     <label for="consent" style="display:inline">I agree that Northwind may process my data to answer me</label></p>{err('consent')}
  {widget}{err('captcha')}
  <button type="submit" id="send">Send message</button>
</form>""")


_CHAT_PAGE = _page("Help centre — Northwind Outfitters", """
<h1>Help centre</h1>
<p>Questions about an order? Our team is here to help.</p>
<button id="chat-launcher" type="button">Chat with us</button>
<div id="chat-panel" hidden>
  <div id="chat-prechat">
    <label for="chat-email">Your email (optional)</label><input type="email" id="chat-email">
    <button id="chat-start" type="button">Start chat</button>
  </div>
  <div id="chat-conversation" hidden>
    <div id="chat-log" aria-live="polite"></div>
    <input type="text" id="chat-input" placeholder="Type a message" aria-label="Message">
    <button id="chat-send" type="button">Send</button>
  </div>
</div>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
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
  $('chat-launcher').addEventListener('click', () => { $('chat-panel').hidden = false; $('chat-launcher').hidden = true; });
  $('chat-start').addEventListener('click', () => {
    const startedAt = performance.timeOrigin + performance.now();
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat/ws');
    ws.addEventListener('open', () => { open = true; ws.send(JSON.stringify({type: 'start', email: $('chat-email').value, t: startedAt})); for (const m of pending) ws.send(JSON.stringify(m)); pending = []; });
    ws.addEventListener('message', (event) => {
      const m = JSON.parse(event.data);
      if (m.type === 'message') add(m.author, m.text, m.planned);
      else if (m.type === 'typing' && m.on) { removeTyping(); const t = document.createElement('div'); t.className = 'typing'; if (m.planned) t.dataset.mysteryshopPlanned = m.planned; t.textContent = m.name + ' is typing…'; log.appendChild(t); }
      else if (m.type === 'typing') removeTyping();
      else if (m.type === 'end') { const e = document.createElement('div'); e.className = 'chat-ended'; e.textContent = 'The chat has ended.'; log.appendChild(e); }
    });
    $('chat-prechat').hidden = true; $('chat-conversation').hidden = false; $('chat-input').focus();
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
</script>""")

_INDEX = _page("Northwind Outfitters", '<h1>Northwind Outfitters</h1><p><a href="/contact">Contact form</a> · <a href="/chat">Chat</a></p>')


class WebDesk:
    """The company's website: contact form and chat widget, on the loop that calls `start()`."""

    def __init__(self, email: EmailDesk, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.email = email
        self.profile = email.profile
        self.speedup = email.speedup
        self.seed = email.seed
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self._chats: set[asyncio.Task[None]] = set()
        self._chat_count = 0
        self.widget = WidgetSite(self._chat_ws)  # the same conversation as /chat/ws

    async def start(self) -> int:
        app = web.Application(client_max_size=10 * 2**20)
        app.add_routes([
            web.get("/", self._index),
            web.get("/contact", self._contact_form),
            web.post("/contact", self._contact_submit),
            web.get("/contact-protected", self._protected_form),
            web.post("/contact-protected", self._protected_submit),
            web.get("/chat", self._chat_page),
            web.get("/chat/ws", self._chat_ws),
            web.get(DEEP_FORM, self._deep_form),
            web.post(DEEP_FORM, self._deep_submit),
            web.get(DEEP + "{tail:(/.*)?}", self._site),
            web.get(NOWAYIN + "{tail:(/.*)?}", self._site),
            web.get(CHATHELP_CHAT, self._chathelp_chat),
            web.get(CHATHELP + "{tail:(/.*)?}", self._site),
            web.get("/widget-chat", self._widget_page),
        ])
        await self.widget.start(self.host)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        for task in list(self._chats):
            task.cancel()
        await asyncio.gather(*self._chats, return_exceptions=True)
        await self.widget.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- pages ----------------------------------------------------------------------------
    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text=_INDEX, content_type="text/html")

    async def _contact_form(self, request: web.Request) -> web.Response:
        page = _form_html("/contact", {}, {}, accessible=self.profile.accessible_form)
        busy = request.query.get("busy", "")
        if busy.isdigit():
            ms = min(int(busy), MAX_BUSY_MS)
            # from just after the page is shown (DOMContentLoaded), not before: the probe meets a loaded form, then a busy page
            script = (f"<script>document.addEventListener('DOMContentLoaded', () => setTimeout(() => {{ const end = Date.now() + {ms}; "
                      f"while (Date.now() < end) {{}} }}, 200));</script>")
            page = page.replace("</body>", script + "</body>")
        return web.Response(text=page, content_type="text/html")

    async def _site(self, request: web.Request) -> web.Response:
        path = request.path
        base = next(b for b in (DEEP_DE, DEEP_JS, DEEP, NOWAYIN, CHATHELP) if path == b or path.startswith(b + "/"))
        banner = consent_banner() if base == CHATHELP and CONSENT_COOKIE not in request.cookies else ""
        page = site_page(base, path[len(base):], banner=banner)
        if page is None:
            raise web.HTTPNotFound(text="no such page")
        return web.Response(text=page, content_type="text/html")

    async def _deep_form(self, request: web.Request) -> web.Response:
        return web.Response(text=_form_html(DEEP_FORM, {}, {}, personal=True, accessible=self.profile.accessible_form), content_type="text/html")

    async def _deep_submit(self, request: web.Request) -> web.Response:
        return await self._contact_submit(request, action=DEEP_FORM, personal=True)

    async def _protected_form(self, request: web.Request) -> web.Response:
        return web.Response(text=_form_html("/contact-protected", {}, {}, captcha=True), content_type="text/html")

    async def _protected_submit(self, request: web.Request) -> web.Response:
        values, _ = await self._read_form(request)
        page = _form_html("/contact-protected", values, {"captcha": "Please confirm that you are not a robot."}, captcha=True)
        return web.Response(text=page, content_type="text/html", status=400)

    async def _read_form(self, request: web.Request) -> tuple[dict[str, str], dict[str, Any] | None]:
        data = await request.post()
        values: dict[str, str] = {}
        attachment = None
        for key in ("name", "email", "order_id", "topic", "message", "reply_by", "consent", "phone", "birth_date"):
            item = data.get(key)
            if isinstance(item, str):
                values[key] = item.strip()[:MAX_FIELD]
        upload = data.get("attachment")
        if isinstance(upload, web.FileField) and upload.filename:
            attachment = {"filename": upload.filename, "bytes": len(upload.file.read())}
        return values, attachment

    @staticmethod
    def validate(values: dict[str, str]) -> dict[str, str]:
        """Server-side validation: field -> the message the page shows."""
        errors = {}
        if not values.get("name"):
            errors["name"] = "Please enter your name."
        if not _EMAIL.match(values.get("email", "")):
            errors["email"] = "Please enter a valid email address."
        if not _ORDER_ID.match(values.get("order_id", "")):
            errors["order_id"] = "The order number must look like ORD-123456."
        if values.get("topic") not in TOPICS:
            errors["topic"] = "Please choose a topic."
        if len(values.get("message", "")) < 10:
            errors["message"] = "Please tell us a little more (at least 10 characters)."
        if values.get("reply_by") and values["reply_by"] not in REPLY_BY:
            errors["reply_by"] = "Please choose how we should reply."
        if not values.get("consent"):
            errors["consent"] = "Please agree to the processing of your data so we can answer you."
        return errors

    async def _contact_submit(self, request: web.Request, *, action: str = "/contact", personal: bool = False) -> web.Response:
        received_ns = time.monotonic_ns()
        values, attachment = await self._read_form(request)
        errors = self.validate(values)
        if personal and not values.get("phone"):
            errors["phone"] = "Please enter your phone number."
        if errors:
            return web.Response(text=_form_html(action, values, errors, personal=personal, accessible=self.profile.accessible_form),
                                content_type="text/html", status=422)
        rng = contact_rng(self.seed, "form", address=values["email"], name=values["name"], what=f"{values['topic']}\n{values['message']}")
        ticket = f"NW-{rng.randint(100000, 999999)}"
        topic = TOPICS[values["topic"]]
        customer = Customer(address=values["email"], name=values["name"], order_id=values["order_id"], text=f"{topic}\n{values['message']}")
        self.email.truth.add_web(
            "form", email=values["email"], name=values["name"], order_id=values["order_id"], topic=values["topic"],
            reply_by=values.get("reply_by"), attachment=attachment, ticket=ticket, received_ns=received_ns,
        )
        self.email.respond(customer, f"Your request: {topic}", None, ticket, received_ns, rng)
        body = (
            f'<h1>Thank you, {html.escape(values["name"].split()[0])}</h1>'
            f'<p id="confirmation">We have received your request. Your ticket number is <strong>{ticket}</strong>. '
            f'We will reply to {html.escape(values["email"])}.</p><p><a href="/chat">Chat with us</a></p>'
        )
        return web.Response(text=_page("Request received — Northwind Outfitters", body), content_type="text/html")

    async def _chat_page(self, request: web.Request) -> web.Response:
        return web.Response(text=_CHAT_PAGE, content_type="text/html")

    async def _widget_page(self, request: web.Request) -> web.Response:
        origin = f"http://{request.url.host}:{self.widget.port}"  # the host the browser used, on the widget's port
        return web.Response(text=host_page(origin, variant(dict(request.query))), content_type="text/html")

    async def _chathelp_chat(self, request: web.Request) -> web.Response:
        """The chat layout's chat page: the widget (nested frames, a launcher that slides), loaded once cookies are accepted."""
        origin = f"http://{request.url.host}:{self.widget.port}"
        options = {"nested": "1", "launcher": "moves"} | ({} if CONSENT_COOKIE in request.cookies else {"consent": "1"})
        return web.Response(text=host_page(origin, options, title="Chat with us"), content_type="text/html")

    # -- chat -----------------------------------------------------------------------------
    async def _chat_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024)
        await ws.prepare(request)
        self._chat_count += 1
        chat = _Chat(self, ws, self._chat_count)
        try:
            async for msg in ws:  # ends when the browser closes the socket
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    continue
                said_at = data.get("t") if _page_time(data.get("t")) is not None else None
                if data.get("type") == "start":
                    chat.start(str(data.get("email") or "")[:320], said_at)
                elif data.get("type") == "message":
                    chat.customer_said(str(data.get("text") or "")[:MAX_FIELD], said_at)
                elif data.get("type") == "seen" and isinstance(data.get("t"), (int, float)):
                    chat.seen(str(data.get("text") or "")[:MAX_FIELD], float(data["t"]))
        finally:
            chat.cancel()
        return ws


def _page_time(page_ms: Any) -> int | None:
    """The monotonic ns of a page time the widget sent (epoch ms: Chromium's page clock is the monotonic clock plus a
    wall-clock offset), or None when it is missing or not within the last minute. The chat's plan counts from when the
    customer acted on the page, not from when a busy machine got their message here, so every run plays it alike."""
    if not isinstance(page_ms, (int, float)):
        return None
    now = time.monotonic_ns()
    t_ns = int(page_ms * 1_000_000) - (time.time_ns() - now)
    # up to a second ahead: the page's clock and this process's reading of the wall clock's offset differ by milliseconds
    return t_ns if now - 60_000_000_000 <= t_ns <= now + 1_000_000_000 else None


class _Chat:
    """One chat conversation: plans the company's side when the customer first writes, then plays it."""

    AGENTS = ("Sam", "Alex", "Priya", "Jonas")

    def __init__(self, desk: WebDesk, ws: web.WebSocketResponse, number: int) -> None:
        self.desk, self.ws, self.number = desk, ws, number
        self.behaviour = desk.profile.chat
        self.email = ""
        self.rng = contact_rng(desk.seed, "chat-start")
        self.customer_messages: list[str] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def _truth(self, **entry: Any) -> None:
        self.desk.email.truth.add_web("chat", chat=self.number, email=self.email, **entry)

    def start(self, email: str, page_ms: float | None = None) -> None:
        """The customer opened the chat (`page_ms`: when, by the page's clock)."""
        self.email = email
        self.rng = contact_rng(self.desk.seed, "chat-start", address=email)
        self._truth(author="customer", kind="start", text="", received_ns=time.monotonic_ns())
        plan = []
        if self.rng.random() < self.behaviour.greeting:
            plan = [(0, "message", "bot", "greeting", "Hi! I'm Nova, Northwind's virtual assistant. What can I help you with today?")]
        self.desk.email.truth.add_planned(channel="chat", chat=self.number, email=email, said="", messages=[list(m) for m in plan])
        if plan:
            self._play(plan, page_ms=page_ms)

    def seen(self, text: str, page_ms: float) -> None:
        """The widget's read receipt: when (its page clock, epoch ms) a message arrived in the browser. Chromium's page
        clock is the monotonic clock plus a wall-clock offset fixed at its start, so this machine's offset maps it back."""
        shown_ns = int(page_ms * 1_000_000) - (time.time_ns() - time.monotonic_ns())
        self._truth(author="page", kind="seen", text=text, page_ms=page_ms, shown_ns=shown_ns)

    def customer_said(self, text: str, page_ms: float | None = None) -> None:
        """The customer wrote `text` (`page_ms`: when the page showed it, by its clock); the plan counts from then."""
        received_ns = time.monotonic_ns()
        self.customer_messages.append(text)
        self._truth(author="customer", kind="received", text=text, received_ns=received_ns)
        if len(self.customer_messages) == 1:
            # what the chat does is drawn when the customer first writes, keyed on who they are and what they said
            self.rng = contact_rng(self.desk.seed, "chat", address=self.email, what=text)
            plan = self._plan(text)
            self.desk.email.truth.add_planned(channel="chat", chat=self.number, email=self.email, said=text, messages=[list(m) for m in plan])
            self._play(plan, start_ns=received_ns, page_ms=page_ms)

    def _plan(self, text: str) -> list[tuple[int, str, str, str, str]]:
        """(company ns after the customer's first message, type, author, kind, text), in order."""
        b, rng = self.behaviour, self.rng
        known = self.desk.email.crm.get(self.email.lower(), {}) if self.email else {}
        said_order = _ORDER_IN_TEXT.search(text)
        agent = rng.choice(self.AGENTS)
        handoff = rng.randint(*b.handoff) if b.handoff[0] < b.handoff[1] else b.handoff[0]
        answer_after = rng.randint(*b.answer.delay) if b.answer.delay[0] < b.answer.delay[1] else b.answer.delay[0]
        answer_at = handoff + answer_after
        names, weights = zip(*b.answer.quality.items(), strict=True)
        quality = rng.choices(names, weights)[0]
        remembers = rng.random() < b.remembers
        plan: list[tuple[int, str, str, str, str]] = []
        position = rng.randint(2, 6)
        if rng.random() < b.wait_estimate:
            minutes = max(1, round(handoff / 60e9))
            plan.append((0, "message", "bot", "queue", f"Thanks! You are number {position} in the queue. Estimated wait: about {minutes} minutes."))
        else:
            plan.append((0, "message", "bot", "queue", "Thanks! Please hold on, an agent will be with you soon."))
        if rng.random() < b.status_update:
            every = max(b.status_every, 1)
            for k in range(1, 50):
                at = k * every
                if at >= answer_at - b.typing:
                    break
                if at < handoff - b.typing:
                    plan.append((at, "message", "bot", "status", f"Thanks for waiting. You are now number {max(1, position - k)} in the queue."))
                elif at > handoff:
                    plan.append((at, "message", "agent", "status", "I'm still checking this for you, thanks for your patience."))
        name = (known.get("name") or "").split()
        order = known.get("order_id") or (said_order.group(1) if said_order else None)
        tickets = known.get("tickets") or []
        if remembers and name and order:
            ticket = tickets[-1] if tickets else None
            about = f" I can see your {'contact form' if ticket and ticket['channel'] == 'webform' else 'email'} request {ticket['ticket']} about order {order}." if ticket else f" I can see your order {order}."
            intro = f"Hi {name[0]}, this is {agent} from Northwind customer care.{about} Let me look into it."
            asked = False
        elif remembers and order:
            intro = f"Hi, this is {agent} from Northwind customer care. I'm looking at order {order} now."
            asked = False
        else:
            intro = f"Hi, this is {agent} from Northwind customer care. Could you please tell me your name and your order number?"
            asked = True
        plan.append((max(0, handoff - b.typing), "typing", "agent", "typing", agent))
        plan.append((handoff, "message", "agent", "intro" if not asked else "asks_again", intro))
        topic = company()["topics"][topic_of(" ".join([known.get("text", ""), *self.customer_messages]))]
        if quality == "stalling":
            answer = "We are looking into your request and will get back to you as soon as possible."
        else:
            personal = f"{name[0]}, " if remembers and name else ""
            answer = personal + " ".join(topic["wrong" if quality == "wrong" else "good"].split())
        plan.append((max(handoff, answer_at - b.typing), "typing", "agent", "typing", agent))
        plan.append((answer_at, "message", "agent", f"answer_{quality}", answer))
        if rng.random() < b.survey:
            plan.append((answer_at + b.survey_delay, "message", "bot", "survey", "How satisfied were you with this chat? Please rate us from 1 (poor) to 5 (excellent)."))
            plan.append((answer_at + b.survey_delay, "end", "bot", "end", ""))
        return sorted(plan, key=lambda item: item[0])[:MAX_CHAT_EVENTS]

    def _play(self, plan: list[tuple[int, str, str, str, str]], start_ns: int | None = None, page_ms: float | None = None) -> None:
        """Play `plan` from `start_ns` (monotonic); with `page_ms`, the page time the customer acted at, each message is
        stamped with its planned page time counted from then, in the page's own clock (so the harness, which reads the
        customer's line by that clock too, sees the plan's delays exactly)."""
        start = time.monotonic_ns() if start_ns is None else start_ns
        task = asyncio.ensure_future(self._run(plan, start, page_ms))
        for tasks in (self.tasks, self.desk._chats):  # noqa: SLF001
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _run(self, plan: list[tuple[int, str, str, str, str]], start_ns: int, page_ms: float | None = None) -> None:
        for offset, kind_type, author, kind, text in plan:
            scheduled_ns = start_ns + int(offset / self.desk.speedup)
            delay = (scheduled_ns - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            if self.ws.closed:
                return
            # the page time it was planned for: the harness times a simulated desk's message by it (channels/chat.py)
            planned_ms = (page_ms + offset / self.desk.speedup / 1e6 if page_ms is not None
                          else (scheduled_ns + time.time_ns() - time.monotonic_ns()) / 1e6)
            if kind_type == "message":
                payload = {"type": "message", "author": author, "text": text, "planned": planned_ms}
            elif kind_type == "typing":
                payload = {"type": "typing", "on": True, "name": text, "planned": planned_ms}
            else:
                payload = {"type": "end"}
            sent_ns = time.monotonic_ns()
            try:
                await self.ws.send_str(json.dumps(payload))
            except (ConnectionError, RuntimeError):
                return
            self._truth(author=author, kind=kind, text=text if kind_type == "message" else "", sent_ns=sent_ns, scheduled_ns=scheduled_ns)

    def cancel(self) -> None:
        """The customer left: nothing more is sent."""
        for task in list(self.tasks):
            task.cancel()
