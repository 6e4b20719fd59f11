"""Message kinds (scoring/classify.py) on realistic mail, and what scoring makes of them: bounces make a probe
undeliverable, out-of-office replies acknowledge nothing, stalling as a customer means it, promised reply times."""

from __future__ import annotations

import json
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from mysteryshop.collect.parse import from_stored, parse_mail, stored_fields
from mysteryshop.journey import load_journey
from mysteryshop.scorecard.entries import probe_entry
from mysteryshop.scorecard.rebuild import StoredProbe
from mysteryshop.scoring.classify import read_kind
from mysteryshop.scoring.expectations import FAILED, PASSED, evaluate
from mysteryshop.scoring.metrics import probe_metrics
from mysteryshop.scoring.promise_check import BROKEN, KEPT, OPEN, judge_promises
from mysteryshop.scoring.stalling import stalled
from mysteryshop.scoring.timeline import Action, Reply, Timeline

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "tests/quality/kinds_dev"
SECOND = 10**9
HOUR = 3600 * SECOND


def _labels() -> dict[str, dict[str, str]]:
    return dict(YAML(typ="safe").load((DEV / "labels.yaml").read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(_labels()))
def test_each_dev_message_gets_its_kind(name: str) -> None:
    reading = read_kind(parse_mail((DEV / name).read_bytes()))
    assert reading.kind == _labels()[name]["kind"], reading.evidence
    assert reading.evidence and all(isinstance(e, str) and e for e in reading.evidence)


def mail(body: str, subject: str = "Re: Where is my order?", sender: str = "Support <support@shop.example>",
         html: str | None = None, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "ann@probe.example"
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


def kind_of(raw: bytes) -> str:
    return read_kind(parse_mail(raw)).kind


# Wordings other than the fixtures', as real desks and servers write them.
@pytest.mark.parametrize(("raw", "kind"), [
    # bounces: Exchange, sendmail, a hosted service in Spanish; and what is not one
    (mail("Delivery has failed to these recipients or groups:\n\nhelp@shop.example\nThe email address you entered couldn't be found.",
          "Undeliverable: Where is my order?", "Microsoft Outlook <postmaster@shop.example>"), "bounce"),
    (mail("----- The following addresses had permanent fatal errors -----\n<help@shop.example>\n    (reason: 550 5.1.1 User unknown)",
          "Returned mail: see transcript for details", "Mail Delivery Subsystem <MAILER-DAEMON@relay.example>"), "bounce"),
    (mail("El mensaje no se pudo entregar a help@shop.example. El destinatario no existe.", "Mensaje no entregado",
          "postmaster@correo.example"), "bounce"),
    (mail("Delivery incomplete. There was a temporary problem delivering your message to help@shop.example. "
          "Gmail will retry for 46 more hours. You'll be notified if the delivery fails permanently.",
          "Delivery Status Notification (Delay)", "Mail Delivery Subsystem <mailer-daemon@googlemail.com>"), "other"),
    (mail("Your parcel could not be delivered yesterday because nobody was home. We will try again tomorrow between 9 and 12.",
          "Re: Where is my order?", "Anna <anna@shop.example>"), "answer"),
    # out of office, with and without headers, four languages
    (mail("I'm on annual leave until 12 November and will reply when I'm back.", "Out of Office: Where is my order?",
          "Ben <ben@shop.example>", Auto_Submitted="auto-replied"), "out_of_office"),
    (mail("Hi, thanks for your mail. I am currently away from the office with limited access to email. I will be back on Monday."),
     "out_of_office"),
    (mail("Ich bin vom 3. bis 14. November im Urlaub. Ihre Nachricht wird nicht weitergeleitet.", "Automatische Antwort: Bestellung",
          X_Autoreply="yes"), "out_of_office"),
    (mail("Bonjour, je suis en congés jusqu'au 20 novembre. Je traiterai votre message à mon retour.", "Absence"), "out_of_office"),
    (mail("Gracias por tu mensaje. Me encuentro fuera de la oficina y volveré el lunes 16.", "Respuesta automática: pedido",
          Auto_Submitted="auto-replied"), "out_of_office"),
    # acknowledgements, automatic and by a person, no auto headers
    (mail("Hello,\n\nThis is to confirm that your support request has been logged with reference CS-883211. "
          "One of our advisors will be in touch within 2 working days.\n\nCustomer Care"), "acknowledgement"),
    (mail("Hallo,\n\nwir haben Ihre E-Mail erhalten und kümmern uns so schnell wie möglich darum.\n\nIhr Service-Team"), "acknowledgement"),
    (mail("Bonjour,\n\nVotre message a bien été pris en compte. Un conseiller vous répondra sous 48h.\n\nLe service client"), "acknowledgement"),
    (mail("Hola,\n\nTu solicitud ha sido registrada con el número 77120. Te responderemos lo antes posible.\n\nSoporte"), "acknowledgement"),
    (mail("Hi Ann,\n\nI've forwarded your question to our logistics team; they will get back to you shortly.\n\nBest,\nJoe"),
     "acknowledgement"),
    # answers, including one that starts by acknowledging
    (mail("Hi Ann,\n\nthanks for reaching out! Your order left our warehouse on Monday and the tracking number is 1Z999AA10123456784; "
          "it should be with you on Thursday.\n\nBest,\nJoe"), "answer"),
    (mail("Guten Tag,\n\nSie können den Artikel innerhalb von 30 Tagen kostenlos zurücksenden. Das Etikett finden Sie in Ihrem Kundenkonto.\n\nGruß\nMia"),
     "answer"),
    # surveys and marketing
    (mail("Hi Ann,\n\nHow did we do? Please rate your recent conversation with Joe: Great / Okay / Not good", "Rate your support experience"),
     "survey"),
    (mail("Bonjour,\n\nSur une échelle de 0 à 10, quelle est la probabilité que vous recommandiez notre boutique à un proche ?",
          "Votre avis"), "survey"),
    (mail("New arrivals are in! Take 25% off your next order with code NEW25. Shop now.", "Just landed: the spring collection",
          "Shop <news@shop.example>", List_Unsubscribe="<https://shop.example/u>"), "marketing"),
])
def test_kinds_in_other_wordings(raw: bytes, kind: str) -> None:
    reading = read_kind(parse_mail(raw))
    assert reading.kind == kind, reading.evidence


def test_an_answer_with_a_feedback_line_or_an_upsell_footer_is_still_an_answer() -> None:
    body = ("Hi Ann,\n\nyes, opened items can be returned within 30 days and the return label is free; you will find it on your order page.\n"
            "Was this answer helpful? Let us know how we did.\n\nKind regards,\nJoe\n\nP.S. Members get 10% off: use code MEMBER10 at checkout.")
    assert kind_of(mail(body, In_Reply_To="<q1@probe.example>")) == "answer"


# Bad input: never an exception, `other` or the best kind, with a reason
def test_bad_input_gets_a_kind_and_a_reason() -> None:
    malformed_dsn = (b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
                     b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"zz\"\r\n\r\n"
                     b"--zz\r\nContent-Type: message/delivery-status\r\n\r\nAction failed no colon\r\n\x00\xff\r\n--zz")
    no_text = (b"From: s@shop.example\r\nSubject: Re: q\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
               b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--b--\r\n")
    lying_charset = ("From: s@shop.example\r\nSubject: Re: q\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
                     "Wir haben Ihre Anfrage erhalten und melden uns innerhalb von 48 Stunden. Grüße").encode("latin-1")
    newsletter = (b"From: news@shop.example\r\nSubject: Big sale\r\nList-Unsubscribe: <https://x/u>\r\nContent-Type: text/html\r\n\r\n"
                  + b"<html><body>" + b"<div><p>Winter sale: 40% off, use code SNOW. Shop now.</p></div>" * 80_000 + b"</body></html>")
    assert len(newsletter) > 5_000_000
    found = {name: read_kind(parse_mail(raw)) for name, raw in
             {"dsn": malformed_dsn, "no_text": no_text, "charset": lying_charset, "newsletter": newsletter}.items()}
    assert found["dsn"].kind == "bounce"  # the words of the mail server still say so
    assert found["no_text"].kind == "other" and "no text" in found["no_text"].evidence[0]
    assert found["charset"].kind == "acknowledgement"
    assert found["newsletter"].kind == "marketing"


def test_kinds_survey_the_store_round_trip() -> None:
    """What is kept beside the raw message is enough to tell the kind again without parsing it."""
    for name in sorted(_labels()):
        parsed = parse_mail((DEV / name).read_bytes())
        row = stored_fields(parsed)
        row["defects"] = json.dumps(row["defects"])
        assert read_kind(from_stored(row)).kind == read_kind(parsed).kind, name


# Scoring effects
def _timeline(*replies: tuple[float, bytes]) -> Timeline:
    timeline = Timeline(actions={"ask": Action("ask", 0, "", "Can I return my jacket?")}, persona={"first_name": "Ann", "full_name": "Ann Lee"})
    for index, (hours, raw) in enumerate(replies):
        timeline.replies.append(Reply.of(int(hours * HOUR), f"2026-11-03T{9 + int(hours):02d}:00:00.000Z", parse_mail(raw), index + 1))
    return timeline


JOURNEY = ROOT / "journeys/email_question.yaml"
AUTO_ACK = mail("Thank you for contacting us. We have received your request (ticket 4411) and will reply within 24 hours.",
                Auto_Submitted="auto-replied")
ANSWER = mail("Hi Ann,\n\nyes: opened items can be returned within 30 days, and return shipping is free with the prepaid return label.\n\nJoe")
PERSON_DEFERS = mail("Hi Ann,\n\nthanks for your email, I have passed this to our returns team and they will get back to you soon.\n\nJoe")
OOO = mail("I am out of the office until Monday with no access to email.", "Automatic reply: Returning an item",
           Auto_Submitted="auto-replied")


def test_an_out_of_office_reply_is_neither_acknowledgement_nor_answer() -> None:
    outcomes = {o.step: o for o in evaluate(load_journey(JOURNEY), _timeline((0.001, OOO)), now_ns=HOUR, finished=True)}
    assert outcomes["acknowledged"].status == FAILED and outcomes["acknowledged"].reason.startswith("no acknowledgement")
    assert outcomes["answered"].status == FAILED and outcomes["answered"].reason.startswith("no answer")


def test_an_automatic_acknowledgement_followed_by_an_answer_is_not_stalling() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((0.001, AUTO_ACK), (2, ANSWER))
    outcomes = evaluate(journey, timeline, now_ns=30 * HOUR, finished=True)
    assert {o.step: o.status for o in outcomes}["acknowledged"] == PASSED
    assert stalled(timeline, outcomes, finished=True) is None
    assert probe_metrics(journey, timeline, outcomes).stalling is False


def test_an_automatic_deferral_is_stalling_when_it_is_all_the_customer_got_by_the_deadline() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((0.001, AUTO_ACK), (30, ANSWER))  # the answer came after the 24h deadline
    outcomes = evaluate(journey, timeline, now_ns=31 * HOUR, finished=True)
    found = stalled(timeline, outcomes, finished=True)
    assert found is not None and "deadline of 'answered'" in found.reason
    assert probe_metrics(journey, timeline, outcomes).stalling is True


def test_a_persons_deferral_without_substance_is_stalling_even_when_an_answer_follows() -> None:
    journey = load_journey(JOURNEY)
    timeline = _timeline((1, PERSON_DEFERS), (2, ANSWER))
    reply = timeline.replies[0]
    assert reply.kind == "acknowledgement" and not reply.automatic and reply.stalling
    outcomes = evaluate(journey, timeline, now_ns=30 * HOUR, finished=True)
    found = stalled(timeline, outcomes, finished=True)
    assert found is not None and found.reason.startswith("a person's reply")
    assert probe_metrics(journey, timeline, outcomes).stalling is True


def test_a_promised_reply_time_is_kept_or_broken_with_both_quotes() -> None:
    kept = judge_promises(_timeline((0.001, AUTO_ACK), (2, ANSWER)), now_ns=30 * HOUR)
    assert [v.status for v in kept] == [KEPT]
    assert "within 24 hours" in kept[0].promise.quote and "30 days" in (kept[0].answer_quote or "")
    assert kept[0].promise.amount == 24 and kept[0].promise.unit == "hours"
    late = judge_promises(_timeline((0.001, AUTO_ACK), (30, ANSWER)), now_ns=31 * HOUR)
    assert [v.status for v in late] == [BROKEN] and late[0].reason.startswith('promised "within 24 hours": broken, answered only after')
    never = judge_promises(_timeline((0.001, AUTO_ACK)), now_ns=25 * HOUR)
    assert [v.status for v in never] == [BROKEN] and never[0].answer_quote is None
    assert [v.status for v in judge_promises(_timeline((0.001, AUTO_ACK)), now_ns=HOUR)] == [OPEN]


@pytest.mark.parametrize(("text", "amount", "unit"), [
    ("Wir melden uns innerhalb von 48 Stunden bei Ihnen.", 48, "hours"),
    ("Wir werden Ihre Anfrage innerhalb von 2 Werktagen beantworten.", 2, "business_days"),
    ("Nous vous répondrons sous 48 heures.", 48, "hours"),
    ("Te responderemos en un plazo de 3 días hábiles.", 3, "business_days"),
    ("Please allow 24-48 hours for a response.", 48, "hours"),
    ("An agent will get back to you within one business day.", 1, "business_days"),
])
def test_promises_in_four_languages(text: str, amount: int, unit: str) -> None:
    reading = read_kind(parse_mail(mail(f"Thank you for your message. {text}", Auto_Submitted="auto-replied")))
    assert reading.kind == "acknowledgement"
    assert reading.promise is not None and (reading.promise.amount, reading.promise.unit) == (amount, unit)


BOUNCE = (DEV / "bounce_gmail_en.eml").read_bytes()


def _stored(timeline: Timeline) -> StoredProbe:
    return StoredProbe("p1", "email_question", "acme", {"full_name": "Ann Lee", "email": "ann@probe.example"}, "finished", None,
                       timeline, finished_ns=40 * HOUR, late_replies=0)


def test_a_bounce_marks_the_probe_undeliverable_and_ungraded() -> None:
    journey = load_journey(JOURNEY)
    entry = probe_entry(_stored(_timeline((0.001, BOUNCE))), journey, 1.0, quality=False)
    assert entry["status"] == "undeliverable" and entry["problem"] == "undeliverable"
    assert "Action: failed" in entry["undeliverable"]["evidence"][0]
    # a bounce beside the company's own replies (a copy to a dead address) is just a message
    answered = probe_entry(_stored(_timeline((0.001, BOUNCE), (2, ANSWER))), journey, 1.0, quality=False)
    assert answered["status"] != "undeliverable" and answered["undeliverable"] is None


def test_the_scorecard_entry_carries_promises_and_stalling() -> None:
    entry = probe_entry(_stored(_timeline((0.001, AUTO_ACK), (30, ANSWER))), load_journey(JOURNEY), 1.0, quality=False)
    assert entry["promises"][0]["status"] == BROKEN and "24 hours" in entry["promises"][0]["promise_quote"]
    assert entry["stalling"] is not None and "24 hours" in entry["stalling"]["quote"]


def test_cli_classify_prints_kind_language_and_evidence(tmp_path: Path) -> None:
    files = [str(DEV / "ack_de_noheaders.eml"), str(DEV / "bounce_qmail_en.eml"), str(DEV / "ooo_es.eml")]
    run = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "quality", "classify", "--json", *files],
                         capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(Path(r["file"]).name, r["kind"], r["language"]) for r in rows] == [
        ("ack_de_noheaders.eml", "acknowledgement", "de"), ("bounce_qmail_en.eml", "bounce", "en"), ("ooo_es.eml", "out_of_office", "es")]
    assert all(r["evidence"] for r in rows)
    text = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "quality", "classify", files[0], str(tmp_path / "missing.eml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert text.returncode == 2 and "missing.eml" in text.stderr
    assert text.stdout.startswith(f"{files[0]}: acknowledgement (language de)")


def test_cli_eval_reports_precision_and_recall_per_kind_and_split(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "quality", "eval", "--kinds-only", "--kinds", str(DEV), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    splits = json.loads(run.stdout)["kinds"]["splits"]
    assert set(splits) == {"dev"}
    assert splits["dev"]["kinds"]["bounce"]["recall"] == 1.0 and splits["dev"]["kinds"]["bounce"]["n"] == 6
    bad = tmp_path / "labels.yaml"
    bad.write_text("x.eml: {kind: bounce, split: train}\n", encoding="utf-8")
    broken = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "quality", "eval", "--kinds-only", "--kinds", str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert broken.returncode == 2 and "labels.yaml:1: x.eml: no such file" in broken.stderr


def test_the_word_start_split_of_the_cues_finds_what_the_plain_alternation_finds() -> None:
    """kind_words puts cues that start a word behind a \\b (twice as fast); every cue still finds what it found."""
    import re

    from mysteryshop.quality.text import fold
    from mysteryshop.scoring.kind_words import kind_words

    data = YAML(typ="safe").load((ROOT / "mysteryshop/scoring/kinds.yaml").read_text(encoding="utf-8"))
    texts = [fold(parse_mail((DEV / name).read_bytes()).full_text) for name in sorted(_labels())]
    texts += ["-40 % sur tout", "ticket [#NW-1234] opened", "(a) we'll get back to you", "état: 12. nov"]
    words = kind_words()
    for group, by_language in data.items():
        if group in ("stopwords", "promise"):
            continue
        plain = re.compile("|".join(f"(?:{cue})" for cues in by_language.values() for cue in cues), re.MULTILINE)
        for text in texts:
            assert {m.start() for m in plain.finditer(text) if m.end() > m.start()} <= {c.start for c in words[group].all(text)} | {
                m.start() for m in plain.finditer(text) if any(c.start <= m.start() < c.end for c in words[group].all(text))}, (group, text[:80])
            assert (plain.search(text) is None) == (words[group].first(text) is None), (group, text[:80])
