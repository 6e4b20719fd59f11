"""The web-form channel: fill a company's contact form from the persona, submit, read the outcome.

The target's `webform.fields` maps logical fields (name, email, order_id, topic, message, ...) to
elements, by label, name or CSS selector, and gives their values (which may use {persona.*}); a
journey step's `fields:` overrides values, and `message` defaults to the step's `body:`.

Outcomes: a confirmation (its text and the ticket number found by the target's regex), or
- `FormRejected`: the page showed validation errors; their texts are in the message;
- `Blocked`: a CAPTCHA stands in the way (reported, never waited on);
- `SelectorMissing`: an element of the field map is not on the page within the step's deadline
  (the target's `webform.timeout`); the message names the selector, the target file and the step.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mysteryshop.channels.browser import PageClock, page_clock_offset, page_load_error, page_status_error
from mysteryshop.channels.wayin import find_way_in, form_goal
from mysteryshop.errors import ChannelError, SelectorMissing, TargetMisconfigured
from mysteryshop.journey import render_text
from mysteryshop.scoring.weblog import FormFriction, WayIn
from mysteryshop.store import utc_now

if TYPE_CHECKING:
    from mysteryshop.journey import Step
    from mysteryshop.persona import Persona
    from mysteryshop.target import FormField, Target, WebformChannel

#: well-known CAPTCHA widgets: reCAPTCHA, hCaptcha, Cloudflare Turnstile, and generic site-key holders
CAPTCHA_SELECTORS = (
    ".g-recaptcha", "iframe[src*='recaptcha']", "iframe[title*='recaptcha' i]", ".h-captcha", "iframe[src*='hcaptcha']",
    ".cf-turnstile", "iframe[src*='challenges.cloudflare.com']", "[data-sitekey]", "#captcha", "img[alt*='captcha' i]",
)
_TRUE = {"true", "yes", "on", "1", "checked"}


class FormRejected(ChannelError):
    """The company's form showed validation errors."""

    def __init__(self, message: str, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(message)


class NoWayIn(ChannelError):
    """From the home page, no way to the contact form was found (within the clicks, pages and time allowed)."""

    problem = "no_way_in"

    def __init__(self, message: str, way: WayIn) -> None:
        self.way = way
        super().__init__(message)


class Blocked(ChannelError):
    """A CAPTCHA (or similar) blocks the probe: reported as 'blocked', not waited on."""

    status = "blocked"
    problem = "blocked"


@dataclass(frozen=True, slots=True)
class Submitted:
    t_ns: int
    utc: str
    url: str
    confirmation: str
    ticket: str | None
    message: str
    facts: dict[str, str]


class _Context:
    """Where we are, for error messages that say what to fix."""

    def __init__(self, target: Target, step: Step, journey: str, deadline: float) -> None:
        self.target, self.step, self.journey, self.deadline = target, step, journey, deadline

    def remaining_ms(self) -> float:
        return max(1.0, (self.deadline - time.monotonic()) * 1000)

    def where(self) -> str:
        return f"step '{self.step.id}' of journey '{self.journey}'"

    def missing(self, what: str, setting: str, page: Any, timeout_s: float) -> SelectorMissing:
        return SelectorMissing(
            f"{self.where()}: {what} is not on {page.url} (waited {timeout_s:g}s). "
            f"Fix '{setting}' in target file {self.target.path}, or check the page."
        )


#: How the page finds a field of the target's field map (`find(f)`: the matching elements, [] none, null a bad selector).
_FIND_JS = r"""
  const norm = (t) => (t || '').replace(/\s+/g, ' ').trim();
  const controls = () => Array.from(document.querySelectorAll('input, select, textarea, button, [aria-label], [aria-labelledby]'));
  const labelled = (label, scope) => controls().filter((el) => {
    if (scope && !scope.contains(el)) return false;
    const names = [el.getAttribute('aria-label')];
    for (const l of el.labels || []) names.push(l.textContent);
    for (const id of (el.getAttribute('aria-labelledby') || '').split(/\s+/)) { const r = id && document.getElementById(id); if (r) names.push(r.textContent); }
    return names.some((n) => n != null && norm(n) === label);
  });
  const byCss = (css) => { try { return Array.from(document.querySelectorAll(css)); } catch (e) { return null; } };
  const esc = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const find = (f) => {
    if (f.type === 'radio') {
      if (f.name) return byCss(`input[type=radio][name="${esc(f.name)}"][value="${esc(f.value)}"]`);
      if (f.css) return byCss(`${f.css}[value="${esc(f.value)}"]`);
      const groups = Array.from(document.querySelectorAll('fieldset, [role=group], [role=radiogroup]')).filter((g) => {
        const legend = g.querySelector('legend');
        return norm(g.getAttribute('aria-label')) === f.label || (legend && norm(legend.textContent) === f.label);
      });
      return groups.length === 1 ? labelled(String(f.value), groups[0]) : (groups.length ? null : []);
    }
    if (f.label) return labelled(f.label, null);
    if (f.name) return byCss(`[name="${esc(f.name)}"]`);
    return byCss(f.css);
  };
"""

#: One round trip fills the whole field map (instead of ~4 Playwright calls per field, each a chain
#: of CDP messages through the driver). For each field it finds the element the way the Playwright
#: locator in `field_locator` would (exact label text, aria-label/-labelledby, name, CSS; a radio
#: by its group's legend), waits (polling, up to the step's deadline) for fields not yet on the
#: page, and enters the value as the page's scripts would see a user do it: the native value setter
#: plus bubbling `input` and `change` events, `click()` to toggle a checkbox or radio. A field it
#: cannot handle exactly that way (file inputs, several matches, hidden, disabled or read-only
#: elements, a select without that option) is left to Playwright's own actions, which wait for
#: actionability and raise the errors the channel reports. It also reports a CAPTCHA (then fills
#: nothing) and reads the page clock, so no separate call is needed for either.
_FILL_JS = r"""
async ({fields, captchas, waitMs, submit}) => {
  const clock = performance.timeOrigin + performance.now();
${FIND}  const captcha = () => { for (const s of captchas) { try { if (document.querySelector(s)) return s; } catch (e) {} } return null; };
  const visible = (el) => el.checkVisibility ? el.checkVisibility() : !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const setValue = (el, value) => {
    const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
    el.focus();
    Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
    el.dispatchEvent(new Event('input', {bubbles: true, composed: true}));
    el.dispatchEvent(new Event('change', {bubbles: true}));
  };
  const TEXT = new Set(['', 'text', 'email', 'tel', 'url', 'search', 'password', 'number']);
  const fill = (f, el) => {
    if (!visible(el) || el.disabled || el.closest('fieldset:disabled')) return false;
    if (f.type === 'select') {
      if (!(el instanceof HTMLSelectElement) || el.multiple) return false;
      const v = String(f.value);
      let opt = Array.from(el.options).find((o) => norm(o.label) === v || norm(o.textContent) === v);
      if (!opt) opt = Array.from(el.options).find((o) => o.value === v);
      if (!opt || opt.disabled) return false;
      setValue(el, opt.value);
      return true;
    }
    if (f.type === 'checkbox' || f.type === 'radio') {
      if (!(el instanceof HTMLInputElement) || el.type !== f.type) return false;
      const want = f.type === 'radio' ? true : !!f.checked;
      if (el.checked !== want) el.click();
      return el.checked === want;
    }
    const editable = el instanceof HTMLTextAreaElement || (el instanceof HTMLInputElement && TEXT.has(el.type));
    if (!editable || el.readOnly) return false;
    setValue(el, String(f.value));
    return el.value === String(f.value) || el.type === 'number';
  };
  const deadline = performance.now() + waitMs;
  for (;;) {
    const found = captcha();
    if (found) return {clock, captcha: found, missing: [], manual: []};
    const located = fields.map(find);
    const missing = fields.filter((f, i) => located[i] && located[i].length === 0).map((f) => f.key);
    if (!missing.length || performance.now() >= deadline) {
      const manual = [];
      fields.forEach((f, i) => {
        const els = located[i];
        if (!els || els.length !== 1 || f.type === 'file' || !fill(f, els[0])) { if (!missing.includes(f.key)) manual.push(f.key); }
      });
      // what the form asks, read once it is filled (read again after Playwright fills what is left to it)
      return {clock, captcha: null, missing, manual, friction: manual.length || missing.length ? null : (${FRICTION})(submit)};
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
"""

#: What the form asks of a customer, read once it is filled (before sending): every control of the form holding the
#: submit button (buttons and hidden inputs left out, a radio group once) with its label, name, type, autocomplete
#: token, whether it is required (`required`, aria-required, or a label ending in '*') and filled; and, unless the
#: form opts out (`novalidate`), the browser's own validation messages, which stop it from sending at all.
_FRICTION_JS = r"""
(submit) => {
  const norm = (t) => (t || '').replace(/\s+/g, ' ').trim();
  const visible = (el) => el.checkVisibility ? el.checkVisibility() : !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  let button = null;
  try { button = document.querySelector(submit); } catch (e) {}
  const form = (button && (button.form || button.closest('form'))) || document.querySelector('form');
  const scope = form ? Array.from(form.elements) : Array.from(document.querySelectorAll('input, select, textarea'));
  const labelOf = (el, type) => {
    if (type === 'radio') { const box = el.closest('fieldset, [role=radiogroup], [role=group]'); const legend = box && box.querySelector('legend');
      return norm(legend ? legend.textContent : (box && box.getAttribute('aria-label')) || el.name); }
    return norm(el.getAttribute('aria-label') || Array.from(el.labels || []).map((l) => l.textContent).join(' ') || el.placeholder || el.title || '');
  };
  const radios = new Set();
  const controls = [];
  const invalid = [];
  const validates = !!form && !form.noValidate && !(button && button.formNoValidate);
  for (const el of scope) {
    const tag = el.tagName.toLowerCase();
    if (!['input', 'select', 'textarea'].includes(tag)) continue;
    const type = tag === 'input' ? (el.type || 'text') : tag;
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type) || el.disabled) continue;
    if (!visible(el) && type !== 'radio' && type !== 'checkbox') continue;
    if (type === 'radio') { if (radios.has(el.name)) continue; radios.add(el.name); }
    const group = type === 'radio' && el.name ? scope.filter((e) => e.name === el.name) : [el];
    const label = labelOf(el, type);
    const required = group.some((e) => e.required || e.getAttribute('aria-required') === 'true') || /\*\s*$/.test(label);
    const filled = type === 'radio' ? group.some((e) => e.checked) : type === 'checkbox' ? el.checked
      : type === 'file' ? !!(el.files && el.files.length) : !!el.value;
    const name = label.replace(/\s*\*\s*$/, '');
    controls.push({label: name, name: el.name || el.id || '', type, autocomplete: el.getAttribute('autocomplete') || '', required, filled});
    if (validates && group.some((e) => e.willValidate && !e.validity.valid)) {
      const bad = group.find((e) => !e.validity.valid);
      invalid.push(`${name || el.name}: ${bad.validationMessage}`);
    }
  }
  return {controls, invalid, url: location.href};
}
"""
_FILL_JS = _FILL_JS.replace("${FIND}", _FIND_JS).replace("${FRICTION}", _FRICTION_JS.strip())


#: After the submission's response: the outcome in one round trip, waiting (polling, up to the
#: step's deadline) for a confirmation or validation errors to show. Replaces a CAPTCHA check, an
#: error-text query and a confirmation read (three calls, each its own chain of CDP messages).
_OUTCOME_JS = r"""
async ({captchas, errors, confirmation, waitMs}) => {
  const captcha = () => { for (const s of captchas) { try { if (document.querySelector(s)) return s; } catch (e) {} } return null; };
  const all = (css) => { try { return Array.from(document.querySelectorAll(css)); } catch (e) { return []; } };
  const deadline = performance.now() + waitMs;
  for (;;) {
    const texts = errors ? all(errors).map((el) => (el.innerText || '').trim()).filter(Boolean) : [];
    const shown = all(confirmation)[0];
    const found = captcha();
    if (texts.length || shown || found || performance.now() >= deadline) {
      return {captcha: found, errors: texts, confirmation: shown ? (shown.innerText || '').trim() : null, url: location.href};
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
"""


#: Where a customer would click the submit button (viewport CSS pixels), or null when Playwright's locator should click it:
#: the first element of the CSS selector, enabled, visible, scrolled into view, not moving across an animation frame (when
#: a CSS animation or transition runs), and
#: the element the page would hit at its centre (not covered). The same checks as Playwright's actionability checks, in
#: one round trip and without Playwright's selector engine, which is injected into every document it is used in (a
#: form probe's most expensive single call).
_CLICK_POINT_JS = r"""
async (css) => {
  let el = null;
  try { el = document.querySelector(css); } catch (e) { return null; }
  if (!el || !el.isConnected || el.disabled || el.closest('fieldset:disabled') || el.getAttribute('aria-disabled') === 'true') return null;
  if (!(el.checkVisibility ? el.checkVisibility({visibilityProperty: true}) : el.getClientRects().length)) return null;
  if (el.scrollIntoViewIfNeeded) el.scrollIntoViewIfNeeded(true); else el.scrollIntoView({block: 'center', inline: 'center'});
  const before = el.getBoundingClientRect();
  // only while a CSS animation or transition runs can it move between two frames (waiting a frame paints one)
  if (document.getAnimations().length) await Promise.race([new Promise((ok) => requestAnimationFrame(() => ok())), new Promise((ok) => setTimeout(ok, 100))]);
  const r = el.getBoundingClientRect();
  if (!r.width || !r.height || r.x !== before.x || r.y !== before.y || r.width !== before.width || r.height !== before.height) return null;
  const x = r.x + r.width / 2, y = r.y + r.height / 2;
  if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return null;
  const hit = document.elementFromPoint(x, y);
  return hit && (hit === el || el.contains(hit)) ? [x, y] : null;
}
"""


async def _read_outcome(page: Any, ctx: _Context, args: dict[str, Any]) -> dict[str, Any]:
    """The answer to the submitted form (_OUTCOME_JS). A mouse click does not wait for the navigation it starts, so
    the page the answer is read on may still be replaced: read again on the new document (a few times at most)."""
    from playwright.async_api import Error as PlaywrightError

    for attempt in range(5):  # bounded: each attempt follows one navigation
        try:
            return await page.evaluate(_OUTCOME_JS, {**args, "waitMs": max(0.0, ctx.remaining_ms() - 250)})
        except PlaywrightError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if attempt == 4 or ("context was destroyed" not in first and "navigat" not in first):
                raise ChannelError(f"{ctx.where()}: could not read the answer to the form at {page.url}: {first}") from exc
            with contextlib.suppress(PlaywrightError):
                await page.wait_for_load_state("domcontentloaded", timeout=ctx.remaining_ms())
    raise AssertionError("unreachable")


async def detect_captcha(page: Any, extra: str | None) -> str | None:
    """The selector of a CAPTCHA on the page, if there is one (checked at once: never waits)."""
    selectors = [*CAPTCHA_SELECTORS, *([extra] if extra else [])]
    # one round trip to the page for all of them (this runs twice per form, under load)
    found = await page.evaluate(
        """(selectors) => { for (const s of selectors) { try { if (document.querySelector(s)) return s; } catch (e) {} } return null; }""",
        selectors,
    )
    return found


def field_locator(page: Any, field: FormField, value: Any = None) -> Any:
    if field.type == "radio":
        if field.name:
            return page.locator(f'input[type=radio][name="{field.name}"][value="{value}"]')
        if field.css:
            return page.locator(f'{field.css}[value="{value}"]')
        return page.get_by_role("group", name=field.label).get_by_label(str(value), exact=True)
    if field.label:
        return page.get_by_label(field.label, exact=True)
    if field.name:
        return page.locator(f'[name="{field.name}"]')
    return page.locator(field.css)


def form_values(channel: WebformChannel, step: Step, persona: Persona, journey_dir: Path, target_dir: Path,
                message: str | None = None) -> dict[str, tuple[FormField, Any]]:
    """Logical field -> (field, value to enter), in the field map's order; fields without a value are left alone.

    `message`: the step's body as the persona writes it (Journey.write), for the form's message field.
    """
    overrides = dict(step.fields)
    values: dict[str, tuple[FormField, Any]] = {}
    for name, field in channel.fields.items():
        from_step = name in overrides
        value = overrides.pop(name) if from_step else field.value
        if value is None and name == "message":
            if message is not None:
                values[name] = (field, message)
                continue
            value = step.body if isinstance(step.body, str) else None
        if value is None:
            continue
        if isinstance(value, str) and field.type != "file":
            value = render_text(value, persona)
        if field.type == "file":
            value = str((journey_dir if from_step else target_dir) / str(value))
        values[name] = (field, value)
    if overrides:
        raise TargetMisconfigured(
            f"step '{step.id}': fields {', '.join(sorted(overrides))} are not in the target's webform.fields "
            f"(known: {', '.join(channel.fields)}): add them to the target file, or remove them from the step's 'fields:'"
        )
    return values


def submission_time(timing: dict[str, float], offset_ns: int, fallback_ns: int) -> tuple[int, str]:
    """When the form's request went out, as monotonic ns (and UTC): the company's clock starts there.

    The browser's own network timing is used (`startTime` + `requestStart`, epoch ms on the page's
    clock, mapped with the page's measured clock offset), because the response event reaches Python
    later than the company can already be sending its first email. Without timing: `fallback_ns`.
    """
    start = timing.get("startTime") or 0
    if start <= 0:
        return fallback_ns, utc_now()
    epoch_ms = start + max(0.0, timing.get("requestStart", 0) or 0)
    t_ns = int(epoch_ms * 1_000_000) - offset_ns
    if not fallback_ns - 5_000_000_000 <= t_ns <= time.monotonic_ns():  # implausible mapping (clock jump): do not trust it
        return fallback_ns, utc_now()
    return t_ns, datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def persona_facts(persona: Persona, texts: list[str]) -> dict[str, str]:
    """Which of the persona's name, email and order id these texts tell the company."""
    blob = "\n".join(texts).lower()
    facts = {}
    if persona.first_name.lower() in blob:
        facts["name"] = persona.full_name
    if persona.email.lower() in blob:
        facts["email"] = persona.email
    if persona.order_id.lower() in blob:
        facts["order_id"] = persona.order_id
    return facts


async def submit_form(page: Any, *, target: Target, step: Step, journey: str, journey_dir: Path, persona: Persona,
                      message: str | None = None, record: Callable[[WayIn | FormFriction], None] | None = None,
                      loaded_hook: Callable[[Any, float], Awaitable[Any]] | None = None) -> Submitted:
    """Fill and submit the target's contact form on `page`; the confirmation, or an error that says why not.

    A step that starts at the home page (`start: home`, or the target's `webform.start`) first finds the way to the
    form as a customer would (channels/wayin.py); no way found raises `NoWayIn`. `record` is handed what was measured
    as soon as it is known, whatever the outcome: the way in (`WayIn`) and what the form asked (`FormFriction`).
    `loaded_hook(page, deadline)` is awaited once the form is shown, before anything is filled and before the time to
    complete it starts (the accessibility audit).
    """
    from playwright.async_api import Error as PlaywrightError

    channel = target.spec.webform
    assert channel is not None
    ctx = _Context(target, step, journey, time.monotonic() + channel.timeout)
    values = form_values(channel, step, persona, journey_dir, target.path.parent, message)
    fields = [
        {"key": name, "type": field.type or "text", "label": field.label, "name": field.name, "css": field.css, "value": str(value),
         "checked": value is True or str(value).lower() in _TRUE}
        for name, (field, value) in values.items() if field.type != "file"
    ]
    if (step.start or channel.start) == "home":
        home = channel.home_url
        await _open(page, home, ctx, what="the home page", setting="webform.home")
        try:
            goal = form_goal(page, channel.url, fields=fields, find_js=_FIND_JS, submit=channel.submit)
            way = await find_way_in(page, goal, home=home, max_clicks=channel.max_clicks, max_pages=channel.max_pages, timeout=channel.timeout,
                                    step=step.id, locale=persona.locale,
                                    topic_texts=[str(v) for f, v in values.values() if f.type in ("select", "radio")],
                                    deadline=ctx.deadline, t_ns=time.monotonic_ns())
        except PlaywrightError as exc:
            raise ChannelError(f"{ctx.where()}: looking for the contact form from {home} failed: {str(exc).splitlines()[0]}") from exc
        if record is not None:
            record(way)
        if not way.found:
            raise NoWayIn(
                f"{ctx.where()}: no way to contact support found from the home page {home}: {way.reason}. "
                f"Opened: {', '.join(way.visited[:8])}{' ...' if len(way.visited) > 8 else ''}. If the form is there, check "
                f"'webform.home' and 'webform.max_clicks' in target file {target.path}; else the company hides it from customers.", way)
    else:
        await _open(page, channel.url, ctx, what="the contact form", setting="webform.url")
    if loaded_hook is not None:
        await loaded_hook(page, ctx.deadline)
    shown_ns = time.monotonic_ns()
    measured: dict[str, Any] = {}
    outcome = "error"
    try:
        submitted = await _fill_and_submit(page, ctx, values, fields, persona, message, measured)
        outcome = "confirmed"
        return submitted
    except Blocked:
        outcome = "blocked"
        raise
    except FormRejected as exc:
        outcome = "rejected"
        measured["invalid"] = list(dict.fromkeys([*measured.get("invalid", []), *exc.errors]))
        raise
    finally:
        if record is not None:
            record(await _friction(page, ctx, step.id, shown_ns, measured, outcome))


async def _open(page: Any, url: str, ctx: _Context, *, what: str, setting: str) -> None:
    """Load the page a form step starts at; an error that says whether the server, the URL or the company is at fault."""
    from playwright.async_api import Error as PlaywrightError

    where = {"what": what, "setting": setting, "target_path": ctx.target.path, "step": ctx.step.id, "journey": ctx.journey}
    try:
        loaded = await page.goto(url, wait_until="domcontentloaded", timeout=ctx.remaining_ms())
    except PlaywrightError as exc:
        raise page_load_error(exc, url, **where) from exc
    refused = page_status_error(loaded.status if loaded is not None else None, url, **where)
    if refused is not None:
        raise refused


async def _friction(page: Any, ctx: _Context, step: str, shown_ns: int, measured: dict[str, Any], outcome: str) -> FormFriction:
    """What the form asked, measured before sending (or now, when the step ended before that)."""
    if "controls" not in measured:
        with contextlib.suppress(Exception):
            measured.update(await page.evaluate(_FRICTION_JS, ctx.target.spec.webform.submit))  # type: ignore[union-attr]
    seconds = round((time.monotonic_ns() - shown_ns) / 1e9, 3)
    return FormFriction(step, shown_ns, measured.get("url") or page.url, measured.get("controls", []), measured.get("invalid", []),
                        seconds, outcome)


async def _fill_and_submit(page: Any, ctx: _Context, values: dict[str, tuple[FormField, Any]], fields: list[dict[str, Any]],
                           persona: Persona, message: str | None, measured: dict[str, Any]) -> Submitted:
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    target, channel = ctx.target, ctx.target.spec.webform
    assert channel is not None
    where = {"what": "the contact form", "setting": "webform.url", "target_path": target.path, "step": ctx.step.id, "journey": ctx.journey}
    captchas = [*CAPTCHA_SELECTORS, *([channel.captcha] if channel.captcha else [])]
    clock = PageClock()
    before = time.monotonic_ns()
    try:
        filled = await page.evaluate(_FILL_JS, {"fields": fields, "captchas": captchas, "waitMs": max(0.0, ctx.remaining_ms() - 250),
                                                "submit": channel.submit})
    except PlaywrightError as exc:
        raise ChannelError(f"{ctx.where()}: could not fill the contact form at {page.url}: {str(exc).splitlines()[0]}") from exc
    clock.sample(before, filled["clock"], time.monotonic_ns())
    if filled["captcha"]:
        raise Blocked(f"{ctx.where()}: blocked by a CAPTCHA on {page.url} (matched '{filled['captcha']}'); the form was not submitted")
    # the page clock's offset from that call's bracket; measured with extra round trips only if the wall clock was stepped
    offset_ns = clock.offset()
    if offset_ns is None:
        offset_ns = await page_clock_offset(page, samples=3)

    by_playwright = set(filled["missing"]) | set(filled["manual"]) | {name for name, (field, _) in values.items() if field.type == "file"}
    for name, (field, value) in values.items():
        if name not in by_playwright:
            continue
        locator = field_locator(page, field, value)
        try:
            if field.type == "select":
                try:
                    await locator.select_option(label=str(value), timeout=ctx.remaining_ms())
                except PlaywrightTimeout:
                    raise
                except PlaywrightError:
                    await locator.select_option(value=str(value), timeout=ctx.remaining_ms())
            elif field.type == "checkbox":
                await locator.set_checked(value is True or str(value).lower() in _TRUE, timeout=ctx.remaining_ms())
            elif field.type == "radio":
                await locator.check(timeout=ctx.remaining_ms())
            elif field.type == "file":
                await locator.set_input_files(value, timeout=ctx.remaining_ms())
            else:
                await locator.fill(str(value), timeout=ctx.remaining_ms())
        except PlaywrightTimeout as exc:
            raise ctx.missing(f"form field '{name}' ({field.describe()})", f"webform.fields.{name}", page, channel.timeout) from exc
        except PlaywrightError as exc:
            raise TargetMisconfigured(f"{ctx.where()}: could not fill form field '{name}' ({field.describe()}) on {page.url}: "
                                      f"{str(exc).splitlines()[0]}. Fix 'webform.fields.{name}' in target file {target.path}.") from exc

    # read with the fill when the page script filled everything; again now if Playwright filled some fields
    measured.update(filled["friction"] if filled["friction"] and not by_playwright else await page.evaluate(_FRICTION_JS, channel.submit))
    if measured["invalid"]:  # the browser itself would not send it (HTML5 validation): nothing to wait for
        raise FormRejected(f"{ctx.where()}: the browser would not send the form at {page.url}, its fields are not valid: "
                           + " | ".join(measured["invalid"]), list(measured["invalid"]))
    # The submit button gets a real mouse click, like a customer's: at the point the page reports after its checks
    # (_CLICK_POINT_JS), or, when those do not hold or the selector is Playwright's own syntax, through Playwright's
    # locator, which waits for the button to be actionable.
    submit = page.locator(channel.submit).first
    try:
        point = await page.evaluate(_CLICK_POINT_JS, channel.submit)
    except PlaywrightError:
        point = None
    committed = asyncio.get_running_loop().create_future()

    def navigated(frame: Any) -> None:
        if frame == page.main_frame and not committed.done():
            committed.set_result(None)

    page.on("framenavigated", navigated)
    try:
        async with page.expect_response(lambda r: r.request.method == "POST", timeout=ctx.remaining_ms()) as response_info:
            clicked_ns = time.monotonic_ns()
            if point:
                await page.mouse.click(point[0], point[1])
            else:
                await submit.click(timeout=ctx.remaining_ms())
        response = await response_info.value
        t_ns, utc = submission_time(response.request.timing, offset_ns, clicked_ns)
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            # the answer replaces the page (Playwright's own click waits for that, a mouse click does not): read it on
            # the new document; a response that replaces nothing (204, a download) is read where it is after a while
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(committed), min(5.0, ctx.remaining_ms() / 1000))
        await page.wait_for_load_state("domcontentloaded", timeout=ctx.remaining_ms())
    except PlaywrightTimeout as exc:
        if not await submit.count():
            raise ctx.missing(f"the submit button (CSS selector '{channel.submit}')", "webform.submit", page, channel.timeout) from exc
        raise ChannelError(f"{ctx.where()}: the form at {channel.url} was submitted but no answer came within {channel.timeout:g}s") from exc
    finally:
        page.remove_listener("framenavigated", navigated)

    outcome = await _read_outcome(page, ctx, {"captchas": captchas, "errors": channel.errors, "confirmation": channel.confirmation})
    captcha, url = outcome["captcha"], outcome["url"]
    errors = outcome["errors"]
    if errors:
        if captcha:
            raise Blocked(f"{ctx.where()}: blocked by a CAPTCHA on {url} (matched '{captcha}'): {'; '.join(errors)}")
        unique = list(dict.fromkeys(errors))
        raise FormRejected(f"{ctx.where()}: the form at {channel.url} was rejected with validation errors: "
                           + " | ".join(unique), unique)
    if captcha:
        raise Blocked(f"{ctx.where()}: blocked by a CAPTCHA on {url} after submitting (matched '{captcha}')")
    if response.status in (502, 503, 504):  # the server behind the form is down: the company was not reached
        raise page_status_error(response.status, response.url, **where)  # type: ignore[misc]
    if response.status >= 400:
        raise ChannelError(f"{ctx.where()}: the form at {channel.url} answered HTTP {response.status}")
    confirmation = outcome["confirmation"]
    if confirmation is None:
        raise SelectorMissing(
            f"{ctx.where()}: the confirmation (CSS selector '{channel.confirmation}') is not on {url} (waited {channel.timeout:g}s). "
            f"Fix 'webform.confirmation' in target file {target.path}, or check the page."
        )
    pattern = channel.ticket_pattern or target.spec.ticket_pattern
    ticket = None
    if pattern:
        match = re.search(pattern, confirmation)
        if match:
            ticket = match.group(1) if match.groups() else match.group(0)
    message = str(values["message"][1]) if "message" in values else (message or "")
    facts = persona_facts(persona, [str(v) for _, v in values.values() if isinstance(v, str)])
    return Submitted(t_ns, utc, url, confirmation, ticket, message, facts)
