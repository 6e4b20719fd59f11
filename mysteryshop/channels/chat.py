"""The chat channel: open a company's chat widget, say the persona's lines, record every message.

Each message the company shows is timestamped when it enters the DOM, not by polling: a
MutationObserver injected before the page's own scripts runs (as a microtask) right after the
mutation that inserted the message, reads the page's high-resolution clock
(`performance.timeOrigin + performance.now()`) and reports through a binding exposed to Python.
The binding call reaches Python a little later (a CDP round trip, and whatever else the engine
loop is doing), so the time is taken in the page, not on arrival. It is converted to this
process's `time.monotonic_ns()` with an offset measured per page (`page_clock_offset`: the
shortest of five evaluate() round trips, error at most half of it), which keeps chat times on
the same clock as every other event of the run and as the demo desk's ground truth.

Authors come from the target's `chat.authors` selectors (bot, agent, customer); a typing
indicator (`chat.typing`) is recorded as author 'typing'. A message no author selector matches
whose text is what the customer typed is the customer's (a vendor preset's selectors may miss it;
counted as the company's, it would answer the customer's own question).

Widgets as vendors embed them: the observer is installed in every frame of the page (Playwright
runs init scripts in each frame as it is created, cross-origin ones included) and watches every
shadow root too, by wrapping `attachShadow` before the page's scripts run. Only the messages of
the widget's own frame (`chat.frame`, resolved by mysteryshop.channels.widget) are recorded, timed
with that frame's clock offset. The way in (cookie banner, launcher, frames) is in `open`; when
an element does not come in time, the verdict says why (widget.diagnose) before the step's deadline.

A chat that starts at the home page (`chat.start_at: home`, or the step's `start: home`) is first looked
for as a customer would (channels/wayin.py): each page the search opens is given `chat.launcher_wait`
seconds to show the launcher (or the open widget), and links named like chat, contact or help lead on.
No chat found is the verdict `NoWayToChat`, with the pages opened.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mysteryshop.channels.browser import page_clock_offset, page_load_error, page_status_error
from mysteryshop.channels.wayin import Goal, find_way_in
from mysteryshop.channels.widget import ConsentRequired, Where, consent_banner, diagnose, frame_now, remaining_ms, resolve_frames, scoped
from mysteryshop.errors import ChannelError, MysteryShopError
from mysteryshop.scoring.weblog import ChatMessage, WayIn

if TYPE_CHECKING:
    from mysteryshop.target import ChatChannel, Target, WidgetPlace

BINDING = "__mysteryshopReport"
MAX_MESSAGES = 2000  # per conversation: a runaway page cannot exhaust memory
#: a planned time further before the message was shown than this is not believed
STAMP_LAG_LIMIT_MS = 60_000
POLL_S = 0.1  # how often a page of the way-in search is looked at for the chat while it may still come


def counted_page_ms(shown_ms: float, planned: Any, speedup: float) -> float:
    """When a chat line counts (page clock, epoch ms): when the page showed it, or, on a simulated desk only (speedup > 1:
    the demo), the page time its `data-mysteryshop-planned` stamp names. The demo's page stamps the customer's own line
    with the moment they sent it and the desk counts each reply's planned delay from that same reading, so delays come out
    exactly as planned whatever a busy machine adds before the page shows a line (the observer saw the customer's own line
    up to 30 ms after it was sent: two company minutes at 14,400x). A real company's page counts when it showed a line,
    whatever it says; a stamp after the line was shown (50 ms allowed: a reading of another process) or a minute before
    it is not believed."""
    if speedup <= 1 or isinstance(planned, bool) or not isinstance(planned, (int, float)):
        return shown_ms
    return float(planned) if -50 <= shown_ms - planned <= STAMP_LAG_LIMIT_MS else shown_ms


class NoWayToChat(ChannelError):
    """From the home page, no way to the chat was found (within the clicks, pages and time allowed)."""

    problem = "no_way_to_chat"

    def __init__(self, message: str, way: WayIn) -> None:
        self.way = way
        super().__init__(message)

_OBSERVER = """
(() => {
  const cfg = %s;
  const seen = new WeakSet();
  const roots = [document];
  // a simulated desk (the demo) stamps each message with the page time it planned to show it (data-mysteryshop-planned)
  const planned = (el) => { const v = Number(el.dataset && el.dataset.mysteryshopPlanned); return Number.isFinite(v) && v > 0 ? v : null; };
  // doc: which document of the frame saw it (a frame keeps its identity across navigations: the way-in search's pages are not the chat's)
  const report = (t, author, text, el) => { try { window[cfg.binding]({t, author, text, planned: planned(el), doc: performance.timeOrigin}); } catch (e) {} };
  function authorOf(el) {
    for (const [author, selector] of Object.entries(cfg.authors)) {
      try { if (el.matches(selector) || el.closest(selector)) return author; } catch (e) {}
    }
    return 'unknown';
  }
  function within(log, node) {
    for (let i = 0; node && i < 10000; i++) { if (node === log) return true; node = node.parentNode || node.host; }
    return false;
  }
  function each(selector, visit) {
    // inside the conversation container (in whichever root it is, and the shadow roots under it), else everywhere
    const logs = [];
    for (const root of roots) { const log = root.querySelector(cfg.log); if (log) logs.push(log); }
    const bases = logs.length ? [...logs, ...roots.filter((r) => r !== document && !logs.some((l) => l.getRootNode() === r) && logs.some((l) => within(l, r.host)))] : roots;
    for (const base of bases) for (const el of base.querySelectorAll(selector)) visit(el);
  }
  function scan() {
    const t = performance.timeOrigin + performance.now();
    each(cfg.message, (el) => {
      if (seen.has(el)) return;
      const text = (el.innerText || el.textContent || '').trim();
      if (!text) return;
      seen.add(el);
      report(t, authorOf(el), text, el);
    });
    if (cfg.typing) {
      each(cfg.typing, (el) => {
        if (seen.has(el)) return;
        seen.add(el);
        report(t, 'typing', (el.textContent || '').trim(), el);
      });
    }
  }
  const options = {childList: true, subtree: true, characterData: true};
  const observer = new MutationObserver(scan);
  observer.observe(document, options);
  // Shadow roots (open or closed) are watched from the moment the page's scripts create them:
  // a MutationObserver on the document does not see inside them.
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, cfg.openShadow ? Object.assign({}, init, {mode: 'open'}) : init);
    if (roots.length < 1000) { roots.push(root); observer.observe(root, options); }  // bounded: a page that makes shadow roots without end
    return root;
  };
})();
"""


def _normal(text: str) -> str:
    return " ".join(text.split())


def _utc(epoch_ms: float) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ChatSession:
    """One open chat on one page of a probe's browser context."""

    def __init__(self, page: Any, *, target: Target, step_id: str, journey: str, on_message: Callable[[ChatMessage], None]) -> None:
        channel = target.spec.chat
        assert channel is not None
        self.channel: ChatChannel = channel
        self.page = page
        self.target = target
        self.step_id = step_id
        self.journey = journey
        self.on_message = on_message
        self.offset_ns: int | None = None
        self.frame: Any = None  # the widget's document (the page's main frame when the target names no frame)
        self.scope: Any = None  # where the widget's selectors are looked up: the frame, inside its shadow hosts
        self._early: list[tuple[Any, dict[str, Any]]] = []
        self.count = 0
        self.customer_seen = asyncio.Event()
        self.last_customer_ns: int | None = None
        self._step = step_id  # the step a verdict names
        self._said: set[str] = set()  # what the customer typed: a message the author selectors miss is the customer's if it matches

    def _where(self, step: str | None = None) -> Where:
        return Where(step or self._step, self.journey, self.target.path)

    def _report(self, source: Any, payload: dict[str, Any]) -> None:
        """The binding: called on the engine loop for each message the observer saw, in any frame of the page."""
        frame = source.get("frame") if isinstance(source, dict) else None
        if self.offset_ns is None or self.frame is None:
            if len(self._early) < MAX_MESSAGES:
                self._early.append((frame, payload))
            return
        if frame is self.frame:
            self._record(payload)

    def _record(self, payload: dict[str, Any]) -> None:
        if self.count >= MAX_MESSAGES:
            return
        self.count += 1
        page_ms = float(payload.get("t", 0.0))
        assert self.offset_ns is not None
        shown_ns = int(page_ms * 1_000_000) - self.offset_ns
        page_ms = counted_page_ms(page_ms, payload.get("planned"), self.target.spec.speedup)
        t_ns = int(page_ms * 1_000_000) - self.offset_ns
        author = str(payload.get("author", "unknown"))
        text = str(payload.get("text", ""))
        if author == "unknown" and _normal(text) in self._said:
            author = "customer"
        message = ChatMessage(self.step_id, t_ns, _utc(page_ms), author, text[:20_000], shown_ns if shown_ns != t_ns else None)
        if author == "customer":
            self.last_customer_ns = t_ns
            self.customer_seen.set()
        self.on_message(message)

    async def open(self, persona: Any, deadline: float, *, start: str | None = None,
                   record: Callable[[WayIn], None] | None = None) -> dict[str, str]:
        """Load the page (or find the chat from the home page), accept cookies, click the launcher, find the widget's frame,
        fill the pre-chat form; returns what the customer gave (email, name).

        `start`: the step's `start:` (default: the target's `chat.start_at`); `record` is handed the way in from the home page
        as soon as it is known, whatever the outcome."""
        from playwright.async_api import Error as PlaywrightError

        ch = self.channel
        config = {"binding": BINDING, "log": ch.log, "message": ch.message, "authors": dict(ch.authors), "typing": ch.typing,
                  "openShadow": ch.open_shadow_roots}
        await self.page.expose_binding(BINDING, self._report)
        await self.page.add_init_script(_OBSERVER % json.dumps(config))
        # verdicts are due within the step's deadline: the waits end a little before it, leaving time to say why
        verdict_at = deadline - min(1.5, 0.25 * ch.timeout)
        shown = "launcher" if ch.open is not None else "widget"
        if (start or ch.start_at) == "home":
            shown = await self._find_chat(persona, verdict_at, record)
        else:
            await self._goto(ch.url, "the chat page", "chat.url", verdict_at)
            if ch.consent is not None:
                await self._accept_consent(ch.consent, min(verdict_at, time.monotonic() + ch.consent_wait), verdict_at)
        here = self._where()
        if ch.open is not None and shown == "launcher":
            launcher = await self._place(ch.open, "chat.open", verdict_at)
            await self._act(launcher, "click", "chat.open", ch.open.selector, verdict_at)
        self.frame = await resolve_frames(self.page, ch.frame, verdict_at, setting="chat.frame", where=here) if ch.frame else self.page.main_frame
        self.scope = scoped(self.frame, ch.shadow)
        self.offset_ns = await page_clock_offset(self.frame)
        try:
            document = await self.frame.evaluate("performance.timeOrigin")
        except PlaywrightError:
            document = None
        early, self._early = self._early, []
        for frame, payload in early:
            if frame is self.frame and (document is None or payload.get("doc") == document):
                self._record(payload)
        given: dict[str, str] = {}
        steps: list[tuple[str, str, str | None]] = [("fill", "email", ch.email), ("fill", "name", ch.name), ("click", "start", ch.start)]
        for action, setting, selector in steps:
            if not selector:
                continue
            value = (persona.email if setting == "email" else persona.full_name) if action == "fill" else None
            await self._act(self.scope.locator(selector).first, action, f"chat.{setting}", selector, verdict_at, value)
            if value is not None:
                given[setting] = value
        await self._act(self.scope.locator(ch.input).first, "visible", "chat.input", ch.input, verdict_at)
        return given

    async def _goto(self, url: str, what: str, setting: str, deadline: float) -> None:
        """Load a page the chat step starts at; an error that says whether the server, the URL or the company is at fault."""
        from playwright.async_api import Error as PlaywrightError

        where = {"what": what, "setting": setting, "target_path": self.target.path, "step": self.step_id, "journey": self.journey}
        try:
            loaded = await self.page.goto(url, wait_until="domcontentloaded", timeout=remaining_ms(deadline))
        except PlaywrightError as exc:
            raise page_load_error(exc, url, **where) from exc
        refused = page_status_error(loaded.status if loaded is not None else None, url, **where)
        if refused is not None:
            raise refused

    async def _find_chat(self, persona: Any, deadline: float, record: Callable[[WayIn], None] | None) -> str:
        """From the home page to a page that shows the chat (its launcher, or the widget already open), as a customer
        would; 'launcher' or 'widget'. No way found raises `NoWayToChat` (or `ConsentRequired` when a cookie banner that
        the target names no accept button for may be what hides it)."""
        from playwright.async_api import Error as PlaywrightError

        ch = self.channel
        home = ch.home_url
        await self._goto(home, "the home page", "chat.home", deadline)
        banner: dict[str, Any] | None = None
        first = True
        shown: list[str] = []

        async def on_page() -> None:
            nonlocal first, banner
            if ch.consent is None:
                if banner is None:
                    banner = await consent_banner(self.page)
                return
            # consent managers may show the banner late on the first page; later pages show it at once, or not at all
            show_by = min(deadline, time.monotonic() + (ch.consent_wait if first else 0.3))
            first = False
            await self._accept_consent(ch.consent, show_by, deadline)

        async def reached() -> bool:
            until = min(deadline, time.monotonic() + ch.launcher_wait)
            while True:
                found = await self._chat_now()
                if found is not None:
                    shown.append(found)
                    return True
                if time.monotonic() >= until:
                    return False
                await asyncio.sleep(POLL_S)

        goal = Goal("a chat", "chat", reached, ch.url, chat=True)
        try:
            way = await find_way_in(self.page, goal, home=home, max_clicks=ch.max_clicks, max_pages=ch.max_pages, timeout=ch.timeout,
                                    step=self.step_id, locale=getattr(persona, "locale", "en"), topic_texts=[], deadline=deadline,
                                    t_ns=time.monotonic_ns(), on_page=on_page)
        except PlaywrightError as exc:
            raise ChannelError(f"{self._where()}: looking for the chat from {home} failed: {str(exc).splitlines()[0]}") from exc
        if record is not None:
            record(way)
        if way.found:
            return shown[-1]
        opened = f"Opened: {', '.join(way.visited[:8])}{' ...' if len(way.visited) > 8 else ''}."
        if banner is not None:
            raise ConsentRequired(
                f"{self._where()}: no way to chat found from the home page {home}, and a cookie/consent banner is shown there "
                f"({banner.get('banner')}: \"{banner.get('text')}\"): the chat may load only after consent. {opened} Fix: add  consent: "
                f"'{banner.get('button') or '<its accept button>'}'  to the chat section of target file {self.target.path}.")
        raise NoWayToChat(
            f"{self._where()}: no way to chat found from the home page {home}: {way.reason}. {opened} If the chat is there, check "
            f"'chat.home', 'chat.open' and 'chat.max_clicks' in target file {self.target.path} (or raise 'chat.launcher_wait' for a "
            f"widget that loads slowly); else the company offers no chat a customer can find.", way)

    async def _chat_now(self) -> str | None:
        """Whether the page shows the chat right now: 'launcher' (visible), 'widget' (already open: its pre-chat form or
        input is visible), or None."""
        from playwright.async_api import Error as PlaywrightError

        ch = self.channel
        try:
            if ch.open is not None:
                frame = await frame_now(self.page, ch.open.frame) if ch.open.frame else self.page.main_frame
                if frame is not None and await scoped(frame, ch.open.shadow).locator(ch.open.selector).first.is_visible():
                    return "launcher"
            frame = await frame_now(self.page, ch.frame) if ch.frame else self.page.main_frame
            if frame is None:
                return None
            scope = scoped(frame, ch.shadow)
            for selector in (ch.email, ch.start, ch.input):
                if selector and await scope.locator(selector).first.is_visible():
                    return "widget"
        except PlaywrightError:
            return None
        return None

    async def _place(self, place: WidgetPlace, setting: str, deadline: float) -> Any:
        """The locator of an element named by a target's `{selector, frame, shadow}`."""
        frame = await resolve_frames(self.page, place.frame, deadline, setting=f"{setting}.frame", where=self._where()) if place.frame else self.page.main_frame
        return scoped(frame, place.shadow).locator(place.selector).first

    async def _accept_consent(self, place: WidgetPlace, show_by: float, deadline: float) -> None:
        """Click the cookie banner's accept button if it shows by `show_by`; a banner that does not show is no error."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        try:
            button = await self._place(place, "chat.consent", show_by)
            await button.wait_for(state="visible", timeout=remaining_ms(show_by))
        except (PlaywrightTimeout, MysteryShopError):
            return
        await self._act(button, "click", "chat.consent", place.selector, deadline)

    async def _act(self, locator: Any, action: str, setting: str, selector: str, deadline: float, value: str | None = None) -> None:
        """Click, fill or wait for `locator`; when it cannot be done by `deadline`, the verdict says why."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        try:
            if action == "click":
                await locator.click(timeout=remaining_ms(deadline))
            elif action == "fill":
                await locator.fill(value or "", timeout=remaining_ms(deadline))
            elif action == "press":
                await locator.press(value or "Enter", timeout=remaining_ms(deadline))
            else:
                await locator.wait_for(state="visible", timeout=remaining_ms(deadline))
        except PlaywrightTimeout as exc:
            raise await self._diagnose(locator, setting, selector) from exc

    async def _diagnose(self, locator: Any, setting: str, selector: str) -> Exception:
        ch = self.channel
        inside = []
        if setting not in ("chat.open", "chat.consent"):
            if ch.frame:
                inside.append("in " + " > ".join(hop.describe() for hop in ch.frame))
            if ch.shadow:
                inside.append("inside shadow host " + " > ".join(f"'{h}'" for h in ch.shadow))
        return await diagnose(locator, self.page, setting=setting, selector=selector, inside=", ".join(inside),
                              where=self._where(), waited=ch.timeout)

    async def say(self, text: str, step: str, deadline: float) -> int:
        """Type and send one customer message; returns when it was shown (monotonic ns)."""
        ch = self.channel
        assert self.scope is not None
        verdict_at = deadline - min(1.5, 0.25 * ch.timeout)
        box = self.scope.locator(ch.input).first
        self._step = step
        if len(self._said) < MAX_MESSAGES:
            self._said.add(_normal(text))
        await self._act(box, "fill", "chat.input", ch.input, verdict_at, text)
        self.customer_seen.clear()
        sent_ns = time.monotonic_ns()
        if ch.send:
            await self._act(self.scope.locator(ch.send).first, "click", "chat.send", ch.send, verdict_at)
        else:
            await self._act(box, "press", "chat.input", ch.input, verdict_at, "Enter")
        if "customer" in ch.authors:
            # the page shows the customer's own line when it sends it: that is the moment it was said
            try:
                await asyncio.wait_for(self.customer_seen.wait(), timeout=min(2.0, max(0.05, deadline - time.monotonic())))
                if self.last_customer_ns is not None and self.last_customer_ns >= sent_ns - 1_000_000_000:
                    return self.last_customer_ns
            except TimeoutError:
                pass
        return sent_ns
