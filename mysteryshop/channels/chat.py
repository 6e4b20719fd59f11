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
indicator (`chat.typing`) is recorded as author 'typing'.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mysteryshop.channels.browser import page_clock_offset, page_load_error, page_status_error
from mysteryshop.errors import SelectorMissing
from mysteryshop.scoring.weblog import ChatMessage

if TYPE_CHECKING:
    from mysteryshop.target import ChatChannel, Target

BINDING = "__mysteryshopReport"
MAX_MESSAGES = 2000  # per conversation: a runaway page cannot exhaust memory

_OBSERVER = """
(() => {
  const cfg = %s;
  const seen = new WeakSet();
  const report = (t, author, text) => { try { window[cfg.binding]({t, author, text}); } catch (e) {} };
  function authorOf(el) {
    for (const [author, selector] of Object.entries(cfg.authors)) {
      try { if (el.matches(selector) || el.closest(selector)) return author; } catch (e) {}
    }
    return 'unknown';
  }
  function scan() {
    const t = performance.timeOrigin + performance.now();
    const root = document.querySelector(cfg.log) || document;
    for (const el of root.querySelectorAll(cfg.message)) {
      if (seen.has(el)) continue;
      const text = (el.innerText || el.textContent || '').trim();
      if (!text) continue;
      seen.add(el);
      report(t, authorOf(el), text);
    }
    if (cfg.typing) {
      for (const el of root.querySelectorAll(cfg.typing)) {
        if (seen.has(el)) continue;
        seen.add(el);
        report(t, 'typing', (el.textContent || '').trim());
      }
    }
  }
  new MutationObserver(scan).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""


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
        self._early: list[dict[str, Any]] = []
        self.count = 0
        self.customer_seen = asyncio.Event()
        self.last_customer_ns: int | None = None

    def _where(self, step: str) -> str:
        return f"step '{step}' of journey '{self.journey}'"

    def _report(self, source: Any, payload: dict[str, Any]) -> None:
        """The binding: called on the engine loop for each message the observer saw."""
        if self.offset_ns is None:
            self._early.append(payload)
            return
        self._record(payload)

    def _record(self, payload: dict[str, Any]) -> None:
        if self.count >= MAX_MESSAGES:
            return
        self.count += 1
        page_ms = float(payload.get("t", 0.0))
        assert self.offset_ns is not None
        t_ns = int(page_ms * 1_000_000) - self.offset_ns
        author = str(payload.get("author", "unknown"))
        message = ChatMessage(self.step_id, t_ns, _utc(page_ms), author, str(payload.get("text", ""))[:20_000])
        if author == "customer":
            self.last_customer_ns = t_ns
            self.customer_seen.set()
        self.on_message(message)

    async def open(self, persona: Any, deadline: float) -> dict[str, str]:
        """Load the page, open the widget, fill the pre-chat form; returns what the customer gave (email, name)."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        ch = self.channel
        config = {"binding": BINDING, "log": ch.log, "message": ch.message, "authors": dict(ch.authors), "typing": ch.typing}
        await self.page.expose_binding(BINDING, self._report)
        await self.page.add_init_script(_OBSERVER % json.dumps(config))
        remaining = lambda: max(1.0, (deadline - time.monotonic()) * 1000)  # noqa: E731
        where = {"what": "the chat page", "setting": "chat.url", "target_path": self.target.path, "step": self.step_id, "journey": self.journey}
        try:
            loaded = await self.page.goto(ch.url, wait_until="domcontentloaded", timeout=remaining())
        except PlaywrightError as exc:
            raise page_load_error(exc, ch.url, **where) from exc
        refused = page_status_error(loaded.status if loaded is not None else None, ch.url, **where)
        if refused is not None:
            raise refused
        self.offset_ns = await page_clock_offset(self.page)
        for payload in self._early:
            self._record(payload)
        self._early.clear()
        given: dict[str, str] = {}
        steps: list[tuple[str, str, str | None]] = [
            ("click", "open", ch.open), ("fill", "email", ch.email), ("fill", "name", ch.name), ("click", "start", ch.start),
        ]
        for action, setting, selector in steps:
            if not selector:
                continue
            locator = self.page.locator(selector).first
            try:
                if action == "click":
                    await locator.click(timeout=remaining())
                else:
                    value = persona.email if setting == "email" else persona.full_name
                    await locator.fill(value, timeout=remaining())
                    given[setting] = value
            except PlaywrightTimeout as exc:
                raise self._missing(self.step_id, f"chat.{setting}", selector) from exc
        try:
            await self.page.locator(ch.input).first.wait_for(state="visible", timeout=remaining())
        except PlaywrightTimeout as exc:
            raise self._missing(self.step_id, "chat.input", ch.input) from exc
        return given

    def _missing(self, step: str, setting: str, selector: str) -> SelectorMissing:
        return SelectorMissing(
            f"{self._where(step)}: selector '{selector}' ({setting}) is not on {self.page.url} (waited {self.channel.timeout:g}s). "
            f"Fix '{setting}' in target file {self.target.path}, or check the page."
        )

    async def say(self, text: str, step: str, deadline: float) -> int:
        """Type and send one customer message; returns when it was shown (monotonic ns)."""
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        ch = self.channel
        remaining = lambda: max(1.0, (deadline - time.monotonic()) * 1000)  # noqa: E731
        box = self.page.locator(ch.input).first
        try:
            await box.fill(text, timeout=remaining())
        except PlaywrightTimeout as exc:
            raise self._missing(step, "chat.input", ch.input) from exc
        self.customer_seen.clear()
        sent_ns = time.monotonic_ns()
        try:
            if ch.send:
                await self.page.locator(ch.send).first.click(timeout=remaining())
            else:
                await box.press("Enter", timeout=remaining())
        except PlaywrightTimeout as exc:
            raise self._missing(step, "chat.send", ch.send or ch.input) from exc
        if "customer" in ch.authors:
            # the page shows the customer's own line when it sends it: that is the moment it was said
            try:
                await asyncio.wait_for(self.customer_seen.wait(), timeout=min(2.0, max(0.05, deadline - time.monotonic())))
                if self.last_customer_ns is not None and self.last_customer_ns >= sent_ns - 1_000_000_000:
                    return self.last_customer_ns
            except TimeoutError:
                pass
        return sent_ns
