"""Finding the way in: from a company's home page to its contact form or its chat, as a customer would.

A customer does not know the form's URL. They look for a link or button named "Contact us", "Help",
"Customer service" (or the same in their language), in the page and its footer, and often go through a
help centre and one of its topics first. The search here does the same, breadth-first: each page's
links and buttons are scored by their accessible name (`contact_words`); from the home page and any
page that is not help, only links that promise support (or name the customer's topic) are followed;
from a help page (reached by such a name) every link in its content (not its menus) is, best first,
because its topics lead on. A name that promises contact outright ("Contact us") is opened at once,
before anything still queued, as a customer who sees it clicks it. The search stops at the first page
holding what it looks for (a `Goal`: the target's form, by its URL or every field of the field map and
the submit button; or a chat, by its launcher or open widget, see chat.py), after `max_clicks` clicks
deep, `max_pages` pages, or the step's deadline, whichever comes first. A customer looking for a chat
also follows names that promise one ("Chat with us", contact_words.CHAT_WORDS).

A link is followed by loading its address with the page it was on as referrer (what clicking a plain
link does); a button (no address) is clicked with a real mouse click. Pages on other sites are never
opened; `mailto:` and `tel:` links seen on the way are noted as other ways to support.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

from mysteryshop.channels.contact_words import STRONG, language_of, link_score, name_score, topic_words
from mysteryshop.scoring.weblog import WayIn

#: a button is clicked only when its name promises support this much; at most this many per page
_BUTTONS_PER_PAGE = 2
#: links followed from one help page (best first): a help centre lists its topics, not hundreds of links
_FANOUT = 12
_MARK = "data-mysteryshop-way"

#: Every link and button a customer can see, with its accessible name and where on the page it sits.
_LINKS_JS = r"""
(mark) => {
  const norm = (t) => (t || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => el.checkVisibility ? el.checkVisibility() : !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const nameOf = (el) => {
    const label = el.getAttribute('aria-label');
    if (label) return norm(label);
    const ids = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
    if (ids.length) return norm(ids.map((id) => (document.getElementById(id) || {}).textContent || '').join(' '));
    const text = norm(el.innerText || el.textContent);
    if (text) return text;
    const img = el.querySelector('img[alt]');
    return norm(el.getAttribute('title') || (img && img.getAttribute('alt')) || el.value || '');
  };
  const region = (el) => el.closest('footer, [role=contentinfo]') ? 'footer' : el.closest('nav, [role=navigation]') ? 'nav'
    : el.closest('header, [role=banner]') ? 'header' : 'main';
  const found = [];
  const all = document.querySelectorAll('a[href], button, [role=link], [role=button], input[type=button]');
  all.forEach((el, i) => {
    if (!visible(el) || el.disabled) return;
    if (el.closest('form') && (el.type === 'submit' || el.type === 'reset')) return;  // a search box's button is not a way in
    el.setAttribute(mark, String(i));
    const href = el.tagName === 'A' ? el.href : '';
    found.push({i, name: nameOf(el), href, region: region(el)});
  });
  return {links: found, url: location.href};
}
"""

#: Whether this page holds the target's contact form: every field of the map and the submit button.
_GOAL_JS = r"""
({fields, submit}) => {
${FIND}
  try { if (!document.querySelector(submit)) return false; } catch (e) { return false; }
  return fields.every((f) => { const els = find(f); return els && els.length > 0; });
}
"""


def _key(url: str) -> str:
    """A page's identity for the search: without fragment or trailing slash."""
    bare = urldefrag(url)[0]
    parts = urlsplit(bare)
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/') or '/'}{'?' + parts.query if parts.query else ''}"


def same_site(url: str, home: str) -> bool:
    """On the company's own site: the home page's host, or a host under it without its 'www.' (help.example.com beside
    www.example.com; never another company under the same public suffix, as example.co.uk beside other.co.uk)."""
    a, b = urlsplit(url), urlsplit(home)
    if a.scheme not in ("http", "https") or not a.hostname or not b.hostname:
        return False
    if a.hostname == b.hostname:
        return a.port == b.port
    site = b.hostname.removeprefix("www.")
    return not site.replace(".", "").isdigit() and (a.hostname == site or a.hostname.endswith("." + site))


@dataclass(frozen=True, slots=True)
class Goal:
    """What a search looks for, and how verdicts name it.

    `reached()`: whether the page now open holds it (may wait a little: a chat launcher comes after the page);
    `url`: its own address when known (a link to it is followed at once); `section`: the target file's section whose
    `max_clicks`/`max_pages` bound the search; `chat`: names that promise a chat lead to it too."""

    what: str
    section: str
    reached: Callable[[], Awaitable[bool]]
    url: str | None = None
    chat: bool = False


@dataclass(order=True)
class _Node:
    rank: tuple[float, float, int]
    url: str = field(compare=False)
    clicks: list[dict[str, str]] = field(compare=False)
    help: bool = field(compare=False)  # reached by a name that promises support: its links are all worth a look


@dataclass(slots=True)
class _Search:
    home: str
    goal_key: str | None
    language: str
    topic: frozenset[str]
    max_clicks: int
    max_pages: int
    deadline: float
    visited: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    elsewhere: list[str] = field(default_factory=list)
    queue: list[_Node] = field(default_factory=list)
    order: int = 0

    def push(self, url: str, clicks: list[dict[str, str]], score: float, help_page: bool) -> None:
        key = _key(url)
        if key in self.seen:
            return
        self.seen.add(key)
        self.order += 1
        # a customer who sees "Contact us" clicks it now: such a link goes before everything still queued
        depth = -1.0 if score >= STRONG or key == self.goal_key else float(len(clicks))
        heapq.heappush(self.queue, _Node((depth, -score, self.order), url, clicks, help_page))

    def remaining_ms(self) -> float:
        return max(1.0, (self.deadline - time.monotonic()) * 1000)


async def find_way_in(page: Any, goal: Goal, *, home: str, max_clicks: int, max_pages: int, timeout: float, step: str, locale: str,
                      topic_texts: list[str], deadline: float, t_ns: int,
                      on_page: Callable[[], Awaitable[None]] | None = None) -> WayIn:
    """Search from the home page (already open in `page`) for `goal`; the page is left where it was found.

    `on_page()` is awaited on each page before it is searched (a cookie banner's accept button). Never raises for a
    site without a way in (the result says why); raises Playwright's error when the browser fails."""
    from playwright.async_api import Error as PlaywrightError

    started = time.monotonic()
    search = _Search(home=home, goal_key=_key(goal.url) if goal.url else None, language=language_of(locale), topic=topic_words(topic_texts),
                     max_clicks=max_clicks, max_pages=max_pages, deadline=deadline)

    def result(found: bool, url: str | None, clicks: list[dict[str, str]], reason: str = "") -> WayIn:
        return WayIn(step, t_ns, home, found, url, clicks, list(search.visited), round(time.monotonic() - started, 3), reason,
                     list(dict.fromkeys(search.elsewhere)), "chat" if goal.chat else "form")

    async def at_goal() -> bool:
        if on_page is not None:
            await on_page()
        if search.goal_key is not None and _key(page.url) == search.goal_key and not goal.chat:
            return True
        try:
            return bool(await goal.reached())
        except PlaywrightError:
            return False

    async def search_all() -> WayIn:
        search.push(home, [], 0.0, False)
        first = True
        while search.queue:
            if time.monotonic() >= deadline:
                return result(False, None, [], f"the step's deadline ({timeout:g}s) ran out after {len(search.visited)} page(s)")
            if len(search.visited) >= search.max_pages:
                return result(False, None, [], f"{goal.what[0].upper()}{goal.what[1:]} not found within the {search.max_pages} pages the search may open ({goal.section}.max_pages)")
            node = heapq.heappop(search.queue)
            if not first:  # the home page is already open (loaded by the caller, which reports a home page that fails)
                referer = node.clicks[-1]["on"] if node.clicks else None
                try:
                    response = await page.goto(node.url, wait_until="domcontentloaded", timeout=search.remaining_ms(),
                                               **({"referer": referer} if referer else {}))
                except PlaywrightError:
                    search.visited.append(node.url)
                    continue
                if response is not None and response.status >= 400:
                    search.visited.append(page.url)
                    continue
            first = False
            search.visited.append(page.url)
            if await at_goal():
                return result(True, page.url, node.clicks)
            if len(node.clicks) >= search.max_clicks:
                continue
            try:
                listed = await page.evaluate(_LINKS_JS, _MARK)
            except PlaywrightError:
                continue
            here = listed["url"]
            buttons = []
            ranked = []
            for link in listed["links"]:
                href, name = link["href"], link["name"]
                if href.startswith(("mailto:", "tel:")):
                    if name_score(name, search.language) > 0 or href.startswith("mailto:"):
                        search.elsewhere.append(href)
                    continue
                score = link_score(name, link["region"], search.language, search.topic, chat=goal.chat)
                if not href or href.startswith("javascript:") or _key(href) == _key(here):
                    if score > 0:
                        buttons.append((score, link))
                    continue
                if not same_site(href, home):
                    continue
                if score > 0 or (node.help and link["region"] == "main"):  # a help page's topics are in its content, not its menus
                    ranked.append((score, link))
            ranked.sort(key=lambda item: -item[0])
            for score, link in ranked[:_FANOUT] if node.help else ranked:
                step_taken = {"on": here, "name": link["name"], "to": link["href"]}
                search.push(link["href"], [*node.clicks, step_taken], score, name_score(link["name"], search.language, chat=goal.chat) > 0)
            for score, link in sorted(buttons, key=lambda item: -item[0])[:_BUTTONS_PER_PAGE]:
                if time.monotonic() >= deadline:
                    break
                try:
                    await page.locator(f'[{_MARK}="{link["i"]}"]').first.click(timeout=min(2000.0, search.remaining_ms()))
                    await page.wait_for_load_state("domcontentloaded", timeout=min(2000.0, search.remaining_ms()))
                except PlaywrightError:
                    continue
                step_taken = {"on": here, "name": link["name"], "to": page.url}
                if await at_goal():
                    search.visited.append(page.url)
                    return result(True, page.url, [*node.clicks, step_taken])
                if _key(page.url) != _key(here):
                    search.push(page.url, [*node.clicks, step_taken], score, True)
                    try:
                        await page.goto(here, wait_until="domcontentloaded", timeout=search.remaining_ms())
                    except PlaywrightError:
                        break
        names = "chat, contact, help or support" if goal.chat else "contact, help or support"
        reason = (f"no link or button named like {names} led to {goal.what} within {search.max_clicks} click(s) "
                  f"of {home} ({len(search.visited)} page(s) opened)")
        return result(False, None, [], reason)


    # a page whose main thread is busy does not answer Playwright's calls (they have no timeout of their own): the search
    # ends at the deadline all the same, with a verdict, rather than being cut off by the step's backstop
    try:
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            return await search_all()
    except TimeoutError:
        return result(False, None, [], f"the step's deadline ({timeout:g}s) ran out after {len(search.visited)} page(s); "
                                       f"{page.url} stopped answering (a page busy with its scripts)")

def form_goal(page: Any, url: str, *, fields: list[dict[str, Any]], find_js: str, submit: str) -> Goal:
    """The contact form: its URL, or a page holding every field of the field map (found by `find_js`, webform.py) and the submit button."""
    goal_js = _GOAL_JS.replace("${FIND}", find_js)

    async def reached() -> bool:
        return bool(await page.evaluate(goal_js, {"fields": fields, "submit": submit}))

    return Goal("the contact form", "webform", reached, url)
