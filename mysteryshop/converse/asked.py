"""What a company's message asks the customer for: an order number, a phone number, an address, a photo... Pure.

A sentence of the company's own words (quoted text, signature and footer set aside: quality.clean) asks for
something when it holds the request words of its language (the `request` phrases of
mysteryshop/quality/languages/<code>.yaml: "could you", "bitte", "pourriez-vous", "por favor"...) and names a
detail: one the persona has (asks.yaml: order_id, phone, address, email, name, photo, ticket) or any other read
off the request as asks_again reads it ("your date of birth", "Ihr Geburtsdatum"), which the persona lacks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from mysteryshop.quality.clean import clean_reply
from mysteryshop.quality.lexicons import Lexicon, lexicon
from mysteryshop.quality.reply_language import likely_language
from mysteryshop.quality.requests import requested
from mysteryshop.quality.text import fold, split_sentences
from mysteryshop.scoring.conversation import LABELS

#: the details a persona can be asked for that it has (or, for a ticket, may have captured)
DETAILS = ("order_id", "phone", "address", "email", "name", "photo", "ticket")
LANGUAGES = ("en", "de", "fr", "es")
_MAX_QUOTE = 240
_UNWRAP = re.compile(r"(?<=\S)[ \t]*\n(?=[ \t]*\S)")


@dataclass(frozen=True, slots=True)
class Ask:
    """One thing asked for: `detail` (one of DETAILS, or "other"), `label` (how the message named it), `quote` (its sentence)."""

    detail: str
    label: str
    quote: str

    def as_dict(self) -> dict[str, str]:
        return {"detail": self.detail, "label": self.label, "quote": self.quote}


@dataclass(frozen=True, slots=True)
class Asked:
    """What one message asks for, in the language it was read in."""

    language: str | None
    asks: tuple[Ask, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.asks)


@cache
def _patterns() -> dict[str, dict[str, re.Pattern[str]]]:
    import yaml

    text = resources.files("mysteryshop.converse").joinpath("asks.yaml").read_text(encoding="utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    return {code: {detail: re.compile(pattern) for detail, pattern in details.items()} for code, details in data.items()}


def asked_for(text: str, html: str | None = None, customer_text: str | None = None) -> Asked:
    """What `text` (a reply's body or a chat message) asks the customer for; `customer_text`: what the customer wrote
    (pasted back, it is not the company asking)."""
    return _asked_for(text, html, customer_text)


@lru_cache(maxsize=2048)
def _asked_for(text: str, html: str | None, customer_text: str | None) -> Asked:
    reply = clean_reply(text, html, customer_text)
    if not reply.sentences:
        return Asked(None)
    # by its function words: the detector (lingua) loads for seconds on first use, and this runs on the engine's loop
    language = likely_language(reply.body)
    tried = [language] if language in LANGUAGES else list(LANGUAGES)
    sentences = tuple(split_sentences(_UNWRAP.sub(" ", reply.body)))  # a mail client's hard wrap is not a sentence's end
    folded = tuple(fold(sentence) for sentence in sentences)
    for code in tried:
        lex = lexicon(code)
        if lex is None:
            continue
        asks = _asks_in(sentences, folded, lex, _patterns()[code])
        if asks or language == code:
            return Asked(code, tuple(asks))
    return Asked(language)


_SAMPLES = (
    "Could you please send us your order number?",
    "Könnten Sie uns bitte Ihre Bestellnummer senden?",
    "Pourriez-vous nous indiquer votre numéro de commande ?",
    "¿Podría indicarnos su número de pedido?",
)


def warm_up() -> None:
    """Load what reading a request needs (lexicons, patterns) before the first reply: loaded on the first reply, it would
    hold the engine's loop, and every reply and 250 then would be timed late."""
    for sample in _SAMPLES:
        _asked_for.__wrapped__(sample, None, None)


def _asks_in(sentences: tuple[str, ...], folded: tuple[str, ...], lex: Lexicon, patterns: dict[str, re.Pattern[str]]) -> list[Ask]:
    asks: list[Ask] = []
    seen: set[str] = set()
    not_details = lex.words("not_details")
    for sentence, low in zip(sentences, folded, strict=True):
        hit = lex.request.search(low)
        if hit is None or _NOT_A_REQUEST.search(low):
            continue
        quote = " ".join(sentence.split())[:_MAX_QUOTE]
        found = sorted((m.start(), detail, m.group()) for detail, pattern in patterns.items() if (m := pattern.search(low)))
        for _, detail, words in found:
            if detail not in seen:
                seen.add(detail)
                asks.append(Ask(detail, words.strip(), quote))
        if not _plainly_asks(low):
            continue  # a detail the persona lacks is only read off a plain question or plea ("können Sie ... zurückgeben" asks nothing)
        for phrase in _phrases(low[hit.start():], lex, listing=bool(found)):
            label = " ".join(phrase)
            if any(word in not_details for word in phrase) or any(p.search(label) for p in patterns.values()):
                continue
            if re.search(rf"\b(?:{_ROUTES})\s+\w+\s+{re.escape(label)}", low):
                continue  # "über das Kontaktformular", "via the portal": how to send it, not what
            if label not in seen and _names_a_detail(phrase, lex):
                seen.add(label)
                asks.append(Ask("other", label, quote))
    return asks


_PLEA = re.compile(r"\?|\b(please|kindly|bitte|veuillez|merci de|s'il vous plait|por favor|le rogamos|le pedimos)\b")


#: asking to be told later how things went, to quote a reference in future mail, or a legal notice: nothing to answer now
_NOT_A_REQUEST = re.compile(
    r"\b(let (us|me) know|tell (us|me)) (if|when|once|after|how|whether|that)\b|\bplease (be advised|note)\b"
    r"|\b(lassen sie (uns|mich) wissen|geben sie (uns|mir) bescheid),? (ob|wenn|sobald)\b|\bbitte beachten"
    r"|\b(faites-nous savoir|tenez-nous au courant|dites-nous) (si|quand|lorsque|comment)\b|\bveuillez noter"
    r"|\b(haganos saber|avisenos|diganos) (si|cuando|como)\b|\btenga en cuenta"
    r"|\b(in|for) (all|any) (future|further) (correspondence|contact|emails?|enquiries|inquiries)|\bbei (allen )?(ruckfragen|weiteren anfragen|kunftigen)"
    r"|\b(dans|pour|lors de) (toute|vos|tout) (correspondance|futurs?|prochains?)|\ben (futuras|proximas|cualquier) (comunicaciones|consultas|correspondencia)"
)
_ROUTES = "via|through|using|by|over|uber|per|par|por|mediante|with|mit|avec|con|on|auf|sur|in|im|dans|en|to|an"


def _plainly_asks(folded: str) -> bool:
    return _PLEA.search(folded) is not None


_JOINS = re.compile(r",|;|\b(?:and|or|as well as|y|o|und|oder|sowie|et|ou|ainsi que)\b")


def _phrases(request: str, lex: Lexicon, *, listing: bool) -> list[list[str]]:
    """What a request asks for, item by item: "your order number and your date of birth" is two (requests.requested
    reads the words after a determiner close to a verb of giving; a later item after "and" stands as far from it).
    Items after "and" count only in a sentence that asks for something already (`listing`: a detail was found)."""
    verb = min(lex.words("give_verbs"), key=len, default="")
    phrases = list(requested(request, lex))
    if not (phrases or listing):
        return phrases
    parts = _JOINS.split(request)
    for part in parts[1:]:
        phrases += [p for p in requested(f"{verb} {part}", lex) if p not in phrases]
    return phrases


def _names_a_detail(phrase: list[str], lex: Lexicon) -> bool:
    """Whether a requested phrase names something to give ("date of birth", "serial number"), not an act ("patience")."""
    stop = lex.words("stopwords") | lex.words("phrase_links")
    words = [w for w in phrase if w not in stop and len(w) >= 3 and not w.isdigit()]
    return bool(words) and any(w not in lex.words("detail_words") for w in words)  # "the reference" alone names nothing


def summary(asked: Asked) -> str:
    """'order number, photo' for records and messages."""
    return ", ".join(LABELS.get(a.detail, a.label) for a in asked.asks)


__all__ = ["DETAILS", "Ask", "Asked", "asked_for", "summary"]

