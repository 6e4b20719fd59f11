"""A chat that starts at the home page: the probe finds the chat as a customer would, or says it found none.

Real Chromium against the demo desk's `/chathelp/` site (mysteryshop/demo/site.py): no chat on the home page, a
"Help centre" link in the footer, "Chat with us" at its foot, and the chat widget (launcher in a shadow root,
conversation in nested cross-origin frames) behind a cookie banner.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from mysteryshop.channels.browser import BrowserOptions
from mysteryshop.runner import Engine, EngineThread
from mysteryshop.session import with_port
from mysteryshop.store import Store
from mysteryshop.target import Target, load_target

from .conftest import PROBE_DOMAIN, ROOT, profile, specs_for, write_journey
from .test_web_probes import quick_chat

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")

OPEN_ONLY = """
id: open_only
title: Open the chat and ask
steps:
  - id: open
    do: open_chat
    body: "Hi, where is my order {persona.order_id}?"
  - id: first_response
    expect: chat_response
    within: 5m
"""


@pytest.fixture
def engine(store: Store, tmp_path: Path) -> Iterator[EngineThread]:
    """An engine that keeps browser evidence (screenshots of failed steps) under tmp_path/reports."""
    thread = EngineThread(Engine(store, "run-1", domains={PROBE_DOMAIN}, browser=BrowserOptions(artifacts_dir=tmp_path / "reports"))).start()
    yield thread
    thread.stop()


def chat_home_target(desk, *, speedup: float = 60, **chat: object) -> Target:
    """journeys/targets/demo-chat-home.yaml pointed at this desk; `chat` overrides settings (`home` a path on the desk)."""
    target = load_target(ROOT / "journeys" / "targets" / "demo-chat-home.yaml")
    spec = target.spec.model_copy(deep=True)
    spec.speedup = speedup
    spec.email.smtp_port = desk.port  # type: ignore[union-attr]
    assert spec.chat is not None
    data = spec.chat.model_dump() | chat
    data["url"] = with_port(data["url"], desk.http_port)
    data["home"] = f"http://127.0.0.1:{desk.http_port}{data['home']}" if data["home"].startswith("/") else with_port(data["home"], desk.http_port)
    spec.chat = type(spec.chat).model_validate(data)
    return Target(spec=spec, path=target.path)


def test_a_chat_reachable_only_through_the_help_centre_is_found_from_the_home_page(tmp_path: Path, engine: EngineThread, make_desk,
                                                                                   store: Store) -> None:
    # Given a company whose chat is two clicks from its home page, behind a cookie banner
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    target = chat_home_target(desk)
    journey = write_journey(tmp_path, OPEN_ONLY)
    spec = specs_for(journey, target, 1)[0]
    store.add_probe("run-1", spec.probe_id, journey.name, target.name, spec.record())
    # When a chat probe starts at the home page
    result = engine.submit(spec).result(timeout=90)
    # Then it found the chat as a customer would, chatted, and the way there is measured and stored
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    way = result.timeline.web.way_in["open"]
    base = f"http://127.0.0.1:{desk.http_port}/chathelp"
    assert way.goal == "chat" and way.found and way.url == f"{base}/chat"
    assert [c["name"] for c in way.clicks] == ["Help centre", "Chat with us"]
    assert way.visited == [f"{base}/", f"{base}/help", f"{base}/chat"] and 0 < way.seconds < 15
    assert any(m.author == "bot" for m in result.timeline.web.chat)
    assert [m.author for m in result.timeline.web.chat if m.author != "typing"][:2] == ["bot", "customer"]
    stored = store.query("SELECT data FROM events WHERE probe_id = ? AND kind = 'way_in'", (spec.probe_id,))
    assert len(stored) == 1 and json.loads(stored[0]["data"])["goal"] == "chat"
    # And the scorecard shows it for the company, apart from the contact form's way in
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.write import render_html, summary_lines

    card = build_scorecard(store, "run-1", {journey.name: journey}, {target.name: target})
    company = card["companies"][target.name]
    assert company["chat_way_in"]["found"] == 1 and company["chat_way_in"]["clicks"] == 2 and company["friction"] is None
    jsonschema.validate(json.loads(json.dumps(card)), json.loads((ROOT / "mysteryshop" / "scorecard" / "schema.json").read_text(encoding="utf-8")))
    assert any(line.strip().startswith("Chat: found from the home page in 2 clicks") for line in summary_lines(card))
    page = render_html(card, detail=True)
    assert 'id="chat-way-in-line"' in page and "Way in to the chat from" in page and "“Help centre” → “Chat with us”" in page


def test_a_launcher_on_the_home_page_is_found_without_a_click(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    target = chat_home_target(desk, home="/widget-chat?consent=1&launcher=moves&nested=1")
    result = engine.submit(specs_for(write_journey(tmp_path, OPEN_ONLY), target, 1)[0]).result(timeout=90)
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    way = result.timeline.web.way_in["open"]
    assert way.found and way.clicks == [] and len(way.visited) == 1


def test_a_journey_step_may_start_a_chat_at_the_home_page(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    # Given the plain demo target (its chat page has a launcher, the home page links "Chat"), and a step that says start: home
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    target = chat_home_target(desk, start_at="chat", home="/", url="/chat", open="#chat-launcher", frame=[], shadow=[], consent=None)
    target.spec.chat.url = f"http://127.0.0.1:{desk.http_port}/chat"  # type: ignore[union-attr]
    journey = write_journey(tmp_path, OPEN_ONLY.replace("do: open_chat", "do: open_chat\n    start: home"))
    result = engine.submit(specs_for(journey, target, 1)[0]).result(timeout=90)
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    way = result.timeline.web.way_in["open"]
    assert way.found and [c["name"] for c in way.clicks] == ["Chat"]


def test_a_site_with_no_chat_gives_a_no_way_to_chat_verdict_with_a_screenshot_within_the_deadline(
        tmp_path: Path, engine: EngineThread, make_desk, store: Store) -> None:
    # Given a shop with no way to contact support at all, and beside it a probe against the company whose chat can be found
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    bad = chat_home_target(desk, home="/nowayin/", timeout=6.0)
    good = chat_home_target(desk)
    journey = write_journey(tmp_path, OPEN_ONLY)
    engine.call(engine.engine.web.browser.context("warm-up"))  # Chromium's start-up is not the step's time
    bad_spec, good_spec = specs_for(journey, bad, 1)[0], specs_for(journey, good, 2)[1]
    # When both run
    started = time.monotonic()
    bad_future, good_future = engine.submit(bad_spec), engine.submit(good_spec)
    result = bad_future.result(timeout=60)
    elapsed = time.monotonic() - started
    # Then the verdict says no way to chat was found, names the home page and the target file, within the step's deadline
    assert result.error_class == "NoWayToChat", result.error
    error = result.error or ""
    assert "no way to chat found" in error and "/nowayin/" in error and str(bad.path) in error and "step 'open'" in error
    assert elapsed < 6.0 + 3.0, f"took {elapsed:.1f}s for a 6 s deadline"
    way = result.timeline.web.way_in["open"]
    assert way.goal == "chat" and not way.found and way.visited[0].endswith("/nowayin/") and way.reason
    failed = store.query("SELECT data FROM events WHERE probe_id = ? AND kind = 'step_failed'", (bad_spec.probe_id,))
    shot = json.loads(failed[0]["data"])["screenshot"]
    assert shot and Path(shot).is_file() and Path(shot).stat().st_size > 1000
    finished = store.query("SELECT data FROM events WHERE probe_id = ? AND kind = 'probe_finished'", (bad_spec.probe_id,))
    assert '"no_way_to_chat"' in finished[0]["data"]
    # And the rest of the run carries on
    other = good_future.result(timeout=90)
    assert other.status == "passed", (other.error, [o.reason for o in other.failures])


def test_a_cookie_banner_nobody_accepts_is_named_as_what_hides_the_chat(tmp_path: Path, engine: EngineThread, make_desk, store: Store) -> None:
    # Given the same company, but a target that names no accept button for its cookie banner (the widget loads only after consent)
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    target = chat_home_target(desk, consent=None, timeout=8.0)
    started = time.monotonic()
    result = engine.submit(specs_for(write_journey(tmp_path, OPEN_ONLY), target, 1)[0]).result(timeout=60)
    # Then the verdict names the banner and the setting that fixes it, within the deadline
    assert result.error_class == "ConsentRequired", result.error
    error = result.error or ""
    assert "no way to chat found" in error and "#nw-consent" in error and "consent: '#nw-consent-accept'" in error
    assert time.monotonic() - started < 8.0 + 5.0
    assert not result.timeline.web.way_in["open"].found


def test_start_home_is_refused_on_a_step_that_is_not_a_form_or_chat(tmp_path: Path) -> None:
    from mysteryshop.errors import JourneyError

    for text, words in [(OPEN_ONLY.replace("do: open_chat", "do: open_chat\n    start: form"), "not 'form'"),
                        (OPEN_ONLY.replace("expect: chat_response", "expect: chat_response\n    start: home"), "submit_form and open_chat")]:
        with pytest.raises(JourneyError) as caught:
            write_journey(tmp_path, text)
        assert words in str(caught.value)


def test_a_home_page_too_busy_to_answer_ends_the_search_at_the_deadline_with_a_verdict(tmp_path: Path, engine: EngineThread, make_desk,
                                                                                        store: Store) -> None:
    # Given a home page whose scripts keep its main thread busy for 20 s once loaded (no call into it answers meanwhile)
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    target = chat_home_target(desk, home="/contact?busy=20000", consent=None, timeout=6.0)
    engine.call(engine.engine.web.browser.context("warm-up"))
    started_ns = time.monotonic_ns()
    spec = specs_for(write_journey(tmp_path, OPEN_ONLY), target, 1)[0]
    result = engine.submit(spec).result(timeout=60)
    ended = (time.monotonic_ns() - started_ns) / 1e9
    # Then the search ends at the step's deadline with the verdict that no chat was found, saying the page stopped answering
    assert result.error_class == "NoWayToChat", result.error
    assert "stopped answering" in (result.error or "") and "/contact?busy=20000" in (result.error or "")
    failed = store.query("SELECT t_ns, data FROM events WHERE probe_id = ? AND kind = 'step_failed'", (spec.probe_id,))
    assert json.loads(failed[0]["data"])["verdict"] == "NoWayToChat"
    verdict_s = (failed[0]["t_ns"] - started_ns) / 1e9
    assert verdict_s < 6.0 + 2.0, f"the verdict took {verdict_s:.1f}s for a 6 s deadline"
    # And the probe ends before the page does (its evidence is taken with bounded waits), not when the page lets go
    assert ended < 20.0, f"the probe ended after {ended:.1f}s"
