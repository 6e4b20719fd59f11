"""A message's kind kept beside it in the store (scoring.stored_kind): read back only for the classifier and the very
fields it was read from."""

from __future__ import annotations

import dataclasses

import pytest

from mysteryshop.collect.parse import parse_mail, text_basis
from mysteryshop.mail import compose
from mysteryshop.scoring import stored_kind
from mysteryshop.scoring.classify import read_kind
from mysteryshop.scoring.stored_kind import decode, encode, read_and_keep

ACK = ("Thank you for contacting us. Your request 55120 has been received and one of our agents will reply within 24 hours.\n\n"
       "Support")


def _mail(body: str = ACK):  # type: ignore[no-untyped-def]
    raw = compose(sender="support@shop.example", to="ann@probe.example", subject="Re: order 4471", body=body, domain="shop.example")
    return parse_mail(raw.as_bytes())


def test_a_kept_reading_reads_back_as_it_was_read() -> None:
    mail = _mail()
    reading, kept = read_and_keep(mail)
    assert reading == read_kind(mail) and reading.kind == "acknowledgement" and reading.promise is not None
    assert kept is not None and decode(kept, mail) == reading


def test_a_reading_of_other_fields_or_another_classifier_or_damaged_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    mail = _mail()
    kept = encode(read_kind(mail), mail)
    # the row's text changed since (edited, or cut against another customer text): read again
    assert decode(kept, dataclasses.replace(mail, text=mail.text + " The part ships tomorrow.")) is None
    assert decode(kept, dataclasses.replace(mail, subject="Your invoice")) is None
    assert decode(None, mail) is None and decode("", mail) is None
    assert decode("{not json", mail) is None and decode('{"v": 1}', mail) is None and decode("[1, 2]", mail) is None
    # another version of the classifier
    monkeypatch.setattr(stored_kind, "kinds_version", lambda: "another")
    assert decode(kept, mail) is None


def test_the_text_basis_is_the_customers_words_not_their_line_breaks() -> None:
    # the text the persona composed and the same text parsed back from its sent message (a line break more) are one basis
    assert text_basis("Hello,\n\ncan I return it?\n\nAnn") == text_basis("Hello,\n\ncan I return it?\n\nAnn\n")
    assert text_basis("Hello, can I return it?") != text_basis("Hello, can I return them?")
    assert text_basis(None) == text_basis("") == text_basis(" \n") == ""
