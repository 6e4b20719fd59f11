"""Personas that write like different people: variants and slots, their language, the similarity measure."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysteryshop.errors import JourneyError
from mysteryshop.journey import load_journey
from mysteryshop.language import detect
from mysteryshop.persona import make_persona
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import EngineThread
from mysteryshop.similarity import alike, jaccard, shingles, verdict
from mysteryshop.voice.typos import add_typos

from .conftest import PROBE_DOMAIN, profile, target_for, write_journey

ROOT = Path(__file__).resolve().parents[1]
QUESTION = ROOT / "journeys" / "email_question.yaml"


def written(journey, persona, step="ask"):
    return journey.write(step, "subject", persona).text + "\n" + journey.write(step, "body", persona, email=True).text


def test_a_persona_writes_the_same_text_every_time_and_personas_write_different_ones():
    journey = load_journey(QUESTION)
    people = [make_persona(7, i, run_tag="a") for i in range(20)]
    first = [written(journey, p) for p in people]
    again = [written(load_journey(QUESTION), make_persona(7, i, run_tag="another run")) for i in range(20)]
    assert first == again  # the persona, not the run's address tag, decides
    assert len(set(first)) == 20
    assert alike(first).mean < 0.2, alike(first)


def test_a_journey_without_variants_sends_one_template(tmp_path):
    journey = write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Return\n"
                                      "    body: \"Hello, can I return order {persona.order_id}? {persona.full_name}\"\n")
    texts = [journey.write("ask", "body", make_persona(1, i)).text for i in range(10)]
    assert verdict(alike(texts)) == "one template"


def test_slots_mail_clients_and_typos_come_from_the_persona(tmp_path):
    journey = write_journey(tmp_path, """\
title: t
voice: {typos: 0.2, clients: [html]}
slots:
  hi: ["Hello there,", "Good evening,"]
steps:
  - id: ask
    do: send_email
    subject: ["Return {persona.order_id}", "Refund for {persona.order_id}"]
    body: "{hi}\\n\\nsomething something about returning merchandise {persona.order_id}\\n{signoff}"
""")
    persona = make_persona(3, 1)
    mail = journey.write("ask", "body", persona, email=True)
    assert mail.html is not None and "<div" in mail.html and mail.client == "html"
    assert persona.order_id in mail.text  # persona details are never mistyped
    assert mail.text[0] in "HG" and mail.text.splitlines()[0].endswith(",")  # the slot, perhaps mistyped
    typed = [journey.write("ask", "body", make_persona(3, i)).text for i in range(30)]
    assert any("something something about returning merchandise" not in t for t in typed)  # slips happen at 20%


def test_typos_keep_short_words_and_the_first_letter():
    import random

    text = add_typos("the shipping label arrived yesterday", 1.0, random.Random(1))
    words = text.split()
    assert words[0] == "the" and words != "the shipping label arrived yesterday".split()
    assert [w[0] for w in words] == ["t", "s", "l", "a", "y"]


@pytest.mark.parametrize(("locale", "language", "sample"), [("de_DE", "de", "Bestell"), ("fr_FR", "fr", "commande"), ("es_ES", "es", "pedido")])
def test_a_persona_writes_in_its_own_language_when_the_journey_has_it(locale, language, sample):
    journey = load_journey(QUESTION)
    persona = make_persona(2, 0, locale=locale)
    assert journey.language_for(persona) == (language, None)
    text = written(journey, persona)
    assert sample in text and detect(text) == language


def test_a_persona_falls_back_to_the_journeys_language_and_the_record_says_so(tmp_path):
    journey = write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Return\n    body: Can I return it?\n")
    persona = make_persona(2, 0, locale="de_DE")
    record = ProbeSpec("p0", journey, target_for(25), persona).record()
    assert record["language"] == "en" and "de_DE" in record["language_fallback"]
    assert journey.write("ask", "body", persona).text == "Can I return it?\n"


@pytest.mark.parametrize(("text", "message"), [
    ("    body: \"{gretting} hello\"\n", r"j\.yaml:\d+:\d+: steps\[0\]\.body: unknown slot '\{gretting\}'\. Did you mean 'greeting'\?"),
    ("    body: []\n", r"j\.yaml:\d+:\d+: steps\[0\]\.body: an empty list of variants"),
    ("    body: {de: Hallo}\n", r"j\.yaml:\d+:\d+: steps\[0\]\.body: given in de but not in en, the journey's language"),
    ("    body: {en: Hello, xx: Hi}\n", r"j\.yaml:\d+:\d+: steps\[0\]\.body\.xx: unknown language 'xx'"),
    ("    body: \"{a}\"\n    slots: {a: \"{b}\", b: [\"x {a}\"]}\n", r"j\.yaml:\d+:\d+: steps\[0\]\.slots\.a: slot 'a' refers to itself \(a -> b -> a\)"),
    ("    body: [\"ok\", 3]\n", r"j\.yaml:\d+:\d+: steps\[0\]\.body\[1\]: variant 2 must be a string"),
])
def test_bad_variants_and_slots_name_file_line_and_what_to_do(tmp_path, text, message):
    with pytest.raises(JourneyError, match=message):
        write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Return\n" + text)


def test_an_unknown_mail_client_is_refused_with_its_line(tmp_path):
    with pytest.raises(JourneyError, match=r"j\.yaml:2:\d+: voice\.clients.*unknown mail client 'outlok'\. Did you mean 'outlook'\?|j\.yaml:2:\d+: voice\.clients.*unknown mail client 'outlok'"):
        write_journey(tmp_path, "title: t\nvoice: {clients: [outlok]}\nsteps:\n  - id: ask\n    do: send_email\n    subject: R\n    body: B\n")


def test_similarity_of_known_texts():
    assert shingles("One two three four") == {"one two three", "two three four"}
    assert shingles("Order 123 and order 456") == shingles("order 9 and ORDER 7")  # numbers read as '#', case folded
    assert jaccard(frozenset({"a", "b", "c"}), frozenset({"b", "c", "d"})) == 0.5
    same = alike(["the parcel never came to my house"] * 3)
    assert (same.mean, same.max, same.verdict) == (1.0, 1.0, "one template")
    apart = alike(["where is my parcel today please", "the zipper broke after a week of use"])
    assert (apart.mean, apart.verdict) == (0.0, "different authors")
    one_pair = alike(["a b c d e", "a b c d f", "x y z w v"])  # 2 of 4 shingles shared by the first pair: 2/4
    assert one_pair.max == 0.5 and one_pair.most_alike == (0, 1) and abs(one_pair.mean - 0.5 / 3) < 1e-9


def test_a_german_persona_sends_german_and_its_answer_is_judged_in_german(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    # Given the demo desk answering every email well, and a German persona walking the shipped email_question journey
    speedup = 14400  # the demo's clock: the journey's 3-day follow-up deadline passes in 18 s
    desk = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["1m", "1m"]},
                             answer={"probability": 1.0, "delay": ["30m", "30m"], "quality": {"good": 1.0}}), speedup=speedup)
    journey = load_journey(QUESTION)
    persona = make_persona(5, 0, locale="de_DE", domain=PROBE_DOMAIN)
    spec = ProbeSpec("p0", journey, target_for(desk.port, speedup=speedup), persona)

    # When it runs against the real desk over real SMTP
    result = engine.submit(spec).result(timeout=90)

    # Then what it sent is German, the desk answered in German, and the answer was judged against the German facts
    sent = result.timeline.actions["ask"].text
    assert detect(sent) == "de", sent
    answer = next(r for r in result.timeline.replies if r.kind == "answer")
    assert detect(answer.mail.text) == "de", answer.mail.text
    answered = next(o for o in result.outcomes if o.step == "answered")
    assert answered.status == "passed", answered
