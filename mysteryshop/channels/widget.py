"""Finding a chat widget where companies put it: behind a cookie banner, a launcher, frames and shadow roots.

`resolve_frames` walks a target's `frame:` hops from the page to the widget's document (each hop an
<iframe> by CSS selector, by name, or by a regular expression on its URL; nested frames one hop each)
and waits until that document has loaded. `scoped` turns a frame and the target's `shadow:` hosts
into a Playwright locator the widget's selectors are looked up in (Playwright's CSS engine pierces
open shadow roots, so naming the hosts narrows the search rather than enabling it).

When an element does not come within the step's deadline, `diagnose` says why, as a verdict a QA
engineer can act on:

- `ConsentRequired`: a cookie/consent banner is shown and the widget is not there (consent managers
  load chat scripts only after consent) or the banner covers the element: name its accept button
  in `chat.consent` (misconfigured, exit code 4);
- `ElementCovered`: something else covers the element where a click would land (exit code 4);
- `LauncherMoving`: the element never stood still long enough to be clicked (a finding about the
  company: a customer chases that button too);
- `WidgetNotLoaded`: the widget's frame is on the page but its document never loaded (a finding);
- `WidgetSlow`: the element is there when the deadline has passed: it came too late (a finding);
- `FrameMissing` / `SelectorMissing`: no such frame or element (exit code 4), naming the frames
  that are there.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import TYPE_CHECKING, Any

from mysteryshop.errors import ChannelError, MysteryShopError, SelectorMissing, TargetMisconfigured

if TYPE_CHECKING:
    from mysteryshop.target import FrameHop

POLL_S = 0.05  # how often the frames of a page are looked at while waiting for one whose URL matches
PROBE_S = 1.0  # the most one diagnostic look at the page may take


class ConsentRequired(TargetMisconfigured):
    """A cookie/consent banner stands between the customer and the chat widget."""


class ElementCovered(TargetMisconfigured):
    """Another element covers the one a probe has to click."""


class FrameMissing(SelectorMissing):
    """No frame on the page matches the target's `frame:` hop."""


class LauncherMoving(ChannelError):
    """The element kept moving: never still long enough to be clicked."""


class WidgetNotLoaded(ChannelError):
    """The widget's frame is on the page, but its document never loaded."""


class WidgetSlow(ChannelError):
    """An element of the widget came, but only after the step's deadline."""


class Where:
    """What a verdict names: the step, the journey and the target file."""

    def __init__(self, step: str, journey: str, target_path: Any) -> None:
        self.step, self.journey, self.target_path = step, journey, target_path

    def __str__(self) -> str:
        return f"step '{self.step}' of journey '{self.journey}'"


def remaining_ms(deadline: float) -> float:
    return max(1.0, (deadline - time.monotonic()) * 1000)


def _css_string(value: str) -> str:
    return json.dumps(value)


async def _quick(coro: Any, default: Any = None) -> Any:
    """A diagnostic look: at most PROBE_S, and whatever goes wrong gives `default`."""
    try:
        return await asyncio.wait_for(coro, PROBE_S)
    except Exception:  # noqa: BLE001 - a look that fails says nothing; the verdict falls back to 'missing'
        return default


async def frames_on(frame: Any) -> str:
    """The child frames of `frame`, for a message: name and URL (or 'not loaded')."""
    parts = []
    for child in list(frame.child_frames)[:10]:
        src = await _quick(_frame_src(child), "")
        shown = child.url if child.url not in ("", "about:blank") else f"not loaded, src {src or '(none)'}"
        parts.append(f"{child.name or '(no name)'} [{shown}]")
    return ", ".join(parts) if parts else "none"


async def _frame_src(frame: Any) -> str:
    element = await frame.frame_element()
    return str(await element.evaluate("e => e.getAttribute('src') || e.src || ''"))


def _not_loaded(frame: Any) -> bool:
    return frame.url in ("", "about:blank")


async def resolve_frames(page: Any, hops: list[FrameHop], deadline: float, *, setting: str, where: Where) -> Any:
    """The frame the hops lead to from the page's main frame, once its document has loaded."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    frame = page.main_frame
    for index, hop in enumerate(hops):
        name = f"{setting}[{index}]" if len(hops) > 1 else setting
        parent = frame
        if hop.url is not None:
            pattern = re.compile(hop.url)
            frame = None
            while frame is None:
                frame = next((f for f in parent.child_frames if pattern.search(f.url)), None)
                if frame is None:
                    if time.monotonic() >= deadline:
                        raise await _frame_not_found(parent, hop, name, where)
                    await asyncio.sleep(POLL_S)
        else:
            css = hop.selector or f"iframe[name={_css_string(hop.name or '')}], frame[name={_css_string(hop.name or '')}]"
            try:
                element = await parent.locator(css).first.element_handle(timeout=remaining_ms(deadline))
            except PlaywrightTimeout as exc:
                raise await _frame_not_found(parent, hop, name, where) from exc
            frame = await element.content_frame()
            if frame is None:
                tag = await _quick(element.evaluate("e => e.tagName.toLowerCase()"), "?")
                raise FrameMissing(f"{where}: {hop.describe()} ({name}) matches a <{tag}>, not an <iframe>, on {parent.url}. "
                                   f"Fix '{name}' in target file {where.target_path}.")
        try:
            await frame.wait_for_load_state("domcontentloaded", timeout=remaining_ms(deadline))
        except PlaywrightTimeout as exc:
            src = await _quick(_frame_src(frame), "") or frame.url
            raise WidgetNotLoaded(f"{where}: the chat widget's {hop.describe()} ({name}) is on the page but never loaded "
                                  f"(src {src or '(none)'}; waited until the step's deadline)") from exc
    return frame


async def _frame_not_found(parent: Any, hop: FrameHop, name: str, where: Where) -> MysteryShopError:
    children = list(parent.child_frames)
    pending = [f for f in children if _not_loaded(f)]
    if hop.url is not None and pending and len(pending) == len(children):
        src = await _quick(_frame_src(pending[0]), "")
        return WidgetNotLoaded(f"{where}: no {hop.describe()} ({name}): the page's only frame(s) never loaded "
                               f"(src {src or '(none)'}; waited until the step's deadline)")
    consent = await consent_banner(parent.page)
    if consent is not None:
        return _consent_verdict(consent, f"{hop.describe()} ({name})", where)
    return FrameMissing(f"{where}: no {hop.describe()} ({name}) on {parent.url}; frames there: {await frames_on(parent)}. "
                        f"Fix '{name}' in target file {where.target_path}, or check the page.")


async def frame_now(page: Any, hops: list[FrameHop]) -> Any:
    """The frame the hops lead to if it is on the page and loaded right now, else None (never waits, never raises for
    what the page does: the way-in search asks this of every page it opens)."""
    from playwright.async_api import Error as PlaywrightError

    frame = page.main_frame
    try:
        for hop in hops:
            if hop.url is not None:
                pattern = re.compile(hop.url)
                frame = next((f for f in frame.child_frames if pattern.search(f.url)), None)
            else:
                css = hop.selector or f"iframe[name={_css_string(hop.name or '')}], frame[name={_css_string(hop.name or '')}]"
                element = await frame.query_selector(css)
                frame = await element.content_frame() if element is not None else None
            if frame is None or _not_loaded(frame):
                return None
    except PlaywrightError:
        return None
    return frame


def scoped(frame: Any, hosts: list[str]) -> Any:
    """A locator (or the frame) in which the widget's selectors are looked up: inside each shadow host in turn."""
    scope = frame
    for host in hosts:
        scope = scope.locator(host).first
    return scope


_CONSENT_JS = r"""
() => {
  const words = /cookie|consent|gdpr|privacy|datenschutz|einwillig|confidentialit|rgpd|privacidad/i;
  const accept = /^\s*(accept|agree|allow|ok|got it|i agree|akzeptieren|alle akzeptieren|zustimmen|einverstanden|accepter|tout accepter|aceptar|aceptar todo)/i;
  const candidates = document.querySelectorAll(
    '[role=dialog], [aria-modal=true], [id*=cookie i], [class*=cookie i], [id*=consent i], [class*=consent i], ' +
    '#onetrust-banner-sdk, #CybotCookiebotDialog, .fc-consent-root, #usercentrics-root, #didomi-host, .cc-window');
  for (const el of candidates) {
    if (el.matches('input, select, textarea, button, label, option, form')) continue;  // a form's own consent checkbox is no banner
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2 || getComputedStyle(el).visibility === 'hidden') continue;
    const text = Array.from(el.childNodes).map((n) => n.innerText || n.textContent || '').join(' ').replace(/\s+/g, ' ').trim();
    if (!text || !words.test(text + ' ' + el.id + ' ' + el.className)) continue;
    let button = null;
    for (const b of el.querySelectorAll('button, a, [role=button], input[type=button], input[type=submit]')) {
      const label = (b.innerText || b.value || b.getAttribute('aria-label') || '').trim();
      if (accept.test(label)) { button = b.id ? '#' + CSS.escape(b.id) : `${b.tagName.toLowerCase()}:has-text("${label.slice(0, 40)}")`; break; }
    }
    const name = el.id ? '#' + el.id : el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/)[0] : '');
    return {banner: name, text: text.slice(0, 80), button};
  }
  return null;
}
"""


async def consent_banner(page: Any) -> dict[str, Any] | None:
    """A visible cookie/consent banner on the page: {banner, text, button (a selector for its accept button, or None)}."""
    found = await _quick(page.main_frame.evaluate(_CONSENT_JS))
    return found if isinstance(found, dict) else None


def _consent_verdict(consent: dict[str, Any], what: str, where: Where, *, covers: bool = False) -> ConsentRequired:
    button = consent.get("button")
    fix = f"add  consent: '{button}'  to the chat section" if button else "name its accept button in 'chat.consent'"
    how = "it covers the element" if covers else "the element is not there: the widget may load only after consent"
    return ConsentRequired(
        f"{where}: {what} is not reachable: a cookie/consent banner is shown ({consent.get('banner')}: \"{consent.get('text')}\"); "
        f"{how}. Fix: {fix} of target file {where.target_path}."
    )


_HIT_JS = r"""
(el) => {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return {visible: false};
  const root = el.getRootNode();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = (root.elementFromPoint ? root : document).elementFromPoint(x, y);
  if (!hit || hit === el || el.contains(hit)) return {visible: true, covered: null};
  const text = (hit.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 60);
  let node = hit, consent = false;
  for (let i = 0; node && i < 8; i++, node = node.parentElement) {
    if (/cookie|consent|gdpr|privacy/i.test((node.id || '') + ' ' + (typeof node.className === 'string' ? node.className : '') + ' ' + (node.getAttribute('aria-label') || ''))) consent = true;
  }
  const name = hit.tagName.toLowerCase() + (hit.id ? '#' + hit.id : '');
  return {visible: true, covered: name, text, consent: consent || /cookie|consent/i.test(text)};
}
"""


async def diagnose(locator: Any, page: Any, *, setting: str, selector: str, inside: str, where: Where, waited: float) -> Exception:
    """Why `locator` (for `setting`) could not be used within the deadline: the verdict to raise."""
    what = f"'{selector}' ({setting}{', ' + inside if inside else ''})"
    fix = f"Fix '{setting}' in target file {where.target_path}, or check the page."
    count = await _quick(locator.count(), 0)
    if not count:
        consent = await consent_banner(page)
        if consent is not None and setting != "chat.consent":
            return _consent_verdict(consent, what, where)
        return SelectorMissing(f"{where}: selector {what} is not on {page.url} (waited {waited:g}s). {fix}")
    handle = await _quick(locator.first.element_handle(timeout=500))
    if handle is None:
        return SelectorMissing(f"{where}: selector {what} is not on {page.url} (waited {waited:g}s). {fix}")
    first = await _quick(handle.bounding_box())
    await asyncio.sleep(0.15)
    second = await _quick(handle.bounding_box())
    if first and second and (abs(first["x"] - second["x"]) > 1 or abs(first["y"] - second["y"]) > 1):
        return LauncherMoving(f"{where}: {what} kept moving on {page.url} (from x={first['x']:.0f},y={first['y']:.0f} to "
                              f"x={second['x']:.0f},y={second['y']:.0f} in 0.15 s): never still long enough to click within {waited:g}s")
    hit = await _quick(handle.evaluate(_HIT_JS), {})
    if not hit.get("visible", True) or not first:
        consent = await consent_banner(page)
        if consent is not None and setting != "chat.consent":
            return _consent_verdict(consent, what, where)
        return SelectorMissing(f"{where}: selector {what} is on {page.url} but never became visible (waited {waited:g}s). {fix}")
    if hit.get("covered"):
        if hit.get("consent"):
            consent = await consent_banner(page) or {"banner": hit["covered"], "text": hit.get("text"), "button": None}
            return _consent_verdict(consent, what, where, covers=True)
        return ElementCovered(f"{where}: {what} is covered by <{hit['covered']}> (\"{hit.get('text')}\") on {page.url}: a click would land "
                              f"on it. Close it first (e.g. name its button in 'chat.consent'), or fix '{setting}' in target file {where.target_path}.")
    if await _quick(handle.is_enabled(), True):
        return WidgetSlow(f"{where}: {what} was not ready within the step's deadline of {waited:g}s on {page.url}; it is there now "
                          f"(a slow page, or a busy machine: raise 'chat.timeout' in target file {where.target_path} if the page is just slow)")
    return SelectorMissing(f"{where}: selector {what} on {page.url} stayed disabled for {waited:g}s. {fix}")

