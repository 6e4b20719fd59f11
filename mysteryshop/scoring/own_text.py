"""The words a company wrote in a message, for telling its kind: the customer's own message, echoed back, set aside.

Help desks and web forms send the customer's message back inside their own mail, in shapes that no quoting
convention covers: a desk's transcript of the conversation ("Jonas Becker, 13 Nov 2025, 10:10" above the
customer's text, rules of dashes between the comments, newest first: the oldest comment is the customer's
request), an issue tracker's "New submission from Mila Horvat <mila@…>:", a web form's copy ("Name: Leo Martin /
Message: …"). Read as the company's words, the customer's question makes a receipt look like an answer. What
names the customer is read from the message's own To header, so this needs no customer text (a run also cuts
text pasted from the customer's message, see collect.parse; this works on any saved .eml as well).

A desk's "type your reply above this line" marker, in any of the languages of kinds.yaml, is taken out as a line
(collect.parse cuts everything below the English one as quoted, the agent's answer included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header

from mysteryshop.collect.parse import ParsedMail, read_addresses
from mysteryshop.quality.clean import remove_quoted
from mysteryshop.quality.text import fold
from mysteryshop.scoring.kind_words import KindWords

#: a rule between the comments of a desk's transcript (or before a copy of the customer's message)
_RULE = re.compile(r"^\s*[-_=*~]{8,}\s*$")
#: a line that opens with a greeting names the customer without quoting them ("Hallo Jonas Becker,")
_GREETING = re.compile(r"^\W*(hi|hello|hey|dear|good (morning|afternoon|evening)|greetings|hallo|liebe|lieber|sehr geehrte|guten tag|moin|"
                       r"bonjour|bonsoir|cher|chere|madame|monsieur|hola|estimad[oa]|querid[oa]|buen[oa]s)\b")
#: "Name: Leo Martin", "E-Mail : leo@…", "Nombre: …": one field of a form or record
_FIELD = re.compile(r"^\s*[^\W\d][\w .'/-]{0,30}\s?:\s*(?P<value>\S.*)$")
#: how far into a message a reply-above-this-line marker is looked for
_MARKER_REACH = 3000


@dataclass(frozen=True, slots=True)
class OwnText:
    """`text`: the message's text without the customer's echoed words. `echoed`: it carried them back (a transcript,
    a form copy), which in a message that adds nothing of its own is a receipt. `customer_names`: the full names the
    message is addressed to, folded (see `customer_of`)."""

    text: str
    echoed: bool = False
    customer_names: tuple[str, ...] = ()


def customer_of(mail: ParsedMail) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(names, addresses) the message is addressed to, folded: whoever it names as author of a quoted block is the customer."""
    names: list[str] = []
    addresses = [a.lower() for a in mail.to_addrs if "@" in a]
    raw = mail.kind_headers.get("to")
    if raw:
        for name, address in read_addresses(raw):  # never raises: an address list it cannot read names nobody
            if address and "@" in address:
                addresses.append(address.lower())
            if name:
                name = _decoded(name)
                folded = " ".join(fold(name).replace('"', " ").split())
                if len(folded.split()) >= 2 and len(folded) >= 5:  # a full name: a first name alone is in greetings too
                    names.append(folded)
    return tuple(dict.fromkeys(names)), tuple(dict.fromkeys(addresses))


def _decoded(name: str) -> str:
    """A display name with its RFC 2047 encoded words decoded; as written when they cannot be."""
    try:
        return str(make_header(decode_header(name)))
    except Exception:  # noqa: BLE001 - HeaderParseError, LookupError, UnicodeError...: the name as written
        return name


def own_text(mail: ParsedMail, words: KindWords) -> OwnText:
    """The company's own words in `mail` (see the module's docstring). Pure."""
    full = mail.full_text or ""
    text = mail.text or ""
    marker = words["reply_marker"]
    if marker.first(fold(text[:_MARKER_REACH])) is not None:  # the text kept the marker (one in German, French, Spanish)
        text = "\n".join(line for line in text.split("\n") if marker.first(fold(line)) is None)
    elif marker.first(fold(full[:_MARKER_REACH])) is not None:  # collect.parse cut below it: read on past the marker line
        text = remove_quoted("\n".join(line for line in full.split("\n") if marker.first(fold(line)) is None))
    elif not text.strip():
        text = full
    text, first_echoed = _without_first_comment(text)
    names, addresses = customer_of(mail)
    if not names and not addresses:
        return OwnText(text, first_echoed)
    text, echoed = _without_customer(text, names, addresses)
    return OwnText(text, echoed or first_echoed, names)


#: a desk's comment header: a name, a comma, a date with a time ("Jack Wilson, Oct 15, 2025, 9:14 AM", "Rocío (Viajes Alcalá), 1 dic. 2025, 13:40 CET")
_COMMENT_HEADER = re.compile(r"^\s*[^\W\d][^,:;!?]{0,60},\s.{0,40}\b\d{1,2}:\d{2}\b.{0,20}$")


def _without_first_comment(text: str) -> tuple[str, bool]:
    """A desk's transcript (comments under rules of dashes, each headed "Name, date time", newest first) without its
    oldest comment: the customer's own message that opened the request, whoever the message is addressed to."""
    lines = text.split("\n")
    headers = []
    for index, line in enumerate(lines):
        if _RULE.match(line):
            following = next((i for i in range(index + 1, min(index + 4, len(lines))) if lines[i].strip()), None)
            if following is not None and _COMMENT_HEADER.match(lines[following]):
                headers.append(index)
    if not headers:
        return text, False
    start = headers[-1]
    end = next((i for i in range(start + 1, len(lines)) if _RULE.match(lines[i])), len(lines))
    return "\n".join(lines[:start] + lines[end:]), True


def _names(folded_line: str, names: tuple[str, ...], addresses: tuple[str, ...]) -> bool:
    return any(a in folded_line for a in addresses) or any(n in " ".join(folded_line.split()) for n in names)


#: what is left of a field's value once the customer's names and addresses are out: quotes, brackets, spaces
_NAME_LEFTOVER = re.compile(r"[\s\"'<>()\[\],;:.-]*")


def _only_customer(folded_value: str, names: tuple[str, ...], addresses: tuple[str, ...]) -> bool:
    """Whether a field's value is the customer's name or address and nothing else ("Name: Clara Weiss", "E-Mail: <clara@…>"):
    a form's copy of who wrote. A list of people with them in it ("Teilnehmer: Clara Weiss, Jonas Brandt") is an
    appointment's or a record's field, written by the company."""
    if not _names(folded_value, names, addresses):
        return False
    rest = " ".join(folded_value.split())
    for who in sorted(names + addresses, key=len, reverse=True):
        rest = rest.replace(who, " ")
    return _NAME_LEFTOVER.fullmatch(rest) is not None


def _attribution(line: str, folded: str, names: tuple[str, ...], addresses: tuple[str, ...]) -> bool:
    """A line that says the customer wrote what follows: one that introduces it ("New submission from Ann <ann@…>:"),
    or a desk's comment header that starts with their name and gives a date ("Jonas Becker, 13 Nov 2025, 10:10")."""
    if len(line) > 200 or _GREETING.match(folded):
        return False
    if line.rstrip().endswith(":"):
        return True
    flat = " ".join(folded.split())
    return any(flat.startswith(who) and re.match(r"\s*[,(<]?.{0,40}\d", flat[len(who):]) for who in names + addresses)


#: the label of a record's field that holds the customer's own message ("Description:", "Ihre Nachricht:", "Mensaje:")
_MESSAGE_LABEL = re.compile(r"^\s*(?:(?:your|ihre|deine|votre|ton|tu|su) )?(?:description|message|details|comments?|question|enquiry|inquiry|"
                            r"request|beschreibung|nachricht|anliegen|frage|anfrage|demande|descripcion|mensaje|consulta|detalles?|"
                            r"comentarios?)\s?:\s*\S")


def _in_record(lines: list[str], index: int) -> bool:
    """Whether the line at `index` is one of two or more fields in a paragraph (a record, not a sentence with a colon)."""
    start = index
    while start > 0 and lines[start - 1].strip():
        start -= 1
    end = index
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    return sum(bool(_FIELD.match(lines[i])) for i in range(start, end + 1)) >= 2


def _without_customer(text: str, names: tuple[str, ...], addresses: tuple[str, ...]) -> tuple[str, bool]:
    lines = text.split("\n")
    drop = [False] * len(lines)
    echoed = False
    skipping = False
    for index, line in enumerate(lines):
        folded = fold(line.strip())
        if _RULE.match(line):
            skipping = False
            drop[index] = True
            continue
        field = _FIELD.match(line)
        if field is not None and _only_customer(fold(field.group("value")), names, addresses) and not _GREETING.match(folded):
            # a form's copy: the whole paragraph of fields (and the message field in it) is the customer's
            start = index
            while start > 0 and lines[start - 1].strip():
                start -= 1
            end = index
            while end + 1 < len(lines) and lines[end + 1].strip():
                end += 1
            if sum(bool(_FIELD.match(lines[i])) for i in range(start, end + 1)) >= 2:
                drop[start:end + 1] = [True] * (end + 1 - start)
                echoed = True
                continue
        if field is not None and _MESSAGE_LABEL.match(folded) and _in_record(lines, index):
            # "Description: my lamp arrived broken…" among a case's fields: the customer's message, copied into the record
            drop[index] = echoed = True
            following = index + 1
            while following < len(lines) and lines[following].strip() and not _FIELD.match(lines[following]):
                drop[following] = True
                following += 1
            continue
        if _names(folded, names, addresses) and _attribution(line.strip(), folded, names, addresses):
            skipping = echoed = True
        if skipping:
            drop[index] = True
    if not echoed:
        return text, False
    return "\n".join(line for line, dropped in zip(lines, drop, strict=True) if not dropped), True
