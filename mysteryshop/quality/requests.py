"""Whether what a reply asks for is something the customer already wrote.

No fixed list of details: the things asked for are read off the request itself (the words after
"your", "the", "Ihre", "votre", "su"… up to the next punctuation or conjunction: "your date of
birth", "Ihre Kundennummer", "votre numéro de commande"), and each is looked for in everything the
customer wrote, next to a value (a number, a code, a date, an email address). "Order number" is
given when the customer wrote "order 55123"; "date of birth" when they wrote "born 3 May 1985"
(the lexicon's synonyms say "born" is "birth"); "Rechnungsnummer" when they wrote "Rechnung
2024-118" (a compound ending in a detail word is read as its first part).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from mysteryshop.quality.exchange import Exchange
from mysteryshop.quality.lexicons import Lexicon
from mysteryshop.quality.text import fold
from mysteryshop.quality.wording import stemmer_of, stopwords_of

_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*|[,.;:!?()]")
_VALUE = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+"  # an email address
    r"|\+?\d[\d ()./-]{4,}\d"  # a phone number, a date written with digits, a long number
    r"|\b(?=[a-z0-9-]*\d)[a-z0-9]+(?:-[a-z0-9]+)*\b(?<=\w{3})"  # a code with a digit: ord-55123, 4711, x9z2k
    r"|\b\d{1,2}\.? [a-z]{3,10}\.? \d{4}\b"  # 3 may 1985, 3. mai 1985
    r"|\b[a-z]{3,10}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}\b"  # march 14, 1979
)
_AFTER = 45
_BEFORE = 30
_MAX_PHRASE = 4
#: a determiner starts a requested detail when a verb of giving ("send", "provide", "Sie uns Ihre") is this close before it
_NEAR_VERB = 3
#: or when a coordinator stands before it, at most this many tokens after the last requested detail ended
_COORDINATED = 10


def requested(request: str, lex: Lexicon) -> Iterator[list[str]]:
    """The phrases a request asks for: word lists after a determiner, e.g. ['date', 'of', 'birth'].

    A determiner counts after a verb of giving ("send us your order number"); in a question, a determiner
    that asks by itself does too ("which invoice…?", "um welche Rechnung…?", "¿a qué factura…?"), and
    then only the noun after it is taken (and a detail word after that: "which order number")."""
    determiners = lex.words("determiners")
    asking = lex.words("ask_determiners") if "?" in request else frozenset()
    links = lex.words("phrase_links")
    breaks = lex.words("phrase_breaks")
    details = lex.words("detail_words")
    coordinators = lex.words("coordinators")
    tokens = _TOKEN.findall(request)
    asked_until = -1  # what a coordinator adds soon after something asked for is asked for too ("…, plus the latest reading")
    i = 0
    while i < len(tokens):
        if tokens[i] in asking and _opens_question(tokens, i):
            phrase = [t for t in tokens[i + 1 : i + 2] if t[0].isalnum()]
            if phrase and i + 2 < len(tokens) and tokens[i + 2] in details:
                phrase.append(tokens[i + 2])
            if phrase:
                yield phrase
            i += 1 + len(phrase)
            continue
        if tokens[i] not in determiners or not (
            (i <= asked_until and tokens[i - 1] in coordinators) or any(_gives(t, lex) for t in tokens[max(0, i - _NEAR_VERB) : i])
        ):
            i += 1
            continue
        phrase: list[str] = []
        j = i + 1
        while j < len(tokens) and len(phrase) < _MAX_PHRASE:
            token = tokens[j]
            if token in determiners and phrase and phrase[-1] in links:
                j += 1  # "número de la factura": the article after a linking word belongs to the phrase
                continue
            if not token[0].isalnum() or token in breaks or (token in determiners and token not in links):
                break
            phrase.append(token)
            j += 1
        while phrase and phrase[-1] in links:
            phrase.pop()
        if phrase:
            asked_until = j + _COORDINATED
            yield phrase
        i = j


_OPENING = frozenset({"", "¿", ",", ":", ";", "(", "?", "!", "."})


def _opens_question(tokens: list[str], i: int) -> bool:
    """Whether the asking determiner at `i` opens its clause ("Which invoice…", "¿A qué factura…", "Um welche…"),
    alone or after one short preposition, rather than joining a clause ("algo más que pueda…")."""
    before = tokens[i - 1] if i >= 1 else ""
    if before in _OPENING:
        return True
    return before.isalpha() and len(before) <= 3 and (tokens[i - 2] if i >= 2 else "") in _OPENING


def _gives(token: str, lex: Lexicon) -> bool:
    """Whether `token` is a verb of giving (or its pronoun): the lexicon lists their stems ("indiqu" is "indique", "indíquenos")."""
    return _give_stems(lex)(token) is not None


@lru_cache(maxsize=16)
def _give_stems(lex: Lexicon) -> Callable[[str], re.Match[str] | None]:
    stems = sorted(lex.words("give_verbs"), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, stems)) or "(?!)").match


def _keys(phrase: list[str], lex: Lexicon) -> list[tuple[str, str]]:
    """The words of a phrase that name the detail: not stop words, linking words or generic detail words
    ("number", "Nummer", "numéro"); a compound ending in a detail word gives its first part ("Rechnungsnummer": "rechnung")."""
    detail_words = lex.words("detail_words")
    skip = _not_keys(lex)
    endings = tuple(suffix for suffix in detail_words if len(suffix) >= 4)
    keys = []
    for word in phrase:
        if word in skip or len(word) < 3:
            continue
        key = word
        for suffix in detail_words if word.endswith(endings) else ():
            prefix = word[: -len(suffix)]
            if len(suffix) >= 4 and word.endswith(suffix) and len(prefix) >= 4:
                key = prefix[:-1] if prefix.endswith("s") and len(prefix) > 5 else prefix
                break
        keys.append((word, key))
    return keys


@lru_cache(maxsize=16)
def _not_keys(lex: Lexicon) -> frozenset[str]:
    """The words `_keys` passes over: stop words, detail words and linking words."""
    return stopwords_of(lex) | lex.words("detail_words") | lex.words("phrase_links")


@lru_cache(maxsize=4096)
def _forms(key: tuple[str, str], lex: Lexicon) -> frozenset[str]:
    """Stems that count as `key` (the word as asked, and its part that names the detail): theirs and their synonyms'.
    Kept per key: every synonym group is looked at, and the same few details are asked for again and again."""
    to_stem = stemmer_of(lex)
    forms = {to_stem(key[0]), to_stem(key[1])}
    for group in lex.synonyms:
        stems = {to_stem(w) for w in group}
        if key[0] in group or key[1] in group or not stems.isdisjoint(forms) or _inflected(key[0], group):
            forms |= stems
    return frozenset(forms)


def _inflected(word: str, group: frozenset[str]) -> bool:
    """`word` is a word of `group` with an ending of one or two letters ("Kundenkontos", genitive of "Kundenkonto"),
    which a stemmer may leave on."""
    return any(len(w) >= 4 and word.startswith(w) and len(word) - len(w) <= 2 for w in group)


@lru_cache(maxsize=4096)
def _given_near(key: tuple[str, str], customer: str, lex: Lexicon) -> str | None:
    """What the customer wrote for `key`: a word for it with a value just after or before it; None when nowhere.

    Kept per key and message: a probe's one message is read for the same few details in every company's reply."""
    to_stem = stemmer_of(lex)
    forms = _forms(key, lex)
    long_forms = tuple(f for f in forms if len(f) >= 4)
    head_last = lex.words("compounds") == {"head_last"}
    for match in _LETTER_RUN.finditer(customer):
        word = match.group()
        if (
            to_stem(word) not in forms
            and not word.startswith(long_forms)
            and not (head_last and word.endswith(long_forms))  # "Zählerstand" is a "Stand"
        ):
            continue
        after = _VALUE.search(customer, match.end(), min(len(customer), match.end() + _AFTER))
        if after is not None:
            return f"{word} {after.group().strip()}"
        before = None
        for before in _VALUE.finditer(customer, max(0, match.start() - _BEFORE), match.start()):
            pass
        if before is not None:
            return f"{before.group().strip()} {word}"
    return None


_LETTER_RUN = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=1024)
def _has_value(customer: str) -> bool:
    return _VALUE.search(customer) is not None


def already_given(request: str, exchange: Exchange, lex: Lexicon) -> tuple[str, str] | None:
    """(what was asked for, what the customer wrote) for the first detail of `request` (folded text from the
    request's first word) that the customer already gave, or None."""
    customer = fold(exchange.customer_text)
    if not _has_value(customer):
        return None  # nothing the customer wrote can be a detail
    tokens = _TOKEN.findall(request)
    if not any(_gives(t, lex) for t in tokens) and not ("?" in request and not lex.words("ask_determiners").isdisjoint(tokens)):
        return None  # nothing is asked for
    for phrase in requested(request, lex):
        keys = _keys(phrase, lex)
        if not keys or any(k[0] in lex.words("not_details") for k in keys):
            continue
        for key in _candidates(phrase, keys, lex):
            found = _given_near(key, customer, lex) or _given_as_field(key, exchange, customer, lex)
            if found:
                return " ".join(phrase), found
    return None


def _candidates(phrase: list[str], keys: list[tuple[str, str]], lex: Lexicon) -> list[tuple[str, str]]:
    """The words of a requested phrase that may name the detail: its head (the last noun in English and German, the
    first in French and Spanish); the noun a linking word follows ("den Stand Ihres Stromzählers" is a Stand); any
    word a detail word follows ("membership" in "your membership number first") or that is a compound of one."""
    head = keys[0] if lex.words("noun_phrase_head") == {"first"} else keys[-1]
    links = lex.words("phrase_links")
    details = lex.words("detail_words")
    found = [head]
    if head[0] in lex.words("container_words"):
        found.extend(k for k in keys if k != head)  # "una copia de la factura" asks for the invoice
    for key in keys:
        at = phrase.index(key[0])
        after = phrase[at + 1] if at + 1 < len(phrase) else ""
        if key not in found and (key[0] != key[1] or after in details or after in links):
            found.append(key)
    return found


#: persona fields that are not details a company asks for again (names and the address are read elsewhere)
_NOT_DETAIL_FIELDS = frozenset({"first_name", "last_name", "full_name", "email", "locale", "language", "name"})


def _given_as_field(key: tuple[str, str], exchange: Exchange, customer: str, lex: Lexicon) -> str | None:
    """A persona field the customer wrote out ("4471-2290", with or without saying "account number"), whose
    name ("account_number", "date_of_birth") names what was asked."""
    forms = _forms(key, lex)
    to_stem = stemmer_of(lex)
    compact = re.sub(r"[\s#]", "", customer)
    for field, value in exchange.persona.items():
        value = str(value or "").strip()
        if field in _NOT_DETAIL_FIELDS or len(value) < 4 or re.sub(r"[\s#]", "", fold(value)) not in compact:
            continue
        words = re.split(r"[_\W]+", fold(field))
        if any(to_stem(w) in forms or w in (key[0], key[1]) for w in words if len(w) >= 3):
            return f"{value} ({field.replace('_', ' ')})"
    return None


_PHONE = re.compile(r"(?:\+|\b00)\d[\d ()./-]{7,}\d|\b0\d{1,4}[ /.-]?\d[\d ./-]{5,}\d")
#: a telephone number has at least this many digits (a date written with digits has at most eight)
_PHONE_DIGITS = 9
#: how far from a date the words it is about may stand in the customer's message
_DATE_CONTEXT = 60
#: where the clause a date stands in ends: what is beyond is about something else
_CLAUSE_END = re.compile(r"[.;:!?,()\n]\s|\s(?:and|but|und|aber|et|mais|y|pero)\s")
#: two words are about the same thing when they start with the same letters, this many or the whole shorter word
_SAME_START = 5


def given_by_shape(request: str, exchange: Exchange, lex: Lexicon) -> tuple[str, str] | None:
    """(what was asked for, what the customer wrote) for a request that names no detail word but asks for a
    telephone number, a postal address or the date of something ("the best number to reach you on", "Ihre
    Anschrift", "when did you place the order?", "¿en qué fecha hizo el pedido?") when the customer's message
    holds one: any telephone number or address, and a date only beside a word the question shares ("ordered
    on 3 March" for "when did you place the order?"; "When did the noise start?" does not ask for it)."""
    customer = fold(exchange.customer_text)
    if lex.phone_asked.search(request):
        for phone in _PHONE.finditer(customer):
            if sum(c.isdigit() for c in phone.group()) >= _PHONE_DIGITS:
                return "telephone number", phone.group().strip()
    if lex.address_asked.search(request):
        address = lex.address_value.search(customer)
        if address is not None:
            return "postal address", address.group().strip()
    if lex.when_asked.search(request):
        topic = _topic_starts(request, lex)
        for date in lex.date_value.regex.finditer(customer):
            before = _CLAUSE_END.split(customer[max(0, date.start() - _DATE_CONTEXT) : date.start()])[-1]
            after = _CLAUSE_END.split(customer[date.end() : date.end() + _DATE_CONTEXT])[0]
            around = before + " " + after
            if _same_topic(topic, _topic_starts(around, lex)):
                return "date", date.group().strip()
    return None


def _topic_starts(text: str, lex: Lexicon) -> set[str]:
    """The first letters of the words of `text` that are no stop words: "ordered" and "order" share "order"."""
    stop = stopwords_of(lex)
    return {w[:_SAME_START] for w in re.findall(r"[^\W\d_]{4,}", text) if w not in stop}


def _same_topic(asked: set[str], written: set[str]) -> bool:
    """Whether a word of the question and one the customer wrote start alike: the same `_SAME_START` letters, or all
    of the shorter one ("naci", "I was born", and "naciste", "when were you born")."""
    if not asked.isdisjoint(written):
        return True
    return any(len(short) < _SAME_START and long.startswith(short) for a in asked for w in written for short, long in [sorted((a, w), key=len)])
