"""Web-form and chat probes end to end: real Chromium, the real demo desk's website, real websocket."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jsonschema
import pytest

from mysteryshop.channels.browser import BrowserNotFound, find_chromium
from mysteryshop.journey import load_journey
from mysteryshop.runner import EngineThread
from mysteryshop.session import with_port
from mysteryshop.target import Target, load_target

from .conftest import ROOT, profile, specs_for, write_journey

CHAT_TOLERANCE_NS = 50_000_000  # 50 ms, the bound

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not __import__("os").environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")


def demo_target(desk, *, speedup: float, **webform: object) -> Target:
    """journeys/targets/demo.yaml pointed at this desk, with webform settings overridden."""
    target = load_target(ROOT / "journeys" / "targets" / "demo.yaml")
    spec = target.spec.model_copy(deep=True)
    spec.speedup = speedup
    spec.email.smtp_port = desk.port  # type: ignore[union-attr]
    spec.webform.url = with_port(spec.webform.url, desk.http_port)  # type: ignore[union-attr]
    spec.chat.url = with_port(spec.chat.url, desk.http_port)  # type: ignore[union-attr]
    for key, value in webform.items():
        setattr(spec.webform, key, value)
    return Target(spec=spec, path=target.path)


def quick_chat(**overrides: object) -> dict[str, object]:
    chat: dict[str, object] = {
        "greeting": 1.0, "wait_estimate": 1.0, "handoff": ["30s", "50s"], "typing": "5s",
        "answer": {"delay": ["20s", "40s"], "quality": {"good": 1.0}}, "status_update": 1.0, "status_every": "15s",
        "remembers": 1.0, "survey": 1.0, "survey_delay": "10s",
    }
    chat.update(overrides)
    return chat


def test_chat_message_times_match_the_desks_ground_truth_within_50ms(engine: EngineThread, make_desk) -> None:
    # Given a desk whose chat plays out over a few seconds (speedup 60), and three chat probes at once
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    specs = specs_for(journey, demo_target(desk, speedup=60), 3)

    # When they run
    results = [f.result(timeout=90) for f in [engine.submit(s) for s in specs]]

    # Then each probe saw the whole conversation, with authors, and the probe passed
    truth = desk.truth.chat
    worst = 0
    for result in results:
        assert result.status == "passed", (result.error, [o.reason for o in result.failures])
        chat = result.timeline.web.chat
        authors = [m.author for m in chat if m.author != "typing"]
        assert authors[:3] == ["bot", "customer", "bot"] and "agent" in authors
        assert any(m.author == "typing" for m in chat)
        shown = [m for m in chat if m.author in ("bot", "agent")]
        sent = [t for t in truth if t["email"] == result.spec.persona.email and t["author"] in ("bot", "agent") and t["kind"] not in ("typing", "end")]
        assert [m.text for m in shown] == [t["text"] for t in sent]
        # And every message's time (taken in the page when it entered the DOM) is within 50 ms of when the desk sent it
        for message, record in zip(shown, sent, strict=True):
            error = (message.shown_ns or message.t_ns) - record["sent_ns"]
            assert -CHAT_TOLERANCE_NS < error < CHAT_TOLERANCE_NS, f"{message.text[:40]}: {error / 1e6:.1f} ms"
            worst = max(worst, abs(error))
    assert worst < CHAT_TOLERANCE_NS


BAD_ORDER = """
id: bad_order
title: A form with a malformed order number
steps:
  - id: submit
    do: submit_form
    fields: {order_id: "12345"}
    body: "Please refund my order, it arrived broken."
  - id: confirmed
    expect: form_confirmation
    within: 1m
"""


def test_a_validation_error_is_reported_with_its_text(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile())
    journey = write_journey(tmp_path, BAD_ORDER)
    result = engine.submit(specs_for(journey, demo_target(desk, speedup=1), 1)[0]).result(timeout=60)
    assert result.status == "error"
    assert "rejected with validation errors" in (result.error or "")
    assert "The order number must look like ORD-123456." in (result.error or "")
    assert "step 'submit'" in (result.error or "")


def test_a_missing_selector_fails_naming_selector_target_and_step_within_the_deadline(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile())
    target = demo_target(desk, speedup=1, timeout=2.0)
    target.spec.webform.fields["order_id"].css = "#no-such-field"  # type: ignore[union-attr]
    journey = load_journey(ROOT / "journeys" / "webform_refund.yaml")
    spec = specs_for(journey, target, 1)[0]
    engine.call(engine.engine.web.browser.context("warm-up"))  # Chromium's start-up is not the step's time
    started = time.monotonic()
    result = engine.submit(spec).result(timeout=30)
    elapsed = time.monotonic() - started
    assert result.status == "error"
    error = result.error or ""
    assert "#no-such-field" in error and "webform.fields.order_id" in error
    assert str(target.path) in error and "step 'submit'" in error and "webform_refund" in error
    assert elapsed < 2.0 + 3.0, f"took {elapsed:.1f}s for a 2 s deadline"


def test_a_captcha_page_is_reported_as_blocked(engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile())
    target = demo_target(desk, speedup=1)
    target.spec.webform.url = target.spec.webform.url.replace("/contact", "/contact-protected")  # type: ignore[union-attr]
    journey = load_journey(ROOT / "journeys" / "webform_refund.yaml")
    started = time.monotonic()
    result = engine.submit(specs_for(journey, target, 1)[0]).result(timeout=30)
    assert result.status == "blocked"
    assert "CAPTCHA" in (result.error or "")
    assert time.monotonic() - started < 15


def test_a_web_form_probe_gets_its_ticket_and_the_emails_threaded_to_it(engine: EngineThread, make_desk, store) -> None:
    desk = make_desk(profile(
        acknowledgement={"probability": 1.0, "delay": ["1m", "2m"]},
        answer={"probability": 1.0, "delay": ["1h", "2h"], "quality": {"good": 1.0}},
    ), speedup=1200)  # the 15-minute acknowledgement deadline is 0.75 s of wall time: room for a loaded machine's delivery
    journey = load_journey(ROOT / "journeys" / "webform_refund.yaml")
    result = engine.submit(specs_for(journey, demo_target(desk, speedup=1200), 1)[0]).result(timeout=60)
    assert result.status == "passed", [o.reason for o in result.failures]
    form = result.timeline.web.forms["submit"]
    truth = desk.truth.forms
    assert len(truth) == 1 and form.ticket == truth[0]["ticket"] and truth[0]["topic"] == "returns"
    assert all(f"[#{form.ticket}]" in r.mail.subject for r in result.timeline.replies)
    assert truth[0]["reply_by"] == "email" and truth[0]["name"] == result.spec.persona.full_name


@pytest.mark.parametrize("remembers", [1.0, 0.0], ids=["remembers", "asks-again"])
def test_cross_channel_probe_tells_a_desk_that_remembers_from_one_that_asks_again(remembers: float, engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile(chat=quick_chat(remembers=remembers)), speedup=60)
    journey = load_journey(ROOT / "journeys" / "cross_channel.yaml")
    result = engine.submit(specs_for(journey, demo_target(desk, speedup=60), 1)[0]).result(timeout=90)
    outcomes = {o.step: o for o in result.outcomes}
    assert outcomes["confirmed"].status == "passed"
    persona = result.spec.persona
    if remembers:
        assert result.status == "passed", [o.reason for o in result.failures]
        assert persona.first_name in outcomes["knows_me"].reason and persona.order_id in outcomes["knows_me"].reason
        assert result.timeline.web.forms["form"].ticket in outcomes["knows_me"].reason
    else:
        assert outcomes["knows_me"].status == "failed"
        assert outcomes["not_asked_again"].status == "failed"
        assert "asked again for the name, order number" in outcomes["not_asked_again"].reason


def test_chromium_not_found_names_the_apt_get_command(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MYSTERYSHOP_CHROMIUM", str(tmp_path / "nope"))
    with pytest.raises(BrowserNotFound, match="apt-get install -y chromium"):
        find_chromium()


FORM_ONLY = """
id: form_only
title: Ask about a refund through the contact form
steps:
  - id: submit
    do: submit_form
    fields: {topic: Returns and refunds}
    body: "I would like to return a jacket from my order. How do I get a refund?"
  - id: confirmed
    expect: form_confirmation
    within: 1m
"""


def deep_target(desk, **webform: object) -> Target:
    """journeys/targets/demo-deep.yaml (the contact form three clicks from the home page) pointed at this desk."""
    target = load_target(ROOT / "journeys" / "targets" / "demo-deep.yaml")
    spec = target.spec.model_copy(deep=True)
    spec.speedup = 1
    spec.email.smtp_port = desk.port  # type: ignore[union-attr]
    spec.webform.url = with_port(spec.webform.url, desk.http_port)  # type: ignore[union-attr]
    spec.webform.home = with_port(spec.webform.home, desk.http_port)  # type: ignore[union-attr, arg-type]
    for key, value in webform.items():
        setattr(spec.webform, key, value)
    return Target(spec=spec, path=target.path)


@pytest.mark.parametrize("site", ["/deep/", "/deep/js/"], ids=["links", "scripted-button"])
def test_a_probe_starting_at_the_home_page_finds_the_form_three_clicks_deep(site: str, tmp_path: Path, store, engine: EngineThread, make_desk) -> None:
    # Given a desk whose home page hides its contact form: home → Help centre (footer) → a topic → Contact us (a link, or
    # a button whose script goes to the form)
    desk = make_desk(profile())
    journey = write_journey(tmp_path, FORM_ONLY)
    # When a web-form probe starts at the home page
    result = engine.submit(specs_for(journey, deep_target(desk, home=f"http://127.0.0.1:{desk.http_port}{site}"), 1)[0]).result(timeout=60)
    # Then it found the form as a customer would, and submitted it
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    way = result.timeline.web.way_in["submit"]
    base = f"http://127.0.0.1:{desk.http_port}"
    assert way.found and way.url == f"{base}/deep/help/contact"
    assert [c["name"] for c in way.clicks] == ["Help centre", "Returns and refunds", "Contact us"]
    # (best first: the topic the customer asks about, then the contact link on it at once; no shop page, no other topic)
    assert way.visited == [f"{base}{site}", f"{base}{site}help", f"{base}{site}help/returns", way.url]
    assert 0 < way.seconds < 15
    assert len(desk.truth.forms) == 1
    # And the way in is stored with the probe
    stored = store.query("SELECT data FROM events WHERE probe_id = 'p0' AND kind = 'way_in'")
    assert len(stored) == 1 and '"Contact us"' in stored[0]["data"]


def test_a_home_page_with_no_way_to_contact_support_gives_a_verdict_with_a_screenshot_within_the_deadline(
        tmp_path: Path, store, engine: EngineThread, make_desk) -> None:
    # Given a shop whose pages lead nowhere near support, and a browser that keeps evidence
    desk = make_desk(profile())
    target = deep_target(desk, home=f"http://127.0.0.1:{desk.http_port}/nowayin/", timeout=5.0)
    engine.engine.web.browser.options.artifacts_dir = tmp_path / "report"
    engine.call(engine.engine.web.browser.context("warm-up"))  # Chromium's start-up is not the step's time
    journey = write_journey(tmp_path, FORM_ONLY)
    # When a probe starting at its home page looks for the contact form, beside one against the company that hides it deep
    started = time.monotonic()
    future, other = engine.submit(specs_for(journey, target, 1)[0]), engine.submit(specs_for(journey, deep_target(desk), 2)[1])
    result = future.result(timeout=30)
    elapsed = time.monotonic() - started
    # Then the verdict says so, names the home page and the target file, within the step's deadline
    assert result.status == "error"
    error = result.error or ""
    assert "no way to contact support found" in error and "/nowayin/" in error and str(target.path) in error
    assert elapsed < 5.0 + 3.0
    # And the search (pages opened, nothing found) and a screenshot of where it ended are stored
    way = result.timeline.web.way_in["submit"]
    assert not way.found and way.clicks == [] and way.visited[0].endswith("/nowayin/") and way.reason
    failed = store.query("SELECT data FROM events WHERE probe_id = 'p0' AND kind = 'step_failed'")
    shot = json.loads(failed[0]["data"])["screenshot"]
    assert shot and Path(shot).is_file() and Path(shot).stat().st_size > 0
    finished = store.query("SELECT data FROM events WHERE probe_id = 'p0' AND kind = 'probe_finished'")
    assert '"no_way_in"' in finished[0]["data"]  # counted as its own finding in the scorecard's summary.problems
    # And the rest of the run carries on: the other probe found its form and sent it (the only form the desk received)
    assert other.result(timeout=60).status == "passed"
    assert len(desk.truth.forms) == 1


def test_the_friction_of_a_form_is_measured_and_shown_per_company(tmp_path: Path, store, engine: EngineThread, make_desk) -> None:
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.write import render_html, summary_lines

    # Given the deep site's form, which asks for a phone number (required) and a date of birth besides what a question needs
    desk = make_desk(profile())
    target = deep_target(desk)
    journey = write_journey(tmp_path, FORM_ONLY)
    spec = specs_for(journey, target, 1)[0]
    store.add_probe("run-1", spec.probe_id, journey.name, target.name, spec.record())
    # When a probe fills it
    result = engine.submit(spec).result(timeout=60)
    assert result.status == "passed", result.error
    # Then what the form asked is measured: its fields, the required one, no validation error, the time it took
    friction = result.timeline.web.friction["submit"]
    labels = [c["label"] for c in friction.controls]
    assert labels == ["Your name", "Email address", "Phone number", "Date of birth", "Order number", "Topic", "Message",
                      "How should we reply?", "Attachment (optional)", "I agree that Northwind may process my data to answer me"]
    assert [c["label"] for c in friction.controls if c["required"]] == ["Phone number"]
    assert friction.invalid == [] and friction.outcome == "confirmed" and 0 < friction.seconds < 15
    # And the scorecard shows it for the company: the data asked without need, the way in from the home page
    card = build_scorecard(store, "run-1", {journey.name: journey}, {target.name: target})
    company = card["companies"][target.name]["friction"]
    assert company["forms"] == 1 and company["fields"] == 10 and company["required"] == 1
    assert company["unneeded"] == [{"kind": "birth_date", "forms": 1, "required": 0}, {"kind": "phone", "forms": 1, "required": 1}]
    assert company["way_in"]["found"] == 1 and company["way_in"]["clicks"] == 3
    schema = json.loads((ROOT / "mysteryshop" / "scorecard" / "schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(card)), schema)
    probe = card["probes"][0]["web"]["friction"][0]
    assert probe["persona_fields"] == ["email", "full_name", "order_id", "phone"]
    page = render_html(card, detail=True)
    assert 'id="form-friction"' in page and "phone (required)" in page and "birth date" in page
    assert 'id="form-friction-line"' in page and "found from the home page in 3 clicks" in page
    line = next(x for x in summary_lines(card) if "Contact form" in x)
    assert "found from the home page in 3 clicks" in line and "asked without need: birth date, phone (required)" in line


def test_a_required_field_the_probe_cannot_fill_is_a_validation_error_met_before_sending(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    # Given the deep form (phone required, checked by the browser) and a field map without the phone number
    desk = make_desk(profile())
    target = deep_target(desk, timeout=5.0)
    del target.spec.webform.fields["phone"]  # type: ignore[union-attr]
    # When a probe fills it
    started = time.monotonic()
    result = engine.submit(specs_for(write_journey(tmp_path, FORM_ONLY), target, 1)[0]).result(timeout=30)
    # Then the browser's own validation stops it at once: the message names the field, nothing reached the desk
    assert result.status == "error" and time.monotonic() - started < 5.0 + 3.0
    assert "browser would not send the form" in (result.error or "") and "Phone number" in (result.error or "")
    friction = result.timeline.web.friction["submit"]
    assert friction.outcome == "rejected" and len(friction.invalid) == 1 and friction.invalid[0].startswith("Phone number: ")
    assert not desk.truth.forms


@pytest.mark.parametrize(("locale", "found"), [("de_DE", True), ("en_US", False)], ids=["german-customer", "english-customer"])
def test_a_german_site_is_searched_in_the_personas_language(locale: str, found: bool, tmp_path: Path, engine: EngineThread, make_desk) -> None:
    from mysteryshop.persona import make_persona
    from mysteryshop.plan import ProbeSpec

    # Given the deep site in German ("Hilfe" in the footer, "Kontaktieren Sie uns" under each topic)
    desk = make_desk(profile())
    target = deep_target(desk, home=f"http://127.0.0.1:{desk.http_port}/deep/de/", timeout=8.0)
    spec = ProbeSpec("p0", write_journey(tmp_path, FORM_ONLY), target, make_persona(3, 0, locale=locale, domain="probe.mysteryshop.test"))
    # When a customer who reads German (or only English) looks for the contact form
    result = engine.submit(spec).result(timeout=30)
    way = result.timeline.web.way_in["submit"]
    # Then the German reader follows the German names to it; the English reader finds no name that promises help
    assert way.found is found
    if found:
        assert result.status == "passed", result.error
        assert [c["name"] for c in way.clicks] == ["Hilfe", "Rückgabe und Erstattung", "Kontaktieren Sie uns"]
    else:
        assert result.status == "error" and "no way to contact support found" in (result.error or "") and way.visited == [target.spec.webform.home]


def test_a_home_page_that_does_not_load_names_the_setting_to_fix(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile())
    target = deep_target(desk, home=f"http://127.0.0.1:{desk.http_port}/no-such-home/", timeout=5.0)
    result = engine.submit(specs_for(write_journey(tmp_path, FORM_ONLY), target, 1)[0]).result(timeout=30)
    assert result.status == "error"
    assert "HTTP 404" in (result.error or "") and "webform.home" in (result.error or "") and str(target.path) in (result.error or "")
