"""Values a journey carries from one step to the next: what a step captures from what the company showed it.

An expectation step may say

```yaml
capture:
  ticket: ticket                              # a named extractor (EXTRACTORS)
  agent_name: agent_name
  case: {regex: 'case (?P<case>\\d{5,})'}       # a regular expression with a named group
```

and later steps use `{ticket}`, `{agent_name}`, `{case}` in their subject and body. A named extractor knows the
shapes a value takes in four languages (ticket numbers in a subject's `[#NW-1234]` or after "Vorgangsnummer:",
links to a case, the agent's name in a sign-off or a chat introduction); a regex captures its group named like
the value (or its only named group). Pure functions: the same texts give the same values, live or rescored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mysteryshop.errors import suggest

#: how much of the searched text a failed capture quotes
QUOTE_CHARS = 300

_TICKET_WORDS = (
    r"ticket|case|request|reference|ref|incident|complaint|enquiry|inquiry"
    r"|vorgang|vorgangsnummer|ticketnummer|anfrage|aktenzeichen|fallnummer|referenznummer"
    r"|dossier|demande|r[ée]f[ée]rence|requ[êe]te|caso|incidencia|solicitud|referencia|expediente"
)
_TICKET_PATTERNS = (
    re.compile(r"\[#\s*([A-Za-z0-9][A-Za-z0-9-]{2,})\s*\]"),
    re.compile(
        rf"(?i)\b(?:{_TICKET_WORDS})\b\.?\s*(?:number|no\.?|nr\.?|n[°ºo]\.?|#|id|num[ée]ro|n[úu]mero)?\s*[:#]?\s*#?\s*"
        r"((?=[A-Z0-9-]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)*)\b"
    ),
    re.compile(r"(?<![\w&])#(\d{4,})\b"),
)
_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+")
_CASE_PATH = re.compile(r"(?i)(ticket|case|request|support|help|status|track|portal|anfrage|vorgang|dossier|demande|caso|solicitud|/hc/)")
_NOT_CASE = re.compile(r"(?i)unsubscribe|abmelden|desinscri|desuscri|newsletter|privacy|datenschutz|/sale\b")
_NAME = r"([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+(?:[-'][A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]+)?)"
_INTRO = re.compile(
    r"(?:\b(?:[Tt]his is|[Mm]y name is|I'm|I am|[Ii]ch bin|[Mm]ein Name ist|[Hh]ier ist|[Hh]ier schreibt|[Jj]e suis|[Jj]e m'appelle|"
    r"[Cc]'est|[Ss]oy|[Mm]e llamo|[Ll]e atiende|[Tt]e atiende|[Ll]e escribe)\s+)" + _NAME
)
_SIGN_OFF = re.compile(
    r"(?i)^\s*(kind regards|best regards|warm regards|regards|best wishes|best|thanks|thank you|many thanks|cheers|sincerely|yours sincerely"
    r"|viele gr(ü|ue)(ß|ss)e|freundliche gr(ü|ue)(ß|ss)e|mit freundlichen gr(ü|ue)(ß|ss)en|beste gr(ü|ue)(ß|ss)e|gr(ü|ue)(ß|ss)e|liebe gr(ü|ue)(ß|ss)e"
    r"|cordialement|bien cordialement|bien à vous|salutations|sinc(è|e)res salutations|merci"
    r"|saludos|saludos cordiales|un saludo|atentamente|gracias|un cordial saludo)[,.!]?\s*$"
)
_NOT_A_NAME = re.compile(
    r"(?i)\b(team|care|support|service|customer|customers|desk|help|kundenservice|kundendienst|team|[ée]quipe|client|clients|atenci[óo]n"
    r"|servicio|soporte|the|der|die|das|le|la|el|los|las|inc|ltd|gmbh|llc|sent|from)\b"
)


@dataclass(frozen=True, slots=True)
class Capture:
    """One value a step captures: `name` as later steps use it, found by a named extractor or a regex."""

    name: str
    extractor: str | None = None
    regex: str | None = None

    @property
    def how(self) -> str:
        return f"extractor {self.extractor}" if self.extractor else f"regex {self.regex!r}"

    def find(self, text: str) -> str | None:
        """The value in `text`, or None."""
        if self.extractor is not None:
            return EXTRACTORS[self.extractor][0](text)
        assert self.regex is not None
        match = _compiled(self.regex).search(text)
        if match is None:
            return None
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        value = groups.get(self.name) or next(iter(groups.values()), None)
        return value.strip() if value else None


def ticket_number(text: str) -> str | None:
    """A ticket or case number: `[#NW-123456]`, "ticket number 48213", "Vorgangsnummer: A-77120", "#48213"."""
    for pattern in _TICKET_PATTERNS:
        match = pattern.search(text)
        if match:
            return match.group(1)
    return None


def case_link(text: str) -> str | None:
    """A link to the case (a URL whose path speaks of a ticket, case, request, portal...), not an unsubscribe link."""
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?")
        if _CASE_PATH.search(url.partition("://")[2].partition("/")[2]) and not _NOT_CASE.search(url):
            return url
    return None


def agent_name(text: str) -> str | None:
    """The name of the person who wrote: "this is Marta from...", "ich bin Jonas", or the name under a sign-off."""
    intro = _INTRO.search(text)
    if intro:
        return intro.group(1)
    lines = [line.strip() for line in text.splitlines()]
    for i, line in enumerate(lines):
        if not _SIGN_OFF.match(line):
            continue
        for below in lines[i + 1 : i + 3]:
            if not below:
                continue
            if len(below.split()) <= 3 and not _NOT_A_NAME.search(below) and re.fullmatch(_NAME + r"(?:\s+" + _NAME + r")?\.?", below):
                return below.split()[0]
            break
    return None


#: named extractor -> (function, what it finds)
EXTRACTORS: dict[str, tuple[Callable[[str], str | None], str]] = {
    "ticket": (ticket_number, "a ticket or case number ([#NW-123456], 'ticket number 48213', 'Vorgangsnummer: A-77120')"),
    "case_link": (case_link, "a link to the case (a URL about a ticket, case, request or portal)"),
    "agent_name": (agent_name, "the agent's first name ('this is Marta from', or the name under 'Kind regards,')"),
}

_cache: dict[str, re.Pattern[str]] = {}


def _compiled(regex: str) -> re.Pattern[str]:
    found = _cache.get(regex)
    if found is None:
        found = _cache[regex] = re.compile(regex)
    return found


def parse_captures(raw: Any) -> tuple[list[Capture], list[tuple[list[str | int], str]]]:
    """(captures, problems as (location under `capture:`, message)) of a step's `capture:` as read from YAML."""
    captures: list[Capture] = []
    problems: list[tuple[list[str | int], str]] = []
    if raw is None:
        return captures, problems
    if not isinstance(raw, Mapping):
        return [], [([], "capture: a mapping of value names to a named extractor or {regex: ...}, e.g. capture: {ticket: ticket}")]
    for name, how in raw.items():
        where: list[str | int] = [str(name)]
        if not isinstance(name, str) or not name.isidentifier() or name == "persona":
            problems.append((where, (f"capture: '{name}' is not a usable name: use letters, digits and '_' (ticket, agent_name), "
                                     "and not 'persona'")))
            continue
        if isinstance(how, str):
            if how not in EXTRACTORS:
                listed = "; ".join(f"{k}: {v[1]}" for k, v in EXTRACTORS.items())
                problems.append((where, (f"capture.{name}: unknown extractor '{how}'.{suggest(how, EXTRACTORS)} Named extractors: {listed}; "
                                         f"or give a regular expression: {{regex: '...(?P<{name}>...)...'}}")))
                continue
            captures.append(Capture(name, extractor=how))
            continue
        if isinstance(how, Mapping) and set(how) == {"regex"} and isinstance(how["regex"], str):
            regex = how["regex"]
            try:
                compiled = re.compile(regex)
            except re.error as exc:
                problems.append(([*where, "regex"], (f"capture.{name}.regex: does not compile: {exc.msg} at position {exc.pos} of {regex!r}. "
                                                    "Check its brackets and escapes (in YAML, single quotes keep backslashes as they are)")))
                continue
            if not compiled.groupindex:
                problems.append(([*where, "regex"], f"capture.{name}.regex: {regex!r} has no named group: mark the value with (?P<{name}>...)"))
                continue
            if len(compiled.groupindex) > 1 and name not in compiled.groupindex:
                problems.append(([*where, "regex"], (f"capture.{name}.regex: several named groups ({', '.join(compiled.groupindex)}) and none "
                                                    f"named '{name}': name the one to capture (?P<{name}>...)")))
                continue
            captures.append(Capture(name, regex=regex))
            continue
        problems.append((where, f"capture.{name}: give a named extractor ({', '.join(EXTRACTORS)}) or {{regex: '...(?P<{name}>...)...'}}"))
    return captures, problems


def searched_quote(texts: Iterable[str]) -> str:
    """The text a capture searched, quoted and truncated, for its failure."""
    joined = " | ".join(" ".join(t.split()) for t in texts if t and t.strip())
    if not joined:
        return ""
    shown = joined if len(joined) <= QUOTE_CHARS else joined[: QUOTE_CHARS - 1] + "…"
    return f'"{shown}"'


def capture_all(captures: Iterable[Capture], texts: list[str]) -> tuple[dict[str, str], list[Capture]]:
    """(values found, captures that found nothing): each capture takes the first text (in order) it finds a value in."""
    values: dict[str, str] = {}
    missing: list[Capture] = []
    for capture in captures:
        value = next((v for v in (capture.find(t) for t in texts) if v), None)
        if value is None:
            missing.append(capture)
        else:
            values[capture.name] = value
    return values, missing


__all__ = ["EXTRACTORS", "Capture", "agent_name", "capture_all", "case_link", "parse_captures", "searched_quote", "ticket_number"]
