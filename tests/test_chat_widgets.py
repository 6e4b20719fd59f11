"""Chat widgets where companies put them: behind a cookie banner, a launcher, cross-origin frames and shadow roots.

Real Chromium against the demo desk's widget (mysteryshop/demo/widget.py), served from a second port.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysteryshop.channels.browser import BrowserOptions
from mysteryshop.demo.widget import NOTICE
from mysteryshop.errors import problem_of
from mysteryshop.exitcodes import EXIT_MISCONFIGURED, PRECEDENCE
from mysteryshop.journey import load_journey
from mysteryshop.runner import Engine, EngineThread
from mysteryshop.session import with_port
from mysteryshop.store import Store
from mysteryshop.target import Target, load_target

from .conftest import PROBE_DOMAIN, ROOT, profile, specs_for
from .test_web_probes import CHAT_TOLERANCE_NS, quick_chat

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")


@pytest.fixture
def engine(store: Store, tmp_path: Path) -> Iterator[EngineThread]:
    """An engine that keeps browser evidence (screenshots of failed steps) under tmp_path/reports."""
    thread = EngineThread(Engine(store, "run-1", domains={PROBE_DOMAIN}, browser=BrowserOptions(artifacts_dir=tmp_path / "reports"))).start()
    yield thread
    thread.stop()


def widget_target(desk, *, speedup: float, query: str | None = None, **chat: object) -> Target:
    """journeys/targets/demo-widget.yaml pointed at this desk; `query` replaces the page's variant, `chat` overrides settings."""
    target = load_target(ROOT / "journeys" / "targets" / "demo-widget.yaml")
    spec = target.spec.model_copy(deep=True)
    spec.speedup = speedup
    spec.email.smtp_port = desk.port  # type: ignore[union-attr]
    assert spec.chat is not None
    spec.chat.url = with_port(spec.chat.url, desk.http_port)
    if query is not None:
        spec.chat.url = spec.chat.url.split("?")[0] + "?" + query
    data = spec.chat.model_dump() | chat
    spec.chat = type(spec.chat).model_validate(data)
    return Target(spec=spec, path=target.path)


def test_a_chat_in_nested_cross_origin_frames_and_shadow_roots_is_timed_within_50ms(engine: EngineThread, make_desk) -> None:
    # Given the desk's chat as a widget: cookie banner, a launcher that slides, two nested cross-origin frames, shadow roots
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    specs = specs_for(journey, widget_target(desk, speedup=60), 3)

    # When three chat probes run at once
    results = [f.result(timeout=90) for f in [engine.submit(s) for s in specs]]

    # Then each saw the whole conversation with its authors, and every company message is timed within 50 ms of when the desk sent it
    truth = desk.truth.chat
    for result in results:
        assert result.status == "passed", (result.error, [o.reason for o in result.failures])
        chat = result.timeline.web.chat
        authors = [m.author for m in chat if m.author != "typing"]
        assert authors[:3] == ["bot", "customer", "bot"] and "agent" in authors
        shown = [m for m in chat if m.author in ("bot", "agent")]
        sent = [t for t in truth if t["email"] == result.spec.persona.email and t["author"] in ("bot", "agent") and t["kind"] not in ("typing", "end")]
        assert [m.text for m in shown] == [t["text"] for t in sent] and len(sent) >= 4
        assert NOTICE not in [m.text for m in chat]  # the page's own '.msg' outside the widget's frame is not the conversation
        for message, record in zip(shown, sent, strict=True):
            error = (message.shown_ns or message.t_ns) - record["sent_ns"]
            assert -CHAT_TOLERANCE_NS < error < CHAT_TOLERANCE_NS, f"{message.text[:40]}: {error / 1e6:.1f} ms"
        # and each line after the customer's counts exactly the delay the desk planned after it, however late a busy
        # machine carried the customer's line to the desk or showed the desk's (a simulated desk only: channels/chat.py)
        said = next(m for m in chat if m.author == "customer")
        got = next(t["received_ns"] for t in truth if t["email"] == result.spec.persona.email and t.get("kind") == "received")
        for message, record in zip(shown, sent, strict=True):
            if message.t_ns > said.t_ns:
                planned_error = (message.t_ns - said.t_ns) - (record["scheduled_ns"] - got)
                # exactly, to the page clock's float rounding (< 1 µs seen; the page's own observer lags 0.1-30 ms)
                assert abs(planned_error) < 10_000, f"{message.text[:40]}: {planned_error / 1e6:.3f} ms"


@pytest.mark.parametrize("launcher", ["iframe[name=nw-launcher]", {"frame": {"name": "nw-launcher"}, "selector": "button"}],
                         ids=["click-the-frame", "button-in-the-frame"])
def test_a_launcher_in_a_frame_of_its_own_opens_the_chat(launcher: object, engine: EngineThread, make_desk) -> None:
    # Given a launcher in its own cross-origin frame (as Intercom and Zendesk do), behind a banner that covers it
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    target = widget_target(desk, speedup=60, query="launcher=frame&consent=over", open=launcher, frame=[{"name": "nw-messenger"}])
    result = engine.submit(specs_for(journey, target, 1)[0]).result(timeout=90)
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    assert any(m.author == "agent" for m in result.timeline.web.chat)


def test_a_closed_shadow_root_is_reached_when_the_target_opens_them(engine: EngineThread, make_desk) -> None:
    # Given a messenger in a closed shadow root, and author selectors that do not say which messages are the customer's
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    target = widget_target(desk, speedup=60, query="shadow=closed", consent=None, open_shadow_roots=True, frame=[{"url": "/messenger"}],
                           authors={"bot": ".bot", "agent": ".agent"})
    result = engine.submit(specs_for(journey, target, 1)[0]).result(timeout=90)
    # Then the probe drives it and reads it, and the customer's own line (matched by what was typed) is not the company's
    assert result.status == "passed", (result.error, [o.reason for o in result.failures])
    chat = result.timeline.web.chat
    assert any(m.author == "agent" for m in chat)
    said = result.timeline.actions["ask"].text
    assert [m.author for m in chat if m.text == " ".join(said.split())] == ["customer"]
    assert not [m for m in chat if m.author == "unknown"]


def test_without_opening_closed_shadow_roots_the_verdict_names_the_missing_selector_and_where_it_looked(engine: EngineThread, make_desk) -> None:
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    target = widget_target(desk, speedup=60, query="shadow=closed", consent=None, frame=[{"url": "/messenger"}], timeout=3.0)
    result = engine.submit(specs_for(journey, target, 1)[0]).result(timeout=60)
    assert result.error_class == "SelectorMissing", result.error
    assert "'#chat-email' (chat.email, in frame whose URL matches '/messenger', inside shadow host '#nw-app')" in (result.error or "")


@pytest.mark.parametrize("preset", sorted((ROOT / "journeys" / "targets" / "presets").glob("*.yaml")), ids=lambda p: p.stem)
def test_each_vendor_preset_is_a_valid_target_that_says_how_it_was_derived(preset: Path) -> None:
    target = load_target(preset)
    chat = target.spec.chat
    assert chat is not None and chat.open is not None and chat.frame, "a preset names the launcher and the widget's frame"
    header = preset.read_text(encoding="utf-8").split("\nname:")[0]
    assert "How it was derived" in header and "vendors change their markup" in header


BAD = {
    # page variant, chat settings, the verdict's class, words it must say
    "frame-never-loads": ("frame=never", {"consent": None, "frame": [{"name": "nw-messenger"}]}, "WidgetNotLoaded", ["never loaded", "/hang"]),
    "frame-never-loads-by-url": ("frame=never", {"consent": None, "frame": [{"url": "/messenger"}]}, "WidgetNotLoaded", ["never loaded", "/hang"]),
    "consent-banner": ("consent=1", {"consent": None}, "ConsentRequired", ["cookie/consent banner", "#nw-consent", "only after consent", "consent: '#nw-consent-accept'"]),
    "banner-over-launcher": ("consent=over", {"consent": None}, "ConsentRequired", ["cookie/consent banner", "it covers the element", "consent: '#nw-consent-accept'"]),
    "launcher-moves": ("launcher=restless", {"consent": None}, "LauncherMoving", ["kept moving", "chat.open"]),
    "selector-missing": ("", {"consent": None, "frame": [{"name": "nw-messenger"}], "input": "#no-such-input"}, "SelectorMissing", ["#no-such-input", "chat.input", "shadow host '#nw-app'"]),
    "frame-missing": ("", {"consent": None, "frame": [{"name": "no-such-frame"}]}, "FrameMissing", ["no-such-frame", "nw-messenger"]),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_a_widget_that_cannot_be_reached_gets_a_verdict_naming_why_with_a_screenshot_within_the_deadline(
    case: str, engine: EngineThread, make_desk, store: Store,
) -> None:
    query, chat, verdict, words = BAD[case]
    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    bad = widget_target(desk, speedup=60, query=query, timeout=4.0, **chat)
    good = widget_target(desk, speedup=60)
    engine.call(engine.engine.web.browser.context("warm-up"))  # Chromium's start-up is not the step's time
    bad_spec = specs_for(journey, bad, 1)[0]
    good_spec = specs_for(journey, good, 2)[1]

    started = time.monotonic()
    bad_future, good_future = engine.submit(bad_spec), engine.submit(good_spec)
    result = bad_future.result(timeout=60)
    elapsed = time.monotonic() - started

    # the verdict names what stood in the way, the step and the target file, within the step's deadline
    assert result.error_class == verdict, result.error
    error = result.error or ""
    for word in words:
        assert word in error, error
    assert "step 'open'" in error and "chat_delivery" in error
    # the verdict is due before the deadline; a busy machine may add the page's creation (before the step's clock) and the screenshot
    assert elapsed < 4.0 + 2.0, f"took {elapsed:.1f}s for a 4 s deadline"
    # with a screenshot of the page as it was
    rows = store.query("SELECT data FROM events WHERE probe_id = ? AND kind = 'step_failed'", (bad_spec.probe_id,))
    assert rows, "no step_failed event"
    import json

    shot = json.loads(rows[0]["data"])["screenshot"]
    assert shot and Path(shot).is_file() and Path(shot).stat().st_size > 1000
    # and the rest of the run carries on: a probe against the working widget passes
    other = good_future.result(timeout=90)
    assert other.status == "passed", (other.error, [o.reason for o in other.failures])


def test_a_consent_banner_or_missing_selector_counts_as_misconfigured_exit_code_4() -> None:
    from mysteryshop.channels.widget import ConsentRequired, FrameMissing, LauncherMoving, WidgetNotLoaded, WidgetSlow

    codes = dict(PRECEDENCE)
    for cls in (ConsentRequired, FrameMissing):
        assert problem_of(cls("x"))[1] == "misconfigured" and codes["misconfigured"] == EXIT_MISCONFIGURED == cls.exit_code
    for cls in (LauncherMoving, WidgetNotLoaded, WidgetSlow):  # findings about the company's widget: the scorecard shows them
        assert problem_of(cls("x"))[1] == "refused" and cls.exit_code is None


def test_a_bad_frame_or_launcher_setting_is_reported_at_its_line(tmp_path: Path) -> None:
    from mysteryshop.errors import JourneyError

    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\n"
        "chat:\n"
        "  url: http://127.0.0.1:1/\n"
        "  open: {selector: '#x', frame: {name: a, selector: b}}\n"   # 4: two ways to find one frame
        "  frame:\n"
        "    - {url: '('}\n"                                            # 6: not a regular expression
        "  input: '#i'\n"
        "  message: '.m'\n", encoding="utf-8")
    with pytest.raises(JourneyError) as caught:
        load_target(path)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith(f"{path}:4:") and "chat.open.frame[0]: a frame needs exactly one of 'selector:', 'name:' or 'url:'" in lines[0]
    assert lines[1].startswith(f"{path}:6:") and "chat.frame[0].url: '(' is not a valid regular expression" in lines[1]
