"""What kind of message the company sent: read from headers and words, never from the sender's say-so.

The patterns are lower case and run on the lower-cased text: the same matches as IGNORECASE
on the text as written, for a fraction of the time (`re` with IGNORECASE tries each alternative
case-folded at every position).
"""

from __future__ import annotations

import re

from mysteryshop.mail import ParsedMail

ACKNOWLEDGEMENT = "acknowledgement"
ANSWER = "answer"
FOLLOWUP = "satisfaction_followup"
MARKETING = "marketing"

_PROMO = re.compile(
    r"\b(\d{1,2}\s?% off|sale|newsletter|unsubscribe|discount code|use code|shop (now|the)|limited time|this week only|black friday)\b"
)
_FOLLOWUP = re.compile(
    r"(how satisfied|were you satisfied|was your (issue|problem|question|request) (resolved|solved|answered)"
    r"|did we (resolve|solve|answer|help)|how did we do|how would you rate|rate (us|your (experience|support))"
    r"|satisfaction survey|is there anything else we can help)"
)
_ACK = re.compile(
    r"(we(?:'ve| have)? received your (message|email|e-mail|request|enquiry|inquiry)|thank you for contacting"
    r"|thanks for contacting|ticket (?:number |#)?\S* ?(?:has been )?(created|opened)|opened ticket|this is an automated"
    r"|do not reply to this (email|message))"
)
STALLING = re.compile(
    r"(allow\s+\d+\s*(?:-|–|to)\s*\d+\s*(?:business\s+|working\s+)?(?:hours|days)|as soon as possible"
    r"|due to (?:high|unusually high|increased) (?:volumes?|demand)|we will get back to you (?:shortly|soon))"
)


def is_stalling(mail: ParsedMail) -> bool:
    return bool(STALLING.search(mail.text.lower()))


def classify(mail: ParsedMail) -> str:
    """One of acknowledgement, answer, satisfaction_followup, marketing.

    A stalling auto-reply ("please allow 24-48 hours") is an acknowledgement, not an answer:
    it tells the customer nothing they asked.
    """
    text = mail.text.lower()
    if mail.list_unsubscribe or (mail.precedence or "").lower() in {"bulk", "list", "junk"}:
        return MARKETING
    if not mail.in_reply_to and len(_PROMO.findall(text)) >= 2:
        return MARKETING
    if _FOLLOWUP.search(text):
        return FOLLOWUP
    auto = (mail.auto_submitted or "no").lower().startswith("auto-")
    words = len(text.split())
    if auto or ((_ACK.search(text) or STALLING.search(text)) and words < 90):
        return ACKNOWLEDGEMENT
    return ANSWER
