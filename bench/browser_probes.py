"""Web-form probe throughput: our channel against the pytest-playwright default style, same run.

Both submit the demo desk's contact form N times (default 100) in Debian's Chromium and read the
ticket number from the confirmation page.

- ours: the probe engine (one browser, `--browser-concurrency` pages at once, contexts pooled and
  reset between personas as the demo target's `browser_reuse` says, blocking what its `block` lists,
  all probes as asyncio tasks on one loop), through the real web-form channel: field map
  from journeys/targets/demo.yaml, CAPTCHA and validation checks, store events, evidence as the
  channel's default (`on-failure`: screenshot + HTML of failed probes; `--artifacts trace` records
  a Playwright trace for every probe), exactly as a `mysteryshop` run does.
- peer: how a pytest-playwright suite is written by default: a session-scoped browser and, per
  test, a fresh context and page (its function-scoped `page` fixture), the sync API, tests run
  one after another; each fills the form by label, submits, and asserts on the confirmation.
  Same Chromium, same launch arguments (LAUNCH_ARGS), same desk, same field values.

No server-side latency is modelled: the desk answers as fast as it can (its CPU is printed; it is
~7 ms per probe), so both sides are bound by Chromium's CPU, not by waiting.

Prints probes per second for both, their ratio and the peak RSS of the whole process tree; side by side, the CPU
seconds per probe of each side's whole process tree read before and after (exited renderers included: each live
process's reaped children count), the ratio, and the RSS per concurrent probe
(Python, Playwright's driver, Chromium) during each; the CPU seconds per probe by component (harness = this
Python, driver = Playwright's Node, browser/renderers/gpu/utility = Chromium's processes, desk);
the last line is one JSON object (the median round; peak RSS the highest).

    .venv/bin/python bench/browser_probes.py [--probes 100] [--concurrency N] [--reuse target] [--artifacts on-failure] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.channels.browser import ARTIFACTS, LAUNCH_ARGS, BrowserOptions, find_chromium  # noqa: E402
from mysteryshop.demo.process import DemoDeskProcess  # noqa: E402
from mysteryshop.demo.profile import Profile  # noqa: E402
from mysteryshop.journey import load_journey  # noqa: E402
from mysteryshop.persona import make_persona  # noqa: E402
from mysteryshop.plan import ProbeSpec  # noqa: E402
from mysteryshop.runner import Engine, EngineThread  # noqa: E402
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


def component(proc: psutil.Process, me: int) -> str:
    """Which part of the stack a process is: harness (this Python), driver (Playwright's Node), desk, or a Chromium process type."""
    if proc.pid == me:
        return "harness"
    try:
        cmd = proc.cmdline()
    except psutil.Error:
        return "other"
    line = " ".join(cmd)
    if "mysteryshop.demo" in line:
        return "desk"
    if cmd and ("node" in Path(cmd[0]).name or "playwright" in line and "chrom" not in Path(cmd[0]).name):
        return "driver"
    if "chrom" in (Path(cmd[0]).name if cmd else ""):
        kind = next((a.split("=", 1)[1] for a in cmd if a.startswith("--type=")), "browser")
        return {"renderer": "renderers", "zygote": "browser", "gpu-process": "gpu", "utility": "utility"}.get(kind, kind)
    return "other"


CHROMIUM = ("browser", "renderers", "gpu", "utility")


def tree_cpu() -> dict[str, float]:
    """CPU seconds so far of this process and its descendants, by component (harness, driver, chromium, desk, other).

    Each live process counts its own time and its reaped children's (`children_user`/`children_system`): a renderer
    that lived and exited between two readings is in its parent's (the zygote's or browser's) reaped time. So the
    difference of two readings is every process's CPU in between, exited ones included (this Python's own reaped
    children are left out: those are the desk and drivers of earlier rounds, never reaped inside a measured window)."""
    me = psutil.Process()
    out: dict[str, float] = {}
    for proc in [me, *me.children(recursive=True)]:
        try:
            with proc.oneshot():
                t = proc.cpu_times()
                busy = t.user + t.system + (0.0 if proc.pid == me.pid else t.children_user + t.children_system)
                name = component(proc, me.pid)
        except psutil.Error:
            continue
        name = "chromium" if name in CHROMIUM else name
        out[name] = out.get(name, 0.0) + busy
    return out


class Meter:
    """Samples this process and all its descendants every 50 ms: peak total RSS, and CPU seconds by component.

    A process's CPU time is read while it lives (renderers come and go with each context), so a
    process that lived less than one sample period is missed: the CPU figures are a lower bound.
    """

    def __init__(self) -> None:
        self.peak = 0
        self.baseline = 0
        self.before: dict[str, float] = {}
        self.tree: dict[str, float] = {}  # CPU seconds in the window by component, exited processes included (tree_cpu)
        self.cpu: dict[str, float] = {}
        self._first: dict[int, float] = {}
        self._last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, me: psutil.Process, first: bool) -> None:
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                with proc.oneshot():
                    rss = proc.memory_info().rss
                    t = proc.cpu_times()
                    busy = t.user + t.system
                    if proc.pid not in self._last:
                        self._last[proc.pid] = (component(proc, me.pid), busy)
                        self._first[proc.pid] = busy if first else 0.0
                    else:
                        self._last[proc.pid] = (self._last[proc.pid][0], busy)
                total += rss
            except psutil.Error:
                pass
        self.peak = max(self.peak, total)

    def _run(self) -> None:
        me = psutil.Process()
        self._sample(me, first=True)
        for _ in range(100_000):  # bounded: 100 000 samples x 50 ms
            if self._stop.wait(0.05):
                break
            self._sample(me, first=False)
        self._sample(me, first=False)
        for pid, (name, busy) in self._last.items():
            self.cpu[name] = self.cpu.get(name, 0.0) + busy - self._first[pid]

    def __enter__(self) -> Meter:
        self.before = tree_cpu()
        self.baseline = sum(p.memory_info().rss for p in [psutil.Process(), *psutil.Process().children(recursive=True)] if p.is_running())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        after = tree_cpu()
        self.tree = {k: after.get(k, 0.0) - self.before.get(k, 0.0) for k in after}
        self._stop.set()
        self._thread.join(timeout=10)


def quiet_profile() -> Profile:
    off = {"probability": 0.0, "delay": ["1s", "1s"]}
    return Profile.model_validate({"name": "bench", "acknowledgement": off, "answer": off, "followup": off, "marketing": off})


def run_ours(target: Target, workdir: Path, probes: int, concurrency: int, artifacts: str = "on-failure",
             reuse: bool | None = None) -> tuple[float, Meter, int]:
    journey_path = workdir / "bench_form.yaml"
    journey_path.write_text(JOURNEY, encoding="utf-8")
    journey = load_journey(journey_path)
    store = Store(workdir / "bench.sqlite")
    store.create_run("bench", {})
    options = BrowserOptions(concurrency=concurrency, artifacts=artifacts, artifacts_dir=workdir / "reports", reuse=reuse)
    engine = EngineThread(Engine(store, "bench", domains={target.spec.probe_domain}, browser=options)).start()
    try:
        engine.call(engine.engine.web.browser.context("warm-up"), timeout=60)  # the browser starts once, like in a run
        engine.call(engine.engine.web.browser.finish("warm-up", failed=False))
        specs = [ProbeSpec(f"p{i}", journey, target, make_persona(11, i, domain=target.spec.probe_domain, run_tag="ours")) for i in range(probes)]
        with Meter() as rss:
            started = time.perf_counter()
            results = [f.result(timeout=600) for f in [engine.submit(s) for s in specs]]
            elapsed = time.perf_counter() - started
        print(f"  ours: {engine.engine.web.browser.reused} of {probes} probes got a pooled context", flush=True)
    finally:
        engine.stop()
        store.close()
    passed = sum(r.status == "passed" for r in results)
    if passed != probes:
        bad = next(r for r in results if r.status != "passed")
        print(f"ours: {probes - passed} probes did not pass, e.g. {bad.error or [o.reason for o in bad.failures]}", file=sys.stderr)
    return elapsed, rss, passed


def run_peer(url: str, probes: int) -> tuple[float, Meter, int]:
    """The pytest-playwright default style: session browser, fresh context + page per test, sequential."""
    from playwright.sync_api import expect, sync_playwright

    passed = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=list(LAUNCH_ARGS))
        with Meter() as rss:
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
    return elapsed, rss, passed


def cpu_line(meter: Meter, probes: int) -> str:
    parts = sorted(meter.cpu.items(), key=lambda kv: -kv[1])
    total = sum(v for _, v in parts)
    return f"CPU {total / probes * 1000:5.0f} ms/probe: " + ", ".join(f"{k} {v / probes * 1000:.0f}" for k, v in parts if v > 0.005)


def tree_ms(meter: Meter, probes: int, parts: tuple[str, ...] | None = None) -> float:
    """CPU milliseconds per probe in the measured window (tree_cpu), of `parts` (default: every process but the desk)."""
    return sum(v for k, v in meter.tree.items() if (k in parts if parts else k != "desk")) / max(1, probes) * 1000


def side_by_side(ours: Meter, peer: Meter, probes: int, concurrency: int) -> list[str]:
    """CPU per probe (exited processes included) and memory, ours beside the peer's, with the ratios."""
    rows = [("chromium (browser, renderers, GPU, utility)", ("chromium",)), ("driver (Playwright's Node)", ("driver",)),
            ("harness (this Python)", ("harness",)), ("total, desk left out", None)]
    lines = [f"  {'CPU ms per probe':46} {'ours':>8} {'peer':>8} {'ours/peer':>10}"]
    for label, parts in rows:
        a, b = tree_ms(ours, probes, parts), tree_ms(peer, probes, parts)
        lines.append(f"  {label:46} {a:8.0f} {b:8.0f} {a / b if b else float('nan'):9.2f}x")
    per = (ours.peak - ours.baseline) / concurrency / 2**20
    lines.append(f"  {'peak RSS of the process tree, MB':46} {ours.peak / 2**20:8.0f} {peer.peak / 2**20:8.0f} {ours.peak / peer.peak if peer.peak else float('nan'):9.2f}x")
    lines.append(f"  {'RSS per concurrent probe, MB (peak - idle)':46} {per:8.0f} {(peer.peak - peer.baseline) / 2**20:8.0f}   (ours at concurrency {concurrency}; peer runs one)")
    return lines


def main() -> int:
    from mysteryshop.channels.browser import DEFAULT_CONCURRENCY

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help=f"our --browser-concurrency (default {DEFAULT_CONCURRENCY}, the channel's default)")
    parser.add_argument("--artifacts", default="on-failure", choices=list(ARTIFACTS), help="our --browser-artifacts (default on-failure, the channel's default)")
    parser.add_argument("--accessibility", choices=["on", "off"], default="on",
                        help="our axe-core audit of each form (the target's webform.accessibility; default on, as in a run)")
    parser.add_argument("--reuse", choices=["on", "off", "target"], default="target",
                        help="our --browser-reuse (default target: the demo target file's browser_reuse, on)")
    parser.add_argument("--repeat", type=int, default=1, help="run both sides this many times, alternating; report best and median")
    args = parser.parse_args()
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mysteryshop-bench-") as tmp:
        workdir = Path(tmp)
        # the desk delivers no email in this bench (its profile sends none), so any port will do
        desk = DemoDeskProcess(quiet_profile(), deliver_to=("127.0.0.1", 9), seed=11, workdir=workdir).start()
        try:
            base = load_target(ROOT / "journeys" / "targets" / "demo.yaml")
            spec = base.spec.model_copy(deep=True)
            spec.webform.url = with_port(spec.webform.url, desk.http_port)  # type: ignore[union-attr]
            spec.webform.accessibility = args.accessibility == "on"  # type: ignore[union-attr]
            target = Target(spec=spec, path=base.path)
            for n in range(args.repeat):
                peer_s, peer_m, peer_ok = run_peer(spec.webform.url, args.probes)  # type: ignore[union-attr]
                run_dir = workdir / f"ours{n}"
                run_dir.mkdir()
                ours_s, ours_m, ours_ok = run_ours(target, run_dir, args.probes, args.concurrency, args.artifacts,
                                                    {"on": True, "off": False}.get(args.reuse))
                ours_rate, peer_rate = ours_ok / ours_s, peer_ok / peer_s
                rounds.append({"ours": ours_rate, "peer": peer_rate, "ratio": ours_rate / peer_rate, "rss": ours_m.peak / 2**20,
                               "peer_rss": peer_m.peak / 2**20, "ok": ours_ok == args.probes and peer_ok == args.probes,
                               "cpu_ms": tree_ms(ours_m, args.probes), "peer_cpu_ms": tree_ms(peer_m, args.probes),
                               "chromium_ms": tree_ms(ours_m, args.probes, ("chromium",)), "peer_chromium_ms": tree_ms(peer_m, args.probes, ("chromium",)),
                               "cpu_ratio": tree_ms(ours_m, args.probes) / max(1e-9, tree_ms(peer_m, args.probes)),
                               "mb_per_concurrent": (ours_m.peak - ours_m.baseline) / args.concurrency / 2**20})
                print(f"round {n + 1}: {args.probes} web-form probes against the demo desk, load average {os.getloadavg()[0]:.1f}")
                reuse = {"on": True, "off": False}.get(args.reuse, spec.browser_reuse)
                print(f"  ours (one browser, {args.concurrency} concurrent contexts, reuse {'on' if reuse else 'off'}, artifacts {args.artifacts}, axe {args.accessibility}): {ours_ok} ok in {ours_s:6.2f} s = {ours_rate:6.2f} probes/s, peak RSS {ours_m.peak / 2**20:6.0f} MB")
                print(f"       {cpu_line(ours_m, args.probes)}")
                print(f"  peer (pytest-playwright style, sequential): {peer_ok} ok in {peer_s:6.2f} s = {peer_rate:6.2f} probes/s, peak RSS {peer_m.peak / 2**20:6.0f} MB")
                print(f"       {cpu_line(peer_m, args.probes)}")
                print(f"  throughput ratio ours/peer: {ours_rate / peer_rate:.2f}x (issue 19: at least 2x)")
                for line in side_by_side(ours_m, peer_m, args.probes, args.concurrency):
                    print(line)
                print(f"  CPU ratio ours/peer (total): {rounds[-1]['cpu_ratio']:.2f}x (issue 19: at most 0.5x)", flush=True)
            forms = len(desk.truth.forms)
        finally:
            desk.stop()
    ratios = sorted(r["ratio"] for r in rounds)
    best = max(rounds, key=lambda r: r["ratio"])
    median = statistics.median(ratios)
    chosen = sorted(rounds, key=lambda r: r["ratio"])[(len(rounds) - 1) // 2]  # the median round (lower middle)
    print(f"{len(rounds)} round(s), desk accepted {forms} forms; ratio best {best['ratio']:.2f}x, median {median:.2f}x; "
          f"ours median {statistics.median(r['ours'] for r in rounds):.2f}/s, peer median {statistics.median(r['peer'] for r in rounds):.2f}/s")
    print(json.dumps({"probes": args.probes, "ours_per_s": round(chosen["ours"], 3), "peer_per_s": round(chosen["peer"], 3),
                      "ratio": round(chosen["ratio"], 3), "peak_rss_mb": round(max(r["rss"] for r in rounds), 1),
                      "peer_peak_rss_mb": round(max(r["peer_rss"] for r in rounds), 1),
                      "cpu_ms_per_probe": round(chosen["cpu_ms"], 1), "peer_cpu_ms_per_probe": round(chosen["peer_cpu_ms"], 1),
                      "chromium_ms_per_probe": round(chosen["chromium_ms"], 1), "peer_chromium_ms_per_probe": round(chosen["peer_chromium_ms"], 1),
                      "cpu_ratio": round(chosen["cpu_ratio"], 3), "mb_per_concurrent_probe": round(chosen["mb_per_concurrent"], 1)}))
    return 0 if all(r["ok"] for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
