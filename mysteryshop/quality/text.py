"""Small text tools shared by the criteria: folding, sentences, tokens, numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_PUNCT = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_SPECIAL = str.maketrans({"ß": "ss", "ı": "i", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "æ": "ae", "œ": "oe"})


_PUNCT_PAIRS = tuple((chr(code), replacement) for code, replacement in _PUNCT.items())
_SPECIAL_PAIRS = tuple((chr(code), replacement) for code, replacement in _SPECIAL.items())
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower-case, accent-free, straight-quoted text: 'Zoë’s' -> "zoe's"."""
    if text.isascii():  # nothing for the tables to replace: every character they map is non-ASCII
        return text.lower()
    # str.translate looks every character up in the table; replacing only the few characters
    # present is the same (each maps to ASCII, which no table maps again) and about ten times faster
    for char, replacement in _PUNCT_PAIRS:
        if char in text:
            text = text.replace(char, replacement)
    if text.isascii():
        return text.lower()
    for char, replacement in _SPECIAL_PAIRS:
        if char in text:
            text = text.replace(char, replacement)
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()


_WORD_CHAR = re.compile(r"\w")
_NEXT_SENTENCE = r"(?=[\"'(\[]?[A-Z0-9À-ÖØ-Þ])"
_SENTENCE_END = re.compile(
    r"[\"')\]\s](?:(?<=[.!?][\"')\]])[\"')\]]*\s+" + _NEXT_SENTENCE + r"|(?<=[.!?]\s)\s*" + _NEXT_SENTENCE + r"|(?<=\n)\n*)"
)
"""After . ! or ?, closing quotes or brackets and spaces before a capital or digit; or a run of newlines.

The same matches as a lookbehind for the punctuation followed by the separator (see tests/quality/test_text.py),
written to start with a character class so that `re` skips in C to the next quote, bracket or space
instead of trying every position."""


def split_sentences(text: str) -> list[str]:
    """Sentences and lines (bullets and chat turns count as sentences). A day of the month written with a
    period ("am 4. März", "vom 12. Mai") does not end a sentence."""
    parts = [p.strip(" \t-*•") for p in _SENTENCE_END.split(text)]
    found: list[str] = []
    for part in parts:
        if not part:
            continue
        if found and found[-1][-1] == "." and found[-1][-2:-1].isdigit() and part[0].isalpha() and _DAY_NUMBER_END.search(found[-1]):
            found[-1] = f"{found[-1]} {part}"
        elif _WORD_CHAR.search(part):
            found.append(part)
    return found


_DAY_NUMBER_END = re.compile(r"(?:^|[\s(])\d{1,2}\.$")
"""A sentence that would end in a one- or two-digit number and a period: a German day of the month."""


_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokens(text: str) -> list[str]:
    """Word tokens of folded text; "we'll" stays one token."""
    return _TOKEN.findall(fold(text))


def folded_tokens(folded: str) -> list[str]:
    """`tokens` of text that is already folded."""
    return _TOKEN.findall(folded)


_CLAUSE_MARKS = (",", ";", ":", "(", ")", " - ")


def clause_numbers(text: str) -> list[int]:
    """For each token of `tokens(text)`, the number of the clause it is in (commas, semicolons,
    colons, brackets and spaced dashes separate clauses): in "if they don't fit, exchanges are
    free", "don't" and "free" are in different clauses."""
    folded = fold(text)
    clauses: list[int] = []
    clause, end = 0, 0
    for match in _TOKEN.finditer(folded):
        start = match.start()
        if start - end > 1:
            gap = folded[end:start]
            if "," in gap or ";" in gap or ":" in gap or "(" in gap or ")" in gap or " - " in gap:
                clause += 1
        clauses.append(clause)
        end = match.end()
    return clauses


@lru_cache(maxsize=16384)
def stem(token: str) -> str:
    """A crude suffix strip, enough to match 'refunds'/'refunded'/'refunding' to 'refund'."""
    if len(token) <= 3 or token.isdigit():
        return token
    if token.endswith(("sses", "xes", "zes", "ches", "shes")) and len(token) > 5:
        return token[:-2]
    for suffix, replacement in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("s", ""), ("ly", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            if suffix == "s" and token.endswith(("ss", "us", "is")):
                return token
            base = token[: -len(suffix)] + replacement
            if suffix in ("ing", "ed") and len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]
            return base
    return token


STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this", "that", "these", "those", "there", "here", "i", "me", "my", "we", "us", "our", "you", "your", "yours", "he", "she", "they", "them", "their", "do", "does", "did", "doing", "have", "has", "had", "having", "will", "would", "shall", "should", "can", "could", "may", "might", "must", "so", "than", "then", "too", "very", "just", "also", "not", "no", "nor", "only", "own", "same", "such", "into", "over", "under", "again", "further", "once", "all", "any", "both", "each", "few", "more", "most", "other", "some", "what", "which", "who", "whom", "whose", "why", "how", "when", "where", "about", "above", "below", "up", "down", "out", "off", "per", "via", "please", "thanks", "thank", "hi", "hello", "dear", "regards"]
)

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_MARK = re.compile(r"[.,]")
_COMPOUND_NUMBER = re.compile(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)-(one|two|three|four|five|six|seven|eight|nine)\b")


def _canonical_number(raw: str) -> str:
    """'9,90', '9.90' -> '9.9'; '1,000', '1.000' -> '1000'; '1.000,50' -> '1000.5': a last group of one or two digits
    is decimals, of three a thousands group, whichever mark stands before it (English and continental writing)."""
    parts = _NUMBER_MARK.split(raw)
    if len(parts) > 1 and len(parts[-1]) <= 3:
        whole = "".join(parts[:-1]) if len(parts[-1]) < 3 else "".join(parts)
        frac = parts[-1].rstrip("0") if len(parts[-1]) < 3 else ""
        return f"{whole}.{frac}" if frac else whole
    digits = raw.replace(",", "")
    if "." in digits:
        whole, _, frac = digits.partition(".")
        frac = frac.replace(".", "").rstrip("0")
        return f"{whole}.{frac}" if frac else whole
    return digits


def numbers(text: str, tokens: list[str] | None = None) -> set[str]:
    """Numbers a text states, digits or words, as canonical strings: 'thirty days' -> {'30'}.

    `tokens` are `tokens(text)` when the caller has them already."""
    folded = fold(text)
    found = {_canonical_number(n) for n in _NUMBER.findall(folded)}
    words = _TOKEN.findall(folded) if tokens is None else tokens
    # a token has no "-", so word.split("-")[0] is the word: no number word, nothing to add
    for i, word in enumerate(words) if not _NUMBER_WORDS.keys().isdisjoint(words) else ():
        value = _NUMBER_WORDS.get(word.split("-")[0])
        if value is None:
            continue
        if value >= 20 and i + 1 < len(words) and words[i + 1] in _NUMBER_WORDS and _NUMBER_WORDS[words[i + 1]] < 10:
            value += _NUMBER_WORDS[words[i + 1]]
        found.add(str(value))
    for compound in _COMPOUND_NUMBER.findall(folded) if "-" in folded else ():
        found.add(str(_NUMBER_WORDS[compound[0]] + _NUMBER_WORDS[compound[1]]))
    return found


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry meaning (no stop words, no bare numbers)."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS and not t.isdigit() and t not in _NUMBER_WORDS and stem(t) not in STOPWORDS]


def content_stem_set(text: str) -> set[str]:
    """`set(content_stems(text))`, stemming each distinct word once."""
    words = set(tokens(text)) - STOPWORDS - _NUMBER_WORDS.keys()
    return set(map(stem, [w for w in words if not w.isdigit()])) - STOPWORDS


def snippet(text: str, limit: int = 240) -> str:
    """`text` trimmed for evidence: whole if short, else cut at a word with an ellipsis."""
    if not text:
        return text
    # printable text has no whitespace but " " (str.split's whitespace is all unprintable): then only doubled,
    # leading or trailing spaces would change
    if not (text.isprintable() and "  " not in text and text[0] != " " and text[-1] != " "):
        text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"
