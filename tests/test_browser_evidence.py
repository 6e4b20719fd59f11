"""Browser evidence and slots: cheap evidence on failure by default, traces opt-in, contexts only with a slot."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from mysteryshop.channels.browser import Browser, BrowserOptions
from mysteryshop.runner import Engine, EngineThread
from mysteryshop.store import Store

from .conftest import PROBE_DOMAIN, profile, specs_for, write_journey
from .test_web_probes import BAD_ORDER, demo_target

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")

@pytest.mark.parametrize("artifacts", ["on-failure", "trace"])
def test_a_failed_form_keeps_a_screenshot_and_the_html_and_a_trace_only_when_asked(artifacts: str, tmp_path: Path, store: Store, make_desk) -> None:
    desk = make_desk(profile())
    reports = tmp_path / "reports"
    engine = EngineThread(Engine(store, "run-1", domains={PROBE_DOMAIN}, browser=BrowserOptions(artifacts=artifacts, artifacts_dir=reports))).start()
    try:
        journey = write_journey(tmp_path, BAD_ORDER)
        bad = engine.submit(specs_for(journey, demo_target(desk, speedup=1), 1)[0]).result(timeout=60)
        fine = write_journey(tmp_path, BAD_ORDER.replace('fields: {order_id: "12345"}', "fields: {}").replace("bad_order", "fine"), name="fine")
        good = engine.submit(specs_for(fine, demo_target(desk, speedup=1), 1, seed=5)[0]).result(timeout=60)
    finally:
        engine.stop()
    assert bad.status == "error" and "rejected with validation errors" in (bad.error or "")
    folders = list((reports / "browser").iterdir())
    assert len(folders) == 1, "only the failed probe keeps evidence"
    kept = {p.name for p in folders[0].iterdir()}
    assert "submit-failed.png" in kept and "submit-failed.html" in kept
    assert "ORD-123456" in (folders[0] / "submit-failed.html").read_text(), "the HTML shows the page's validation error"
    assert ("trace.zip" in kept) == (artifacts == "trace")
    assert ("network.har" in kept) == (artifacts == "trace")
    if artifacts == "trace":  # the HAR is Playwright's JSON and holds the form's POST to the desk
        har = json.loads((folders[0] / "network.har").read_text())
        assert any(e["request"]["method"] == "POST" and "/contact" in e["request"]["url"] for e in har["log"]["entries"])
    assert not (reports / ".har.partial").exists(), "the passing probe's HAR is not left behind"
    assert good.status == "passed", good.error


def test_a_probe_waiting_for_a_slot_has_no_context() -> None:
    async def check() -> None:
        browser = Browser(BrowserOptions(concurrency=1))
        first, second = browser.probe("a"), browser.probe("b")
        await browser.acquire(first)
        assert second.context is None and first.context is None  # nothing started in Chromium yet
        assert browser._semaphore.locked()  # noqa: SLF001 - the second probe would wait here, holding nothing

    asyncio.run(check())
