"""axe-core on real pages in real Chromium: violations found, a strict CSP does not stop it, a busy page times out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from mysteryshop.channels.accessibility import audit, by_impact
from mysteryshop.channels.browser import LAUNCH_ARGS, find_chromium

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not __import__("os").environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")

STRICT_CSP = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
UNLABELLED = f"""<!doctype html><html lang=en><head>{STRICT_CSP}<title>Contact</title></head><body><main><h1>Contact</h1>
<form><label for=name>Name</label><input id=name><input id=order><button>Send</button></form></main></body></html>"""
LABELLED = UNLABELLED.replace('<input id=order>', '<label for=order>Order</label><input id=order>')
BUSY = """<!doctype html><html lang=en><head><title>Busy</title></head><body><p>hi</p>
<script>setTimeout(() => { const end = Date.now() + 6000; while (Date.now() < end) {} }, 300);</script></body></html>"""


async def _run(html: str, seconds: float, wait_s: float = 0.0) -> tuple[dict, float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=find_chromium(), args=list(LAUNCH_ARGS))
        try:
            page = await browser.new_page()
            await page.set_content(html)
            await asyncio.sleep(wait_s)
            started = time.monotonic()
            result = await audit(page, deadline=time.monotonic() + seconds)
            return result, time.monotonic() - started
        finally:
            await browser.close()


def test_an_input_without_a_label_is_a_critical_violation_with_its_element_despite_a_strict_csp() -> None:
    result, _ = asyncio.run(_run(UNLABELLED, 20))
    assert result["status"] == "ok", result
    label = next(v for v in result["violations"] if v["id"] == "label")
    assert label["impact"] == "critical" and label["count"] == 1
    assert label["nodes"][0]["target"] == "#order" and 'id="order"' in label["nodes"][0]["html"]
    assert by_impact(result["violations"])["critical"] >= 1


def test_the_same_form_with_the_label_has_no_violation() -> None:
    result, _ = asyncio.run(_run(LABELLED, 20))
    assert result["status"] == "ok", result
    assert result["violations"] == []


def test_an_audit_of_a_page_that_never_answers_times_out_within_its_deadline() -> None:
    result, took = asyncio.run(_run(BUSY, 1.5, wait_s=0.5))
    assert result["status"] == "timed out" and "did not finish within" in result["error"]
    assert took < 1.5 + 1.0


FORM_ONLY = """
id: form_only
title: Submit the contact form
steps:
  - id: submit
    do: submit_form
    body: "Please refund my order, it arrived broken."
  - id: confirmed
    expect: form_confirmation
    within: 1m
"""


def _audits(store, probe_id: str) -> list[dict]:
    import json

    rows = store.query("SELECT step, data FROM events WHERE kind = 'accessibility' AND probe_id = ?", (probe_id,))
    return [{"step": r["step"], **json.loads(r["data"])} for r in rows]


@pytest.mark.parametrize("name", ["poor", "excellent"])
def test_the_demo_form_fails_wcag_under_the_poor_profile_and_passes_under_excellent(name: str, tmp_path: Path, engine, make_desk, store) -> None:
    from mysteryshop.demo.profile import get_profile

    from .conftest import specs_for, write_journey
    from .test_web_probes import demo_target

    desk = make_desk(get_profile(name), speedup=3600)
    spec = specs_for(write_journey(tmp_path, FORM_ONLY), demo_target(desk, speedup=3600), 1)[0]
    result = engine.submit(spec).result(timeout=90)
    assert result.status == "passed", result.error
    audits = _audits(store, spec.probe_id)
    assert [(a["step"], a["channel"], a["status"]) for a in audits] == [("submit", "webform", "ok")], audits
    found = {v["id"]: v for v in audits[0]["violations"]}
    if name == "excellent":
        assert found == {}
    else:
        assert found["label"]["impact"] == "critical" and found["label"]["nodes"][0]["target"] == "#order"
        assert found["color-contrast"]["impact"] == "serious" and "hint" in found["color-contrast"]["nodes"][0]["html"]


def test_accessibility_false_in_the_target_runs_no_audit(tmp_path: Path, engine, make_desk, store) -> None:
    from mysteryshop.demo.profile import get_profile

    from .conftest import specs_for, write_journey
    from .test_web_probes import demo_target

    desk = make_desk(get_profile("poor"), speedup=3600)
    spec = specs_for(write_journey(tmp_path, FORM_ONLY), demo_target(desk, speedup=3600, accessibility=False), 1)[0]
    result = engine.submit(spec).result(timeout=90)
    assert result.status == "passed", result.error
    assert _audits(store, spec.probe_id) == []


def test_the_qa_page_shows_each_companys_violations_by_impact_with_the_failing_element(tmp_path: Path, engine, make_desk, store) -> None:
    import jsonschema
    from lxml import html as lxml_html

    from mysteryshop.demo.profile import get_profile
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.write import write_scorecard
    from mysteryshop.target import Target

    from .conftest import ROOT, specs_for, write_journey
    from .test_web_probes import demo_target

    journey = write_journey(tmp_path, FORM_ONLY)
    targets = {}
    for name in ("poor", "excellent"):
        base = demo_target(make_desk(get_profile(name), speedup=3600), speedup=3600)
        spec = base.spec.model_copy(deep=True)
        spec.name, spec.title = f"{name}co", f"{name.title()} Co"
        targets[spec.name] = Target(spec=spec, path=base.path)
    specs = [s for t in targets.values() for s in specs_for(journey, t, 1, seed=len(t.name))]
    specs = [s.__class__(f"{s.target.name}-{s.probe_id}", s.journey, s.target, s.persona) for s in specs]
    for s in specs:
        store.add_probe("run-1", s.probe_id, journey.name, s.target.name, s.record())
    assert all(f.result(timeout=90).status == "passed" for f in [engine.submit(s) for s in specs])

    card = build_scorecard(store, "run-1", {journey.name: journey}, targets)
    jsonschema.validate(card, __import__("json").loads((ROOT / "mysteryshop" / "scorecard" / "schema.json").read_text()))
    poor, good = card["companies"]["poorco"]["accessibility"], card["companies"]["excellentco"]["accessibility"]
    assert poor["by_impact"]["critical"] == 1 and poor["by_impact"]["serious"] == 1
    assert good["audits"] == 1 and good["by_impact"] == {"critical": 0, "serious": 0, "moderate": 0, "minor": 0} and good["violations"] == []

    paths = write_scorecard(card, tmp_path / "out", journeys={journey.name: journey})
    line = " ".join(lxml_html.fromstring(paths["onepager"].read_text()).xpath("string(//*[@id='accessibility-line'])").split())
    assert "Poor Co: 1 critical, 1 serious · Excellent Co: 0 critical, 0 serious" in line, line
    page = lxml_html.fromstring(paths["html"].read_text())
    rows = {r.xpath("string(td[1])"): [c.text_content() for c in r.xpath("td")] for r in page.xpath("//table[@id='accessibility-companies']//tr[td]")}
    assert rows["Poor Co"][2:4] == ["1", "1"] and rows["Excellent Co"][2:4] == ["0", "0"]
    shown = page.xpath("string(//table[contains(@class, 'accessibility-violations')])")
    assert "#order" in shown and 'id="order"' in shown and "critical" in shown and "serious" in shown


CHAT_ONLY = """
id: chat_only
title: Open the chat
steps:
  - id: open
    do: open_chat
    body: "Hi, where is my order?"
  - id: greeted
    expect: chat_response
    within: 1m
"""


def test_the_open_chat_widget_is_audited(tmp_path: Path, engine, make_desk, store) -> None:
    from .conftest import profile, specs_for, write_journey
    from .test_web_probes import demo_target, quick_chat

    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    spec = specs_for(write_journey(tmp_path, CHAT_ONLY), demo_target(desk, speedup=60), 1)[0]
    result = engine.submit(spec).result(timeout=90)
    assert result.status == "passed", result.error
    audits = _audits(store, spec.probe_id)
    assert [(a["step"], a["channel"], a["status"]) for a in audits] == [("open", "chat", "ok")], audits
    assert "/chat" in audits[0]["url"]
    assert audits[0]["violations"] == []  # the demo widget is accessible


def test_a_chat_widget_in_cross_origin_frames_and_shadow_roots_is_audited_in_its_own_frame(tmp_path: Path, engine, make_desk, store) -> None:
    from .conftest import profile, specs_for, write_journey
    from .test_chat_widgets import widget_target
    from .test_web_probes import quick_chat

    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    target = widget_target(desk, speedup=60)
    spec = specs_for(write_journey(tmp_path, CHAT_ONLY), target, 1)[0]
    result = engine.submit(spec).result(timeout=90)
    assert result.status == "passed", result.error
    audits = _audits(store, spec.probe_id)
    assert [(a["channel"], a["status"]) for a in audits] == [("chat", "ok")], audits
    assert audits[0]["url"] != target.spec.chat.url  # the widget's frame, not the page that embeds it


def test_a_companys_form_is_audited_once_a_run_however_many_personas_meet_it(tmp_path: Path, engine, make_desk, store) -> None:
    from mysteryshop.demo.profile import get_profile

    from .conftest import specs_for, write_journey
    from .test_web_probes import demo_target

    desk = make_desk(get_profile("poor"), speedup=3600)
    specs = specs_for(write_journey(tmp_path, FORM_ONLY), demo_target(desk, speedup=3600), 3)
    assert all(f.result(timeout=90).status == "passed" for f in [engine.submit(s) for s in specs])
    audits = [a for s in specs for a in _audits(store, s.probe_id)]
    assert [(a["channel"], a["status"]) for a in audits] == [("webform", "ok")], audits


def test_an_audit_that_times_out_is_stored_as_such_within_the_steps_deadline_and_the_step_goes_on(tmp_path: Path, store) -> None:
    import json

    from mysteryshop.channels.accessibility import audit_step
    from mysteryshop.channels.browser import Browser, BrowserOptions

    slow = BUSY.replace("6000", "2500")  # busy long enough for the audit to time out, short enough to screenshot afterwards

    async def go() -> tuple[dict, float, str]:
        browser = Browser(BrowserOptions(concurrency=1, artifacts_dir=tmp_path / "reports"))
        try:
            probe = await browser.context("p1")
            page = await browser.new_page(probe, 10)
            await page.set_content(slow)
            await asyncio.sleep(0.5)
            started = time.monotonic()
            result = await audit_step(browser, store, "run-1", "p1", "submit", page, channel="webform", deadline=started + 3.0, t_ns=time.monotonic_ns())
            took = time.monotonic() - started
            return result, took, await page.inner_text("p")  # the page is still usable: the step carries on
        finally:
            await browser.stop()

    result, took, text = asyncio.run(go())
    assert result is not None and result["status"] == "timed out" and text == "hi"
    assert took < 3.0 + 1.0, took  # half the step's 3 s for the audit, then at most the rest for a screenshot
    stored = [json.loads(r["data"]) for r in store.query("SELECT data FROM events WHERE kind = 'accessibility' AND probe_id = 'p1'")]
    assert [s["status"] for s in stored] == ["timed out"] and "did not finish within 1.5s" in stored[0]["error"]
    assert stored[0]["screenshot"] and Path(stored[0]["screenshot"]).is_file()  # what the page showed when the audit gave up


def test_an_audit_that_times_out_in_a_run_is_a_verdict_with_a_screenshot_and_the_probe_and_the_run_go_on(tmp_path: Path, store, make_desk) -> None:
    import json

    from mysteryshop.channels.browser import BrowserOptions
    from mysteryshop.demo.profile import get_profile
    from mysteryshop.runner import Engine, EngineThread
    from mysteryshop.scorecard.build import build_scorecard

    from .conftest import PROBE_DOMAIN, specs_for, write_journey
    from .test_web_probes import demo_target

    engine = EngineThread(Engine(store, "run-1", domains={PROBE_DOMAIN}, browser=BrowserOptions(artifacts_dir=tmp_path / "reports"))).start()
    try:
        # Given a contact form whose page a heavy script keeps busy for 6 s once loaded (longer than half the step's 10 s,
        # the most an audit may take), and beside it another company's plain form
        desk = make_desk(get_profile("excellent"), speedup=3600)
        journey = write_journey(tmp_path, FORM_ONLY)
        busy = demo_target(desk, speedup=3600, timeout=10.0)
        busy.spec.webform.url += "?busy=6000"  # type: ignore[union-attr]
        plain = demo_target(desk, speedup=3600)
        plain.spec.name = "demo-plain"
        bad_spec, good_spec = specs_for(journey, busy, 1)[0], specs_for(journey, plain, 2)[1]
        for spec in (bad_spec, good_spec):
            store.add_probe("run-1", spec.probe_id, journey.name, spec.target.name, spec.record())
        engine.call(engine.engine.web.browser.context("warm-up"))  # Chromium's start-up is not the step's time
        # When both probes run
        started = time.monotonic()
        bad_future, good_future = engine.submit(bad_spec), engine.submit(good_spec)
        result = bad_future.result(timeout=60)
        elapsed = time.monotonic() - started
        other = good_future.result(timeout=60)
    finally:
        engine.stop()
    # Then the audit is recorded as timed out, with a screenshot, and the form was still sent within the step's deadline
    audits = _audits(store, bad_spec.probe_id)
    assert [(a["channel"], a["status"]) for a in audits] == [("webform", "timed out")], audits
    assert "did not finish within" in audits[0]["error"]
    assert audits[0]["screenshot"] and Path(audits[0]["screenshot"]).is_file()
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    assert elapsed < 10.0 + 2.0, f"took {elapsed:.1f}s for a 10 s deadline"
    assert len(desk.truth.forms) == 2
    # And the other company's probe and audit went on as usual
    assert other.status == "passed", other.error
    assert [(a["channel"], a["status"]) for a in _audits(store, good_spec.probe_id)] == [("webform", "ok")]
    # And the scorecard says which audit could not complete, and why
    card = build_scorecard(store, "run-1", {journey.name: journey}, {busy.name: busy, plain.name: plain})
    incomplete = card["companies"][busy.name]["accessibility"]["incomplete"]
    assert [(i["status"], i["channel"]) for i in incomplete] == [("timed out", "webform")] and incomplete[0]["screenshot"]
    assert json.dumps(card["companies"]["demo-plain"]["accessibility"]["incomplete"]) == "[]"


def test_an_audit_of_a_chat_widget_that_times_out_is_a_verdict_with_a_screenshot_and_the_chat_goes_on(tmp_path: Path, store, make_desk) -> None:
    from mysteryshop.channels.browser import BrowserOptions
    from mysteryshop.runner import Engine, EngineThread

    from .conftest import PROBE_DOMAIN, profile, specs_for, write_journey
    from .test_chat_widgets import widget_target
    from .test_web_probes import quick_chat

    engine = EngineThread(Engine(store, "run-1", domains={PROBE_DOMAIN}, browser=BrowserOptions(artifacts_dir=tmp_path / "reports"))).start()
    try:
        # Given the chat widget in nested frames, whose messenger keeps its page busy for 7.5 s once the chat starts
        desk = make_desk(profile(chat=quick_chat()), speedup=60)
        target = widget_target(desk, speedup=60, query="nested=1&busy=7500", consent=None, timeout=15.0)
        journey = write_journey(tmp_path, """
id: open_only
title: Open the chat and ask
steps:
  - id: open
    do: open_chat
    body: "Hi, where is my order {persona.order_id}?"
  - id: first_response
    expect: chat_response
    within: 5m
""")
        spec = specs_for(journey, target, 1)[0]
        engine.call(engine.engine.web.browser.context("warm-up"))
        result = engine.submit(spec).result(timeout=90)
    finally:
        engine.stop()
    # Then the widget's audit is recorded as timed out with a screenshot, and the customer's question was still asked and answered
    audits = _audits(store, spec.probe_id)
    assert [(a["channel"], a["status"]) for a in audits] == [("chat", "timed out")], audits
    assert "did not finish within" in audits[0]["error"] and "/messenger" in audits[0]["url"]
    assert audits[0]["screenshot"] and Path(audits[0]["screenshot"]).is_file()
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    assert [m.author for m in result.timeline.web.chat if m.author != "typing"][:2] == ["bot", "customer"]
