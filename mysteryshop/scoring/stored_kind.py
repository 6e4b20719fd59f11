"""A message's kind as read when it was received, kept beside it in the run store (messages.kind_reading), so that a
report reads it back instead of classifying every reply again.

A kept reading holds only for the classifier that made it and the message as it was read: it carries
`kinds_version()`, a digest of every file that decides a kind (the rules, their cues, the text cleaning they read),
and a digest of every field of the message the classifier reads (`kind_key`). A reading of another version, or of
fields that have changed since (a text cut against another customer text, a row edited), is read again (`decode`
gives None).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from typing import Any

import orjson

from mysteryshop.collect.parse import PLANNED_HEADER, ParsedMail
from mysteryshop.scoring.classify import Reading, read_kind
from mysteryshop.scoring.promises import Promise

#: the files whose content decides a message's kind, by package
_DECIDING = {
    "mysteryshop.scoring": ("classify.py", "kind_words.py", "kinds.yaml", "own_text.py", "promises.py"),
    "mysteryshop.quality": ("clean.py", "text.py"),
    "mysteryshop.collect": ("report.py",),
}


@cache
def kinds_version() -> str:
    """A digest of the classifier's own files: another rule, cue or threshold gives another version."""
    digest = hashlib.blake2b(digest_size=8)
    for package, names in _DECIDING.items():
        folder = resources.files(package)
        for name in names:
            digest.update(f"{package}/{name}".encode() + b"\0" + folder.joinpath(name).read_bytes() + b"\0")
    return digest.hexdigest()


def kind_key(mail: ParsedMail) -> tuple[Any, ...]:
    """Every field of `mail` that read_kind reads: two messages alike in these are of one kind."""
    return (mail.text, mail.full_text, mail.html if not mail.text else None, mail.subject, mail.from_addr, mail.from_name,
            bool(mail.in_reply_to), mail.list_unsubscribe, mail.precedence, mail.auto_submitted, mail.report_type,
            mail.delivery_action, mail.delivery_evidence, tuple(sorted((k, v) for k, v in mail.kind_headers.items() if k != PLANNED_HEADER)), tuple(mail.defects[:2]))


def _digest(mail: ParsedMail) -> str:
    return hashlib.blake2b(repr(kind_key(mail)).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def encode(reading: Reading, mail: ParsedMail) -> str:
    """`reading` of `mail` as the store keeps it (JSON, with the classifier's version and the digest of what it read)."""
    data: dict[str, Any] = {"v": kinds_version(), "d": _digest(mail), "kind": reading.kind, "evidence": reading.evidence}
    if reading.automatic:
        data["automatic"] = True
    if reading.deferral is not None:
        data["deferral"] = reading.deferral
    if reading.substance:
        data["substance"] = reading.substance
    if reading.language is not None:
        data["language"] = reading.language
    if reading.promise is not None:
        promise = reading.promise
        data["promise"] = [promise.quote, promise.said, promise.amount, promise.unit]
    return orjson.dumps(data).decode()


def decode(value: str | bytes | None, mail: ParsedMail) -> Reading | None:
    """The reading of `mail` kept in `value`; None when there is none, it is unreadable, another classifier made it, or
    it was read from other fields than `mail` has now."""
    if not value:
        return None
    try:
        data = orjson.loads(value)
        if not isinstance(data, dict) or data.get("v") != kinds_version() or data.get("d") != _digest(mail):
            return None
        promise = data.get("promise")
        return Reading(str(data["kind"]), tuple(str(e) for e in data["evidence"]), bool(data.get("automatic", False)),
                       data.get("deferral"), int(data.get("substance", 0)), data.get("language"),
                       Promise(str(promise[0]), str(promise[1]), int(promise[2]), str(promise[3])) if promise else None)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
        return None  # a damaged value costs only the time to classify the message again


def read_and_keep(mail: ParsedMail) -> tuple[Reading, str | None]:
    """The kind of `mail` (scoring.classify.read_kind) and its stored form, for a receiver that records both at once.
    Never raises: a reading that cannot be stored (None) is only read again by the report."""
    reading = read_kind(mail)
    try:
        return reading, encode(reading, mail)
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError (a lone surrogate in evidence...)
        return reading, None
