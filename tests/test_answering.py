"""Answering the agent: a desk that asks back gets the persona's answer in the same thread, and the exchange is one
conversation on the scorecard; a detail the persona lacks it says it lacks; the LLM persona falls back to the rules."""

from __future__ import annotations

import email
import http.server
import json
import re
import threading
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path
from typing import ClassVar

import pytest

from mysteryshop.converse.asked import asked_for
from mysteryshop.converse.photo import is_png
from mysteryshop.demo.profile import get_profile
from mysteryshop.persona import make_persona
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import EngineThread
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.store import Store

from .conftest import PROBE_DOMAIN, free_port, profile, target_for, write_journey

SPEEDUP = 14400
RETURN = """\
title: Return a jacket, asked without the order number
answers: {engine: %(engine)s}
steps:
  - id: ask
    do: send_email
    subject: {en: "Returning a jacket", de: "Rückgabe einer Jacke"}
    body:
      en: "{greeting}\\n\\nI bought a rain jacket last week and it does not fit. Can I still return it?\\n\\n{signoff}"
      de: "{greeting}\\n\\nIch habe letzte Woche eine Regenjacke gekauft, sie passt nicht. Kann ich sie noch zurückgeben?\\n\\n{signoff}"
  - id: acknowledged
    expect: acknowledgement
    within: 12h
  - id: answered
    expect: answer
    within: 3d
    facts: {en: [["30 days"]], de: [["30 Tagen"]]}
"""


@pytest.mark.parametrize(("text", "asks"), [
    ("Hi Jane,\n\nSo that we can look into this, could you please reply with your\norder number?\n\nKind regards,\nMarta",
     [("order_id", "order number")]),
    ("Hallo,\n\nDamit wir das prüfen können, senden Sie uns bitte Ihre Bestellnummer und ein Foto.\n\nViele Grüße",
     [("order_id", "bestellnummer"), ("photo", "foto")]),
    ("Bonjour,\n\nPourriez-vous nous indiquer votre numéro de commande et votre adresse postale ?\n\nCordialement",
     [("order_id", "numero de commande"), ("address", "votre adresse")]),
    ("Hola,\n\n¿Podría indicarnos su número de pedido y su fecha de nacimiento?\n\nSaludos",
     [("order_id", "numero de pedido"), ("other", "fecha de nacimiento")]),
    ("What is the best phone number to reach you on?", [("phone", "phone number")]),
    ("Could you tell me your name and your order number?", [("name", "your name"), ("order_id", "order number")]),
    # no request, or a request for no detail: nothing to answer
    ("Hi Jane, thanks for getting in touch about order ORD-123456. Yes, you can return it within 30 days.", []),
    ("Dear customer,\n\nDue to high volumes, please allow 24-48 hours for a response.", []),
    ("Please check our FAQ page for an answer to your question.", []),
])
def test_what_a_company_asks_for_in_four_languages(text, asks):
    assert [(a.detail, a.label) for a in asked_for(text).asks] == asks


def test_a_persona_answers_in_its_words_never_mistyping_a_detail():
    from mysteryshop.converse.reply import answer_delay_ns, reply_subject, write_answer
    from mysteryshop.journey import load_journey

    from .conftest import ROOT

    journey = load_journey(ROOT / "journeys" / "email_question.yaml")  # typos 0.02, four mail clients
    asked = asked_for("Could you send us your order number, your phone number and a photo of the damage?")
    texts = set()
    for i in range(12):
        persona = make_persona(5, i, locale=("en_US", "de_DE")[i % 2])
        written = write_answer(journey, persona, asked, number=1, captured={}, subject="Re: Return [#NW-1]")
        assert persona.order_id in written.text and persona.phone in written.text
        assert written.language == ("en", "de")[i % 2] and written.attachments[0][0] == "damage.png"
        texts.add(written.text)
        low, high = journey.spec.answers.delay
        assert low <= answer_delay_ns(persona, journey.name, low, high, 1) <= high
    assert len(texts) == 12  # every persona words it its own way
    assert reply_subject("Re: Return [#NW-1]") == "Re: Return [#NW-1]" and reply_subject("Return") == "Re: Return"


def _raw_out(store: Store, probe: str) -> list[email.message.Message]:
    rows = store.query("SELECT raw FROM messages WHERE run_id = 'run-1' AND probe_id = ? AND direction = 'out' ORDER BY t_ns", (probe,))
    return [email.message_from_bytes(row["raw"]) for row in rows]


@pytest.mark.parametrize("locale", ["en_US", "de_DE"])
def test_a_desk_that_asks_for_the_order_number_gets_it_and_the_exchange_is_one_conversation(
    tmp_path: Path, engine: EngineThread, make_desk, store: Store, locale: str,
) -> None:
    # Given the demo desk's asks_back profile, which answers only once the customer sent the order number
    desk = make_desk(get_profile("asks_back"), speedup=SPEEDUP)
    journey = write_journey(tmp_path, RETURN % {"engine": "rules"})
    persona = make_persona(8, 0, locale=locale, domain=PROBE_DOMAIN)
    target = target_for(desk.port, speedup=SPEEDUP)

    # When the persona, who did not give its order number, walks the journey over real SMTP
    store.add_probe("run-1", "p0", journey.name, target.name, persona.as_dict())
    result = engine.submit(ProbeSpec("p0", journey, target, persona)).result(timeout=60)
    engine.call(engine.engine.mailbox.drain())

    # Then the desk asked, the persona answered in the thread with its order number, and the desk then answered
    assert result.status == "passed", result.failure_lines()
    kinds = [r.kind for r in sorted(desk.truth.sent, key=lambda r: r.scheduled_ns) if r.kind != "followup"]  # its follow-up: a day later
    assert kinds == ["ask_order_id", "answer"], kinds
    answer = result.timeline.actions["~answer1"]
    assert persona.order_id in answer.text
    mine = _raw_out(store, "p0")
    ask = desk.truth.sent[0]
    subject = str(make_header(decode_header(mine[1]["Subject"])))
    assert mine[1]["In-Reply-To"] == ask.message_id and subject.startswith("Re: ") and f"[#{ask.ticket}]" in subject, subject
    assert result.timeline.asked[0]["answered"] and result.timeline.asked[0]["gave"] == ["order_id"]
    answered = next(o for o in result.outcomes if o.step == "answered")
    assert answered.evidence is not None and answered.latency_ns is not None
    assert answer.t_ns < max(r.t_ns for r in result.timeline.replies)  # the desk's answer came after the persona's
    if locale == "de_DE":  # in the persona's language, as its first email
        assert "Bestell" in answer.text, answer.text

    # And the scorecard shows one probe with the whole exchange: the question, the answer, what was asked
    card = build_scorecard(store, "run-1", {journey.name: journey}, {target.name: target})
    assert len(card["probes"]) == 1 and not card["unmatched_messages"]
    entry = card["probes"][0]
    assert entry["status"] == "passed"
    assert [m["kind"] for m in entry["messages"]][:2] == ["acknowledgement", "answer"]
    assert entry["asked"][0]["asks"][0]["detail"] == "order_id" and entry["asked"][0]["answered"]
    texts = [e["text"] for e in entry["events"]]
    assert "customer answered the company's question" in texts
    assert any(t.startswith("the company asked for the order number; the customer answered") for t in texts), texts


def test_asked_for_a_photo_the_persona_attaches_one(tmp_path: Path, engine: EngineThread, make_desk, store: Store) -> None:
    # Given a desk that asks for a photo when the email has the order number
    desk = make_desk(get_profile("asks_back"), speedup=SPEEDUP)
    journey = write_journey(tmp_path, (RETURN % {"engine": "rules"}).replace("last week and", "with order {persona.order_id} and")
                            .replace("letzte Woche", "mit der Bestellung {persona.order_id}"))
    persona = make_persona(8, 1, domain=PROBE_DOMAIN)

    result = engine.submit(ProbeSpec("p1", journey, target_for(desk.port, speedup=SPEEDUP), persona)).result(timeout=60)

    assert result.status == "passed", result.failure_lines()
    assert [r.kind for r in sorted(desk.truth.sent, key=lambda r: r.scheduled_ns) if r.kind != "followup"] == ["ask_photo", "answer"]
    attachment = next(p for p in _raw_out(store, "p1")[1].walk() if p.get_content_maintype() == "image")
    assert attachment.get_filename() == "damage.png" and is_png(attachment.get_payload(decode=True))


def test_asked_for_a_detail_it_does_not_have_the_persona_says_so_and_the_probe_records_the_question(
    tmp_path: Path, engine: EngineThread, make_desk, store: Store,
) -> None:
    # Given a desk that wants the customer's date of birth before it answers (no persona has one), asking once
    asks = get_profile("asks_back")
    desk = make_desk(asks.model_copy(update={"ask_back": asks.ask_back.model_copy(update={"ask": ["birth_date"], "again": 0})}), speedup=SPEEDUP)
    journey = write_journey(tmp_path, RETURN % {"engine": "rules"})
    persona = make_persona(8, 2, domain=PROBE_DOMAIN)

    result = engine.submit(ProbeSpec("p2", journey, target_for(desk.port, speedup=SPEEDUP), persona)).result(timeout=60)

    # Then the persona wrote back, as a customer would, that it does not have it, and the desk answered anyway
    assert result.status == "passed", result.failure_lines()
    said = result.timeline.actions["~answer1"].text
    assert "date of birth" in said and persona.order_id not in said, said
    question = result.timeline.asked[0]
    assert question["asks"] == [{"detail": "other", "label": "date of birth",
                                 "quote": "To verify your account, could you please confirm your date of birth?"}]
    assert question["answered"] and question["lacked"] == ["date of birth"] and question["gave"] == []
    assert [r.kind for r in sorted(desk.truth.sent, key=lambda r: r.scheduled_ns) if r.kind != "followup"] == ["ask_birth_date", "answer"]


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on loopback: `mode` 500 answers HTTP 500, ok answers with the persona's text."""

    mode = "500"
    calls: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(body)
        if self.mode == "500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"model crashed")
            return
        order = re.search(r"order_id: (ORD-\d+)", body["messages"][1]["content"]).group(1)
        answer = {"choices": [{"message": {"content": f"Hi Marta, sure thing: it's {order}. Cheers, the customer"}}],
                  "usage": {"total_tokens": 120}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[type[_Endpoint]]:
    handler = type("Endpoint", (_Endpoint,), {"calls": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("case", ["500", "refused", "budget", "ok"])
def test_the_llm_persona_falls_back_to_the_rules_and_says_why(
    tmp_path: Path, engine: EngineThread, make_desk, endpoint, monkeypatch: pytest.MonkeyPatch, case: str,
) -> None:
    # Given a journey whose personas answer through the LLM, and an endpoint that 500s, refuses, or works
    endpoint.mode = "500" if case == "500" else "ok"
    monkeypatch.setenv("MYSTERYSHOP_LLM_URL", f"http://127.0.0.1:{free_port()}/v1" if case == "refused" else endpoint.url)
    monkeypatch.setenv("MYSTERYSHOP_PERSONA_LLM_CALLS", "0" if case == "budget" else "5")
    desk = make_desk(get_profile("asks_back"), speedup=SPEEDUP)
    journey = write_journey(tmp_path, RETURN % {"engine": "llm"})
    persona = make_persona(8, 3, domain=PROBE_DOMAIN)

    result = engine.submit(ProbeSpec("p3", journey, target_for(desk.port, speedup=SPEEDUP), persona)).result(timeout=60)

    # Then the conversation completes either way, and the record says who wrote the answer and why not the model
    assert result.status == "passed", result.failure_lines()
    question = result.timeline.asked[0]
    said = result.timeline.actions["~answer1"].text
    assert question["answered"] and persona.order_id in said
    if case == "ok":
        assert (question["engine"], question["fallback"]) == ("llm", None)
        assert said.startswith("Hi Marta, sure thing: it's " + persona.order_id)
        assert "Marta" in endpoint.calls[0]["messages"][1]["content"] and endpoint.calls[0]["max_tokens"] <= 300
        return
    assert question["engine"] == "rules"
    expected = {"500": "answered HTTP 500", "refused": "could not be reached", "budget": "budget of 0 calls per run is used up"}[case]
    assert expected in question["fallback"] and question["fallback"].endswith("answered by the rules"), question["fallback"]
    assert len(endpoint.calls) == (1 if case == "500" else 0)  # a used-up budget makes no call at all


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not __import__("os").environ.get("MYSTERYSHOP_CHROMIUM"),
                    reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")
def test_an_agent_asking_in_the_chat_gets_the_answer_in_the_chat(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    from .conftest import specs_for
    from .test_web_probes import demo_target, quick_chat

    # Given a chat agent who does not remember the customer and asks for their name and order number
    desk = make_desk(profile(chat=quick_chat(remembers=0.0)), speedup=60)
    journey = write_journey(tmp_path, """\
title: Ask in the chat where the parcel is
answers: {chat_delay: [5s, 10s]}
steps:
  - id: chat
    do: open_chat
  - id: where
    do: say
    body: "Hi, where is my parcel?"
  - id: agent
    expect: human_agent
    within: 30m
  - id: answer
    expect: chat_answer
    within: 30m
  - id: survey
    expect: chat_survey
    within: 30m
""")
    spec = specs_for(journey, demo_target(desk, speedup=60), 1)[0]

    result = engine.submit(spec).result(timeout=90)

    # Then the persona typed its name and order number into the chat after the agent asked
    question = next(q for q in result.timeline.asked if q["channel"] == "chat")
    assert question["answered"] and question["gave"] == ["name", "order_id"], {k: question.get(k) for k in ("why_not", "gave", "asks")}
    said = [m for m in result.timeline.web.chat if m.author == "customer" and m.t_ns > question["reply_t_ns"]]
    assert said and spec.persona.order_id in said[0].text and spec.persona.full_name in said[0].text, said
    assert result.timeline.actions["~answer1"].text == said[0].text


def test_a_question_the_persona_answered_is_not_the_companys_answer(tmp_path: Path) -> None:
    from mysteryshop.collect.parse import parse_mail
    from mysteryshop.mail import compose
    from mysteryshop.scoring.expectations import judge_visit
    from mysteryshop.scoring.timeline import Action, Reply, Timeline, Visit

    journey = write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Return\n    body: Can I return it?\n"
                                      "  - id: answered\n    expect: answer\n    within: 1h\n")

    def reply(t_s: int, body: str) -> Reply:
        raw = compose(sender=("Marta", "support@northwind.demo"), to="x@probe.test", subject="Re: Return", body=body,
                      domain="northwind.demo", in_reply_to="<a@b>").as_bytes()
        return Reply.of(t_s * 10**9, "2026-01-01T00:00:00Z", parse_mail(raw))

    question = reply(60, "Hello Jane,\n\nI'm sorry to hear the jacket doesn't fit. Could you please send us a photo of the label "
                         "so we can see which model it is?\n\nBest,\nMarta\n")
    answer = reply(1800, "Hello Jane,\n\nThanks for the photo. Yes, you can return it within 30 days, and returns are free.\n\nBest,\nMarta\n")
    assert question.kind == answer.kind == "answer"  # a person's question reads as an answer by its kind alone
    timeline = Timeline(actions={"ask": Action("ask", 0, "2026-01-01T00:00:00Z", "Can I return it?")}, replies=[question])
    timeline.asked.append({"channel": "email", "reply_t_ns": question.t_ns, "answered": True, "gave": ["photo"]})
    visit = Visit("answered", 1, 0, 0)

    def judged(now_s: int):
        return judge_visit(journey, visit, timeline, now_ns=now_s * 10**9)

    assert judged(120).status == "pending"  # the customer answered the question: the answer is still to come
    timeline.replies.append(answer)
    passed = judged(1900)
    assert passed.status == "passed" and passed.latency_ns == 1800 * 10**9 and "30 days" in passed.evidence.quote
    from mysteryshop.scoring.metrics import probe_metrics

    assert probe_metrics(journey, timeline, [passed]).answered_ns == 1800 * 10**9  # the scorecard's "answered" too
    timeline.replies.remove(answer)
    assert judged(4000).status == "passed" and judged(4000).latency_ns == 60 * 10**9  # nothing else came: the question it was


def test_the_clock_stops_while_the_company_waits_for_the_customers_answer(tmp_path: Path) -> None:
    from mysteryshop.collect.parse import parse_mail
    from mysteryshop.mail import compose
    from mysteryshop.scoring.expectations import judge_visit
    from mysteryshop.scoring.timeline import Action, Reply, Timeline, Visit

    journey = write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Return\n    body: Can I return it?\n"
                                      "  - id: answered\n    expect: answer\n    within: 1h\n")

    def reply(t_s: int, body: str) -> Reply:
        raw = compose(sender=("Marta", "support@northwind.demo"), to="x@probe.test", subject="Re: Return", body=body,
                      domain="northwind.demo", in_reply_to="<a@b>").as_bytes()
        return Reply.of(t_s * 10**9, "2026-01-01T00:00:00Z", parse_mail(raw))

    # the company asks after a minute; the customer takes an hour to answer; the company answers 100 s after that
    question = reply(60, "Hello Jane,\n\nCould you please send us your order number?\n\nBest,\nMarta\n")
    answer = reply(3760, "Hello Jane,\n\nThanks. Yes, you can return it within 30 days, and returns are free.\n\nBest,\nMarta\n")
    timeline = Timeline(actions={"ask": Action("ask", 0, "2026-01-01T00:00:00Z", "Can I return it?")}, replies=[question, answer])
    timeline.asked.append({"channel": "email", "reply_t_ns": question.t_ns, "answered": True, "answered_t_ns": 3660 * 10**9})

    outcome = judge_visit(journey, Visit("answered", 1, 0, 0), timeline, now_ns=4000 * 10**9)

    # Then the company answered in time: 2m 40s of its own time, the customer's hour not counted
    assert outcome.status == "passed", outcome.reason
    assert outcome.latency_ns == 160 * 10**9 and "not counting 1h waiting for the customer's answer" in outcome.reason
    timeline.asked.clear()
    assert judge_visit(journey, Visit("answered", 1, 0, 0), timeline, now_ns=4000 * 10**9).status == "failed"  # without the pause: late
