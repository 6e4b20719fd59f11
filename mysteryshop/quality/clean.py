"""Turn a reply into the company's own words: no HTML, no quoted customer text, no signature or legal footer.

Scoring reads only what the company wrote. If the customer's question came back quoted, a
checker looking for "30 days" would otherwise credit the customer's own "30 days" as the answer.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from mysteryshop.quality.html_text import html_text
from mysteryshop.quality.text import fold, split_sentences


def html_to_text(markup: str) -> str:
    """Visible text of an HTML body (its first `html_text.HTML_TEXT_LIMIT` characters); quoted blocks
    (<blockquote>, gmail_quote…) come out as '> ' lines. `html_text` also says what was cut."""
    return html_text(markup)[0]


_ATTRIBUTION = re.compile(
    r"^\s*(on .{0,200}wrote:|-{2,}\s*original message\s*-{2,}|from:\s.+@.+|from:\s.{0,80}\bsent:|"
    r"am .{0,200}schrieb.*:|le .{0,200}a [ée]crit\s*:|el .{0,200}escribi[óo]:|op .{0,200}schreef.*:|"
    r"-{2,}\s*(your|previous) message\s*-{2,}|#{2,}.*(reply above|type your reply).*)\s*$",
    re.IGNORECASE,
)
_DESK_MARKER = re.compile(r"^\s*#{2,}.*(reply above|type your reply).*$", re.IGNORECASE)
"""A help desk's "##- Please type your reply above this line -##": where it opens the mail, the desk's own message
is below it (the quoted conversation comes further down, under its own attribution); anywhere else it starts the quote."""


def _may_attribute(line: str) -> bool:
    """Every attribution line has a colon or a rule of dashes, underscores or hashes."""
    return ":" in line or "--" in line or "__" in line or "##" in line


_RULE = re.compile(r"^\s*_{10,}\s*$")
_HEADER = re.compile(r"^\s*\*?(from|von|de|da|van|sent|gesendet|envoy[ée]|enviado|to|an|[àa]|para|subject|betreff|objet|asunto|date|datum)\*?\s*:", re.IGNORECASE)


def _rule_before_headers(lines: list[str], index: int) -> bool:
    """A rule of underscores is where Outlook starts the quoted message only when a header line ("From:",
    "Von:", "De :") comes right after it; a rule above a signature banner ("Jetzt neu: …") is the reply's own."""
    following = [line for line in lines[index + 1 : index + 4] if line.strip()]
    return bool(following) and _HEADER.match(following[0]) is not None


def remove_quoted(text: str, customer_text: str | None = None) -> str:
    """Drop the customer's words quoted back: '>' lines, and everything below an attribution line.

    When `customer_text` is given, its sentences are removed too wherever the reply pasted
    them back without quoting marks ("You asked: 'Can I return it after 30 days?'").
    """
    kept: list[str] = []
    said_something = False  # a line with text kept: a desk's reply-above-this-line marker only opens a mail
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if not said_something and _DESK_MARKER.match(line):
            continue
        if _may_attribute(line) and (_ATTRIBUTION.match(line) or (_RULE.match(line) and _rule_before_headers(lines, index))):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
        said_something = said_something or bool(line.strip())
    result = "\n".join(kept).strip()
    if customer_text:
        result = _remove_pasted(result, customer_text)
    return result.strip()


_WORD = re.compile(r"\w+(?:['’]\w+)?")
_ASCII_WORD = re.compile(r"\w+(?:'\w+)?", re.ASCII)
"""`_WORD` for ASCII text (where \\w is [a-zA-Z0-9_] either way), without Unicode category lookups."""


def _words(text: str) -> list[str]:
    return (_ASCII_WORD if text.isascii() else _WORD).findall(text)


_SHARED_RUN = 8


def _has_run_of_known_words(words: list[str], known: set[str] | frozenset[str]) -> bool:
    """A cheap first test: a shared eight-word run needs eight customer words in a row."""
    run = 0
    for word in words:
        run = run + 1 if word in known else 0
        if run >= _SHARED_RUN:
            return True
    return False


@lru_cache(maxsize=256)
def _customer_words(customer_text: str) -> tuple[list[str], frozenset[str]]:
    """The customer's words in order, and as a set: one probe's question is cleaned out of every company's reply."""
    words = _words(fold(customer_text))
    return words, frozenset(words)


def _has_run_in_text(words: list[str], text: str) -> bool:
    """`_has_run_of_known_words(words, {w for w in words if w in text})`, looking up few words: each window of
    eight is tried from its last word back, and a word not in `text` moves the window past it."""
    present: dict[str, bool] = {}
    start = 0
    while start + _SHARED_RUN <= len(words):
        for at in range(start + _SHARED_RUN - 1, start - 1, -1):
            word = words[at]
            found = present.get(word)
            if found is None:
                found = present[word] = word in text
            if not found:
                start = at + 1
                break
        else:
            return True
    return False


def _remove_pasted(reply: str, customer_text: str) -> str:
    """Cut every run of at least eight words the reply shares with the customer's text."""
    customer_words, distinct = _customer_words(customer_text)
    if len(customer_words) < _SHARED_RUN:
        return reply
    folded_reply = fold(reply)
    if reply.isascii():
        # folding ASCII only lower-cases, so every word of a shared run is in the folded reply:
        # eight customer words in a row that all are, or nothing to cut (quicker than the reply's words)
        if not _has_run_in_text(customer_words, folded_reply):
            return reply
    if not _has_run_of_known_words(_words(folded_reply), distinct):
        return reply
    shingles = {tuple(customer_words[i : i + _SHARED_RUN]) for i in range(len(customer_words) - _SHARED_RUN + 1)}
    matches = list(_WORD.finditer(reply))
    words = [fold(m.group()) for m in matches]
    covered = [False] * len(words)
    for i in range(len(words) - _SHARED_RUN + 1):
        if tuple(words[i : i + _SHARED_RUN]) in shingles:
            covered[i : i + _SHARED_RUN] = [True] * _SHARED_RUN
    if not any(covered):
        return reply
    pieces, last = [], 0
    i = 0
    while i < len(matches):
        if covered[i]:
            j = i
            while j + 1 < len(matches) and covered[j + 1]:
                j += 1
            pieces.append(reply[last : matches[i].start()])
            last = matches[j].end()
            if last < len(reply) and reply[last] in "?.!":
                last += 1
            i = j + 1
        else:
            i += 1
    pieces.append(reply[last:])
    text = "".join(pieces)
    return re.sub(r"[\"“”'‘’]\s*[\"“”'‘’]|\(\s*\)", "", text)


_SIGN_OFF = re.compile(
    r"^\s*(kind(est)? regards|best regards|warm(est)? regards|regards|best wishes|best|many thanks|thanks( again)?|"
    r"thank you|cheers|sincerely|yours sincerely|yours faithfully|yours truly|all the best|with thanks|take care|"
    r"respectfully|mit freundlichen gr(ü|u|ue)(ß|ss)en|viele gr(ü|u|ue)(ß|ss)e|met vriendelijke groet(en)?|"
    r"cordialement|bien cordialement|saludos|un saludo|atentamente|cordiali saluti|distinti saluti)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
_SIG_DELIMITER = re.compile(r"^(--\s?|__+|sent from my .+|get outlook for .+)$", re.IGNORECASE)
_FOOTER_CUE = re.compile(
    r"©|\b(?:confidential|intended (solely |only )?for the (use of the )?(named |intended )?(recipient|addressee)|"
    r"if you (have )?received this (e-?mail|message) in error|registered (in|office)|company (no|number|reg)|"
    r"\bvat\b|unsubscribe|privacy (policy|notice)|terms (of service|and conditions)|disclaimer|"
    r"authori[sz]ed and regulated|member fdic|all rights reserved|©|\(c\) \d{4}|do not reply to this (e-?mail|message)|"
    r"this (e-?mail|message) (was sent|is sent) (to|from)|manage (your )?(email )?preferences|view (it )?in (your )?browser)",
)
"""Run on folded (lower-case) paragraphs, see `_is_footer`."""
_MAX_SIGNATURE_LINES = 10
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_MAX_SIGN_OFF = 40
_SIGNATURE_LINE = re.compile(r"^[^.!?:;]{1,60}$")
"""A closing paragraph of up to three short lines with no sentence punctuation ("The Gridwise Team")."""


class Searchable(Protocol):
    def search(self, text: str) -> re.Match[str] | None: ...


@dataclass(frozen=True, slots=True)
class CleanReply:
    """A reply split into what is scored and what was set aside.

    Attributes:
        body: the company's own words, scored by every criterion.
        signature: sign-off and signature block (kept aside: a promo banner there is still marketing).
        footer: legal and unsubscribe boilerplate, never scored.
        sentences: `body` split into sentences, the units evidence is quoted from.
    """

    body: str
    signature: str
    footer: str
    sentences: tuple[str, ...]
    folded: tuple[str, ...] = ()
    folded_text: str = ""
    starts: tuple[int, ...] = ()
    _language: list[str | None] = field(default_factory=list, compare=False, repr=False)

    @property
    def language(self) -> str | None:
        """The ISO 639-1 code of the body's language, detected on first use (None: too short or unclear to tell)."""
        if not self._language:
            from mysteryshop.quality.reply_language import body_language

            self._language.append(body_language(self.body, self.folded_text))
        return self._language[0]

    @property
    def footer_lines(self) -> list[str]:
        """The footer's lines that are not legal or unsubscribe boilerplate (a promotional banner can end up there)."""
        return [line for line in self.footer.splitlines() if line.strip() and not _FOOTER_CUE.search(fold(line))]

    def trailing_lines(self) -> list[str]:
        """The lines after the answer, where banners and upsell lines sit: a short last paragraph of a body
        of three or more, the signature, and the footer's lines that are not legal boilerplate."""
        parts = _PARAGRAPH_BREAK.split(self.body.strip())
        last = parts[-1] if len(parts) >= 3 and len(parts[-1]) <= _MAX_TRAILING_PARAGRAPH else ""
        return [*last.splitlines(), *self.signature.splitlines(), *self.footer_lines]


    def first(self, pattern: Searchable) -> int | None:
        """Index of the first sentence `pattern` finds (in folded form), or None.

        One search over all sentences rules most patterns out; only a hit is then pinned to
        its sentence, starting from the sentence where the joined search found it.
        """
        hit = pattern.search(self.folded_text)
        if hit is None:
            return None
        if "\n" not in hit.group():
            return bisect.bisect_right(self.starts, hit.start()) - 1
        for index in range(bisect.bisect_right(self.starts, hit.start()) - 1, len(self.folded)):
            if pattern.search(self.folded[index]):
                return index
        return None


_MAX_TRAILING_PARAGRAPH = 200


def split_footer(text: str) -> tuple[str, str]:
    """(text, footer): trailing paragraphs of legal/unsubscribe boilerplate go to the footer."""
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    cut = len(paragraphs)
    while cut > 1 and _FOOTER_CUE.search(fold(paragraphs[cut - 1])):
        cut -= 1
    return "\n\n".join(paragraphs[:cut]).strip(), "\n\n".join(paragraphs[cut:]).strip()


def split_signature(text: str) -> tuple[str, str]:
    """(text, signature): from a '-- ' delimiter or a sign-off ("Kind regards,") near the end, down."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _SIG_DELIMITER.match(line.strip()):
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i:]).strip()
    below = 0
    for i in range(len(lines) - 1, -1, -1):
        if below > _MAX_SIGNATURE_LINES:
            break
        if i > 0 and len(lines[i]) <= _MAX_SIGN_OFF and _SIGN_OFF.match(lines[i]):
            return "\n".join(lines[:i]).strip(), "\n".join(lines[i:]).strip()
        if lines[i].strip():
            below += 1
    paragraphs = _PARAGRAPH_BREAK.split(text.strip())
    last = paragraphs[-1].splitlines()
    if len(paragraphs) > 1 and len(last) <= 3 and all(_SIGNATURE_LINE.match(line.strip()) for line in last):
        return "\n\n".join(paragraphs[:-1]).strip(), paragraphs[-1].strip()
    return text.strip(), ""


def clean_reply(reply_text: str, reply_html: str | None = None, customer_text: str | None = None) -> CleanReply:
    """The scored part of a reply: HTML to text, quoted text out, then footer and signature aside.

    Example:
        >>> clean_reply("Yes, 30 days.\\n\\nKind regards,\\nAnna\\n\\n> Can I return it?").body
        'Yes, 30 days.'
    """
    text = reply_text if reply_text.strip() or not reply_html else html_to_text(reply_html)
    text = remove_quoted(text.replace("\r\n", "\n"), customer_text)
    text, footer = split_footer(text)
    body, signature = split_signature(text)
    if signature:
        signature, more_footer = split_footer(signature)
        footer = "\n\n".join(p for p in (more_footer, footer) if p)
    sentences = tuple(split_sentences(body))
    folded = tuple(fold(sentence) for sentence in sentences)
    starts, offset = [], 0
    for sentence in folded:
        starts.append(offset)
        offset += len(sentence) + 1
    return CleanReply(body, signature, footer, sentences, folded, "\n".join(folded), tuple(starts))
