"""What a probe saw in the browser: chat transcripts and contact-form outcomes (plain data).

Part of a probe's `Timeline` (`timeline.web`). Filled live by the web-form and chat channels and
again, identically, from stored events by `restore_event`, so scoring can run later from the store.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

# -- what a chat message is, read from its words (the page only tells us who wrote it) --------
_SURVEY = re.compile(
    r"(how satisfied|were you satisfied|rate (us|this chat|the chat|your (experience|chat))|how would you rate|how did we do"
    r"|was (this|your (issue|question|problem)) (resolved|solved|answered)|satisfaction survey)",
    re.IGNORECASE,
)
_QUEUE = re.compile(
    r"(number \d+ in (the )?queue|position \d+|in the queue|estimated wait|wait(ing)? time|about \d+ (minutes?|mins?)|\d+ (minutes?|mins?) wait)",
    re.IGNORECASE,
)
_WAIT_ESTIMATE = re.compile(r"(\d+\s*(minutes?|mins?|hours?|seconds?)|number \d+|position \d+)", re.IGNORECASE)
_STATUS = re.compile(
    r"(still (looking|checking|working|here|with you|on it)|thanks? (you )?for (your patience|waiting|bearing with)|bear with (me|us)"
    r"|(won't|will not) be long|just a (moment|minute|second)|you are now number|we('re| are) still)",
    re.IGNORECASE,
)
_INTRO = re.compile(
    r"(\b(this is|my name is|i'm|i am) [A-Z][a-z]+\b.{0,40}\b(from|with|at|of|here)\b|you('re| are) (now )?(chatting|talking|connected) (with|to))",
)
_GREETING = re.compile(r"^(hi|hello|hey|welcome|good (morning|afternoon|evening))\b|how can (i|we) help|what can (i|we) help", re.IGNORECASE)
#: a company message asking the customer for something: name, order number, email, ticket
ASKS_FOR = {
    "name": re.compile(r"(your (full )?name\b|who (am i|i am) (speaking|talking) (to|with))", re.IGNORECASE),
    "order_id": re.compile(r"(order (number|no\.?|id|#)|which order)", re.IGNORECASE),
    "email": re.compile(r"(e-?mail( address)?)\b", re.IGNORECASE),
    "ticket": re.compile(r"(ticket|case|reference) (number|no\.?|id|#)", re.IGNORECASE),
}
_ASKING = re.compile(r"(\?|\b(please (tell|give|confirm|provide|share|send)|could you|can you|may i (have|ask)))", re.IGNORECASE)

COMPANY = ("bot", "agent")


def chat_kind(author: str, text: str) -> str:
    """greeting, queue, status, intro, survey or answer (company); customer; typing."""
    if author == "customer":
        return "customer"
    if _SURVEY.search(text):
        return "survey"
    if _QUEUE.search(text) and author == "bot":
        return "queue"
    if _STATUS.search(text) and len(text.split()) < 40:
        return "status"
    if _INTRO.search(text) and len(text.split()) < 60:
        return "intro"
    if author == "bot" and _GREETING.search(text) and len(text.split()) < 30:
        return "greeting"
    if _QUEUE.search(text):
        return "queue"
    return "answer"


def asks_for(text: str) -> list[str]:
    """What a company message asks the customer for (name, order_id, email, ticket), if it asks."""
    if not _ASKING.search(text):
        return []
    return [what for what, pattern in ASKS_FOR.items() if pattern.search(text)]


def has_wait_estimate(text: str) -> bool:
    return bool(_QUEUE.search(text) and _WAIT_ESTIMATE.search(text))


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message the page showed, timestamped when it entered the DOM (monotonic ns, see channels/chat.py)."""

    step: str  # the open_chat step whose conversation this is
    t_ns: int
    utc: str
    author: str  # bot | agent | customer | unknown | typing
    text: str
    #: when the page showed it, where `t_ns` is the time a simulated desk planned it for (channels/chat.py)
    shown_ns: int | None = None

    @property
    def kind(self) -> str:
        return "typing" if self.author == "typing" else chat_kind(self.author, self.text)

    @property
    def from_company(self) -> bool:
        return self.author in COMPANY or self.author == "unknown"


@dataclass(frozen=True, slots=True)
class FormResult:
    """A contact form the company accepted: its confirmation text and ticket number."""

    step: str
    t_ns: int
    utc: str
    url: str
    confirmation: str
    ticket: str | None


@dataclass(frozen=True, slots=True)
class Given:
    """What the customer told the company in one action (name, order id, email, ticket), and when."""

    step: str
    t_ns: int
    channel: str
    facts: dict[str, str]


@dataclass(frozen=True, slots=True)
class WayIn:
    """How a customer starting at the home page found the contact form (`goal` 'form') or the chat ('chat'), or that
    they could not.

    `clicks`: the way taken, each {"on": page URL, "name": the link's or button's name, "to": where it led};
    `visited`: every page the search opened, in order (dead ends included); `seconds`: wall time of the search.
    """

    step: str
    t_ns: int
    home: str
    found: bool
    url: str | None
    clicks: list[dict[str, str]]
    visited: list[str]
    seconds: float
    reason: str = ""
    elsewhere: list[str] = field(default_factory=list)  # other ways to support seen on the way (mailto:, tel:)
    goal: str = "form"  # what was looked for: the contact form, or the chat


@dataclass(frozen=True, slots=True)
class FormFriction:
    """What filling one contact form asked of the customer, as the page showed it.

    `controls`: every control the customer is asked to fill (buttons and hidden inputs left out; a radio group once),
    each {"label", "name", "type", "autocomplete", "required", "filled"}; scoring/friction.py reads what each asks for.
    `invalid`: the validation messages met (the browser's own before sending, the page's after); `seconds`: from the
    form shown to its outcome; `outcome`: confirmed, rejected, blocked or error.
    """

    step: str
    t_ns: int
    url: str
    controls: list[dict[str, Any]]
    invalid: list[str]
    seconds: float
    outcome: str


@dataclass(slots=True)
class WebLog:
    chat: list[ChatMessage] = field(default_factory=list)
    forms: dict[str, FormResult] = field(default_factory=dict)
    given: list[Given] = field(default_factory=list)
    way_in: dict[str, WayIn] = field(default_factory=dict)  # per form step that started at the home page
    friction: dict[str, FormFriction] = field(default_factory=dict)  # per form step that reached a form

    def company_messages(self, after_ns: int) -> list[ChatMessage]:
        return sorted((m for m in self.chat if m.t_ns >= after_ns and m.from_company), key=lambda m: m.t_ns)

    def conversation(self, step: str | None = None) -> list[ChatMessage]:
        return sorted((m for m in self.chat if step is None or m.step == step), key=lambda m: m.t_ns)


# -- to and from stored events ---------------------------------------------------------------
EVENT_KINDS = ("chat_message", "form_submitted", "customer_gave", "way_in", "form_friction")
_KINDS = {ChatMessage: "chat_message", FormResult: "form_submitted", Given: "customer_gave", WayIn: "way_in", FormFriction: "form_friction"}


def event_data(item: ChatMessage | FormResult | Given | WayIn | FormFriction) -> tuple[str, dict[str, Any]]:
    """(event kind, data) to store for one item; `restore_event` reads it back."""
    data = asdict(item)
    data.pop("t_ns")
    data.pop("utc", None)
    data.pop("step")
    kind = _KINDS[type(item)]
    return kind, data


def restore_event(log: WebLog, kind: str, step: str | None, t_ns: int, utc: str, data: str | dict[str, Any]) -> None:
    values = json.loads(data) if isinstance(data, str) else data
    if kind == "chat_message":
        log.chat.append(ChatMessage(step or "", t_ns, utc, values["author"], values["text"]))
    elif kind == "form_submitted":
        log.forms[step or ""] = FormResult(step or "", t_ns, utc, values["url"], values["confirmation"], values.get("ticket"))
    elif kind == "customer_gave":
        log.given.append(Given(step or "", t_ns, values["channel"], values["facts"]))
    elif kind == "way_in":
        log.way_in[step or ""] = WayIn(step or "", t_ns, **values)
    elif kind == "form_friction":
        log.friction[step or ""] = FormFriction(step or "", t_ns, **values)
