"""Pure pieces: durations, personas, profiles, message classification, expectations."""

from __future__ import annotations

import random

import re

import pytest

from mysteryshop.collect.correlate import Correlator
from mysteryshop.demo.profile import get_profile, plan_replies
from mysteryshop.durations import format_duration, parse_duration
from mysteryshop.journey import load_journey
from mysteryshop.mail import compose
from mysteryshop.collect.parse import parse_mail
from mysteryshop.persona import _address_tag, make_persona
from mysteryshop.scoring.classify import classify
from mysteryshop.scoring.expectations import FAILED, PASSED, PENDING, evaluate
from mysteryshop.scoring.timeline import Action, Reply, Timeline

from .conftest import ROOT

SECOND = 10**9


@pytest.mark.parametrize(("text", "ns"), [("90s", 90 * SECOND), ("15m", 900 * SECOND), ("1h30m", 5400 * SECOND), ("500ms", SECOND // 2), (2, 2 * SECOND)])
def test_durations_parse(text: str | int, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text", ["", "15 minutes", "m15", "-5s", "1h x"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_format_duration_reads_well() -> None:
    assert [format_duration(n * SECOND) for n in (0.25, 12.4, 840, 12000, 180000)] == ["250ms", "12.4s", "14m", "3h 20m", "2d 2h"]


def test_personas_are_seeded_and_unique() -> None:
    first = [make_persona(7, i) for i in range(20)]
    again = [make_persona(7, i) for i in range(20)]
    assert first == again
    assert len({p.email for p in first}) == 20
    assert all(p.email.endswith("@probe.mysteryshop.test") and p.order_id.startswith("ORD-") and p.phone for p in first)
    assert make_persona(8, 0) != first[0]


def test_personas_follow_the_locale() -> None:
    german = make_persona(1, 0, locale="de_DE")
    assert german.locale == "de_DE"
    assert german.email.isascii()


@pytest.mark.parametrize("locale", ["ja_JP", "zh_CN", "ru_RU", "el_GR", "ar_AA", "he_IL", "ko_KR", "hi_IN", "th_TH"])
def test_personas_of_any_script_get_a_readable_ascii_address(locale: str) -> None:
    people = [make_persona(3, i, locale=locale, run_tag="t") for i in range(50)]
    for p in people:
        local = p.email.split("@")[0]
        assert p.email.isascii() and "shopper" not in local, p
        assert re.fullmatch(r"[a-z0-9]+\.[a-z0-9]+\.[0-9a-f]{6}", local), p.email
    assert len({p.email for p in people}) == 50


def test_address_tags_never_collide_within_a_run() -> None:
    tags = {_address_tag(i, "seed:en_US:journey:target:run") for i in range(100_000)}
    assert len(tags) == 100_000


def test_the_same_seed_gives_the_same_demo_behaviour() -> None:
    profile = get_profile("typical")
    plans = [plan_replies(profile, random.Random(f"1:{i}")) for i in range(200)]
    assert plans == [plan_replies(profile, random.Random(f"1:{i}")) for i in range(200)]
    acknowledged = sum(any(r.kind == "acknowledgement" for r in plan) for plan in plans) / 200
    answered = sum(any(r.kind == "answer" for r in plan) for plan in plans) / 200
    # typical mirrors the published figures: 10% acknowledge, 38% answer (binomial, n=200: ±3 sigma)
    assert 0.10 - 0.07 <= acknowledged <= 0.10 + 0.07
    assert 0.38 - 0.11 <= answered <= 0.38 + 0.11


def _mail(body: str, **headers: str) -> Reply:
    message = compose(sender="support@northwind.demo", to="x@probe.mysteryshop.test", subject="Re: q", body=body, domain="northwind.demo", headers=headers)
    return Reply.of(0, "", parse_mail(message.as_bytes()))


def test_classify_reads_content_and_headers() -> None:
    assert classify(_mail("We have received your message.", **{"Auto-Submitted": "auto-replied"}).mail) == "acknowledgement"
    assert classify(_mail("Thank you for your email. Please allow 24-48 hours for a response.").mail) == "acknowledgement"
    assert classify(_mail("Opened items can be returned within 30 days.").mail) == "answer"
    assert classify(_mail("Was your issue resolved? How satisfied were you?").mail) == "survey"
    assert classify(_mail("Big sale: 40% off!", **{"List-Unsubscribe": "<https://x/u>"}).mail) == "marketing"


def test_precedence_bulk_alone_is_not_marketing_in_a_thread_or_an_auto_reply() -> None:
    """Ticket systems (Roundup on every mail it sends) mark notifications `Precedence: bulk` to keep
    auto-responders quiet: an agent's answer in the thread and an auto-acknowledgement stay what they are.
    A List-Unsubscribe header alone does not make an answer in the thread marketing either (help desks send
    through mailing services too): what sells is words of selling."""
    bulk = {"Precedence": "bulk"}
    answer = "Sam Carter added the comment: you can return it within 30 days, and return shipping is free."
    assert classify(_mail(answer, **bulk, **{"In-Reply-To": "<probe.1@probe.mysteryshop.test>"}).mail) == "answer"
    assert classify(_mail("New submission from Jane. We have received your request.", **bulk, **{"Auto-Submitted": "auto-replied"}).mail) == "acknowledgement"
    assert classify(_mail("Our news this week: new arrivals and 20% off rain jackets. Shop now!", **bulk).mail) == "marketing"
    assert classify(_mail(answer, **{"List-Unsubscribe": "<https://x/u>", "In-Reply-To": "<probe.1@probe.mysteryshop.test>"}).mail) == "answer"


def test_classify_ignores_case() -> None:
    from mysteryshop.demo.company import Customer, letter

    customer = Customer(address="ann@probe.test", name="Ann Lee", order_id="ORD-123", text="Where is ORD-123?")
    texts = [
        letter(kind, quality, customer, ticket="NW-123456", personal=personal)
        for kind in ("acknowledgement", "answer", "followup", "marketing") for quality in ("good", "wrong", "stalling") for personal in (True, False)
    ] + ["Big SALE: 40% OFF, use code RAIN at our Newsletter", "WE HAVE RECEIVED YOUR MESSAGE", "Due To High Volumes, Please Allow 3-5 Business Days",
         "How Satisfied were you? Did We Help?", "Ticket #NW-1 has been Opened"]
    for text in set(texts):
        kind = classify(_mail(text).mail)
        for variant in (text.upper(), text.title(), text.swapcase()):
            assert classify(_mail(variant).mail) == kind, (variant, kind)
    # lower-casing is not IGNORECASE beyond ASCII: a Turkish capital İ lower-cases to two characters, ı stays ı
    assert classify(_mail("THANK YOU FOR CONTACTİNG NORTHWIND. YOUR TİCKET NW-1 HAS BEEN OPENED.").mail) == "acknowledgement"
    assert classify(_mail("İS THERE ANYTHİNG ELSE WE CAN HELP WİTH? HOW DİD WE DO?").mail) == "survey"
    assert classify(_mail("Thank you for contactıng us.").mail) == "acknowledgement"
    assert classify(_mail("WE HAVE RECEIVED YOUR MESSAGE.", **{"Auto-Submitted": "no"}).mail) == "acknowledgement"
    assert classify(_mail("HOW SATISFIED WERE YOU WITH OUR HELP?").mail) == "survey"
    assert classify(_mail("BIG SALE THIS WEEK ONLY, 40% OFF").mail) == "marketing"


def test_quoted_customer_text_is_not_the_company_answer() -> None:
    body = "Thanks for writing.\n\nOn Monday, Ann wrote:\n> Is it 30 days with free return shipping?\n"
    reply = _mail(body)
    assert "30 days" not in reply.mail.text
    assert "30 days" in reply.mail.full_text


def test_html_only_mail_is_read_as_text() -> None:
    raw = (
        b"From: support@northwind.demo\r\nTo: x@probe.mysteryshop.test\r\nSubject: Re: q\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>You can return it within <b>30 days</b>.</p>"
        b"<blockquote>Can I return it?</blockquote><script>alert(1)</script></body></html>\r\n"
    )
    mail = parse_mail(raw)
    assert mail.text == "You can return it within 30 days."
    assert mail.html is not None and not mail.malformed


@pytest.mark.parametrize("subject", [
    "Question about order ORD-1",
    "Re: Question about order ORD-1 [#NW-123456]",
    "two  spaces, a\ttab and a trailing space ",
    "a subject long enough that compat32 has to fold it across two lines because it runs past the limit",
    "Frage zur Bestellung Größe 42",
    "=?utf-8?q?already_encoded?=",
    "",
])
def test_composed_headers_are_written_as_compat32_writes_them(subject: str) -> None:
    from email import policy
    from email.message import Message
    from email.parser import BytesParser
    from email.policy import compat32

    body = "Größe 42, please.\nSecond line\r\n" * 5
    message = compose(sender=("Zoë Ångström", "zoe@probe.mysteryshop.test"), to="support@northwind.demo", subject=subject, body=body, domain="probe.mysteryshop.test", in_reply_to="<a@b>")
    assert message.as_bytes() == message.as_bytes(policy=compat32.clone(linesep="\r\n"))
    reference = Message()  # the same headers and payload, every header folded by the stdlib's compat32
    for name, value in message.items():
        reference[name] = value
    reference.set_payload(message.get_payload())
    assert message.as_bytes() == reference.as_bytes(policy=compat32.clone(linesep="\r\n"))
    read = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    assert read.get_content().replace("\r\n", "\n") == body.replace("\r\n", "\n")  # CRLF on the wire
    if "=?" not in subject:  # a literal encoded word is decoded by any reader
        assert parse_mail(message.as_bytes()).subject == subject


@pytest.mark.parametrize(("body", "encoding"), [
    ("Hello, where is my order?\n\nThanks,\nSam Lee", "7bit"),
    ("Hallo, wo ist meine Bestellung? Größe 42, für Zoë Ångström.\n.\nDanke  ", "quoted-printable"),
    ("x" * 1200 + "\nan ASCII line longer than SMTP allows", "quoted-printable"),
    ("Здравствуйте! Где мой заказ? Спасибо.", "base64"),
    ("ご注文の商品はいつ届きますか", "base64"),
])
def test_composed_mail_is_headed_and_encoded_as_a_mail_client_does(body: str, encoding: str) -> None:
    import time
    from email import policy
    from email.parser import BytesParser
    from email.utils import parsedate_to_datetime

    before = time.time()
    raw = compose(sender=("Sam Lee", "sam.lee.1a2b3c@probe.example.com"), to="support@northwind.demo", subject="Order",
                  body=body, domain="probe.example.com").as_bytes()
    read = BytesParser(policy=policy.default).parsebytes(raw)
    assert [name for name, _ in read.items()][:3] == ["Message-ID", "Date", "MIME-Version"]
    date = parsedate_to_datetime(read["Date"])
    assert date.tzinfo is not None and int(before) <= date.timestamp() <= time.time() + 1  # RFC 5322, with the local offset
    assert read["Message-ID"].endswith("@probe.example.com>")
    assert b"\r\nContent-Type: text/plain; charset=UTF-8\r\n" in raw
    assert read["Content-Transfer-Encoding"] == encoding
    assert read.get_content().replace("\r\n", "\n") == body + "\n"  # the last line ends, as SMTP needs
    assert raw.isascii() and max(map(len, raw.split(b"\r\n"))) <= 998


@pytest.mark.parametrize("subject", [
    b"Re: Question about order ORD-1 [#NW-123456]", b"two  spaces", b"tab\there", b" leading", b"trailing ",
    b"folded across\r\n two lines", b"x\r\n\ty", b'quotes "a" (paren) <angle> back\\slash', b"", b"=?utf-8?q?encoded_word?=",
    b"a=?b", b"=?iso-8859-1?q?caf=E9?= au lait", "Größe 42".encode(), b"ctrl\x01char",
])
def test_a_subject_reads_as_policy_default_decodes_it(subject: bytes) -> None:
    from email import policy
    from email.parser import BytesParser

    raw = b"From: a@probe.test\r\nSubject: " + subject + b"\r\n\r\nbody\r\n"
    assert parse_mail(raw).subject == str(BytesParser(policy=policy.default).parsebytes(raw)["Subject"])


def test_the_senders_name_and_reply_address_are_read_decoded() -> None:
    message = compose(sender=("Zoë Ångström", "zoe@probe.mysteryshop.test"), to="support@northwind.demo", subject="s", body="b",
                      domain="probe.mysteryshop.test", headers={"Reply-To": "Zoe <zoe.replies@probe.mysteryshop.test>"})
    mail = parse_mail(message.as_bytes())
    assert (mail.from_name, mail.from_addr, mail.reply_to) == ("Zoë Ångström", "zoe@probe.mysteryshop.test", "zoe.replies@probe.mysteryshop.test")
    plain = parse_mail(b"From: Sam Lee <sam@probe.test>\r\nSubject: s\r\n\r\nb\r\n")
    assert (plain.from_name, plain.reply_to, plain.malformed) == ("Sam Lee", None, False)


def test_correlation_order_is_recipient_then_thread_then_ticket() -> None:
    c = Correlator()
    c.add_probe("a", "ann@probe.test")
    c.add_probe("b", "bob@probe.test")
    c.add_sent("b", "<m1@probe.test>")
    c.add_ticket("b", "NW-1")
    assert c.match(["ANN@probe.test"], ["<m1@probe.test>"], "NW-1") == ("a", "recipient")
    assert c.match(["other@probe.test"], ["<m0@x>", "<m1@probe.test>"], None) == ("b", "thread")
    assert c.match(["other@probe.test"], [], "NW-1") == ("b", "ticket")
    assert c.match(["other@probe.test"], [], "NW-2") == (None, None)


ANN = {"first_name": "Ann", "last_name": "Lee", "full_name": "Ann Lee", "order_id": "ORD-123456"}


def _timeline(*replies: tuple[float, str, dict[str, str]]) -> Timeline:
    timeline = Timeline(actions={"ask": Action("ask", 0, "")}, persona=dict(ANN))
    for seconds, body, headers in replies:
        message = compose(sender="s@northwind.demo", to="x@probe.test", subject="Re: q", body=body, domain="northwind.demo", headers=headers)
        timeline.replies.append(Reply.of(int(seconds * SECOND), f"t+{seconds}", parse_mail(message.as_bytes())))
    return timeline


JOURNEY = ROOT / "journeys/email_question.yaml"
GOOD = "Hi Ann,\n\nyes: within 30 days, and return shipping is free."


def test_expectations_pass_with_evidence_and_company_time() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline(
        (0.01, "We have received your message.", {"Auto-Submitted": "auto-replied"}),
        (1.0, GOOD, {}),
        (10.0, "Was your issue resolved? How satisfied were you?", {}),
    )
    outcomes = {o.step: o for o in evaluate(journey, timeline, now_ns=11 * SECOND, speedup=14400)}
    assert {k: o.status for k, o in outcomes.items()} == {"acknowledged": PASSED, "answered": PASSED, "followed_up": PASSED, "no_marketing": PASSED}
    assert outcomes["answered"].latency_ns == 14400 * SECOND  # one wall second is four company hours
    assert "30 days" in outcomes["answered"].evidence.quote


def test_expectations_fail_with_a_reason_naming_the_deadline() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((1.0, "Opened items can be returned within 14 days; shipping costs $7.95.", {}))
    outcomes = {o.step: o for o in evaluate(journey, timeline, now_ns=20 * SECOND, speedup=14400)}
    assert outcomes["acknowledged"].status == FAILED
    assert outcomes["acknowledged"].reason == "acknowledged only after 4h, deadline 15m"
    assert outcomes["answered"].status == FAILED
    assert "does not state: '30 days', 'free return shipping'" in outcomes["answered"].reason


def test_expectations_stay_pending_until_their_deadline() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((0.01, "We have received your message.", {"Auto-Submitted": "auto-replied"}))
    outcomes = {o.step: o.status for o in evaluate(journey, timeline, now_ns=SECOND, speedup=14400)}
    assert outcomes == {"acknowledged": PASSED, "answered": PENDING, "followed_up": PENDING, "no_marketing": PENDING}


def test_marketing_while_the_issue_is_open_fails_at_once() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((0.5, "BLACK FRIDAY 40% off", {"List-Unsubscribe": "<https://x>"}))
    outcomes = {o.step: o for o in evaluate(journey, timeline, now_ns=SECOND, speedup=14400)}
    assert outcomes["no_marketing"].status == FAILED
    assert outcomes["no_marketing"].reason.startswith("sent marketing 2h after the customer wrote")


def test_quality_criteria_on_an_expectation_fail_it_with_the_evidence() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline(
        (0.01, "We have received your message.", {"Auto-Submitted": "auto-replied"}),
        (1.0, "Dear customer,\n\nYes: within 30 days, and return shipping is free.", {}),
    )
    timeline.action_log.append(Action("ask", 0, "", "Can I return my jacket from order ORD-123456?"))
    outcomes = {o.step: o for o in evaluate(journey, timeline, now_ns=20 * SECOND, speedup=14400, finished=True)}
    answered = outcomes["answered"]
    assert answered.status == FAILED
    assert "fails its quality criteria: not 'personalized'" in answered.reason
    records = {r["criterion"]: r for r in answered.criteria}
    assert records["personalized"]["passed"] is False and records["personalized"]["engine"] == "rules"
    assert records["answers_question"]["passed"] is True


def test_quality_criteria_pass_a_personal_answer() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((1.0, "Hi Ann,\n\nThanks for asking about order ORD-123456. Yes: within 30 days, and return shipping is free.", {}))
    outcomes = {o.step: o for o in evaluate(journey, timeline, now_ns=20 * SECOND, speedup=14400, finished=True)}
    assert outcomes["answered"].status == PASSED


def test_the_desks_truth_file_holds_every_field_of_a_sent_record(tmp_path) -> None:
    import json
    from dataclasses import asdict

    from mysteryshop.demo.desk import GroundTruth, TruthRecord

    record = TruthRecord(
        kind="answer", quality="good", to="jane@probe.test", message_id="<m1@northwind.demo>", in_reply_to=None,
        ticket="NW-123456", received_ns=1, scheduled_ns=2, sent_ns=3, accepted_ns=4, error="SMTPDataError: (554, 'no')",
    )
    truth = GroundTruth(tmp_path / "truth.jsonl")
    truth.add_sent(record)
    truth.close()
    line = (tmp_path / "truth.jsonl").read_text(encoding="utf-8")
    assert line == json.dumps({"event": "sent", **asdict(record)}) + "\n"
    assert GroundTruth.read(tmp_path / "truth.jsonl").sent == [record]


@pytest.mark.parametrize("value", [
    "", "jane@probe.test", "Jane Doe <jane@probe.test>", "=?utf-8?q?Zo=C3=AB?= <zoe@probe.test>", "Jane Q. Doe <jane@probe.test>",
    '"Doe, Jane" <jane@probe.test>', "a@b.test, c@d.test", "Jane <jane@probe.test>, c@d.test", "jane", "<jane@probe.test>",
    "Jane Doe jane@probe.test", "jane@probe.test (Jane)", "Jane  Doe <jane@probe.test>", "Jane <a..b@probe.test>", "Jane <jane@[127.0.0.1]>",
])
def test_a_plain_address_header_is_read_as_getaddresses_reads_it(value: str) -> None:
    from email.utils import getaddresses

    from mysteryshop.collect.parse import read_addresses as _addresses

    assert _addresses(value) == getaddresses([value])


def test_every_address_header_the_fast_path_takes_is_read_as_getaddresses_reads_it() -> None:
    from email.utils import getaddresses

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mysteryshop.collect.parse import _PLAIN_MAILBOX, read_addresses as _addresses

    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(_PLAIN_MAILBOX, fullmatch=True))
    def check(value: str) -> None:
        assert _addresses(value) == getaddresses([value])

    check()


def test_test_ids_spell_every_name_in_ascii() -> None:
    from mysteryshop.plugin import _slug

    assert _slug("翼 中川") == "Yi_ZhongChuan"
    assert _slug("Klaus-Jürgen Fischer") == "Klaus_Jurgen_Fischer"
