"""Benchmark: SMTP transaction latency of `mysteryshop listen` while a tick works through 10,000 unmatched messages.

A store is filled with --messages replies that match no probe (in the listener's `_inbox`),
--campaigns campaigns and a target with a ticket pattern. A tick reads every message it has not
read yet for each campaign (a cursor per campaign), so the first tick works through the 10,000
messages once per campaign: tens of seconds of work (20 campaigns by default) (the router that parses each message once is
another piece of work). Then `mysteryshop listen` runs twice on it:

- idle: no ticking (`--tick-every 0`);
- ticking: `--tick-every 0.1`; measured while its first tick (a process of its own) works.

In each, one client sends up to --transactions emails over one SMTP connection, one at a time with
a short pause, and times each transaction (MAIL FROM to the 250 after DATA). While ticking, only
the transactions that began and ended while the first tick process was running count; with
--in-loop (for a listener that ticks on its own event loop, as before ticks became processes;
use --campaigns 1 there) every transaction counts.

    .venv/bin/python bench/listen_load.py
    .venv/bin/python bench/listen_load.py --messages 2000 --transactions 200

Goal: ticking p99 < 100 ms and < 3x the idle p99. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.mail import compose  # noqa: E402
from mysteryshop.store import Store  # noqa: E402

DOMAIN = "probe.mysteryshop.test"
TARGET = """
name: northwind
probe_domain: probe.mysteryshop.test
ticket_pattern: '\\[#(NW-\\d+)\\]'
email:
  support_address: support@northwind.demo
  smtp_host: 127.0.0.1
  smtp_port: 2526
"""
PARAGRAPH = ("Thank you for contacting Northwind Outfitters. We have received your message and one of our team will get back "
             "to you as soon as possible. In the meantime, you may find an answer in our help centre. ")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(project: Path, messages: int, campaigns: int = 1) -> None:
    """The project, its store holding `messages` unmatched replies in `_inbox` and empty campaigns load-0, load-1, ..."""
    (project / "journeys/targets").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    # a target with a ticket pattern: a tick looks for a ticket number in every unmatched message, so parses each in full
    (project / "journeys/targets/northwind.yaml").write_text(TARGET)
    store = Store(project / "reports/mysteryshop.sqlite")
    try:
        store.write("INSERT INTO runs (id, started_utc, status, config) VALUES ('_inbox', '2026-01-01T00:00:00Z', 'collector', '{}')")
        for number in range(campaigns):
            store.create_run(f"campaign-load-{number}", {"campaign": f"load-{number}", "clock": "wall"})
        now = time.time_ns()
        templates = [reply(i) for i in range(16)]  # (composing 10,000 would take longer than the benchmark)
        for i in range(messages):
            raw = templates[i % 16].replace(b"nobody%d@" % (i % 16), b"nobody%d@" % i).replace(b"<load-%d@" % (i % 16), b"<load-%d@" % i)
            store.post(*store.message_write("_inbox", "in", "support@northwind.demo", [f"nobody{i}@{DOMAIN}"], now + i, raw))
        store.write("SELECT 1")
    finally:
        store.close()


def reply(i: int) -> bytes:
    """An HTML newsletter-style reply with a plain-text part (2-7 kB): about a millisecond to parse in full."""
    message = EmailMessage()
    message["From"] = "Northwind Outfitters <support@northwind.demo>"
    message["To"] = f"nobody{i}@{DOMAIN}"
    message["Subject"] = f"Re: your message #{i}"
    message["Message-ID"] = f"<load-{i}@northwind.demo>"
    paragraphs = 5 + i % 16
    message.set_content(PARAGRAPH * paragraphs + f"\nReference {i}\n")
    rows = "".join(f'<tr><td style="color:#333;font-family:Arial"><p>{PARAGRAPH}</p></td></tr>' for _ in range(paragraphs))
    message.add_alternative(f"<html><body><table>{rows}</table><p>Reference {i}</p></body></html>", subtype="html")
    return message.as_bytes()


def tick_children(pid: int) -> list[int]:
    """The `tick` processes the listener `pid` has running now."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in children:
        try:
            if b"tick" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except OSError:
            pass
    return found


def alive(pid: int | None) -> bool:
    return pid is None or Path(f"/proc/{pid}").exists()


async def transactions(port: int, count: int, tick_pid: int | None, *, limit_s: float) -> tuple[list[float], int]:
    """Times (ms) of up to `count` SMTP transactions, those while `tick_pid` runs (any, when None); and how many were sent."""
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=300)
    await smtp.connect()
    times: list[float] = []
    tried = 0
    deadline = time.monotonic() + limit_s
    try:
        while len(times) < count and time.monotonic() < deadline and alive(tick_pid):
            raw = compose(sender="support@northwind.demo", to=f"late{tried}@{DOMAIN}", subject=f"Re: load {tried}",
                          body=PARAGRAPH * 3, domain="northwind.demo").as_bytes()
            started = time.perf_counter()
            await smtp.sendmail("support@northwind.demo", [f"late{tried}@{DOMAIN}"], raw)
            elapsed = (time.perf_counter() - started) * 1000
            tried += 1
            if alive(tick_pid):
                times.append(elapsed)
            await asyncio.sleep(0.02)
    finally:
        smtp.close()
    return times, tried


def measure(project: Path, *, ticking: bool, count: int, in_loop: bool, limit_s: float) -> dict[str, float]:
    port = free_port()
    log_path = project / f"listen-{'tick' if ticking else 'idle'}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with log_path.open("w") as log:
        listener = subprocess.Popen(
            [sys.executable, "-m", "mysteryshop.cli", "listen", "--port", str(port), "--domain", DOMAIN, "--root", str(project),
             "--tick-every", "0.1" if ticking else "0", *(["--tick-timeout", "600"] if not in_loop else [])],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log_path.read_text() and time.monotonic() < deadline and listener.poll() is None:
            time.sleep(0.05)
        tick_pid = None
        if ticking and not in_loop:
            while not tick_children(listener.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            tick_pid = tick_children(listener.pid)[0]
        started = time.monotonic()
        times, tried = asyncio.run(transactions(port, count, tick_pid, limit_s=limit_s))
        tick_s = time.monotonic() - started
    finally:
        listener.terminate()
        try:
            listener.wait(timeout=30)
        except subprocess.TimeoutExpired:
            listener.kill()
    if not times:
        raise SystemExit(f"no transaction was timed {'during a tick' if ticking else ''}; see {log_path}")
    times.sort()
    return {"n": len(times), "tried": tried, "p50_ms": statistics.median(times), "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
            "max_ms": times[-1], "seconds": tick_s}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000, help="unmatched messages in the inbox (default 10,000)")
    parser.add_argument("--transactions", type=int, default=400, help="SMTP transactions timed in each mode (default 400)")
    parser.add_argument("--campaigns", type=int, default=20, help="campaigns, each reading the messages once (default 20)")
    parser.add_argument("--in-loop", action="store_true", help="the listener ticks on its own event loop (the design before)")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds each mode may take at most (default 120)")
    args = parser.parse_args()
    count = max(10, min(args.transactions, 5000))
    with tempfile.TemporaryDirectory(prefix="mysteryshop-listen-") as tmp:
        project = Path(tmp)
        started = time.monotonic()
        seed(project, max(1, min(args.messages, 100_000)), max(1, min(args.campaigns, 200)))
        print(f"store: {args.messages} unmatched messages and {args.campaigns} campaign(s) seeded in {time.monotonic() - started:.1f} s",
              flush=True)
        idle = measure(project, ticking=False, count=count, in_loop=args.in_loop, limit_s=args.limit)
        print(f"idle:    p50 {idle['p50_ms']:.1f} ms  p99 {idle['p99_ms']:.1f} ms  max {idle['max_ms']:.1f} ms  ({idle['n']} transactions)", flush=True)
        ticking = measure(project, ticking=True, count=count, in_loop=args.in_loop, limit_s=args.limit)
        print(f"ticking: p50 {ticking['p50_ms']:.1f} ms  p99 {ticking['p99_ms']:.1f} ms  max {ticking['max_ms']:.1f} ms  "
              f"({ticking['n']} of {ticking['tried']} transactions ran while the first tick worked, {ticking['seconds']:.1f} s)", flush=True)
    ratio = ticking["p99_ms"] / idle["p99_ms"] if idle["p99_ms"] else float("inf")
    print(f"p99 ticking / idle = {ratio:.2f} (goal < 3); p99 ticking {ticking['p99_ms']:.1f} ms (goal < 100); load {os.getloadavg()[0]:.1f}")
    print(json.dumps({"messages": args.messages, "idle_p50_ms": round(idle["p50_ms"], 2), "idle_p99_ms": round(idle["p99_ms"], 2),
                      "tick_p50_ms": round(ticking["p50_ms"], 2), "tick_p99_ms": round(ticking["p99_ms"], 2),
                      "tick_max_ms": round(ticking["max_ms"], 2), "p99_ratio": round(ratio, 2), "timed_during_tick": ticking["n"],
                      "campaigns": args.campaigns, "in_loop": args.in_loop}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
