"""parse_mail never raises, whatever arrives: hostile messages built by hypothesis, and a fixed corpus of the kinds
an audit found (a NUL in a charset, 3,000-deep multiparts, huge HTML, bad base64, 8-bit headers, huge header lines).

Every message is also taken through what a received message goes through next: its fields stored in SQLite
(`stored_fields`), read back (`from_stored`), and its envelope read for routing (`read_envelope`).
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import fields

import pytest

from mysteryshop.store import PARSED_COLUMNS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mysteryshop.collect.envelope import read_envelope
from mysteryshop.collect.parse import ParsedMail, from_stored, parse_mail, stored_fields
from mysteryshop.quality.clean import html_to_text, remove_quoted

from . import hostile_mail
from .hostile_mail import BASE_REPLY, JUNK, KINDS, MB

CUSTOMER = "Hello, can I return my order after 30 days? It arrived broken and I would like a refund please."
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def db() -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(":memory:")
    parsed = ", ".join(f"{column} TEXT" for column in PARSED_COLUMNS)  # what the store keeps beside the raw bytes
    conn.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, raw BLOB, message_id TEXT, in_reply_to TEXT, subject TEXT, text TEXT, "
                 f"malformed INTEGER, defects TEXT, {parsed})")
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def _strings(mail: ParsedMail) -> Iterator[str]:
    for f in fields(mail):
        value = getattr(mail, f.name)
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from value


def check(raw: bytes, db: sqlite3.Connection) -> ParsedMail:
    """What must hold for any message: parsed without raising, valid Unicode, storable, read back the same."""
    mail = parse_mail(raw, customer_text=CUSTOMER)
    assert isinstance(mail, ParsedMail)
    assert mail.malformed == bool(mail.defects)
    for value in _strings(mail):
        value.encode("utf-8")  # no lone surrogates: SQLite (and JSON, and every output) would refuse them
    row = stored_fields(mail, CUSTOMER)
    row["defects"] = json.dumps(row["defects"])
    cursor = db.execute(f"INSERT INTO messages (raw, {', '.join(row)}) VALUES (?, {', '.join('?' * len(row))})", (raw, *row.values()))
    stored = db.execute("SELECT * FROM messages WHERE id = ?", (cursor.lastrowid,)).fetchone()
    for basis in (CUSTOMER, None):
        again = from_stored(stored, basis)
        assert again.defects == mail.defects
        assert again.full_text == mail.full_text
    assert from_stored(stored, CUSTOMER).text == mail.text
    envelope = read_envelope(raw, ("ann@probe.mysteryshop.test",))
    assert envelope.recipients[0] == "ann@probe.mysteryshop.test"
    return mail


# -- hypothesis ---------------------------------------------------------------------------


@FUZZ
@given(raw=st.binary(max_size=4000))
def test_random_bytes_never_raise(raw: bytes, db: sqlite3.Connection) -> None:
    check(raw, db)


@FUZZ
@given(kind=st.sampled_from(sorted(KINDS)), rng=st.randoms(use_true_random=False))
def test_hostile_messages_of_every_kind_never_raise(kind: str, rng: random.Random, db: sqlite3.Connection) -> None:
    check(hostile_mail.make(kind, rng), db)


_header_value = st.lists(st.one_of(st.sampled_from(JUNK), st.binary(max_size=12)), max_size=20).map(b"".join)


@FUZZ
@given(name=st.sampled_from([b"Content-Type", b"Content-Transfer-Encoding", b"Content-Disposition", b"MIME-Version", b"From",
                             b"To", b"Subject", b"Message-ID", b"References", b"In-Reply-To", b"Reply-To"]),
       value=_header_value, in_part=st.booleans())
def test_any_value_of_any_structural_header_is_read_without_raising(name: bytes, value: bytes, in_part: bool, db: sqlite3.Connection) -> None:
    """The headers that steer the parse, each given junk: in the message head or in a part."""
    anchor = b"Content-Type: text/plain; charset=utf-8\r\n" if in_part else b"MIME-Version: 1.0\r\n"
    raw = BASE_REPLY.replace(anchor, anchor + name + b": " + value + b"\r\n", 1)
    check(raw, db)


@FUZZ
@given(markup=st.lists(st.one_of(st.sampled_from(hostile_mail.HOSTILE_HTML), st.text(max_size=20)), max_size=60).map("".join))
def test_html_to_text_never_raises(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


@FUZZ
@given(text=st.text(max_size=3000), customer=st.none() | st.text(max_size=300))
def test_remove_quoted_never_raises(text: str, customer: str | None) -> None:
    assert isinstance(remove_quoted(text, customer), str)


# -- the fixed corpus: what the audit sent, and the bounds --------------------------------


def _single(charset: bytes, body: bytes = b"hello") -> bytes:
    return b"From: a@shop.test\r\nSubject: s\r\nContent-Type: text/plain; charset=\"" + charset + b"\"\r\n\r\n" + body + b"\r\n"


def _in_multipart(charset: bytes, body: bytes = b"hello") -> bytes:
    return (b"From: a@shop.test\r\nSubject: s\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\n"
            b'Content-Type: text/plain; charset="' + charset + b'"\r\n\r\n' + body + b"\r\n--x--\r\n")


@pytest.mark.parametrize("raw", [_single(b"utf\x00-8"), _single(b"\x00"), _in_multipart(b"ut\x00f8"), _in_multipart(b"\x00\xff")],
                         ids=["single part", "only a NUL", "in a multipart", "NUL and 8-bit"])
def test_a_nul_in_a_charset_is_read_as_utf8(raw: bytes, db: sqlite3.Connection) -> None:
    """The audit: 20 of 1,948 hostile messages raised ValueError (embedded null character), and stopped a campaign."""
    mail = check(raw, db)
    assert mail.full_text.strip() == "hello"
    assert mail.subject == "s"
    assert any("charset" in d for d in mail.defects), mail.defects


@pytest.mark.parametrize("charset", [b"punycode", b"idna", b"x-unknown", b"base64", b"undefined", b"encodings"])
def test_unknown_or_unusable_charsets_are_read_as_utf8_and_flagged(charset: bytes, db: sqlite3.Connection) -> None:
    for raw in (_single(charset, "grüße".encode()), _in_multipart(charset, "grüße".encode())):
        mail = check(raw, db)
        assert mail.full_text.strip() == "grüße"
        assert any(charset.decode() in d for d in mail.defects), mail.defects


def test_punycode_is_not_decoded_in_quadratic_time(db: sqlite3.Connection) -> None:
    """`b'abc' * 40_000 + b'-' + b'ba' * 40_000` takes 4 s to decode as punycode: such a charset is refused."""
    mail = check(_single(b"punycode", b"abc" * 40_000 + b"-" + b"ba" * 40_000), db)
    assert mail.full_text.startswith("abcabc")


@pytest.mark.parametrize("depth", [50, 500, 3000])
def test_deep_multiparts_are_read_to_a_bounded_depth(depth: int, db: sqlite3.Connection) -> None:
    """The standard parser recurses once per level: 3,000 levels raised RecursionError and lost every field."""
    for kinds in hostile_mail.DEEP_KINDS[:3]:
        raw = hostile_mail.deep_multipart(random.Random(0), depth, kinds=kinds, same=False)
        mail = check(raw, db)
        assert mail.subject == "Re: hi" and mail.message_id == "<deep@shop.test>"
        assert any("nested deeper than" in d for d in mail.defects), mail.defects


def test_a_text_part_within_the_depth_limit_is_still_read(db: sqlite3.Connection) -> None:
    mail = check(hostile_mail.deep_multipart(random.Random(1), 15, kinds=[b"multipart/mixed"], same=False), db)
    assert "the bottom" in mail.full_text
    assert not any("nested deeper than" in d for d in mail.defects)


def test_huge_html_is_turned_into_text_up_to_a_limit(db: sqlite3.Connection) -> None:
    """A 7 MB HTML reply took 5-14 s to parse; only its first 512 KiB are turned into text now, and the cut is said."""
    raw = (b"From: a@shop.test\r\nSubject: s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Thanks, we refund it.</p>"
           + b"<p>Hello <b>there</b> &amp; friends</p>\n" * 180_000)
    mail = check(raw, db)
    assert mail.text.startswith("Thanks, we refund it.")
    assert any(d.startswith("html truncated to 524288 characters") for d in mail.defects), mail.defects


@pytest.mark.parametrize("unit", ['<a href="', "<", "<!", "<p>x", "<div>", "x<br>"])
def test_hostile_html_reads_in_bounded_time(unit: str) -> None:
    """html.parser takes minutes on 256 KB of `<a href="` (its cost is quadratic); lexbor is quadratic in nested divs.
    The bound is the test's timeout: no timing is asserted."""
    text = html_to_text(unit * (2 * MB // len(unit)))
    assert isinstance(text, str)


def test_html_nested_past_the_parser_limit_is_flagged(db: sqlite3.Connection) -> None:
    mail = check(b"From: a@shop.test\r\nContent-Type: text/html\r\n\r\n<p>Top words.</p>" + b"<div>" * 5000 + b"deep", db)
    assert mail.text.startswith("Top words.")
    assert any("nested deeper than 256 elements" in d for d in mail.defects), mail.defects


@pytest.mark.parametrize("kind", hostile_mail.LARGE)
def test_30_mb_messages_are_parsed_in_part_and_the_cut_is_said(kind: str, db: sqlite3.Connection) -> None:
    """Every shape of 30 MB: the parser reads a bounded prefix (bench/fuzz_parse.py times it)."""
    mail = check(hostile_mail.large(kind), db)
    assert mail.subject == "big"
    assert any(d.startswith("message cut to its first") for d in mail.defects), mail.defects


def test_an_attachment_after_the_text_keeps_the_text(db: sqlite3.Connection) -> None:
    mail = check(hostile_mail.large("attachment"), db)
    assert mail.text == "See attached."


def test_8bit_header_bytes_are_read_as_utf8(db: sqlite3.Connection) -> None:
    raw = ("From: Jürgen Groß <j@shop.test>\r\nSubject: Grüße\r\nMessage-ID: <a\udcff@b>\r\n\r\nhi\r\n").encode("utf-8", "surrogateescape")
    mail = check(raw, db)
    assert (mail.from_name, mail.subject, mail.message_id) == ("Jürgen Groß", "Grüße", "<a\ufffd@b>")


@pytest.mark.parametrize("seed", range(20))
def test_non_utf8_header_bytes_are_stored(seed: int, db: sqlite3.Connection) -> None:
    check(hostile_mail.eight_bit_headers(random.Random(seed)), db)


@pytest.mark.parametrize("header", [b"Content-Type: text/plain (" + b"(" * 5000, b"From: " + b"(" * 5000, b"To: " + b"(" * 5000,
                                    b"MIME-Version: " + b"(a)" * 20_000, b"Content-Type: text/plain; " + b"a=b; " * 20_000])
def test_header_fields_the_stdlib_recurses_on_or_parses_slowly(header: bytes, db: sqlite3.Connection) -> None:
    """Nested comments made the header parsers recurse past Python's limit; 16 KiB of MIME-Version comments took 1 s."""
    mail = check(b"Subject: s\r\n" + header + b"\r\n\r\nbody\r\n", db)
    assert mail.subject == "s"
    assert mail.full_text.strip() == "body" or mail.defects


def test_huge_header_lines_are_cut(db: sqlite3.Connection) -> None:
    mail = check(hostile_mail.huge_header(random.Random(0), 3 * MB).replace(b"MIME-Version: 1.0\r\n", b"X-Junk: " + b"a" * MB + b"\r\n"), db)
    assert "returns within 30 days" in mail.text
    assert any("longer than 65536 characters" in d for d in mail.defects), mail.defects


def test_thousands_of_parts_are_read_within_the_structure_budget(db: sqlite3.Connection) -> None:
    mail = check(hostile_mail.many_parts(random.Random(0), 5000), db)
    assert mail.full_text.strip() == "0"
    assert any("MIME structure fields over" in d for d in mail.defects), mail.defects
    assert any("more than 1000 MIME parts" in d for d in mail.defects), mail.defects


def test_the_parser_stops_at_the_part_limit_keeping_the_parts_before(db: sqlite3.Connection) -> None:
    """33,000 parts with no headers cost the standard parser 0.5 s (15 µs a part) whatever they hold."""
    raw = (b"From: a@shop.test\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n"
           b"--p\r\nContent-Type: text/plain\r\n\r\nthe text\r\n" + b"--p\r\n\r\nx\r\n" * 33_000 + b"--p--\r\n")
    mail = check(raw, db)
    assert (mail.subject, mail.full_text.strip()) == ("s", "the text")
    assert any("more than 1000 MIME parts" in d for d in mail.defects), mail.defects


@pytest.mark.parametrize("body", [b"SGVsbG8gd29ybGQ", b"SGVs!!bG8=====\r\n", b"\xff\xfe\x00"])
def test_bad_base64_keeps_what_decodes(body: bytes, db: sqlite3.Connection) -> None:
    raw = b"From: a@shop.test\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n"
    assert check(raw, db).defects


def test_bad_quoted_printable_is_read(db: sqlite3.Connection) -> None:
    raw = b"From: a@shop.test\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nA=ZZ=\r\nB=E2=80"
    assert check(raw, db).full_text.startswith("A=ZZB")


@pytest.mark.parametrize("seed", range(12))
def test_odd_boundaries(seed: int, db: sqlite3.Connection) -> None:
    check(hostile_mail.odd_boundaries(random.Random(seed)), db)


def test_ordinary_mail_has_no_defects(db: sqlite3.Connection) -> None:
    mail = check(BASE_REPLY, db)
    assert mail.defects == []
    assert mail.text == "Hi Ann, yes: returns within 30 days are free. — Bo"


def test_a_stored_row_with_unreadable_defects_is_read_back(db: sqlite3.Connection) -> None:
    row = stored_fields(parse_mail(BASE_REPLY))
    row["defects"] = "not json ["
    assert from_stored(row).defects[0].startswith("stored defects unreadable")
