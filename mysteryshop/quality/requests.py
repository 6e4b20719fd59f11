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
from collections.abc import Iterator
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
)
_AFTER = 45
_BEFORE = 30
_MAX_PHRASE = 4
#: a determiner starts a requested detail when a verb of giving ("send", "provide", "Sie uns Ihre") is this close before it
_NEAR_VERB = 3


def requested(request: str, lex: Lexicon) -> Iterator[list[str]]:
    """The phrases a request asks for: word lists after a determiner, e.g. ['date', 'of', 'birth']."""
    determiners = lex.words("determiners")
    links = lex.words("phrase_links")
    breaks = lex.words("phrase_breaks")
    tokens = _TOKEN.findall(request)
    i = 0
    while i < len(tokens):
        if tokens[i] not in determiners or not any(_gives(t, lex) for t in tokens[max(0, i - _NEAR_VERB) : i]):
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
            yield phrase
        i = j


def _gives(token: str, lex: Lexicon) -> bool:
    """Whether `token` is a verb of giving (or its pronoun): the lexicon lists their stems ("indiqu" is "indique", "indíquenos")."""
    return any(token.startswith(stem) for stem in lex.words("give_verbs"))


def _keys(phrase: list[str], lex: Lexicon) -> list[tuple[str, str]]:
    """The words of a phrase that name the detail: not stop words, linking words or generic detail words
    ("number", "Nummer", "numéro"); a compound ending in a detail word gives its first part ("Rechnungsnummer": "rechnung")."""
    detail_words = lex.words("detail_words")
    skip = stopwords_of(lex) | detail_words | lex.words("phrase_links")
    keys = []
    for word in phrase:
        if word in skip or len(word) < 3:
            continue
        key = word
        for suffix in detail_words:
            prefix = word[: -len(suffix)]
            if len(suffix) >= 4 and word.endswith(suffix) and len(prefix) >= 4:
                key = prefix[:-1] if prefix.endswith("s") and len(prefix) > 5 else prefix
                break
        keys.append((word, key))
    return keys


def _forms(key: tuple[str, str], lex: Lexicon) -> set[str]:
    """Stems that count as `key` (the word as asked, and its part that names the detail): theirs and their synonyms'."""
    to_stem = stemmer_of(lex)
    forms = {to_stem(key[0]), to_stem(key[1])}
    for group in lex.synonyms:
        stems = {to_stem(w) for w in group}
        if key[0] in group or key[1] in group or not stems.isdisjoint(forms):
            forms |= stems
    return forms


def _given_near(key: tuple[str, str], customer: str, lex: Lexicon) -> str | None:
    """What the customer wrote for `key`: a word for it with a value just after or before it; None when nowhere."""
    to_stem = stemmer_of(lex)
    forms = _forms(key, lex)
    for match in re.finditer(r"[^\W\d_]+", customer):
        word = match.group()
        if to_stem(word) not in forms and not any(len(f) >= 4 and word.startswith(f) for f in forms):
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


@lru_cache(maxsize=1024)
def _has_value(customer: str) -> bool:
    return _VALUE.search(customer) is not None


def already_given(request: str, exchange: Exchange, lex: Lexicon) -> tuple[str, str] | None:
    """(what was asked for, what the customer wrote) for the first detail of `request` (folded text from the
    request's first word) that the customer already gave, or None."""
    customer = fold(exchange.customer_text)
    if not _has_value(customer) or not any(_gives(t, lex) for t in _TOKEN.findall(request)):
        return None  # nothing the customer wrote can be a detail, or nothing is asked for
    for phrase in requested(request, lex):
        keys = _keys(phrase, lex)
        if not keys or any(k[0] in lex.words("not_details") for k in keys):
            continue
        head = keys[0] if lex.words("noun_phrase_head") == {"first"} else keys[-1]
        found = _given_near(head, customer, lex)
        if found:
            return " ".join(phrase), found
    return None
