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

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mysteryshop.channels.browser import PageClock, page_clock_offset, page_load_error, page_status_error
from mysteryshop.errors import ChannelError, SelectorMissing, TargetMisconfigured
from mysteryshop.journey import render_text
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
async ({fields, captchas, waitMs}) => {
  const clock = performance.timeOrigin + performance.now();
  const norm = (t) => (t || '').replace(/\s+/g, ' ').trim();
  const captcha = () => { for (const s of captchas) { try { if (document.querySelector(s)) return s; } catch (e) {} } return null; };
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
      return {clock, captcha: null, missing, manual};
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
"""

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
                      message: str | None = None, loaded_hook: Callable[[Any, float], Awaitable[Any]] | None = None) -> Submitted:
    """Fill and submit the target's contact form on `page`; the confirmation, or an error that says why not.

    `loaded_hook(page, deadline)`: awaited once the form's page has loaded, before anything is filled (the accessibility audit)."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    channel = target.spec.webform
    assert channel is not None
    ctx = _Context(target, step, journey, time.monotonic() + channel.timeout)
    where = {"what": "the contact form", "setting": "webform.url", "target_path": target.path, "step": step.id, "journey": journey}
    try:
        loaded = await page.goto(channel.url, wait_until="domcontentloaded", timeout=ctx.remaining_ms())
    except PlaywrightError as exc:
        raise page_load_error(exc, channel.url, **where) from exc
    refused = page_status_error(loaded.status if loaded is not None else None, channel.url, **where)
    if refused is not None:
        raise refused
    if loaded_hook is not None:
        await loaded_hook(page, ctx.deadline)
    values = form_values(channel, step, persona, journey_dir, target.path.parent, message)
    captchas = [*CAPTCHA_SELECTORS, *([channel.captcha] if channel.captcha else [])]
    fields = [
        {"key": name, "type": field.type or "text", "label": field.label, "name": field.name, "css": field.css, "value": str(value),
         "checked": value is True or str(value).lower() in _TRUE}
        for name, (field, value) in values.items() if field.type != "file"
    ]
    clock = PageClock()
    before = time.monotonic_ns()
    try:
        filled = await page.evaluate(_FILL_JS, {"fields": fields, "captchas": captchas, "waitMs": max(0.0, ctx.remaining_ms() - 250)})
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

    # The submit button is clicked by Playwright (a real mouse click, after its actionability checks), like a customer.
    submit = page.locator(channel.submit).first
    try:
        async with page.expect_response(lambda r: r.request.method == "POST", timeout=ctx.remaining_ms()) as response_info:
            clicked_ns = time.monotonic_ns()
            await submit.click(timeout=ctx.remaining_ms())
        response = await response_info.value
        t_ns, utc = submission_time(response.request.timing, offset_ns, clicked_ns)
        await page.wait_for_load_state("domcontentloaded", timeout=ctx.remaining_ms())
    except PlaywrightTimeout as exc:
        if not await submit.count():
            raise ctx.missing(f"the submit button (CSS selector '{channel.submit}')", "webform.submit", page, channel.timeout) from exc
        raise ChannelError(f"{ctx.where()}: the form at {channel.url} was submitted but no answer came within {channel.timeout:g}s") from exc

    try:
        outcome = await page.evaluate(_OUTCOME_JS, {"captchas": captchas, "errors": channel.errors, "confirmation": channel.confirmation,
                                                    "waitMs": max(0.0, ctx.remaining_ms() - 250)})
    except PlaywrightError as exc:
        raise ChannelError(f"{ctx.where()}: could not read the answer to the form at {channel.url}: {str(exc).splitlines()[0]}") from exc
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
