"""The customer's own details: names, order and ticket numbers, products; and requests for them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from mysteryshop.quality.lexicons import first_literals, starts_with_one_of
from mysteryshop.quality.text import fold

_UMLAUT_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def name_variants(persona: Mapping[str, str]) -> list[str]:
    """Spellings of the customer's name a reply may use: 'Müller' also as 'Muller' and 'Mueller'."""
    return list(_variants(tuple((persona.get(key) or "").strip() for key in ("full_name", "first_name", "last_name"))))


@lru_cache(maxsize=1024)
def _variants(names: tuple[str, ...]) -> tuple[str, ...]:
    variants: list[str] = []
    for name in names:
        if len(name) < 2:
            continue
        for variant in (name, name.translate(_UMLAUT_SPELLING)):
            for form in (variant, fold(variant)):
                if form and form.lower() not in {v.lower() for v in variants}:
                    variants.append(form)
    return tuple(variants)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_-"


def whole_word_spans(word: str, text: str) -> Iterator[tuple[int, int]]:
    r"""Where `word` stands in `text` as a whole word (no letter, digit, '_' or '-' either side): what
    `re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)` finds, without compiling a pattern
    for every customer's name (a test compares the two)."""
    start = text.find(word) if word else -1
    while start != -1:
        end = start + len(word)
        if (start == 0 or not _is_word_char(text[start - 1])) and (end == len(text) or not _is_word_char(text[end])):
            yield start, end
            start = text.find(word, end)
        else:
            start = text.find(word, start + 1)


def find_name(text: str, persona: Mapping[str, str]) -> str | None:
    """The customer's name as written in `text`, matched as whole words and capitalised like a name."""
    folded_text = fold(text)
    for variant in name_variants(persona):
        if not variant.isascii():
            if variant in text:
                return variant
            continue
        key = fold(variant)
        if key not in folded_text:
            continue
        for start, end in whole_word_spans(key, folded_text):
            original = text[start:end]
            if original[:1].isupper() or original.isupper():
                return original
    return None


_SPACE_OR_HASH = re.compile(r"[\s#]")


def find_reference(text: str, references: Sequence[str]) -> str | None:
    """The first of `references` (order id, ticket number…) that `text` repeats, ignoring case and '#'."""
    if not references:
        return None
    compact = _SPACE_OR_HASH.sub("", text).lower()
    for ref in references:
        ref = ref.strip()
        key = _SPACE_OR_HASH.sub("", ref).lower()
        if len(key) >= 3 and key in compact:
            return ref
    return None


_CODE = re.compile(r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\b")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z]+(?:\s[A-Z0-9][a-zA-Z0-9]*)*", re.MULTILINE)
_COMMON_CAPITALS = frozenset(
    ["I", "Hi", "Hello", "Dear", "Thanks", "Thank", "Please", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Best", "Kind", "Regards", "OK", "Ok", "Mr", "Mrs", "Ms", "Dr", "The", "This", "That", "We", "You", "My", "Our", "Yes", "No", "Also", "Could", "Can", "Would", "Help", "Support", "Customer", "Service", "Team", "Order", "Ticket", "Sent", "iPhone"]
)
_COMMON_CAPITALS_FOLDED = frozenset(fold(w) for w in _COMMON_CAPITALS)
_AMOUNT = re.compile(r"[$£€]\s?\d[\d,.]*|\d[\d,.]*\s?(?:eur|usd|gbp)\b", re.IGNORECASE)


def customer_specifics(customer_text: str, exclude: str = "", common: frozenset[str] | None = None) -> list[str]:
    """What only this customer said: product names, model and booking codes, amounts.

    `exclude` is text whose words are not specific to the customer (the company's own
    signature, say), so the company's name never counts as knowing the customer. `common` are
    capitalised words that say nothing about the customer (folded; English ones by default). A
    capitalised name counts when it has two words or more ("Alpine Trek"): one capitalised word is
    as often a country, a tax or (in German) any noun the customer asked about ("Belgium", "VAT").
    """
    found: list[str] = []
    excluded = fold(exclude)
    common_words = _COMMON_CAPITALS_FOLDED if common is None else common
    for match in _CODE.finditer(customer_text):
        if len(match.group()) >= 4:
            found.append(match.group())
    for match in _AMOUNT.finditer(customer_text):
        found.append(match.group())
    for match in _CAPITALISED.finditer(customer_text):
        words = [w for w in match.group().split() if fold(w) not in common_words]
        if len(words) < 2:
            continue
        phrase = " ".join(words)
        if len(phrase) >= 3 and fold(phrase) not in excluded:
            found.append(phrase)
    return [f for f in dict.fromkeys(found) if fold(f) not in excluded]


@dataclass(frozen=True, slots=True)
class Detail:
    """A kind of detail a company may ask for, and how to tell the customer already gave it."""

    name: str
    asked: re.Pattern[str]
    given: re.Pattern[str]
    persona_keys: tuple[str, ...] = ()
    known_on_channels: tuple[str, ...] = ()


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


DETAILS: tuple[Detail, ...] = (
    Detail("order number", _rx(r"\b(order|confirmation|purchase)\s?(number|no\b|#|id|reference|ref)"),
           _rx(r"\b(order|confirmation|purchase)\b[^.\n]{0,25}?#?\s?[A-Z]{0,4}-?\d{4,}|\b[A-Z]{2,4}-\d{4,}\b|#\d{5,}"), ("order_id",)),
    Detail("booking reference", _rx(r"\b(booking|reservation)\s?(reference|ref|number|code)|\bpnr\b|record locator"),
           _rx(r"\b(booking|reservation|ref|reference|pnr)\b[^.\n]{0,25}?\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{5,8}\b")),
    Detail("ticket number", _rx(r"\b(ticket|case|reference|complaint)\s?(number|no\b|#|id|ref)"),
           _rx(r"\b(ticket|case|ref|reference|complaint)\b[^.\n]{0,15}?#?\s?[A-Z]{0,4}-?\d{3,}")),
    Detail("account number", _rx(r"\b(account|customer|membership|policy)\s?(number|no\b|#|id)"),
           _rx(r"\b(account|customer|membership|policy)\b[^.\n]{0,20}?#?\s?[A-Z]{0,3}-?\d{4,}")),
    Detail("email address", _rx(r"\be-?mail address\b"), _rx(r"[\w.+-]+@[\w-]+\.[\w.]+"), ("email",), ("email", "webform")),
    Detail("phone number", _rx(r"\b(phone|telephone|mobile|contact|cell)\s(number|no\b)"), _rx(r"(\+?\d[\d\s().-]{7,}\d)"), ("phone",)),
    Detail("serial number", _rx(r"\b(serial number|imei|s/n)\b"), _rx(r"\b(serial|imei|s/n)\b[^.\n]{0,20}?[A-Z0-9]{6,}")),
    Detail("photo", _rx(r"\b(photos?|pictures?|images?|screenshots?)\b"),
           _rx(r"\b(attached|attaching|enclosed|attach(ed)? (a|the|some)|here (is|are) (a|the)) [^.\n]{0,30}(photos?|pictures?|images?|screenshots?)|(photos?|pictures?|images?|screenshots?)\b[^.\n]{0,20}\b(attached|enclosed)")),
    Detail("delivery address", _rx(r"\b(delivery|shipping|postal|home|billing)\saddress|\byour address\b"),
           _rx(r"\b\d{1,5}\s+[A-Z][\w' ]{1,30}\s(street|st|road|rd|avenue|ave|lane|ln|drive|dr|way|close|boulevard|blvd|place|pl|crescent|court)\b")),
    Detail("full name", _rx(r"\b(your )?(full )?name\b(?! (of|on) the)"), _rx(r"$^"), ("full_name", "last_name")),
)


def _asks_any_pattern() -> re.Pattern[str]:
    """Every `asked` pattern in one, case-sensitive for lower-cased text and tried only where one of their
    first words starts. On ASCII text, `IGNORECASE` is exactly matching the lower-cased text (no
    'ſ' or Kelvin sign to match 's' or 'k'), as long as no pattern has an upper-case letter or escape."""
    combined = "|".join(f"(?:{detail.asked.pattern})" for detail in DETAILS)
    if combined != combined.lower():
        raise ValueError("an `asked` pattern has an upper-case letter or escape: it cannot run on lower-cased text")
    prefixes = first_literals(combined)
    return re.compile((starts_with_one_of(prefixes) if prefixes else "") + "(?:" + combined + ")")


_ASKS_ANY = _asks_any_pattern()


def may_ask_for_details(sentence: str) -> bool:
    """False only when no `Detail.asked` pattern finds anything in `sentence`: one quick search instead of ten."""
    return not sentence.isascii() or _ASKS_ANY.search(sentence.lower()) is not None


def details_given(
    customer_text: str, persona: Mapping[str, str], channel: str, earlier_context: Sequence[str], only: Sequence[str] | None = None
) -> dict[str, str]:
    """Each kind of detail the customer already gave (or just those in `only`), with the text that shows it."""
    given: dict[str, str] = {}
    for detail in DETAILS:
        if only is not None and detail.name not in only:
            continue
        found = _given(detail, customer_text, persona, channel)
        if found:
            given[detail.name] = found
    if earlier_context and "ticket number" not in given and (only is None or "ticket number" in only):
        ref = find_reference(customer_text, earlier_context)
        if ref:
            given["ticket number"] = ref
    return given


def _given(detail: Detail, customer_text: str, persona: Mapping[str, str], channel: str) -> str | None:
    match = detail.given.search(customer_text)
    if match:
        return match.group().strip()
    if detail.name == "full name":
        return find_name(customer_text, {"full_name": persona.get("full_name", "")}) or find_name(
            customer_text, {"last_name": persona.get("last_name", "")}
        )
    ref = find_reference(customer_text, [v for v in (persona.get(k, "") for k in detail.persona_keys) if v])
    if ref:
        return ref
    if channel in detail.known_on_channels:
        return f"known from the {channel} the customer sent"
    return None
