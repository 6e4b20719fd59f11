"""Web-form probe throughput: our channel against the pytest-playwright default style, same run.

Both submit the demo desk's contact form N times (default 100) in Debian's Chromium and read the
ticket number from the confirmation page.

- ours: the probe engine (one browser, one context per probe, `--browser-concurrency` pages at
  once, all probes as asyncio tasks on one loop), through the real web-form channel: field map
  from journeys/targets/demo.yaml, CAPTCHA and validation checks, store events, trace recording
  on (kept only on failure), exactly as a `mysteryshop` run does.
- peer: how a pytest-playwright suite is written by default: a session-scoped browser and, per
  test, a fresh context and page (its function-scoped `page` fixture), the sync API, tests run
  one after another; each fills the form by label, submits, and asserts on the confirmation.

Prints probes per second for both, their ratio and the peak RSS of the whole process tree
(Python, Playwright's driver, Chromium) during each; the last line is one JSON object.

    .venv/bin/python bench/browser_probes.py [--probes 100] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.channels.browser import LAUNCH_ARGS, BrowserOptions, find_chromium  # noqa: E402
from mysteryshop.demo.process import DemoDeskProcess  # noqa: E402
from mysteryshop.demo.profile import Profile  # noqa: E402
from mysteryshop.journey import load_journey  # noqa: E402
from mysteryshop.persona import make_persona  # noqa: E402
from mysteryshop.runner import Engine, EngineThread, ProbeSpec  # noqa: E402
from mysteryshop.session import with_port  # noqa: E402
from mysteryshop.store import Store  # noqa: E402
from mysteryshop.target import Target, load_target  # noqa: E402

JOURNEY = """
id: bench_form
title: Submit the contact form
steps:
  - id: submit
    do: submit_form
    fields: {topic: Returns and refunds}
    body: "Hello, how do I return the jacket from order {persona.order_id} for a refund?"
  - id: confirmed
    expect: form_confirmation
    within: 1m
"""


class PeakRss:
    """Samples the RSS of this process and all its descendants every 50 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        for _ in range(100_000):  # bounded: 100 000 samples x 50 ms
            if self._stop.is_set():
                return
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def quiet_profile() -> Profile:
    off = {"probability": 0.0, "delay": ["1s", "1s"]}
    return Profile.model_validate({"name": "bench", "acknowledgement": off, "answer": off, "followup": off, "marketing": off})


def run_ours(target: Target, workdir: Path, probes: int, concurrency: int, artifacts: str = "on-failure") -> tuple[float, int, int]:
    journey_path = workdir / "bench_form.yaml"
    journey_path.write_text(JOURNEY, encoding="utf-8")
    journey = load_journey(journey_path)
    store = Store(workdir / "bench.sqlite")
    store.create_run("bench", {})
    options = BrowserOptions(concurrency=concurrency, artifacts=artifacts, artifacts_dir=workdir / "reports")
    engine = EngineThread(Engine(store, "bench", domains={target.spec.probe_domain}, browser=options)).start()
    try:
        engine.call(engine.engine.web.browser.context("warm-up"), timeout=60)  # the browser starts once, like in a run
        engine.call(engine.engine.web.browser.finish("warm-up", failed=False))
        specs = [ProbeSpec(f"p{i}", journey, target, make_persona(11, i, domain=target.spec.probe_domain, run_tag="ours")) for i in range(probes)]
        with PeakRss() as rss:
            started = time.perf_counter()
            results = [f.result(timeout=600) for f in [engine.submit(s) for s in specs]]
            elapsed = time.perf_counter() - started
    finally:
        engine.stop()
        store.close()
    passed = sum(r.status == "passed" for r in results)
    if passed != probes:
        bad = next(r for r in results if r.status != "passed")
        print(f"ours: {probes - passed} probes did not pass, e.g. {bad.error or [o.reason for o in bad.failures]}", file=sys.stderr)
    return elapsed, rss.peak, passed


def run_peer(url: str, probes: int) -> tuple[float, int, int]:
    """The pytest-playwright default style: session browser, fresh context + page per test, sequential."""
    from playwright.sync_api import expect, sync_playwright

    passed = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=list(LAUNCH_ARGS))
        with PeakRss() as rss:
            started = time.perf_counter()
            for i in range(probes):
                persona = make_persona(11, i, run_tag="peer")
                context = browser.new_context()  # the `context` fixture
                page = context.new_page()  # the `page` fixture
                page.goto(url)
                page.get_by_label("Your name", exact=True).fill(persona.full_name)
                page.locator('[name="email"]').fill(persona.email)
                page.locator("#order").fill(persona.order_id)
                page.get_by_label("Topic", exact=True).select_option(label="Returns and refunds")
                page.get_by_label("Message", exact=True).fill(f"Hello, how do I return the jacket from order {persona.order_id} for a refund?")
                page.locator('input[type=radio][name="reply_by"][value="email"]').check()
                page.locator('[name="consent"]').check()
                page.locator("#send").click()
                expect(page.locator("#confirmation")).to_contain_text("ticket number")
                if re.search(r"ticket number is (NW-\d+)", page.locator("#confirmation").inner_text()):
                    passed += 1
                context.close()
            elapsed = time.perf_counter() - started
        browser.close()
    return elapsed, rss.peak, passed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8, help="our --browser-concurrency (default 8)")
    parser.add_argument("--artifacts", default="on-failure", choices=["on-failure", "always", "off"], help="our --browser-artifacts (default on-failure: traces recorded, kept on failure)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mysteryshop-bench-") as tmp:
        workdir = Path(tmp)
        # the desk delivers no email in this bench (its profile sends none), so any port will do
        desk = DemoDeskProcess(quiet_profile(), deliver_to=("127.0.0.1", 9), seed=11, workdir=workdir).start()
        try:
            base = load_target(ROOT / "journeys" / "targets" / "demo.yaml")
            spec = base.spec.model_copy(deep=True)
            spec.webform.url = with_port(spec.webform.url, desk.http_port)  # type: ignore[union-attr]
            target = Target(spec=spec, path=base.path)
            peer_s, peer_rss, peer_ok = run_peer(spec.webform.url, args.probes)  # type: ignore[union-attr]
            ours_s, ours_rss, ours_ok = run_ours(target, workdir, args.probes, args.concurrency, args.artifacts)
            forms = len(desk.truth.forms)
        finally:
            desk.stop()
    ours_rate, peer_rate = ours_ok / ours_s, peer_ok / peer_s
    print(f"{args.probes} web-form probes against the demo desk (desk accepted {forms} forms)")
    print(f"  ours (one browser, {args.concurrency} concurrent contexts): {ours_ok} ok in {ours_s:6.2f} s = {ours_rate:6.2f} probes/s, peak RSS {ours_rss / 2**20:6.0f} MB")
    print(f"  peer (pytest-playwright style, sequential):   {peer_ok} ok in {peer_s:6.2f} s = {peer_rate:6.2f} probes/s, peak RSS {peer_rss / 2**20:6.0f} MB")
    print(f"  ratio ours/peer: {ours_rate / peer_rate:.2f}x (target: at least 3x)")
    print(json.dumps({"probes": args.probes, "ours_per_s": round(ours_rate, 3), "peer_per_s": round(peer_rate, 3),
                      "ratio": round(ours_rate / peer_rate, 3), "peak_rss_mb": round(ours_rss / 2**20, 1)}))
    return 0 if ours_ok == args.probes and peer_ok == args.probes else 1


if __name__ == "__main__":
    sys.exit(main())
