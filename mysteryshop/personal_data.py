"""No real personal data in journeys: text that looks like a payment card number (passes the Luhn check), a US
social security number, a UK national insurance number or an IBAN (passes its checksum) is refused. Personas are
always fake, and so must be what they write.
"""

from __future__ import annotations

import re

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SSN = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")
_NINO = re.compile(r"\b(?![DFIQUV])[A-Z](?![DFIOQUV])[A-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def personal_data(text: str) -> list[str]:
    """What in `text` looks like real personal data, each as 'kind: value'."""
    found = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            found.append(f"payment card number: {match.group()}")
    found += [f"US social security number: {m.group()}" for m in _SSN.finditer(text)]
    found += [f"UK national insurance number: {m.group()}" for m in _NINO.finditer(text)]
    found += [f"IBAN: {m.group()}" for m in _IBAN.finditer(text) if _iban_ok(m.group())]
    return found
