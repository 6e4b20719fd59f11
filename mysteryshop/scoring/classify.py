"""What kind of message the company sent: read from headers and words, never from the sender's say-so."""

from __future__ import annotations

import re
from typing import NamedTuple

from mysteryshop.collect.parse import ParsedMail

ACKNOWLEDGEMENT = "acknowledgement"
ANSWER = "answer"
FOLLOWUP = "satisfaction_followup"
MARKETING = "marketing"


class _Patterns(NamedTuple):
    promo: re.Pattern[str]
    followup: re.Pattern[str]
    ack: re.Pattern[str]
    stalling: re.Pattern[str]


_SOURCES = (  # promo, followup, ack, stalling
    r"\b(\d{1,2}\s?% off|sale|newsletter|unsubscribe|discount code|use code|shop (now|the)|limited time|this week only|black friday)\b",
    r"(how satisfied|were you satisfied|was your (issue|problem|question|request) (resolved|solved|answered)"
    r"|did we (resolve|solve|answer|help)|how did we do|how would you rate|rate (us|your (experience|support))"
    r"|satisfaction survey|is there anything else we can help)",
    r"(we(?:'ve| have)? received your (message|email|e-mail|request|enquiry|inquiry)|thank you for contacting"
    r"|thanks for contacting|ticket (?:number |#)?\S* ?(?:has been )?(created|opened)|opened ticket|this is an automated"
    r"|do not reply to this (email|message))",
    r"(allow\s+\d+\s*(?:-|–|to)\s*\d+\s*(?:business\s+|working\s+)?(?:hours|days)|as soon as possible"
    r"|due to (?:high|unusually high|increased) (?:volumes?|demand)|we will get back to you (?:shortly|soon))",
)
_LOWER = _Patterns(*(re.compile(source) for source in _SOURCES))
_ANY_CASE = _Patterns(*(re.compile(source, re.IGNORECASE) for source in _SOURCES))


def _patterns_for(text: str) -> tuple[str, _Patterns]:
    """ASCII text, lower-cased, with the lower-case patterns: what IGNORECASE matches, several times
    faster (`re` with IGNORECASE tries every alternative case-folded at every position). Other text
    keeps IGNORECASE: lower-casing is not the same there (a Turkish capital İ becomes two characters)."""
    return (text.lower(), _LOWER) if text.isascii() else (text, _ANY_CASE)


def is_stalling(mail: ParsedMail) -> bool:
    text, patterns = _patterns_for(mail.text)
    return bool(patterns.stalling.search(text))


def _bulk(mail: ParsedMail) -> bool:
    return (mail.precedence or "").lower() in {"bulk", "list", "junk"}


def classify(mail: ParsedMail) -> str:
    """One of acknowledgement, answer, satisfaction_followup, marketing.

    A stalling auto-reply ("please allow 24-48 hours") is an acknowledgement, not an answer:
    it tells the customer nothing they asked.

    `Precedence: bulk` alone does not make a mail marketing: ticket systems put it on every notification so
    that auto-responders stay quiet (Roundup on all its mail, acknowledgements and agents' answers alike). It
    counts when the mail is neither a reply in a thread (In-Reply-To) nor an auto-reply (Auto-Submitted);
    List-Unsubscribe always does.
    """
    text, patterns = _patterns_for(mail.text)
    auto = (mail.auto_submitted or "no").lower().startswith("auto-")
    if mail.list_unsubscribe or (_bulk(mail) and not mail.in_reply_to and not auto):
        return MARKETING
    if not mail.in_reply_to and len(patterns.promo.findall(text)) >= 2:
        return MARKETING
    if patterns.followup.search(text):
        return FOLLOWUP
    words = len(text.split())
    if auto or ((patterns.ack.search(text) or patterns.stalling.search(text)) and words < 90):
        return ACKNOWLEDGEMENT
    return ANSWER
