"""Targets: the company under test, one journeys/targets/*.yaml file each."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from mysteryshop import company_clock
from mysteryshop.channels.blocking import Blockable
from mysteryshop.durations import parse_duration
from mysteryshop.persona import DEFAULT_PROBE_DOMAIN
from mysteryshop.yamlsource import find_file, load_model


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as exc:  # RecursionError: groups nested a thousand deep
            raise ValueError(f"ticket_pattern is not a valid regular expression: {exc}") from None
    return value


Regex = Annotated[str | None, AfterValidator(_regex)]


class DkimSettings(BaseModel):
    """DKIM signing of probe mail (see mysteryshop/signing.py): d=domain, s=selector, and the RSA private key."""

    model_config = ConfigDict(extra="forbid")

    domain: str = Field(description="the signing domain (d=): the probe domain, or its parent, so that DMARC aligns")
    selector: str = Field(description="the selector (s=): the public key is the TXT record <selector>._domainkey.<domain>")
    key_file: str | None = Field(default=None, description="PEM RSA private key, relative to the target file")
    key_env: str | None = Field(default=None, description="environment variable holding the PEM RSA private key")

    @model_validator(mode="after")
    def _one_key(self) -> DkimSettings:
        if (self.key_file is None) == (self.key_env is None):
            raise ValueError("dkim needs exactly one of 'key_file:' (a PEM file, relative to the target file) or 'key_env:' (a variable holding the PEM)")
        return self


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    support_address: str
    smtp_host: str = Field(default="127.0.0.1", description="where probes hand their mail: the company's MX, or your relay")
    smtp_port: int = Field(default=25, ge=0, le=65535)
    timeout: float = Field(default=10.0, gt=0)
    starttls: bool = Field(default=False, description="upgrade the connection with STARTTLS before sending")
    tls_verify: bool = Field(default=True, description="verify the relay's certificate (turn off only for a test relay)")
    username_env: str | None = Field(default=None, description="environment variable holding the relay user name")
    password_env: str | None = Field(default=None, description="environment variable holding the relay password")
    keyring_service: str | None = Field(default=None, description="keyring service holding the password for the user name")
    limits: dict[str, int] = Field(default={}, description="per_minute and per_day caps on emails sent to this target")
    dkim: DkimSettings | None = Field(default=None, description="sign probe mail with DKIM (domain, selector, key_file or key_env)")


class FormField(BaseModel):
    """One field of a contact form: where it is (exactly one of label, name, css) and what to put in it."""

    model_config = ConfigDict(extra="forbid")

    label: str | None = None
    name: str | None = None
    css: str | None = None
    type: Literal["text", "select", "checkbox", "radio", "file"] = "text"
    #: the value: text may use {persona.*}; a checkbox takes true/false; a file a path relative to the target file.
    #: A journey step's `fields:` overrides it; the `message` field defaults to the step's `body:`.
    value: str | bool | None = None

    @model_validator(mode="after")
    def _one_locator(self) -> FormField:
        if sum(x is not None for x in (self.label, self.name, self.css)) != 1:
            raise ValueError("a form field needs exactly one of 'label:', 'name:' or 'css:'")
        return self

    @model_validator(mode="after")
    def _known_variables(self) -> FormField:
        if isinstance(self.value, str) and self.type != "file":
            from mysteryshop.journey import template_problems

            problems = template_problems(self.value)
            if problems:
                raise ValueError(f"value {self.value!r}: " + "; ".join(problems))
        return self

    def describe(self) -> str:
        return f"label '{self.label}'" if self.label else (f"name '{self.name}'" if self.name else f"CSS selector '{self.css}'")


class WebformChannel(BaseModel):
    """The company's contact form: its URL, a field map and where the outcome shows."""

    model_config = ConfigDict(extra="forbid")

    url: str
    fields: dict[str, FormField]
    submit: str = "button[type=submit], input[type=submit]"
    confirmation: str = "body"              # CSS of the element holding the confirmation text
    errors: str | None = ".error, [role=alert]"  # CSS of validation error messages
    captcha: str | None = None              # an extra CAPTCHA selector (well-known widgets are always detected)
    ticket_pattern: Regex = None       # default: the target's ticket_pattern
    timeout: float = Field(default=10.0, gt=0, description="seconds a form step may take before it fails (wall clock)")
    accessibility: bool = Field(default=True, description="run axe-core (WCAG 2 A and AA rules) on the loaded form before filling it")
    start: Literal["form", "home"] = Field(
        default="form", description="where a form step starts: at the form's URL, or at the home page, finding the way to the form as a "
                                    "customer would (a journey step's `start:` overrides it)")
    home: str | None = Field(default=None, description="the home page a step that starts there opens (default: the root of the form's site)")
    max_clicks: int = Field(default=4, ge=1, le=10, description="how many clicks from the home page the way to the form may take")
    max_pages: int = Field(default=25, ge=1, le=200, description="how many pages the search for the form may open before it gives up")

    @property
    def home_url(self) -> str:
        if self.home:
            return self.home
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/"


def _pattern(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"'{value}' is not a valid regular expression: {exc}") from None
    return value


class FrameHop(BaseModel):
    """One frame on the way to a chat widget: the <iframe> by CSS `selector` (open shadow roots are pierced),
    by its `name`, or by a regular expression its `url` matches. Exactly one."""

    model_config = ConfigDict(extra="forbid")

    selector: str | None = None
    name: str | None = None
    url: Annotated[str | None, AfterValidator(_pattern)] = None

    @model_validator(mode="after")
    def _one_way(self) -> FrameHop:
        if sum(x is not None for x in (self.selector, self.name, self.url)) != 1:
            raise ValueError("a frame needs exactly one of 'selector:', 'name:' or 'url:'")
        return self

    def describe(self) -> str:
        return f"frame '{self.selector}'" if self.selector else (f"frame named '{self.name}'" if self.name else f"frame whose URL matches '{self.url}'")


def _frames(value: object) -> object:
    """`frame:` may be one hop or a list (outermost first); a plain string is a CSS selector of the <iframe>."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [{"selector": item} if isinstance(item, str) else item for item in items]


def _hosts(value: object) -> object:
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


Frames = Annotated[list[FrameHop], BeforeValidator(_frames)]
ShadowHosts = Annotated[list[str], BeforeValidator(_hosts)]


class WidgetPlace(BaseModel):
    """An element that may live in a frame of its own and behind shadow-DOM hosts (a launcher in its own iframe)."""

    model_config = ConfigDict(extra="forbid")

    selector: str
    frame: Frames = Field(default=[], description="frames from the page to the element, outermost first")
    shadow: ShadowHosts = Field(default=[], description="CSS of shadow-DOM hosts the element is inside, outermost first")


def _place(value: object) -> object:
    return {"selector": value} if isinstance(value, str) else value


Place = Annotated[WidgetPlace | None, BeforeValidator(_place)]


class ChatChannel(BaseModel):
    """The company's chat widget: its page, where the widget lives (launcher, frames, shadow hosts) and the
    selectors to drive and read it. Selectors from `email` to `typing` are looked up inside `frame` and `shadow`."""

    model_config = ConfigDict(extra="forbid")

    url: str
    consent: Place = None                   # a cookie banner's accept button, clicked if it shows within consent_wait
    consent_wait: float = Field(default=3.0, ge=0, description="seconds to wait for the consent banner before going on without it")
    open: Place = None                      # launcher button (a selector in the page, or {selector, frame, shadow})
    frame: Frames = Field(default=[], description="the widget's frame(s), outermost first: {selector|name|url} each")
    shadow: ShadowHosts = Field(default=[], description="CSS of the shadow-DOM hosts the conversation is inside, outermost first")
    open_shadow_roots: bool = Field(default=False, description="make closed shadow roots open, so selectors reach inside them")
    email: str | None = None                # pre-chat email field (filled with the persona's address)
    name: str | None = None                 # pre-chat name field
    start: str | None = None                # pre-chat start button
    input: str
    send: str | None = None                 # send button (default: press Enter in the input)
    log: str = "body"                       # the conversation container
    message: str                            # one message in the conversation
    authors: dict[Literal["bot", "agent", "customer"], str] = {}  # CSS a message matches per author
    typing: str | None = None               # typing indicator
    timeout: float = Field(default=10.0, gt=0, description="seconds a chat action may take before it fails (wall clock)")
    accessibility: bool = Field(default=True, description="run axe-core (WCAG 2 A and AA rules) on the open chat widget")
    # `start_at`, not `start`: `start` is the pre-chat form's start button
    start_at: Literal["chat", "home"] = Field(
        default="chat", description="where an open_chat step starts: at chat.url, or at the home page, finding the chat as a customer "
                                    "would (its launcher on a page, a help page's 'Chat with us' link) (a journey step's `start:` overrides it)")
    home: str | None = Field(default=None, description="the home page a chat that starts there opens (default: the root of the chat's site)")
    max_clicks: int = Field(default=4, ge=1, le=10, description="how many clicks from the home page the way to the chat may take")
    max_pages: int = Field(default=25, ge=1, le=200, description="how many pages the search for the chat may open before it gives up")
    launcher_wait: float = Field(default=2.0, ge=0, le=30, description="seconds each page of the search is given to show the chat's launcher "
                                                                      "(widgets load after the page)")

    @property
    def home_url(self) -> str:
        if self.home:
            return self.home
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}/"


class ImapSource(BaseModel):
    """A real mailbox that receives the replies (plus-addressed personas, `probe_mailbox:`)."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=993, ge=1, le=65535)
    ssl: bool = True
    mailbox: str = "INBOX"
    user_env: str = Field(default="MYSTERYSHOP_IMAP_USER", description="environment variable holding the IMAP user name")
    password_env: str = Field(default="MYSTERYSHOP_IMAP_PASSWORD", description="environment variable holding the IMAP password")


class CollectSettings(BaseModel):
    """How the company's replies reach mysteryshop (see mysteryshop/collect/).

    - `smtp`: mysteryshop's own mailbox, bound to `host:port`; the probe domain's MX (or the desk's
      outbound mail for it) must point there. Port 0 takes any free port: only an embedded or
      loopback desk that is told the port can use that.
    - `imap`: a real mailbox read over IMAP (personas are plus-addresses of `probe_mailbox`).
    - `listener`: a `mysteryshop listen` already running on the same store receives them.
    """

    model_config = ConfigDict(extra="forbid")

    via: Literal["smtp", "imap", "listener"] = "smtp"
    host: str = Field(default="127.0.0.1", description="smtp: the interface the mailbox binds (0.0.0.0 for every interface)")
    port: int = Field(default=0, ge=0, le=65535, description="smtp: the port the mailbox binds (0: any free port)")
    advertise: str | None = Field(default=None, description="smtp: host:port the desk reaches the mailbox at, when not host:port (NAT, MX)")
    imap: ImapSource | None = None

    @model_validator(mode="after")
    def _imap_needs_account(self) -> CollectSettings:
        if self.via == "imap" and self.imap is None:
            raise ValueError("collect.via is 'imap' but no 'imap:' account is given (host, port, ssl, mailbox, user_env, password_env)")
        return self


def _hours(value: str | list[str]) -> str | list[str]:
    company_clock.parse_hours(value)
    return value


Hours = Annotated[str | list[str], AfterValidator(_hours)]


class HolidaySettings(BaseModel):
    """Public holidays from the `holidays` package: a country (ISO code) and optionally a subdivision (state, region)."""

    model_config = ConfigDict(extra="forbid")

    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. DE, FR, GB, US")
    subdivision: str | None = Field(default=None, description="state or region code of the country, e.g. BE (Berlin) for DE")
    extra: list[date] = Field(default=[], description="more days the company is closed, e.g. 2025-12-24")

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        company_clock.holiday_calendar(value)
        return value.upper()

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value is not None and country is not None:
            company_clock.holiday_calendar(country, value)
        return value


class ClockSettings(BaseModel):
    """The company's clock: where its business time is counted (business deadlines, send windows)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(description="IANA time zone, e.g. Europe/Berlin")
    hours: Hours = Field(description="business hours, e.g. 'Mon-Fri 09:00-17:00' or 'Mon-Thu 09:00-17:00; Fri 09:00-15:00'")
    holidays: HolidaySettings | None = Field(default=None, description="public holidays the company is closed on")
    simulated_start: datetime | None = Field(
        default=None, description="a desk that plays time faster (speedup): the local time its clock shows when a probe starts"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        company_clock.zone(value)
        return value


class SendWindowSettings(BaseModel):
    """When probes may be sent, in the target's local time: each probe at a seeded random offset up to `jitter` into it."""

    model_config = ConfigDict(extra="forbid")

    hours: Hours = Field(description="e.g. 'Mon-Fri 09:00-17:00' (the clock's time zone)")
    jitter: Annotated[int, BeforeValidator(parse_duration)] = Field(default=0, ge=0, description="spread sends over this much window time, e.g. 30m")
    on_holidays: bool = Field(default=False, description="send on the clock's holidays too")


class TargetSpec(BaseModel):
    """The schema of a journeys/targets/*.yaml file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    embedded: str | None = None
    profile: str = "typical"
    speedup: float = Field(default=1.0, gt=0)
    probe_domain: str = DEFAULT_PROBE_DOMAIN
    probe_mailbox: str | None = None  # a real mailbox for plus-addressed personas (read over IMAP by `mysteryshop listen`)
    ticket_pattern: Regex = None
    collect: CollectSettings = Field(default_factory=CollectSettings, description="how replies reach mysteryshop")
    email: EmailChannel | None = None
    webform: WebformChannel | None = None
    chat: ChatChannel | None = None
    block: list[Blockable] = Field(default=[], description="what a probe's browser does not load on this company's pages: fonts, images, media, "
                                                           "analytics (channels/blocking.py)")
    browser_reuse: bool = Field(default=False, description="hand a browser context and its page from one persona to the next, cleared in "
                                "between (channels/reset.py): about half a form probe's CPU saved; but the context keeps its keep-alive "
                                "sockets and TLS sessions, so the company's server could link two personas. Off unless you accept that")
    clock: ClockSettings | None = Field(default=None, description="time zone, business hours and holidays (business deadlines, send windows)")
    send_window: SendWindowSettings | None = Field(default=None, description="when probes may be sent, in the clock's local time")

    @model_validator(mode="after")
    def _clock_fits(self) -> TargetSpec:
        if self.send_window is not None and self.clock is None:
            raise ValueError("send_window needs a 'clock:' for its time zone, e.g. clock: {timezone: Europe/Berlin, hours: 'Mon-Fri 09:00-17:00'}")
        if self.clock is not None and self.clock.simulated_start is not None and self.speedup == 1:
            raise ValueError("clock.simulated_start is for a desk that plays time faster (speedup > 1); a real company's clock is the real one")
        return self

    @field_validator("embedded")
    @classmethod
    def _known_embedded(cls, value: str | None) -> str | None:
        if value not in (None, "demo"):
            raise ValueError(f"unknown embedded target '{value}'. The only embedded target is 'demo'.")
        return value


@dataclass(slots=True)
class Target:
    """A loaded target. `speedup` > 1 means the company plays its clock faster (the demo desk)."""

    spec: TargetSpec
    path: Path

    @property
    def name(self) -> str:
        return self.spec.name

    def wall_ns(self, company_ns: int) -> int:
        """A company-time deadline as wall-clock nanoseconds."""
        return int(company_ns / self.spec.speedup)

    @property
    def clock(self) -> company_clock.CompanyClock | None:
        """The company's clock (time zone, business hours, holidays, send window), or None without a `clock:`."""
        if self.spec.clock is None:
            return None
        return _company_clock(self.spec.clock, self.spec.send_window)

    def send_time(self, origin: tuple[int, str], key: str) -> tuple[int, str] | None:
        """When a probe that started at `origin` (timeline ns, UTC) may send its first message, as (timeline ns, company
        local time); None without a send window. `key` seeds its jitter: the same probe gets the same time in every process."""
        clock = self.clock
        if clock is None or clock.window is None:
            return None
        company = clock.company_time(origin[0], origin[1], self.spec.speedup)
        at = clock.window.send_at(company.at(origin[0]), key)
        return company.t_of(at), clock.calendar.format(at)

    @property
    def is_loopback(self) -> bool:
        """Every channel of the target is on this machine's loopback: a desk under test here, not a company."""
        spec = self.spec
        hosts = [spec.email.smtp_host] if spec.email is not None else []
        hosts += [urlsplit(c.url).hostname for c in (spec.webform, spec.chat) if c is not None]
        return bool(hosts) and all(is_loopback(h) for h in hosts)

    def ticket(self, text: str) -> str | None:
        if not self.spec.ticket_pattern:
            return None
        match = re.search(self.spec.ticket_pattern, text)
        return (match.group(1) if match.groups() else match.group(0)) if match else None


_CLOCKS: dict[str, company_clock.CompanyClock] = {}


def _company_clock(settings: ClockSettings, window_settings: SendWindowSettings | None) -> company_clock.CompanyClock:
    """Built once per distinct clock (the `holidays` calendar fills in year by year as it is asked)."""
    key = f"{settings.model_dump_json()}|{window_settings.model_dump_json() if window_settings is not None else ''}"
    found = _CLOCKS.get(key)
    if found is None:
        if len(_CLOCKS) >= 64:
            _CLOCKS.clear()
        found = _CLOCKS[key] = _build_clock(settings, window_settings, key)
    return found


def _build_clock(settings: ClockSettings, window_settings: SendWindowSettings | None, key: str) -> company_clock.CompanyClock:
    closed: company_clock.ClosedDays | frozenset[date] = frozenset()
    if settings.holidays is not None:
        found = company_clock.holiday_calendar(settings.holidays.country, settings.holidays.subdivision)
        closed = company_clock.ClosedDays(found, frozenset(settings.holidays.extra))
    calendar = company_clock.build_calendar(settings.timezone, settings.hours, closed)
    window = None
    if window_settings is not None:
        hours = company_clock.build_calendar(settings.timezone, window_settings.hours, frozenset() if window_settings.on_holidays else closed)
        window = company_clock.SendWindow(hours, window_settings.jitter)
    start = None
    if settings.simulated_start is not None:
        local = settings.simulated_start
        start = company_clock.epoch_ns(local if local.tzinfo else local.replace(tzinfo=calendar.tz))
    return company_clock.CompanyClock(calendar, key, window, start)


def is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_target(path: Path | str) -> Target:
    path = Path(path)
    spec, _ = load_model(path, TargetSpec, defaults={"name": path.stem})
    return Target(spec=spec, path=path)


def find_target(name: str, directory: Path) -> Target:
    return load_target(find_file("target", name, directory))
