"""A journey's facts per language: the schema, the errors, and scoring a real parsed reply against them."""

import json
from email.message import EmailMessage
from pathlib import Path

import jsonschema
import pytest

from mysteryshop.collect.parse import parse_mail
from mysteryshop.errors import JourneyError
from mysteryshop.journey import load_journey
from mysteryshop.quality import Exchange
from mysteryshop.scoring.expectations import quality_check
from mysteryshop.scoring.shared_scores import exchange_key
from mysteryshop.scoring.timeline import Action, Reply, Timeline

ROOT = Path(__file__).resolve().parents[2]
JOURNEY = """\
id: returns_multilingual
title: Return window, asked in any language
steps:
  - id: ask
    do: send_email
    subject: Return
    body: How long can I return my shoes?
  - id: answered
    expect: answer
    within: 24h
    facts:
      en: [["30 days", "thirty days"], ["free returns", "return shipping is free"]]
      de: [["30 Tage", "dreißig Tage"], ["kostenlos", "kostenfrei"]]
    must: [answers_question]
"""


@pytest.fixture
def journey(tmp_path):
    path = tmp_path / "returns.yaml"
    path.write_text(JOURNEY, encoding="utf-8")
    return load_journey(path)


def answered(journey):
    return next(step for step in journey.steps if step.id == "answered")


def test_facts_per_language_load_merged_and_per_language(journey):
    step = answered(journey)
    assert step.facts_by_language == {"en": [["30 days", "thirty days"], ["free returns", "return shipping is free"]],
                                      "de": [["30 Tage", "dreißig Tage"], ["kostenlos", "kostenfrei"]]}
    assert step.facts == [["30 days", "thirty days", "30 Tage", "dreißig Tage"], ["free returns", "return shipping is free", "kostenlos", "kostenfrei"]]


def test_a_list_of_facts_still_counts_in_any_language(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text(JOURNEY.replace('      en: [["30 days", "thirty days"], ["free returns", "return shipping is free"]]\n', "")
                    .replace('      de: [["30 Tage", "dreißig Tage"], ["kostenlos", "kostenfrei"]]\n', '      - ["30 days"]\n'), encoding="utf-8")
    step = answered(load_journey(path))
    assert step.facts == [["30 days"]] and step.facts_by_language == {}


@pytest.mark.parametrize(("replace", "message"), [
    ('de: [["30 Tage", "dreißig Tage"], ["kostenlos", "kostenfrei"]]', r"returns\.yaml:\d+:\d+: .*same facts in the same order \(en has 2, de has 1\)"),
    ("de: [", r"returns\.yaml:\d+:\d+: .*unknown language 'xx'"),
])
def test_bad_facts_per_language_say_where_and_what(tmp_path, replace, message):
    text = JOURNEY.replace('de: [["30 Tage", "dreißig Tage"], ["kostenlos", "kostenfrei"]]', 'de: [["30 Tage"]]') if replace.startswith("de: [[") else JOURNEY.replace(replace, "xx: [")
    path = tmp_path / "returns.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JourneyError, match=message):
        load_journey(path)


def test_the_shipped_schema_accepts_facts_as_a_list_or_per_language():
    import yaml

    facts = json.loads((ROOT / "journeys/journey.schema.json").read_text(encoding="utf-8"))["$defs"]["Step"]["properties"]["facts"]
    jsonschema.validate(yaml.safe_load(JOURNEY)["steps"][1]["facts"], facts)
    jsonschema.validate([["30 days"], "free returns"], facts)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"en": "30 days"}, facts)


def test_facts_per_language_are_part_of_the_verdict_cache_key():
    plain = Exchange("q", "r", expected_facts=[["30 days"]])
    german = Exchange("q", "r", expected_facts=[["30 days"]], facts_by_language={"de": [["30 Tage"]]})
    french = Exchange("q", "r", expected_facts=[["30 days"]], facts_by_language={"fr": [["30 jours"]]})
    assert len({exchange_key(plain), exchange_key(german), exchange_key(french)}) == 3


def reply_mail(text: str) -> Reply:
    message = EmailMessage()
    message["From"] = "support@shop.example"
    message["To"] = "anna@probe.example"
    message["Subject"] = "Re: Return"
    message.set_content(text)
    return Reply.of(2_000, "2026-01-01T00:00:02Z", parse_mail(message.as_bytes()))


def timeline_with(reply: Reply) -> Timeline:
    ask = Action("ask", 1_000, "2026-01-01T00:00:01Z", "How long can I return my shoes?")
    return Timeline(actions={"ask": ask}, replies=[reply], action_log=[ask], persona={"first_name": "Anna"})


def test_a_german_answer_is_checked_against_the_german_facts(journey):
    reply = reply_mail("Hallo Anna,\n\nSie haben 30 Tage Zeit für die Rückgabe, und die Rücksendung ist kostenlos.\n\nViele Grüße\nSchuhhaus")
    failures, _ = quality_check(answered(journey), reply, timeline_with(reply))
    assert failures == [], failures


def test_a_german_answer_missing_a_german_fact_fails(journey):
    reply = reply_mail("Hallo Anna,\n\nSie haben 30 Tage Zeit für die Rückgabe. Der Rückversand kostet 4,95 Euro.\n\nViele Grüße\nSchuhhaus")
    failures, _ = quality_check(answered(journey), reply, timeline_with(reply))
    assert len(failures) == 1 and "answers_question" in failures[0]


def test_an_answer_in_a_language_the_journey_gives_no_facts_in_is_unscored_not_failed_silently(journey):
    reply = reply_mail("Bonjour Anna,\n\nVous avez 30 jours pour retourner les chaussures et le retour est gratuit.\n\nCordialement")
    failures, _ = quality_check(answered(journey), reply, timeline_with(reply))
    assert len(failures) == 1 and "unscored (language fr)" in failures[0]
