"""What kind of message a company (or a mail server) sent, with the evidence: read from headers, report parts and words.

Kinds: `bounce` (a mail server could not deliver the probe's message), `out_of_office`, `acknowledgement`
(the message was received, someone will answer: automatic or by a person), `answer`, `survey` (how did we do:
CSAT, NPS), `marketing` and `other` (delay warnings, read receipts, delivery notices, empty messages).

The order of the checks is the order of certainty: a delivery report's own fields first (collect.report:
RFC 3464 parts, flufl.bounce), then the words of mail servers, absence notices, surveys, marketing, and
last what is left: whether a reply that confirms receipt or defers also says something of substance.
Substance is what remains of the reply's own words (collect.parse: quotes removed; quality.clean: signature
and footer set aside) once every cue, greeting, reference number and pointer to a help centre is taken out.

Structure and headers weigh before words where both speak: an autoresponder's message (RFC 3834
`Auto-Submitted: auto-replied`, `X-Autoreply`) needs much more substance to be an answer; a help desk's record of
fields ("Case number: …", "Description: …") is read line by line, never as wrapped prose, and the customer's own
message in it is theirs (scoring.own_text); links that differ only in the rating they carry, rows of faces and
choices under a line that asks to judge are a rating scale; a free-text delay warning stays a warning whatever
the bounce detectors guess; a receipt that promises the answer has nothing yet to be rated.

The cues are data (kinds.yaml), in English, German, French and Spanish, all tried on every message: no
language is detected to classify (language.detect is for what a caller shows or scores next).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mysteryshop.collect.parse import CALENDAR, ParsedMail
from mysteryshop.collect.report import looks_like_daemon
from mysteryshop.quality.clean import clean_reply
from mysteryshop.quality.text import fold
from mysteryshop.scoring.kind_words import Cue, Hits, KindWords, kind_words
from mysteryshop.scoring.own_text import own_text
from mysteryshop.scoring.promises import Promise, find_promise

BOUNCE = "bounce"
OUT_OF_OFFICE = "out_of_office"
ACKNOWLEDGEMENT = "acknowledgement"
ANSWER = "answer"
SURVEY = "survey"
MARKETING = "marketing"
OTHER = "other"
KINDS = (BOUNCE, OUT_OF_OFFICE, ACKNOWLEDGEMENT, ANSWER, SURVEY, MARKETING, OTHER)
#: the satisfaction follow-up a journey expects is a survey (the name scorecards of older versions used)
FOLLOWUP = SURVEY

#: a reply that confirms receipt or defers is an answer only with at least this many words of substance
SUBSTANCE_FOR_ANSWER = 6
#: an absence notice, survey or deferral may carry a little more (a colleague's address, a link's caption)
SUBSTANCE_BESIDE_NOTICE = 14
#: a reply that says the answer is still to come ("one of our team will respond within 24 hours") is an answer only with this
#: many words of substance besides, not counting sentences that carry a link (pointers: "track your order here: …")
SUBSTANCE_PROMISED = 12
#: an autoresponder's message (RFC 3834 auto-replied) that confirms receipt is an answer only with this much substance besides
SUBSTANCE_AUTO_REPLY = 20
#: a sentence adds to the substance only with at least this many words of its own once its cues are out
SENTENCE_SUBSTANCE = 3
#: how much of a message's text is read for cues (a 5 MB newsletter is judged by its first 20,000 characters)
TEXT_LIMIT = 20_000

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'’-]*")
_URL = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|info|io|[a-z]{2})/\S*")
#: a link into a help centre: its caption is an article's title, not the company's answer
_HELP_LINK = re.compile(r"(?:https?://|www\.)\S*(?:/hc/|/help|help\.|/faq|faq\.|/kb/|/articles?/|/support/|support\.|/hilfe|hilfe\.|/aide|aide\.|"
                        r"/ayuda|ayuda\.|/knowledge|/guides?/|docs\.)\S*")
#: a reply's subject, after any tags a desk puts first ("[Lumio] Re: Order 4471")
_REPLY_SUBJECT = re.compile(r"^\s*(?:\[[^\]]{0,40}\]\s*)*(re|aw|sv|antw|rv|ref|r|wg|tr|fw|fwd|res)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_NOREPLY = re.compile(r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|noreply|notifications?|mailer|auto(reply|responder)?)[@+.-]",
                      re.IGNORECASE)
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder")
#: headers of a mailing to many (not Feedback-ID: Amazon SES stamps it on every message it relays, a desk's answers too)
_BULK_HEADERS = ("list-id", "x-campaign", "x-campaignid", "x-mc-user", "list-unsubscribe-post", "x-csa-complaints", "x-bulkmail")
#: a help desk's own headers (by their start) and products that name themselves in X-Mailer or X-Powered-By
_DESK_HEADERS = ("x-zendesk-", "x-freshdesk-", "x-helpscout-", "x-otrs-", "x-zammad-", "x-kayako-", "rt-ticket", "x-rt-loop-prevention",
                 "x-jira-fingerprint")
_DESK_PRODUCT = re.compile(r"zendesk|freshdesk|help ?scout|\botrs\b|znuny|zammad|request tracker|kayako|osticket|\bjira\b|happyfox|"
                           r"gorgias|kustomer|servicenow|deskpro|liveagent|uvdesk|freescout", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reading:
    """A message's kind and why. `automatic`: sent by software, not typed by a person for this customer.
    `deferral`: the words that put the answer off ("we will get back to you within 24 hours"), if any.
    `substance`: words of the company's own beyond receipt, deferral and boilerplate. `language`: that of the
    cue that decided (None when headers decided). `promise`: a time the message promises an answer in."""

    kind: str
    evidence: tuple[str, ...]
    automatic: bool = False
    deferral: str | None = None
    substance: int = 0
    language: str | None = None
    promise: Promise | None = None

    @property
    def stalling(self) -> bool:
        """A person's reply that only defers: it counts against the company whatever comes next (an automatic
        acknowledgement only does when it is all the customer got by the deadline: see scoring.stalling)."""
        return self.kind == ACKNOWLEDGEMENT and not self.automatic and self.deferral is not None


def _quote(cue: Cue) -> str:
    return f'"{" ".join(cue.text.split())[:120]}" ({cue.language})'


@dataclass(slots=True)
class _Body:
    """The reply's own words, sentence by sentence, with the cues found in them."""

    cues: dict[str, list[Cue]] = field(default_factory=dict)
    substance: int = 0
    substance_beside: dict[str, int] = field(default_factory=dict)
    folded_sentences: tuple[str, ...] = ()
    sentences: tuple[str, ...] = ()
    hits: dict[int, Hits] = field(default_factory=dict)  # by sentence index: which cues may match there
    linked: int = 0  # substance in sentences that carry a link (a pointer: "track your order here: …")
    waiting: int = 0  # substance in clauses that say how long the wait usually is ("it usually takes two days")
    contact: int = 0  # substance in sentences that give an address or a phone number ("for invoices: ben@…, 030 1234-12")
    questions: list[Cue] = field(default_factory=list)  # feedback words in a question ("would you mind leaving us a review?")
    before_judging: int | None = None  # substance before the first sentence that asks the customer to judge (None: none does)
    judging: list[Cue] = field(default_factory=list)  # feedback words in sentences that are no question ("we'd love a review")
    about_us: list[Cue] = field(default_factory=list)  # those of them in a sentence that names the company: "how we handled this"
    links: int = 0  # sentences that carry a link, or are a button's caption ("Write a review", "Jetzt bewerten")
    asking: list[str] = field(default_factory=list)  # the (folded) sentences that ask to judge, as their cues set before_judging

    def first(self, group: str) -> Cue | None:
        found = self.cues.get(group)
        return found[0] if found else None

    def count(self, group: str) -> int:
        return len({" ".join(c.text.split()) for c in self.cues.get(group, ())})


#: what follows a deferral that makes it depend on something that may not happen (its clause: up to a comma or the end)
_CONDITIONAL = re.compile(r"[^,;:.!?]{0,40}?\b(?:if|in case|unless|should (?:you|there|it|anything)|falls|sofern|si|au cas ou|en caso de)\b")
#: the company speaking of itself, in the four languages: feedback words beside these judge it
_ABOUT_US = re.compile(r"\b(?:we|us|our|wir|uns|unser\w*|nous|notre|nos|nosotros|nos|nuestr[oa]s?)\b")
#: a clause that goes on with the time of a deferral before it ("…, as soon as I hear from them", "…, sobald ich mehr weiß")
_TEMPORAL = re.compile(r"\s*(?:as soon as|once|when|until|sobald|wenn|bis|des que|lorsque|quand|en cuanto|cuando|tan pronto)\b")
#: an address or a phone number: a line that says whom to write to or call
_CONTACT = re.compile(r"\S+@\S+\.\w+|(?:\+|\b)\d[\d /().-]{6,}\d")
#: the sentences that ask the customer to judge (a survey cue or feedback words): their substance, apart
_JUDGING = "survey or feedback"
_SENTENCE_GROUPS = ("received", "deferral", "reply_promise", "automated", "survey", "feedback", "absence_body", "boilerplate", "person",
                    "aside", "imprint", "notice_body", "closure", "wait", "challenge")
#: cues whose words are not substance (person, feedback and marketing cues are: a person's "I checked" starts an answer)
_NOT_SUBSTANCE = ("received", "deferral", "reply_promise", "automated", "survey", "absence_body", "boilerplate", "aside", "notice_body",
                  "closure", "challenge")


_LINE_END = re.compile(r"[.!?:;]\s*$")
#: a line of a record ("Short description: Order 4471 arrived damaged", "Opened: 2026-03-04 10:12"): two of them in a row are
#: a form or a ticket's fields, never one sentence wrapped over two lines
_FIELD_LINE = re.compile(r"^[^\W\d][^\W\d'’-]*(?:[ '’-][^\W\d]+){0,2}\s?:\s")


def unwrap(text: str) -> str:
    """Paragraphs of a hard-wrapped plain-text message (lines cut near 72 characters) joined back into lines, so that
    a phrase across a line break is found; short lines (lists, addresses, sign-offs) stay as they are."""
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        previous = out[-1] if out else ""
        stripped = line.strip()
        if (previous.strip() and stripped and len(previous) >= 45 and not _LINE_END.search(previous) and not stripped.startswith(("-", "*", "•", ">"))
                and not (_FIELD_LINE.match(stripped) and _FIELD_LINE.match(previous.strip()))):
            out[-1] = previous.rstrip() + " " + stripped
        else:
            out.append(line)
    return "\n".join(out)


#: a German ordinal date ("bis 14. November") is not the end of a sentence
_ORDINAL_DATE = re.compile(r"\b(\d{1,2})\.(?=\s+(?:Jan|Feb|M[äa]r|Apr|Mai|Jun|Jul|Aug|Sep|Okt|Nov|Dez)[a-zä]*\b)", re.IGNORECASE)


#: where a sentence divides into clauses: a cue of receipt or deferral takes its whole clause out of the substance
#: ("our team will get back to you within 24 hours (Mon-Fri)"), not the sentence ("Your order left on Monday, and
#: we'll let you know when it arrives" keeps its first clause)
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]|\s[-–—]\s|\s(?:and|but|then|und|aber|sondern|dann|et|mais|puis|y|pero|luego)\s")


#: the separators inside one number, date or time ("9:00", "19.11.2025", "1,80"): taken out, the number is one word
_NUMBER_GROUP = re.compile(r"(?<=\d)[:.,/](?=\d)")


def _clauses(folded: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for match in _CLAUSE_BREAK.finditer(folded):
        if match.start() > start:
            bounds.append((start, match.start()))
        start = match.end()
    if start < len(folded):
        bounds.append((start, len(folded)))
    return bounds


#: "Label: value" with a label of up to three words (no digits): a field of a record, a form or a notice
_FIELD = re.compile(r"^[^\W\d][^\W\d'’-]*(?:[ '’-][^\W\d]+){0,2}\s?:\s*(?P<value>.*)$")
#: a field's value this long (in words, unless it is mostly numbers: dates, times) is prose after a colon
_FIELD_WORDS = 6


def _is_field(folded: str) -> bool:
    found = _FIELD.match(folded)
    if found is None:
        return False
    value = _TOKEN.findall(found.group("value"))
    if not found.group("value").strip():
        return False  # a heading or a prompt ("Rate your conversation:"): its words are read like any sentence's
    return len(value) <= _FIELD_WORDS or sum(t.isdigit() for t in value) * 2 >= len(value)


#: the end of a clause, just before an aside that starts a new one ("…tomorrow morning; in the meantime")
_CLAUSE_END = re.compile(r"[;,:–—-]\s*$")
#: what parts the items of a bar of links or of a footer line ("Unsubscribe · Manage preferences", "Shop | Blog | Help")
_BAR = re.compile(r"\s[|·•]\s|\s[|·•]$|^[|·•]\s")
#: an item of such a bar is short
_BAR_ITEM_WORDS = 8


def _is_bar(folded: str) -> bool:
    if "|" not in folded and "·" not in folded and "•" not in folded:
        return False
    items = [item for item in _BAR.split(folded) if item.strip()]
    return len(items) >= 2 and all(len(item.split()) <= _BAR_ITEM_WORDS for item in items)


def _has_url(folded: str) -> bool:
    """Whether a (folded) sentence holds a link or an address (`_URL`), ruled out cheaply for most sentences."""
    return ("/" in folded or "@" in folded or "www." in folded) and _URL.search(folded) is not None


def _link_only(folded: str, *, help_only: bool = False) -> bool:
    """Whether a sentence is nothing but a link (a help-centre link when `help_only`)."""
    found = (_HELP_LINK if help_only else _URL).search(folded)
    return found is not None and not folded.replace(found.group(), "").strip(" .:;,()<>")


def _read_body(words: KindWords, text: str, subject: str = "") -> _Body:
    clean = clean_reply(_ORDINAL_DATE.sub(r"\1", unwrap(text[:TEXT_LIMIT])))
    body = _Body(folded_sentences=clean.folded, sentences=clean.sentences)
    # the customer's own subject, echoed back ("a ticket regarding: Invoice shows wrong VAT"), is not the company's substance;
    # nor are the names in the sender's display name
    stop = words.stopwords | set(_TOKEN.findall(subject))
    linked = [_has_url(folded) for folded in clean.folded]
    for index, folded in enumerate(clean.folded):
        if (linked[index] and _HELP_LINK.search(folded)) or (
                index + 1 < len(clean.folded) and linked[index + 1] and _link_only(clean.folded[index + 1], help_only=True)
                and not _LINE_END.search(folded)):
            continue  # a pointer to a help article, or its caption
        if _is_field(folded):
            # "Subject: …", "Sent: 20 Aug 2025 13:30", "Ticket ID: 7731045": a record's field, not the company's prose; but
            # "Begin survey: https://…" is a button and its link
            if linked[index]:
                body.links += 1
                button = words["feedback"].first(folded) or words["survey"].first(folded)
                if button is not None:
                    body.judging.append(button)
            continue
        if _is_bar(folded):
            continue  # "View request · Turn off notifications", "Lumio GmbH · Hauptstr. 1 · Berlin": a bar of links or a footer
        spans: list[tuple[int, int]] = []
        hits = body.hits[index] = words.scan(folded)
        groups_here = words.find(folded, hits, _SENTENCE_GROUPS)
        aside = groups_here.get("aside")
        if aside and "imprint" not in groups_here:
            # "I'll send the label tomorrow; in the meantime, keep the lamp in its box": what comes before the aside, in a
            # clause of its own, is still the matter (the aside and what follows it are not)
            before = folded[:min(cue.start for cue in aside)]
            if _CLAUSE_END.search(before) and len(_TOKEN.findall(before)) > SENTENCE_SUBSTANCE:
                folded = _CLAUSE_END.sub("", before)
                hits = body.hits[index] = words.scan(folded)
                groups_here = words.find(folded, hits, _SENTENCE_GROUPS)
        for group, cues in groups_here.items():
            if group in _NOT_SUBSTANCE:
                spans.extend((cue.start, cue.end) for cue in cues)
            if group == "deferral":
                # "I'll let you know if the bank asks": a follow-up that may never come puts nothing off
                cues = groups_here[group] = [cue for cue in cues if not _CONDITIONAL.match(folded, cue.end)]
            body.cues.setdefault(group, []).extend(cues)
        groups_here = {group: cues for group, cues in groups_here.items() if cues}
        if "aside" in groups_here or "imprint" in groups_here:
            continue  # "in the meantime, our guide…", "shop our bestsellers while you wait": the whole sentence is beside the matter
        asks = "feedback" in groups_here and "?" in folded
        if "feedback" in groups_here and _ABOUT_US.search(folded):
            body.about_us.append(groups_here["feedback"][0])
        if asks and "survey" not in groups_here:
            body.questions.append(groups_here["feedback"][0])
        elif "feedback" in groups_here and "survey" not in groups_here:
            body.judging.append(groups_here["feedback"][0])
        if linked[index] or (len(folded.split()) <= _CAPTION_WORDS and not _LINE_END.search(folded) and "feedback" in groups_here):
            body.links += 1
        if asks or "survey" in groups_here:
            body.asking.append(folded)
            if body.before_judging is None:
                body.before_judging = body.substance
        own = waiting = 0
        put_off = [(c.start, c.end) for group in ("deferral", "reply_promise") for c in groups_here.get(group, ())]
        waits = [(c.start, c.end) for c in groups_here.get("wait", ())]
        unlinked = _URL.sub(lambda m: " " * len(m.group()), folded) if linked[index] else folded
        deferred = False
        for start, end in _clauses(unlinked) if spans or waits else ((0, len(unlinked)),):
            if any(s < end and start < e for s, e in spans):
                deferred = any(s < end and start < e for s, e in put_off)
                continue
            if deferred and _TEMPORAL.match(unlinked, start):
                continue  # "I'll get back to you, as soon as I hear from them": the rest of the putting off
            deferred = False
            words_here = sum(1 for t in _TOKEN.findall(_NUMBER_GROUP.sub("", unlinked[start:end])) if t not in stop and (len(t) >= 3 or t.isdigit()))
            own += words_here
            if any(s < end and start < e for s, e in waits):
                waiting += words_here
        if own >= SENTENCE_SUBSTANCE:
            body.substance += own
            body.waiting += waiting
            if linked[index]:
                body.linked += own
            if _CONTACT.search(folded):
                body.contact += own
            if "survey" in groups_here or "feedback" in groups_here:
                body.substance_beside[_JUDGING] = body.substance_beside.get(_JUDGING, 0) + own
            for group in groups_here:
                body.substance_beside[group] = body.substance_beside.get(group, 0) + own
    return body


def _auto_replied(mail: ParsedMail) -> bool:
    """Whether an autoresponder wrote the message in response to the customer's (RFC 3834 `Auto-Submitted: auto-replied`,
    the older `X-Autoreply`/`X-Autorespond`, `Precedence: auto_reply`): software that answers every message alike."""
    return ((mail.auto_submitted or "").strip().lower().startswith("auto-replied") or any(name in mail.kind_headers for name in _AUTO_HEADERS)
            or (mail.precedence or "").strip().lower() == "auto_reply")


def _auto_signals(mail: ParsedMail, words: KindWords, subject: _Scanned) -> list[str]:
    """Evidence that software sent the message, from its headers and subject."""
    found = []
    submitted = (mail.auto_submitted or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        found.append(f"header Auto-Submitted: {mail.auto_submitted}")
    for name in _AUTO_HEADERS:
        if name in mail.kind_headers:
            found.append(f"header {name}: {mail.kind_headers[name][:60]}")
    # not bulk: ticket systems put Precedence: bulk on every mail, agents' answers too (Roundup), to keep auto-responders quiet
    if (mail.precedence or "").strip().lower() in ("auto_reply", "junk"):
        found.append(f"header Precedence: {mail.precedence}")
    # Exchange marks what its own software sends: automatic replies and rules ask other servers not to answer them
    # (X-Auto-Response-Suppress), a server-side rule's reply names the agent that made it
    for name in ("x-auto-response-suppress", "x-ms-exchange-generated-message-source"):
        if name in mail.kind_headers:
            found.append(f"header {name}: {mail.kind_headers[name][:60]}")
    cue = subject.first("auto_subject")
    if cue is not None:
        found.append(f"subject {_quote(cue)}")
    if mail.from_addr and _NOREPLY.match(mail.from_addr):
        found.append(f"sender {mail.from_addr}")
    return found


def read_kind(mail: ParsedMail) -> Reading:
    """The kind of `mail` with its evidence. Pure; never raises on what a message holds (a reply too odd to
    read is `other`, with the reason)."""
    try:
        return _read_kind(mail)
    except Exception as exc:  # noqa: BLE001 - one unreadable reply must not stop a scorecard: it is told, not guessed
        return Reading(OTHER, (f"could not be classified: {type(exc).__name__}: {str(exc)[:200]}",))


class _Scanned:
    """A folded text and, once asked for, which cues may match in it (one scan for every group that reads it)."""

    __slots__ = ("text", "_hits", "_words")

    def __init__(self, words: KindWords, text: str) -> None:
        self.text, self._hits, self._words = text, None, words

    @property
    def hits(self) -> Hits:
        if self._hits is None:
            self._hits = self._words.scan(self.text)
        return self._hits

    def first(self, group: str) -> Cue | None:
        return self._words[group].first(self.text, self.hits)

    def all(self, group: str) -> Iterator[Cue]:
        return self._words[group].all(self.text, self.hits)


def _read_kind(mail: ParsedMail) -> Reading:
    words = kind_words()
    subject = _Scanned(words, fold(" ".join((mail.subject or "").split())[:500]))
    text = mail.text or ""
    full = _Scanned(words, fold((mail.full_text or text)[:TEXT_LIMIT]))

    bounce = _bounce(mail, words, subject, full)
    if bounce is not None:
        return bounce

    auto = _auto_signals(mail, words, subject)
    own = own_text(mail, words)
    text = own.text
    if not text.strip() and own.echoed:
        return Reading(ACKNOWLEDGEMENT, ("it carries the customer's own message back and adds nothing of its own: a receipt",
                                         *auto), automatic=True)
    if not text.strip():
        reason = "no text in the message" + (" (" + "; ".join(mail.defects[:2]) + ")" if mail.defects else "")
        return Reading(OTHER, (reason, *auto), automatic=bool(auto))
    # the sender's display name is often the customer's own (a ticket system writing "on behalf of" its author)
    body = _read_body(words, text, " ".join((subject.text, fold(mail.from_name or ""), *own.customer_names)))
    automated = body.first("automated")
    automatic_evidence = auto + ([f"body {_quote(automated)}"] if automated else [])
    person = body.first("person")
    automatic = bool(automatic_evidence) or person is None

    ooo = _absence(mail, words, subject, body, auto)
    if ooo is not None:
        return ooo

    notice = _notice(mail, words, subject, body)
    if notice is not None:
        return notice

    reply = _in_thread(mail, subject)
    scale = rating_scale(text, lambda line: _asks_to_judge(words, line))
    if scale is None and (host := words["survey_host"].first(full.text, full.hits)) is not None:
        scale = f'a link to a survey service "{host.text}"'  # the tool's own form holds the scale
    survey = _survey(words, subject, body, scale, reply)
    selling = _selling(subject, full)
    marketing = _marketing(mail, words, full, body, reply, selling)
    # a mailing to many that talks about reviews or opinions at length, with no survey's words and no scale to answer on,
    # is an article of a newsletter, not a request to judge the customer's own case
    unstructured = survey is not None and scale is None and not body.cues.get("survey") and subject.first("survey") is None and (
        body.substance >= SUBSTANCE_OUTSIDE_THREAD)
    if marketing is not None and (survey is None or marketing[1] >= 3 or (unstructured and not reply)):
        return Reading(MARKETING, marketing[0], automatic=True, language=marketing[2])
    if survey is not None:
        return Reading(SURVEY, survey[0], automatic=True, language=survey[1], substance=body.substance)
    closure = body.first("closure")
    if closure is not None and person is None and body.substance - body.substance_beside.get("closure", 0) < SUBSTANCE_BESIDE_NOTICE:
        return Reading(OTHER, (f"body {_quote(closure)}", "a desk's notice that the request changed (closed, solved, merged, updated): "
                               "no receipt, no answer in it"),
                       automatic=True, language=closure.language)

    acks = [c for group in ("received", "deferral", "reply_promise", "automated") for c in body.cues.get(group, ())]
    if own.echoed and body.substance == 0 and not acks:
        return Reading(ACKNOWLEDGEMENT, ("it carries the customer's own message back and adds nothing of its own: a receipt",
                                         *auto), automatic=True)
    promised = body.first("reply_promise")
    deferral = body.first("deferral") or promised
    deferral_quote = _sentence_of(body, deferral) if deferral is not None else None
    who = ("automatic: " + "; ".join(automatic_evidence)) if automatic_evidence else (
        f"written by a person: {_quote(person)}" if person is not None else "automatic: no sign of a person writing")
    # a receipt or deferral takes its whole clause out of the substance (_read_body): what is left is the company's own matter;
    # when the message says the answer is still to come, that must be more than pointers and pleasantries
    substance, needed = body.substance, SUBSTANCE_FOR_ANSWER
    if promised is not None or (deferral is not None and (automated is not None or _auto_replied(mail))):
        # an autoresponder or a message that says it is automated, putting the answer off ("replies are taking up to 5 days"), says how
        # long and where to look meanwhile: neither is the matter
        substance, needed = body.substance - body.linked - body.waiting, SUBSTANCE_PROMISED
    if _auto_replied(mail):
        # an autoresponder (RFC 3834) sends the same text to every message: beside a receipt, what it says is the desk's
        # notice (hours, holidays, links), not an answer written for this customer, unless it is a long one
        needed = max(needed, SUBSTANCE_AUTO_REPLY)
    generated = (mail.auto_submitted or "").strip().lower().startswith("auto-generated")
    if not acks and not reply and not own.echoed and generated and person is None:
        # RFC 3834 auto-generated, outside the customer's thread, with no word of their request: a notification, a digest, a
        # reminder that software sends on its own, whatever it says at length
        return Reading(OTHER, (f"header Auto-Submitted: {mail.auto_submitted[:60]}", "a notification outside the customer's thread",
                               "no word of receipt or of an answer to come"), automatic=True)
    titled = subject.first("transaction")  # "Order confirmation 10-4471": what follows the title ("we'll email you when it ships") promises no answer
    if (not acks or (titled is not None and not body.cues.get("received"))) and not reply and person is None and not _auto_replied(mail) \
            and not own.echoed and _help_desk(mail) is None:
        deal = titled or words["transaction"].first(fold(text[:TEXT_LIMIT]))
        if deal is not None:
            # an order confirmation, a dispatch note, a receipt, a new account: software's record of a transaction, outside the
            # customer's thread and silent on their request
            return Reading(OTHER, (f"{'subject' if deal is titled else 'body'} {_quote(deal)}",
                                   "a transaction or account notice outside the customer's thread", "no word of receipt or of an answer to come",
                                   *auto), automatic=True, language=deal.language)
    if not acks and not reply and not _auto_replied(mail) and not own.echoed and substance < needed:
        # software's notice outside the customer's thread (a dispatch note, a password link) that does not say their message
        # arrived: about something else, not a receipt of it
        return Reading(OTHER, ("an automatic notice outside the customer's thread (no In-Reply-To, no reply prefix, no reference)",
                               "no word of receipt or of an answer to come", *auto), automatic=True)
    if (acks or auto) and substance < needed:
        evidence = [f"body {_quote(c)}" for c in acks[:3]] or list(auto[:2])
        evidence += [f"{substance} word(s) of substance beyond receipt, deferral and boilerplate"
                     + (f" (fewer than {needed} beside a promise to answer later)" if promised is not None else ""), who]
        language = acks[0].language if acks else None
        promise = find_promise(words, body.folded_sentences, body.sentences) if deferral is not None or acks else None
        return Reading(ACKNOWLEDGEMENT, tuple(evidence), automatic, deferral_quote, body.substance, language, promise)
    if body.substance == 0:
        return Reading(OTHER, ("no words of substance, and no acknowledgement", *auto), automatic=automatic)
    if not reply:
        may_be_mailing = _not_a_mailing(mail) is None and words["request_subject"].first(fold(mail.subject or "")) is None and (
            bool(_bulk(mail, words, full)) or words["remedy"].first(full.text) is None)
        outside = _outside_thread(body, acks, selling, subject, who, may_be_mailing)
        if outside is not None:
            return dataclasses.replace(outside, deferral=deferral_quote if outside.kind == ACKNOWLEDGEMENT else None,
                                       promise=find_promise(words, body.folded_sentences, body.sentences) if outside.kind == ACKNOWLEDGEMENT else None)
    evidence = [f"{body.substance} word(s) of substance"]
    if acks:
        evidence.append(f"beside {_quote(acks[0])}")
    if automatic_evidence or person is not None:
        evidence.append(who)
    return Reading(ANSWER, tuple(evidence), automatic and bool(automatic_evidence), deferral_quote, body.substance,
                   acks[0].language if acks else None)


#: outside the customer's thread, a message with a receipt's or deferral's words is an acknowledgement up to this much substance
SUBSTANCE_OUTSIDE_THREAD = 30


def _outside_thread(body: _Body, acks: list[Cue], selling: dict[str, Cue], subject: _Scanned, who: str,
                    may_be_mailing: bool = True) -> Reading | None:
    """The kind of a message with substance that came outside the customer's thread (no In-Reply-To, no reply prefix, no number
    of theirs in the subject). Desks answer in the thread; what arrives outside it is a receipt, a mailing or a survey more
    often than an answer, so weaker signs of those decide: one selling word, a receipt's words, a question about how it went."""
    thread = "outside the customer's thread (no In-Reply-To, no reply prefix, no reference in the subject)"
    offers = list(selling.values())
    if (may_be_mailing and (len(offers) >= 2 or (offers and not acks))) or len(offers) >= 3:
        return Reading(MARKETING, (*(_quote(c) for c in offers[:3]), thread), automatic=True, language=offers[0].language)
    if acks and body.substance < SUBSTANCE_OUTSIDE_THREAD:
        return Reading(ACKNOWLEDGEMENT, (*(f"body {_quote(c)}" for c in acks[:3]), thread,
                                         f"{body.substance} word(s) of substance beyond receipt, deferral and boilerplate", who),
                       not who.startswith("written by a person"), None, body.substance, acks[0].language)
    asked = body.questions or body.judging or ([c] if (c := subject.first("feedback")) else [])
    if asked:
        return Reading(SURVEY, (f"asks {_quote(asked[0])}", thread), automatic=True, language=asked[0].language, substance=body.substance)
    return None


def _sentence_of(body: _Body, cue: Cue) -> str:
    """The sentence (as written) a cue was found in."""
    for folded, sentence in zip(body.folded_sentences, body.sentences, strict=False):
        if cue.text in folded:
            return " ".join(sentence.split())[:300]
    return cue.text


def _bounce(mail: ParsedMail, words: KindWords, subject: _Scanned, full: _Scanned) -> Reading | None:
    """A bounce, or `other` for a delay warning or delivery notice; None for a message no mail server wrote."""
    action = (mail.delivery_action or "").lower()
    report = mail.delivery_evidence or ""
    delay_subject = subject.first("delay")
    bounce_subject = subject.first("bounce_subject")
    guessed = report.startswith("flufl.bounce")  # a detector's reading of free text, not a report's own Action field
    if action in ("failed", "error") and guessed and bounce_subject is None and (
            delay_subject is not None or words["delay"].first(full.text[:6000], full.hits) is not None):
        # "THIS IS A WARNING MESSAGE ONLY … will keep trying": the server says it goes on trying; the detectors read the
        # address it names as a failure
        cue = delay_subject or words["delay"].first(full.text[:6000], full.hits)
        assert cue is not None
        return Reading(OTHER, (f"delivery delayed, not final (not a bounce): {_quote(cue)}", f"not the {report[:80]}"),
                       automatic=True, language=cue.language)
    if action in ("failed", "error"):
        return Reading(BOUNCE, (f"delivery failed: {report}",), automatic=True)
    if action == "delayed" and (bounce_subject is None or words["bounce_body"].first(full.text[:6000], full.hits) is None):
        # a subject of failure ("Delivery failure notification") over a report that only delays is the report's word against
        # a title: the report wins unless the text itself says the failure is final
        return Reading(OTHER, (f"delivery delayed, not final (not a bounce): {report}",), automatic=True)
    submitted = (mail.auto_submitted or "").lower()
    if "(rejected)" in submitted:
        # RFC 5429: a Sieve "reject" refuses the message and says so with "Auto-Submitted: auto-replied (rejected)"
        return Reading(BOUNCE, (f"header Auto-Submitted: {mail.auto_submitted[:80]}: the recipient's filter refused the message (RFC 5429)",),
                       automatic=True)
    if mail.report_type == "disposition-notification":
        return Reading(OTHER, ("a read receipt (multipart/report; report-type=disposition-notification)",), automatic=True)
    daemon = looks_like_daemon(mail.from_addr, mail.from_name)
    # the null reverse-path (RFC 5321: only mail servers send with it), or a From with no address at all ("Jetmail System" <>)
    null_sender = mail.kind_headers.get("return-path", "").strip() == "<>" or not mail.from_addr
    failed_recipients = "x-failed-recipients" in mail.kind_headers
    head = full.text[:6000]  # a prefix: what may match in it may in the whole
    # the words of a mail server count only beside another sign of one: read them only then (most mail is no bounce)
    server = daemon or null_sender or failed_recipients or bounce_subject is not None or bool(mail.auto_submitted) or bool(mail.report_type)
    bounce_body = words["bounce_body"].first(head, full.hits) if server else None
    delay_body = words["delay"].first(head, full.hits) if server else None
    sender = f"sender {mail.from_name or ''} <{mail.from_addr}>".replace(" <", " <", 1) if daemon else None
    if action in ("delivered", "relayed", "expanded") and bounce_subject is None:  # the report's own Action is more certain than words
        return Reading(OTHER, (f"a delivery notice, not a failure: {report}",), automatic=True)
    # a warning that the server goes on trying: no subject of failure, or one that the text does not back with a final failure
    if (delay_subject or (delay_body and (daemon or null_sender or bounce_subject))) and (bounce_subject is None or bounce_body is None) \
            and not mail.kind_headers.get("x-failed-recipients"):
        cue = delay_subject or delay_body
        assert cue is not None
        return Reading(OTHER, (f"delivery delayed, not final (not a bounce): {_quote(cue)}", *([sender] if sender else [])),
                       automatic=True, language=cue.language)
    evidence = [e for e in (
        sender,
        "header Return-Path: <>" if null_sender else None,
        f"subject {_quote(bounce_subject)}" if bounce_subject else None,
        f"body {_quote(bounce_body)}" if bounce_body else None,
        f"header X-Failed-Recipients: {mail.kind_headers['x-failed-recipients'][:100]}" if "x-failed-recipients" in mail.kind_headers else None,
    ) if e]
    signals = sum(x is not None and x is not False for x in (daemon or None, bounce_subject, bounce_body, null_sender or None,
                                                               mail.kind_headers.get("x-failed-recipients")))
    if (bounce_body is not None and signals >= 2) or (daemon and bounce_subject is not None):
        language = (bounce_body or bounce_subject).language if (bounce_body or bounce_subject) else None
        return Reading(BOUNCE, tuple(evidence), automatic=True, language=language)
    return None


def _absence(mail: ParsedMail, words: KindWords, subject: _Scanned, body: _Body, auto: list[str]) -> Reading | None:
    in_subject = subject.first("absence_subject")
    in_body = body.first("absence_body")
    person = body.first("person")
    if in_subject is None and in_body is None:
        return _away(mail, words, body, auto) or _away_by_structure(mail, words, subject, body, auto)
    if _logged(body) and (person is None or not auto):
        # a desk that is closed but has logged the request, or a person who writes that they are away but has the message
        # and will deal with it: both acknowledge it (judged with the acknowledgements)
        return None
    beside = body.substance_beside.get("absence_body", 0)
    # whom to write to or call meanwhile ("for invoices: ben@…, 030 1234-12") is part of an absence notice
    other = max(0, body.substance - beside - body.contact)
    little = other < SUBSTANCE_FOR_ANSWER and beside < SUBSTANCE_BESIDE_NOTICE * 2
    if not auto and in_subject is None:
        # nothing but the words says it is a notice: then the clauses beside the absence must say nothing either ("the shop
        # closes from 24 December, but your order left this morning and arrives before Christmas" is an answer)
        little = little and body.substance - body.contact < SUBSTANCE_FOR_ANSWER
    if in_body is not None and (auto or little or in_subject is not None):
        evidence = [f"body {_quote(in_body)}", *([f"subject {_quote(in_subject)}"] if in_subject else []), *auto]
        return Reading(OUT_OF_OFFICE, tuple(evidence), automatic=True, language=in_body.language)
    if in_subject is not None and auto and body.substance < SUBSTANCE_BESIDE_NOTICE and not body.cues.get("received"):
        return Reading(OUT_OF_OFFICE, (f"subject {_quote(in_subject)}", *auto), automatic=True, language=in_subject.language)
    if in_subject is not None and (_auto_replied(mail) or _exchange_oof(mail)) and not body.cues.get("received") and not any(
            body.cues.get(group) for group in ("deferral", "reply_promise")) and not any(_CASE_NUMBER.search(f) for f in body.folded_sentences):
        # an autoresponder (RFC 3834, an Exchange inbox rule) titled as an absence, that neither logs a request nor promises an
        # answer: whatever else it carries (a disclaimer, a colleague's details) is the notice's
        return Reading(OUT_OF_OFFICE, (f"subject {_quote(in_subject)}", *auto, "an autoresponder's absence notice: no receipt, no promise"),
                       automatic=True, language=in_subject.language)
    return None


#: when someone is back: "until the 28th", "back on Monday", "when I'm back", "bis Freitag", "jusqu'au", "hasta el"
_RETURN_TIME = re.compile(r"\b(?:until|till|through|back (?:on|in|at|next)|when i'?m back|on my return|this week|today|"
                          r"bis|ab (?:dem|montag|dienstag|mittwoch|donnerstag|freitag)|wieder|nach meiner ruckkehr|"
                          r"jusqu|de retour|a mon retour|des mon retour|hasta|a mi (?:vuelta|regreso)|volvere|regresare)\b")


#: a person saying where they are: "I'm", "ich bin", "je suis", "estoy"
_BEING = re.compile(r"\b(?:i'?m|i am|i will be|i'll be|ich bin|bin ich|ich befinde mich|je suis|je serai|estoy|estare|me encuentro)\b")


def _away(mail: ParsedMail, words: KindWords, body: _Body, auto: list[str]) -> Reading | None:
    """A person's mailbox answering on its own (RFC 3834 auto-replied, X-Autoreply) in the first person, saying where they are
    and when they are back, neither confirming receipt, giving a number nor promising an answer within a time: away, in
    whatever words ("I'm hiking in Patagonia until the 28th")."""
    replied = _auto_replied(mail)
    person = body.first("person")
    if not replied or person is None or _logged(body) or body.cues.get("automated"):
        return None
    when = next((found for folded in body.folded_sentences if _BEING.search(folded) and (found := _RETURN_TIME.search(folded))), None)
    if when is None or body.substance - body.contact >= SUBSTANCE_BESIDE_NOTICE * 2:
        return None
    if any(words.promise.pattern.search(folded) for folded in body.folded_sentences):
        return None  # "I answer every message within 24 hours; this week I'm slower": a receipt with a time it keeps
    return Reading(OUT_OF_OFFICE, (f'body "{when.group()}": the time they are back', f"written in the first person: {_quote(person)}",
                                   *auto), automatic=True, language=person.language)


#: a date written in numbers, read the same in every language: "18.08.2026", "18. 8.", "18/8", "2026-08-18" (a version number
#: such as "4.96" is none: see `_numeric_date`)
_NUMERIC_DATE = re.compile(r"(?<![\d.,/:-])(?:(?P<a>\d{1,2})\s?(?P<sep>[./])\s?(?P<b>\d{1,2})(?P<dot>\.)?(?:\s?[./]\s?(?P<year>\d{4}|\d{2}))?"
                           r"|\d{4}-(?P<m>\d{2})-(?P<d>\d{2}))(?![\d/:,-]|\.\d)")


def _numeric_date(folded: str) -> str | None:
    """The first date in numbers in `folded`: day and month (either order) in range, and a year, a closing dot ("18.8.") or a
    slash ("18/8") to tell it from a decimal or a version."""
    for found in _NUMERIC_DATE.finditer(folded):
        if found.group("m"):
            if 1 <= int(found.group("m")) <= 12 and 1 <= int(found.group("d")) <= 31:
                return found.group()
            continue
        a, b = int(found.group("a")), int(found.group("b"))
        if not ((1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)):
            continue
        if found.group("year") or found.group("dot") or found.group("sep") == "/":
            return found.group()
    return None
#: a case number as desks write them ("#48213", "req-4471", "ticket 88123"), not a phone number or a date
_CASE_NUMBER = re.compile(r"(?<![\w#])#\s?\d{3,}\b|\b[a-z]{2,8}-\d{3,}\b|\b(?:ticket|case|ref|id|nr|no)\.?\s?:?\s?#?\d{3,}\b")
#: what the vacation action of Sieve (RFC 5230), Zimbra and others write into Auto-Submitted
_VACATION = re.compile(r"\bvacation\b|\bout[- ]of[- ]office\b|\babsence\b", re.IGNORECASE)


def _exchange_oof(mail: ParsedMail) -> bool:
    """Exchange's automatic reply: it asks other servers not to answer it, and an inbox rule of the mailbox made it."""
    return "x-auto-response-suppress" in mail.kind_headers and "x-ms-exchange-inbox-rules-loop" in mail.kind_headers


def _away_by_structure(mail: ParsedMail, words: KindWords, subject: _Scanned, body: _Body, auto: list[str]) -> Reading | None:
    """An absence told by structure, in whatever language: the autoresponder says it is a vacation notice (Auto-Submitted
    "auto-replied (vacation)"), or an automatic reply (RFC 3834, Exchange's inbox rule, an "automatic reply" subject) is short,
    names a date, and neither confirms that a request was logged nor promises an answer."""
    if _logged(body) or any(body.cues.get(group) for group in ("deferral", "reply_promise", "notice_body", "challenge", "closure", "survey")):
        return None
    if any(_CASE_NUMBER.search(folded) for folded in body.folded_sentences):
        return None  # "Ticket #48213", "REQ-4471": an absence notice gives no case number
    if any(words.promise.pattern.search(folded) for folded in body.folded_sentences):
        return None
    short = body.substance - body.contact < SUBSTANCE_BESIDE_NOTICE * 2
    vacation = _VACATION.search(mail.auto_submitted or "")
    if vacation is not None and short:
        return Reading(OUT_OF_OFFICE, (f"header Auto-Submitted: {mail.auto_submitted[:60]}: the mailbox's vacation notice", *auto),
                       automatic=True)
    automatic = _auto_replied(mail) or _exchange_oof(mail) or subject.first("auto_subject") is not None
    if not automatic or not short:
        return None
    for folded in body.folded_sentences:
        date = _numeric_date(folded)
        if date is None and any(ch.isdigit() for ch in folded):
            cue = words["month"].first(folded)
            date = cue.text if cue is not None else None
        if date is not None:
            return Reading(OUT_OF_OFFICE, (f'body "{date}": an automatic reply that names a date and nothing else of substance',
                                           *(auto or ["header X-MS-Exchange-Inbox-Rules-Loop (an Exchange inbox rule)"])), automatic=True)
    return None


_THANKS = re.compile(r"(many |vielen |herzlichen |merci |muchas )?(thank|thanks|danke|dank|merci|gracias)\b")
_REFERENCE = re.compile(r"(?<![a-z])(?:[#]\s?[a-z]{0,8}-?\d{3,}|[a-z]{1,8}-\d{3,}|\d{5,})")


def _logged(body: _Body) -> bool:
    """Whether the message says the request was received or logged (beyond a polite "thank you for your email"), or gives it a number."""
    if any(not _THANKS.match(c.text) for c in body.cues.get("received", ())):
        return True
    return any(_REFERENCE.search(c.text) for c in body.cues.get("boilerplate", ()))


def _notice(mail: ParsedMail, words: KindWords, subject: _Scanned, body: _Body) -> Reading | None:
    """`other` for a calendar invitation, a read receipt, a recall, a message held for review, an account check or a
    "not read" notice: neither a receipt by the company nor its answer."""
    method = mail.kind_headers.get(CALENDAR)
    if method is not None:
        return Reading(OTHER, (f"a calendar invitation or reply (text/calendar; method={method})",), automatic=True)
    in_subject = subject.first("notice_subject")
    in_body = body.first("notice_body")
    challenge = body.first("challenge")
    if challenge is not None and body.substance - body.substance_beside.get("challenge", 0) < SUBSTANCE_OUTSIDE_THREAD:
        # a filter holding the message until the customer proves who they are: whatever receipt it states, nobody has the
        # message yet (challenge-response services write "your message was received" above the link)
        return Reading(OTHER, (f"body {_quote(challenge)}", "a challenge-response filter holds the message until the sender "
                               "confirms: no receipt by the company, no answer"), automatic=True, language=challenge.language)
    if in_subject is None and in_body is None:
        return None
    if in_subject is None and (_logged(body) or body.cues.get("deferral") or body.cues.get("reply_promise")):
        return None  # "we have your request and reply within a day; this mailbox is not monitored": a receipt with a footer
    if in_subject is None and body.first("person") is not None and _in_thread(mail, subject) and not _auto_signals(mail, words, subject):
        return None  # a person answering in the thread ("I've sent you a link to set a new password"): their words, not a notice
    other = body.substance - body.substance_beside.get("notice_body", 0)
    # an autoresponder (RFC 3834) sends its notice to everyone ("verify that you are human", "this mailbox is not read"), whatever
    # it copies below it (the headers of the customer's message): with no word of receipt, the notice is what it is
    if other < SUBSTANCE_BESIDE_NOTICE or _auto_replied(mail):
        evidence = [f"{where} {_quote(cue)}" for where, cue in (("subject", in_subject), ("body", in_body)) if cue is not None]
        return Reading(OTHER, (*evidence, "a notice about the message, not a receipt or an answer by the company",
                               f"{other} word(s) of substance beside it"), automatic=True, language=(in_body or in_subject).language)
    return None


_LINK_OPTION = re.compile(r"^\W*(?P<caption>[^\W\d][^:/]{0,40}?)\s*[-–:→>]*\s*(?P<url>https?://\S+)\s*$")
_ARTICLE_LINK = re.compile(r"/(?:hc|kb|faq|faqs|articles?|knowledge(?:base)?|guides?|docs|hilfe|aide|ayuda|artikel|articulos)/")
#: a numbered scale (0-10, 1-5, 1-7), its numbers in brackets or not, with a label at either end ("Very difficult 1 … 7 Very easy")
_NUMBER_SCALE = re.compile(r"^(?:[^\d\n]{0,40}?\s)?\W*(?:0\W+)?1\W+2\W+3\W+4\W+5(?:\W+6(?:\W+7(?:\W+8\W+9\W+10)?)?)?\W*(?:\s[^\d\n]{0,40})?$")
_STARS = re.compile(r"\b[1-5] (?:stars?|sterne?|etoiles?|estrellas?)\b.{0,30}\b[1-5] (?:stars?|sterne?|etoiles?|estrellas?)\b|"
                    r"(?:[★☆⭐✩✰✭]\s*){3,}")
#: a choice marked with an emoji or a symbol
_MARKED = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF]")
#: a row of three to eleven faces or marks and nothing else ("😠  🙁  😐  🙂  😍", "👎 👍"): a scale without words
_FACES = re.compile(r"^(?:[\U0001F300-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]+\s*){3,11}$")
#: what a line must hold to be a row of choices (cheap to rule out), or a scale of stars
_MAY_BE_ROW = re.compile(r"\s[·|/–-]\s|\s{2,}|\t|[\U0001F300-\U0001FAFF]")
_MAY_BE_STARS = re.compile(r"[★☆⭐✩✰✭]|\b[1-5] \w")
#: the options of a row: set apart by a dot, a bar, a slash or a dash between spaces, or by a wide space
_OPTION_BREAK = re.compile(r"\s+[·|/–-]\s+|\s{2,}|\t")
_OPTION = re.compile(r"^[^\W\d][\w' ,]{0,30}$")
#: a choice caption is short ("Great", "Not good", "Gut, ich bin zufrieden")
_CAPTION_WORDS = 4


def _options_row(folded: str, least: int = 2) -> bool:
    """A row of `least` to eleven short captions ("Sehr gut · Gut · Schlecht", "Yes   No", "😀 Très satisfaite   🙂 Satisfaite")."""
    parts = [_EDGES.sub("", part) for part in _OPTION_BREAK.split(folded.strip())]
    parts = [part for part in parts if part]
    return least <= len(parts) <= 11 and all(_OPTION.match(part) and len(part.split()) <= _CAPTION_WORDS for part in parts)


#: what may stand beside a caption in a row of choices: emoji, brackets, arrows, bullets, spaces
_EDGES = re.compile(r"^\W+|\W+$")


#: a graded row has this many choices at least ("Strongly disagree - Disagree - … - Strongly agree")
_GRADED_CHOICES = 4


def _graded_row(folded: str) -> bool:
    """A row of four or more choices that grade one thing: two of them share a word ("agree" / "disagree", "satisfied" /
    "very satisfied"). A bar of links ("Shop | Blog | Help | Instagram") names different things."""
    if not _options_row(folded, _GRADED_CHOICES):
        return False
    options = [_EDGES.sub("", part) for part in _OPTION_BREAK.split(folded.strip())]
    words = [{word for word in option.split() if len(word) >= 4} for option in options if option]
    return any(any(a in b or b in a for a in first for b in second) for i, first in enumerate(words) for second in words[i + 1:])


def _choice_list(lines: list[str], question: int) -> str | None:
    """Two to six short captions, one a line, under the question at `lines[question]`: three or more, or two right under it
    ("Awesome / Just Okay / Not Good"); a signature under a question (two lines after a blank one) is none."""
    options: list[str] = []
    index = question + 1
    gap = index < len(lines) and not lines[index]
    while index < len(lines) and not lines[index]:
        index += 1
    while index < len(lines) and lines[index]:
        caption = _EDGES.sub("", fold(lines[index]))
        if not (_OPTION.match(caption) and len(caption.split()) <= _CAPTION_WORDS) or _LINE_END.search(caption):
            return None
        options.append(lines[index])
        index += 1
    if 3 <= len(options) <= 6 or (len(options) == 2 and not gap):
        return "a choice under a question: " + " / ".join(options)
    return None


def rating_scale(text: str, asks: Callable[[str], bool] | None = None) -> str | None:
    """A rating scale in a message's text, said as evidence, or None: links that differ only in the rating they
    carry (".../satisfaction/good", ".../bad"), a numbered row (0-10, 1-5, 1-7), stars, or a choice of short captions
    under a question (in a row, or one a line). `asks`: whether a line ending in a colon asks the customer to judge
    ("Please tell us how we did:"), so that the choices under it count as under a question."""
    lines = [line.strip() for line in text[:TEXT_LIMIT].split("\n")]
    options: list[tuple[str, str]] = []
    pending: str | None = None
    for line in lines:
        if not line:
            continue
        if ("1" in line and "5" in line and _NUMBER_SCALE.match(fold(line))) or (_MAY_BE_STARS.search(line) and _STARS.search(fold(line))) or (
                _MARKED.search(line) and _FACES.match(line)):
            return f'a rating scale "{" ".join(line.split())[:60]}"'
        found = _LINK_OPTION.match(line) if "http" in line else None
        if found is None and pending is not None and re.fullmatch(r"https?://\S+", line):
            found_caption, url = pending, line
        elif found is not None:
            found_caption, url = found.group("caption"), found.group("url")
        else:
            if line:
                pending = line if len(line.split()) <= _CAPTION_WORDS and not _LINE_END.search(line) else None
            continue
        pending = None
        if len(found_caption.split()) <= _CAPTION_WORDS:
            options.append((found_caption.strip(" -–:"), url))
    prefixes: dict[str, list[str]] = {}
    for caption, url in options:
        if not _ARTICLE_LINK.search(url):  # a list of help articles is no scale, however short their titles
            # the rating is the last part of the link, before any query that is the same on every option (".../good?locale=8")
            prefixes.setdefault(re.split(r"[/=][^/=]*$", url)[0], []).append(caption)
            path, _, query = url.partition("?")
            if query:
                prefixes.setdefault(re.split(r"/[^/]*$", path)[0] + "?" + query, []).append(caption)
    for captions in prefixes.values():
        if 2 <= len(set(captions)) <= 11:
            return "a choice of rated links: " + " / ".join(captions[:5])
    for line in lines:
        if _MAY_BE_ROW.search(line) and _graded_row(fold(line)):
            return f'a graded row of choices: "{line[:60]}"'
    for index, line in enumerate(lines):
        if not (line.endswith("?") or (line.endswith(":") and asks is not None and asks(fold(line)))):
            continue
        # right under the question, two choices ("Yes   No"); after a blank line, three or more (two might be a signature)
        right_under = index + 1 < len(lines) and bool(lines[index + 1])
        following = lines[index + 1] if right_under else next((other for other in lines[index + 2:index + 3] if other), "")
        marked = bool(_MARKED.search(following))  # "👍 Ja   👎 Nein": markers no signature has
        if following and _MAY_BE_ROW.search(following) and _options_row(fold(following), 2 if right_under or marked else 3):
            return f'a row of choices under a question: "{following[:60]}"'
        found_list = _choice_list(lines, index)
        if found_list is not None:
            return found_list[:120]
    return None


def _asks_to_judge(words: KindWords, folded: str) -> bool:
    """Whether a (folded) line asks the customer to judge: a survey's words, or feedback words beside a "how" or a "rate"
    ("Please tell us how we did:"; not "Here are our recommendations:")."""
    return words["survey"].first(folded) is not None or (
        _JUDGE_PROMPT.search(folded) is not None and words["feedback"].first(folded) is not None)


_JUDGE_PROMPT = re.compile(r"\b(?:how|rate|wie|bewerten|comment|notez|evaluez|como|valora|califica|puntua)\b")


def _in_thread(mail: ParsedMail, subject: _Scanned) -> bool:
    """Whether the message answers in the customer's thread: a reply, or one about their numbered request."""
    return bool(mail.in_reply_to) or bool(_REPLY_SUBJECT.match(mail.subject or "")) or bool(_REFERENCE.search(subject.text))


def _survey(words: KindWords, subject: _Scanned, body: _Body, scale: str | None, reply: bool) -> tuple[tuple[str, ...], str | None] | None:
    """(evidence, language) when the message asks the customer to judge what they got: a survey's words, a rating scale, or
    (in a message of its own, not a reply in their thread) a question about their experience and a subject that asks for it."""
    in_subject = subject.first("survey")
    if in_subject is None and body.cues.get("received") and body.cues.get("reply_promise"):
        return None  # "we have your message and reply within 24 hours": there is no help yet to rate, whatever widget follows
    asked = subject.first("feedback") if not reply and in_subject is None else None
    surveyed = {" ".join(c.text.split()) for c in body.cues.get("survey", ())}
    questions = body.questions if (not reply or surveyed or scale) else [c for c in body.questions if c in body.about_us]
    # outside the thread, feedback words beside a link or a button ("we'd love a short review: https://…"), in a message that
    # neither confirms receipt nor puts an answer off (a receipt of the customer's own feedback is no survey)
    acknowledges = any(body.cues.get(group) for group in ("received", "deferral", "reply_promise"))
    judging = [c for c in body.judging if not reply or c in body.about_us][:1] if body.links else []
    judging = judging if not acknowledges and not body.cues.get("closure") else []
    signs = len(surveyed) + (scale is not None) + len({c.text for c in questions}) + (asked is not None) + len(judging)
    cue = body.first("survey") or in_subject or (questions[0] if questions else None) or asked or (judging[0] if judging else None) or (
        body.about_us[0] if body.about_us else None)
    other = body.substance - body.substance_beside.get(_JUDGING, 0)
    # a person's follow-up whose matter is the request for feedback: the sentences that ask to judge how the company did say
    # more than the rest (a line recalling how it was solved), and nothing is received or put off
    asking = body.substance_beside.get(_JUDGING, 0)
    follow_up = bool(body.about_us) and not acknowledges and asking >= other and asking >= SUBSTANCE_FOR_ANSWER
    if signs == 0 and in_subject is None and not follow_up:
        return None
    # several signs outweigh what else the message says when they open it (a survey that quotes the conversation below);
    # a rating footer under an answer comes after it
    # in the customer's thread, a rating scale below the sign-off of a short answer ("Your refund went out today. Best, Tom" above
    # "Rate this reply: Great / Okay / Not good"), with no word of the reply's own asking to judge, rates that answer: the answer
    # is the message. Likewise when every sentence that asks to judge names the reply itself ("Was this reply helpful?", "War
    # diese Antwort hilfreich?") and an answer comes first
    below_sign_off = scale is not None and body.before_judging is None and not body.judging and not body.questions and not surveyed
    rates_reply = bool(body.asking) and all(words["rates_reply"].first(sentence) is not None for sentence in body.asking) and (
        body.before_judging or 0) >= SUBSTANCE_FOR_ANSWER
    footer = (reply and (below_sign_off or rates_reply) and not acknowledges and not body.cues.get("closure")
              and body.substance >= SUBSTANCE_FOR_ANSWER)
    leads = (body.before_judging or 0) < SUBSTANCE_BESIDE_NOTICE and not footer
    # in the thread, a request for feedback in the writer's own words beside an answer ("let us know how we did") is a line of it
    beside = SUBSTANCE_BESIDE_NOTICE if (not reply or surveyed or scale) and not footer else SUBSTANCE_FOR_ANSWER
    if in_subject is not None or (signs >= 2 and leads) or other < beside or follow_up:
        evidence = tuple(f"body {_quote(c)}" for c in body.cues.get("survey", [])[:3]) + ((f"subject {_quote(in_subject)}",) if in_subject else ())
        evidence += tuple(f"asks {_quote(c)}" for c in questions[:2]) + ((f"subject {_quote(asked)}",) if asked else ())
        evidence += tuple(f"asks {_quote(c)} beside a link or button" for c in judging)
        evidence += (scale,) if scale else ()
        evidence += (f"asks {_quote(body.about_us[0])}: the request for feedback is most of what it says",) if follow_up and not signs else ()
        return evidence + (f"{other} word(s) of substance beside the survey",), cue.language if cue else None
    return None


def _substance_beside(words: KindWords, body: _Body, group: str) -> int:
    """Words of substance in the sentences where `group` has a cue (for a group not read with the others)."""
    stop = words.stopwords
    total = 0
    for index, folded in enumerate(body.folded_sentences):
        hits = body.hits.get(index) or words.scan(folded)
        if words[group].first(folded, hits) is not None:
            own = [t for t in _TOKEN.findall(_URL.sub(" ", folded)) if t not in stop and (len(t) >= 3 or t.isdigit())]
            total += len(own) if len(own) >= SENTENCE_SUBSTANCE else 0
    return min(total, body.substance)


_PRICE = re.compile(r"[£$€]\s?\d|\b\d+(?:[.,]\d{2})?\s?(?:€|eur|euros?|gbp|usd|chf)(?![a-z])")


def _bulk(mail: ParsedMail, words: KindWords, full: _Scanned) -> list[str]:
    """Signs that a message went to many: list and campaign headers, blind copies, a greeting to a crowd, an unsubscribe footer."""
    found = [f"header {name}" for name in ("list-unsubscribe",) if mail.list_unsubscribe] + [
        f"header {name}" for name in _BULK_HEADERS if name in mail.kind_headers]
    to = mail.kind_headers.get("to")
    if to is not None and "@" not in to:
        found.append(f"sent as a blind copy (To: {to[:60]})")
    cue = full.first("bulk_body")
    if cue is not None:
        found.append(f"body {_quote(cue)}")
    return found


def _not_a_mailing(mail: ParsedMail) -> str | None:
    """Why the message cannot be a mailing to many, whatever unsubscribe footer it carries: software that says it answers
    or notifies on its own (RFC 3834 Auto-Submitted; newsletters never set it), or a help desk's own headers."""
    submitted = (mail.auto_submitted or "").strip().lower()
    if submitted and not submitted.startswith("no"):
        return f"header Auto-Submitted: {mail.auto_submitted[:40]}"
    return _help_desk(mail)


def _help_desk(mail: ParsedMail) -> str | None:
    """A help desk's own header, said as evidence, or None."""
    for name, value in mail.kind_headers.items():
        if name.startswith(_DESK_HEADERS) or (name in ("x-mailer", "x-powered-by") and _DESK_PRODUCT.search(value)):
            return f"a help desk's header {name}: {value[:40]}"
    return None


def _selling(subject: _Scanned, full: _Scanned) -> dict[str, Cue]:
    """The selling words of the subject and the whole text, one per offer ("use code SAVE10" is one, however many cues find it)."""
    cues: dict[str, Cue] = {}
    for text in (subject, full):
        end = -1
        for cue in text.all("marketing"):
            if cue.start >= end:
                cues.setdefault(" ".join(cue.text.split()), cue)
            end = max(end, cue.end)
    return cues


def _marketing(mail: ParsedMail, words: KindWords, full: _Scanned, body: _Body, reply: bool,
               selling: dict[str, Cue]) -> tuple[tuple[str, ...], int, str | None] | None:
    """(evidence, selling cues, language) when the message sells: promotional words, sent to many, not in the customer's thread."""
    cues = dict(selling)
    bulk = _bulk(mail, words, full)
    desk = _not_a_mailing(mail)
    # a desk's or an autoresponder's message, or one titled after the customer's request ("Your enquiry"), is judged as one
    # in the customer's thread
    reply = reply or desk is not None or words["request_subject"].first(fold(mail.subject or "")) is not None
    if not cues and bulk and not reply:
        price = _PRICE.search(full.text)
        if price is not None:  # prices in mail sent to many, outside any thread: an offer
            cues[price.group()] = Cue("marketing", price.group(), "", price.start(), price.end())
    acknowledges = bool(body.cues.get("received") or body.cues.get("deferral") or body.cues.get("reply_promise"))
    if not cues:
        # sent to many, outside the customer's thread, and neither a receipt nor a notice of the desk's: a newsletter, an
        # invitation, a product announcement, whatever it sells (an unsubscribe link in a reply sells nothing: desks send
        # through mailing services too)
        if bulk and not reply and not acknowledges and not body.cues.get("closure") and body.substance > 0 and not body.cues.get("notice_body"):
            return (*bulk[:2], "not a reply to the customer", "nothing of the customer's request in it"), 0, None
        return None
    selling = list(cues.values())
    # not bulk on its own: ticket systems put Precedence: bulk on every mail (see _auto_signals)
    weak = [f"header Precedence: {mail.precedence}"] if (mail.precedence or "").strip().lower() in ("bulk", "list") else []
    own = body.substance - _substance_beside(words, body, "marketing")
    count = len(selling)
    if acknowledges and count < 4:
        return None
    # outside the thread, selling words beside a desk putting a problem right, with no sign of a mailing to many (an unsubscribe
    # line, list headers), are its goodwill ("free of charge", "10 % off your next order") unless there are many of them
    goodwill = not bulk and words["remedy"].first(full.text) is not None
    if (not reply and ((bulk and count >= 1) or (count >= 2 and not goodwill) or count >= 3)) or (count >= 3 and own < SUBSTANCE_BESIDE_NOTICE) or (
            (bulk or weak) and count >= 2 and own < SUBSTANCE_BESIDE_NOTICE):
        evidence = tuple(_quote(c) for c in selling[:4]) + tuple((bulk + weak)[:2]) + (() if reply else ("not a reply to the customer",))
        return evidence, count, selling[0].language
    return None


def classify(mail: ParsedMail) -> str:
    """The kind of `mail` (see `read_kind` for the evidence)."""
    return read_kind(mail).kind


def is_stalling(mail: ParsedMail) -> bool:
    """Whether `mail` is a person's reply that only defers (see `Reading.stalling`)."""
    return read_kind(mail).stalling
