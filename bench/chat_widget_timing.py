"""Chat timing through an embedded widget: how far each message's time is from the demo desk's ground truth.

N chat probes (default 50) walk a chat journey (open the chat, ask about a late parcel, expect a first
response, a human, an answer and a survey: chat_delivery.yaml without its facts, so that every probe ends
when its conversation does) against journeys/targets/demo-widget.yaml:
a cookie banner, a launcher that slides into place, the conversation in two nested cross-origin frames
and a shadow root (mysteryshop/demo/widget.py). Each bot and agent message's time, as the chat channel
recorded it (taken in the widget's frame when the message entered its DOM, mapped to this process's
monotonic clock), is compared with the moment the desk pushed it into the websocket (`sent_ns` in the
desk's ground-truth log, the same monotonic clock: the desk runs on this machine).

`--page plain` runs the same probes against the plain chat page (journeys/targets/demo.yaml), for
comparison. Prints the error distribution (p50, p99, max of |error|, and the signed mean) and ends
with one JSON line. Target: p99 < 50 ms.

The widget sends the desk a read receipt with its page clock when each message arrives
(mysteryshop/demo/widget.py), so the error splits into the delivery to the browser (the desk's
websocket, the kernel, a renderer waiting for a core: real latency a customer sees too) and what
the probe's own clock adds (arrival in the page to the recorded time: the DOM insertion, the
observer, the page-to-monotonic mapping). On a machine shared with other work, the first dominates.

    .venv/bin/python bench/chat_widget_timing.py [--probes 50] [--concurrency N] [--speedup 60] [--page widget|plain]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.channels.browser import DEFAULT_CONCURRENCY, BrowserOptions  # noqa: E402
from mysteryshop.demo.process import DemoDeskProcess  # noqa: E402
from mysteryshop.demo.profile import Profile  # noqa: E402
from mysteryshop.journey import load_journey  # noqa: E402
from mysteryshop.persona import make_persona  # noqa: E402
from mysteryshop.plan import ProbeSpec  # noqa: E402
from mysteryshop.runner import Engine, EngineThread  # noqa: E402
from mysteryshop.session import with_port  # noqa: E402
from mysteryshop.store import Store  # noqa: E402
from mysteryshop.target import Target, load_target  # noqa: E402

TARGETS = {"widget": "demo-widget.yaml", "plain": "demo.yaml"}
JOURNEY = """
id: bench_chat
title: Ask about a late delivery in the chat
steps:
  - id: open
    do: open_chat
  - id: ask
    do: say
    body: "Hi, my order {persona.order_id} was due yesterday and has not arrived. Where is my parcel?"
  - id: first_response
    expect: chat_response
    within: 5m
  - id: human
    expect: human_agent
    within: 10m
  - id: answered
    expect: chat_answer
    within: 1h
  - id: survey
    expect: chat_survey
    within: 1h30m
"""


def chat_profile() -> Profile:
    """A desk that sends no email and plays a whole chat (greeting, queue, status updates, typing, agent, answer, survey)."""
    off = {"probability": 0.0, "delay": ["1s", "1s"]}
    chat = {
        "greeting": 1.0, "wait_estimate": 1.0, "handoff": ["30s", "50s"], "typing": "5s",
        "answer": {"delay": ["20s", "40s"], "quality": {"good": 1.0}}, "status_update": 1.0, "status_every": "15s",
        "remembers": 1.0, "survey": 1.0, "survey_delay": "10s",
    }
    return Profile.model_validate({"name": "bench-chat", "acknowledgement": off, "answer": off, "followup": off, "marketing": off, "chat": chat})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help=f"pages driven at once (default {DEFAULT_CONCURRENCY})")
    parser.add_argument("--speedup", type=float, default=60.0, help="the desk's clock speed: 60 plays a 2-minute chat in 2 s (default 60)")
    parser.add_argument("--page", choices=list(TARGETS), default="widget", help="the embedded widget (default) or the plain chat page")
    args = parser.parse_args()
    if not 1 <= args.probes <= 1000:
        parser.error("--probes must be between 1 and 1000")
    with tempfile.TemporaryDirectory(prefix="mysteryshop-bench-chat-") as tmp:
        workdir = Path(tmp)
        store = Store(workdir / "bench.sqlite")
        store.create_run("bench", {})
        base = load_target(ROOT / "journeys" / "targets" / TARGETS[args.page])
        options = BrowserOptions(concurrency=args.concurrency, artifacts_dir=workdir / "reports")
        engine = EngineThread(Engine(store, "bench", domains={base.spec.probe_domain}, browser=options)).start()
        desk = DemoDeskProcess(chat_profile(), deliver_to=engine.engine.mailbox_address, seed=11, speedup=args.speedup, workdir=workdir).start()
        try:
            spec = base.spec.model_copy(deep=True)
            spec.speedup = args.speedup
            spec.email.smtp_port = desk.port  # type: ignore[union-attr]
            spec.chat.url = with_port(spec.chat.url, desk.http_port)  # type: ignore[union-attr]
            target = Target(spec=spec, path=base.path)
            journey_path = workdir / "bench_chat.yaml"
            journey_path.write_text(JOURNEY, encoding="utf-8")
            journey = load_journey(journey_path)
            engine.call(engine.engine.web.browser.context("warm-up"), timeout=60)  # the browser starts once, like in a run
            engine.call(engine.engine.web.browser.finish("warm-up", failed=False))
            specs = [ProbeSpec(f"p{i}", journey, target, make_persona(11, i, domain=spec.probe_domain, run_tag="chat")) for i in range(args.probes)]
            started = time.perf_counter()
            results = [f.result(timeout=600) for f in [engine.submit(s) for s in specs]]
            elapsed = time.perf_counter() - started
            truth = desk.truth.chat
        finally:
            engine.stop()
            desk.stop()
            store.close()
    errors_ms: list[float] = []
    delivery_ms: list[float] = []  # sent by the desk -> arrived in the widget's page (the widget's read receipt)
    clock_ms: list[float] = []     # arrived in the page -> the time the probe recorded (what our own clock adds)
    unmatched = 0
    passed = sum(r.status == "passed" for r in results)
    for result in results:
        if result.timeline is None:
            continue
        shown = [m for m in result.timeline.web.chat if m.author in ("bot", "agent")]
        sent = [t for t in truth if t["email"] == result.spec.persona.email and t["author"] in ("bot", "agent") and t["kind"] not in ("typing", "end")]
        sent_by_text: dict[str, list[int]] = {}
        for record in sent:
            sent_by_text.setdefault(record["text"], []).append(record["sent_ns"])
        seen_by_text: dict[str, list[int]] = {}
        for record in truth:
            if record["email"] == result.spec.persona.email and record.get("kind") == "seen":
                seen_by_text.setdefault(record["text"], []).append(record["shown_ns"])
        for message in shown:
            times = sent_by_text.get(message.text)
            if not times:
                unmatched += 1
                continue
            sent_ns = times.pop(0)
            errors_ms.append((message.t_ns - sent_ns) / 1e6)
            seen = seen_by_text.get(message.text)
            if seen:
                arrived = seen.pop(0)
                delivery_ms.append((arrived - sent_ns) / 1e6)
                clock_ms.append((message.t_ns - arrived) / 1e6)
        unmatched += sum(len(v) for v in sent_by_text.values())  # sent but never recorded
    for result in results:
        if result.status != "passed":
            print(f"  {result.spec.probe_id} {result.status}: {result.error or [o.reason for o in result.failures]}", file=sys.stderr)
    if not errors_ms:
        print(f"no chat message was matched to the ground truth ({passed}/{args.probes} probes passed)", file=sys.stderr)
        return 1
    absolute = [abs(e) for e in errors_ms]
    p50, p99, worst = percentile(absolute, 0.5), percentile(absolute, 0.99), max(absolute)
    print(f"{args.probes} chat probes through the {args.page} chat ({'cookie banner, sliding launcher, 2 nested cross-origin frames, shadow roots' if args.page == 'widget' else 'plain page'}), "
          f"concurrency {args.concurrency}, desk speedup {args.speedup:g}, load average {os.getloadavg()[0]:.1f}")
    print(f"  {passed}/{args.probes} probes passed in {elapsed:.1f} s; {len(errors_ms)} company messages matched to the desk's ground truth, {unmatched} unmatched")
    print(f"  timing error |recorded - sent|: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms; signed mean {statistics.fmean(errors_ms):+.2f} ms "
          f"(target: p99 < 50 ms: {'met' if p99 < 50 else 'NOT met'})")
    split = {}
    if clock_ms:
        own = [abs(e) for e in clock_ms]
        split = {"delivery_p50_ms": round(percentile(delivery_ms, 0.5), 3), "delivery_p99_ms": round(percentile(delivery_ms, 0.99), 3),
                 "clock_p50_ms": round(percentile(own, 0.5), 3), "clock_p99_ms": round(percentile(own, 0.99), 3), "clock_max_ms": round(max(own), 3)}
        print(f"  of which delivery (desk -> the widget's page, its read receipt): p50 {split['delivery_p50_ms']:.2f} ms, p99 {split['delivery_p99_ms']:.2f} ms; "
              f"our clock (arrived in the page -> recorded): p50 {split['clock_p50_ms']:.2f} ms, p99 {split['clock_p99_ms']:.2f} ms, max {split['clock_max_ms']:.2f} ms")
    print(json.dumps({"page": args.page, "probes": args.probes, "passed": passed, "messages": len(errors_ms), "unmatched": unmatched,
                      "p50_ms": round(p50, 3), "p99_ms": round(p99, 3), "max_ms": round(worst, 3),
                      "mean_signed_ms": round(statistics.fmean(errors_ms), 3), **split, "elapsed_s": round(elapsed, 2)}))
    return 0 if passed == args.probes and unmatched == 0 and p99 < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
