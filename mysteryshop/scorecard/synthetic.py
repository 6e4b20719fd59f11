"""Synthetic stored runs: a run store filled as if probes had run, for tests and the report benchmark.

The rows are what the engine writes (runs, probes, `sent` / `probe_finished` events, raw
outgoing and incoming messages), so the scorecard reads them through the same code as a real
run. Behaviour per probe is drawn from a seeded RNG with the shares of a demo profile.

Example:
    >>> from mysteryshop.scorecard.synthetic import write_synthetic_run
    >>> write_synthetic_run("/tmp/s.sqlite", "run-1", "email_question", probes=10)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mysteryshop.journey import Journey
from mysteryshop.mail import compose
from mysteryshop.collect.parse import parse_mail, stored_fields
from mysteryshop.scoring.stored_kind import read_and_keep
from mysteryshop.store import KIND_COLUMNS, Store
from mysteryshop.target import Target

ACK = "Thank you for contacting us. We have received your message and opened ticket {ticket}. This is an automated reply."
STALL = "Thank you for contacting us. We have received your message. Please allow 24-48 hours for a reply. This is an automated reply."
GOOD = ("Hi {first},\n\nsorry about the fit. Yes, you can return it: opened items can be returned within 30 days of delivery, "
        "and return shipping is free: print the prepaid return label from your order page. I will check the refund tomorrow.\n\nKind regards, Anna")
WRONG = "Hello,\n\nplease check our website for our policies.\n\nRegards, Support"
FOLLOWUP = "Hi {first}, was your issue resolved? How satisfied were you with our support? Reply to rate us."
MARKETING = "BLACK FRIDAY STARTS NOW: 40% off all rain jackets, this week only! Shop the sale. Unsubscribe here."


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Shares (0..1) of what a synthetic company does; delays are company seconds (min, max)."""

    acknowledge: float = 0.6
    ack_delay: tuple[float, float] = (60, 3 * 3600)
    stall: float = 0.2
    answer: float = 0.6
    answer_delay: tuple[float, float] = (3600, 30 * 3600)
    good: float = 0.6
    followup: float = 0.2
    marketing: float = 0.3


EXCELLENT = Behaviour(1.0, (30, 120), 0.0, 1.0, (3600, 3 * 3600), 1.0, 1.0, 0.0)
POOR = Behaviour(0.3, (1200, 7200), 1.0, 0.2, (20 * 3600, 60 * 3600), 0.2, 0.0, 0.8)


def _utc(base: datetime, seconds: float) -> str:
    return (base + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_synthetic_run(
    store_path: Path | str,
    run_id: str,
    journey: str = "email_question",
    *,
    target: str = "demo",
    probes: int = 100,
    behaviour: Behaviour = Behaviour(),
    seed: int = 1,
    speedup: float = 14400.0,
    send_step: str = "ask",
    reply_html: str | None = None,
    reply_text: str | None = None,
    annotate: bool = True,
) -> None:
    """Write one finished run of `probes` probes into the store at `store_path` (created if missing); when the run is
    there already, its probes against `target` are added to it (call once per company for a run of several).

    With `annotate` (the default) every message also gets the parsed fields the engine records
    (Store.amessage for sent mail, the probe mailbox for received mail); without, only raw bytes,
    as an older store or a raw collector leaves them.

    `reply_text` / `reply_html` replace the first reply of every probe (e.g. a script-injection payload).
    Times are wall-clock ns; company time is wall × `speedup`, as for the demo desk.
    """
    rng = random.Random(seed)
    base = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    # a run that is there already gets this target's probes beside its own: several companies in one run
    run_row = (run_id, _utc(base, 0), json.dumps({"synthetic": True, "seed": seed}))
    probe_rows, event_rows, message_rows = [], [], []
    t0 = 1_000_000_000_000
    b = behaviour
    for index in range(probes):
        first, last = f"Persona{index}", f"Synthetic{index % 97}"
        email = f"p{index}.{run_id}@probe.mysteryshop.test" if target == "demo" else f"p{index}.{target}.{run_id}@probe.mysteryshop.test"
        persona = {"key": f"p{index}", "first_name": first, "last_name": last, "full_name": f"{first} {last}", "email": email,
                   "phone": f"+1-555-{index:07d}", "order_id": f"ORD-{100000 + index}", "locale": "en_US"}
        pid = f"{journey}-{target}-p{index}"
        probe_rows.append((pid, run_id, journey, target, json.dumps(persona), email, "finished"))
        start = t0 + index * 1_000_000
        customer_body = f"Hello,\n\ncan I still return my jacket from order {persona['order_id']}? Who pays return shipping?\n\n{first} {last}"
        customer = compose(sender=(f"{first} {last}", email), to="support@northwind.demo",
                           subject=f"Returning an opened item from order {persona['order_id']}",
                           body=customer_body, domain="probe.mysteryshop.test")
        raw = customer.as_bytes()
        message_rows.append((run_id, pid, "out", email, json.dumps(["support@northwind.demo"]), start, _utc(base, 0), raw,
                             *_parsed(raw, None, annotate)))
        event_rows.append((run_id, pid, "probe_started", None, start - 1000, _utc(base, 0), "{}"))
        event_rows.append((run_id, pid, "sent", send_step, start, _utc(base, 0), "{}"))
        replies: list[tuple[float, str, str]] = []
        if rng.random() < b.acknowledge:
            replies.append((rng.uniform(*b.ack_delay), "Re: your request [#NW-%d]" % index, (STALL if rng.random() < b.stall else ACK)))
        if rng.random() < b.answer:
            at = rng.uniform(*b.answer_delay)
            replies.append((at, "Re: Returning an opened item", GOOD if rng.random() < b.good else WRONG))
            if rng.random() < b.followup:
                replies.append((at + rng.uniform(12 * 3600, 36 * 3600), "How did we do?", FOLLOWUP))
        if rng.random() < b.marketing:
            replies.append((rng.uniform(3600, 2 * 86400), "40% off rain jackets - this week only", MARKETING))
        replies.sort()
        for n, (company_s, subject, body) in enumerate(replies):
            text = (reply_text if (n == 0 and reply_text is not None) else body).format(first=first, ticket=f"NW-{index}")
            msg = compose(sender=("Northwind Support", "support@northwind.demo"), to=email, subject=subject, body=text, domain="northwind.demo")
            if n == 0 and reply_html is not None:
                msg = _with_html(msg, text, reply_html)
            t_ns = start + int(company_s / speedup * 1e9)
            raw = msg.as_bytes()
            message_rows.append((run_id, pid, "in", "support@northwind.demo", json.dumps([email]), t_ns, _utc(base, company_s / speedup), raw,
                                 *_parsed(raw, customer_body, annotate, received=True)))
        end = start + int(4 * 86400 / speedup * 1e9)
        event_rows.append((run_id, pid, "probe_finished", None, end, _utc(base, 4 * 86400 / speedup), json.dumps({"status": "finished", "error": None})))
    columns = ", ".join(["run_id", "probe_id", "direction", "mail_from", "rcpt_to", "t_ns", "utc", "raw", *_PARSED])
    _write_rows(store_path, [
        ("INSERT OR IGNORE INTO runs (id, started_utc, config) VALUES (?, ?, ?)", [run_row]),
        ("INSERT INTO probes (id, run_id, journey, target, persona, address, status) VALUES (?, ?, ?, ?, ?, ?, ?)", probe_rows),
        ("INSERT INTO events (run_id, probe_id, kind, step, t_ns, utc, data) VALUES (?, ?, ?, ?, ?, ?, ?)", event_rows),
        (f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * (8 + len(_PARSED)))})", message_rows),
        ("UPDATE runs SET finished_utc = ?, status = 'failed' WHERE id = ?", [(_utc(base, 30), run_id)]),
    ])


def _write_rows(store_path: Path | str, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
    """Write the rows in one transaction into the store at `store_path` (a file or a URL; created if missing)."""
    store = Store(store_path)
    try:
        store.bulk(statements)
    finally:
        store.close()


BOUNCE = ("This is the mail system at host mx.northwind.demo.\n\nI'm sorry to have to inform you that your message could not\n"
          "be delivered to one or more recipients.\n\n<support@northwind.demo>: host said: 550 5.1.1 User unknown")
#: what a synthetic chat may show, by name: (author, text)
CHAT_LINES = {
    "greeting": ("bot", "Hi! How can we help you today?"),
    "queue": ("bot", "You are number 3 in the queue, estimated wait 4 minutes."),
    "intro": ("agent", "Hi, this is Joe from Northwind, let me look at your order."),
    "status": ("agent", "Thanks for your patience, still checking with the courier."),
    "answer": ("agent", "Your parcel is with the courier and will arrive within 2 business days; the tracking link is in your email."),
    "wrong": ("agent", "Please check our website for delivery information."),
    "survey": ("bot", "How satisfied were you with this chat? Rate us from 1 to 5."),
}


@dataclass(frozen=True, slots=True)
class SyntheticProbe:
    """One probe of a mixed synthetic run, said outright (no randomness here: a test draws these).

    `journey`: email_question, webform_refund or chat_delivery (the shipped journeys). `reached`: False for a
    target that could not be reached (nothing sent, an error). Mail replies: company seconds after the contact, None
    for none; `good` the answer states the facts. Web form: `confirmation` shown or not, with a `ticket` or not.
    Chat: (company seconds after the customer's message, a CHAT_LINES name). `ending`: finished or interrupted.
    """

    journey: str
    reached: bool = True
    bounced: bool = False
    ack_s: float | None = None
    stall: bool = False
    answer_s: float | None = None
    good: bool = True
    followup_s: float | None = None
    marketing_s: float | None = None
    confirmation: bool = True
    ticket: bool = True
    chat: tuple[tuple[float, str], ...] = ()
    ending: str = "finished"


def write_mixed_run(store_path: Path | str, run_id: str, probes: list[SyntheticProbe], *, target: str = "demo",
                    speedup: float = 14400.0) -> None:
    """Write one run of `probes` (email, web-form and chat probes, unreachable, bounced or interrupted ones) into the
    store at `store_path`, as the engine records them: `sent` / `acted` events, chat messages, form confirmations,
    raw messages, and each probe's end. Times are wall ns (company time = wall × `speedup`)."""
    base = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    run_row = (run_id, _utc(base, 0), json.dumps({"synthetic": True}))
    probe_rows, event_rows, message_rows = [], [], []
    t0 = 1_000_000_000_000

    def at(start: int, company_s: float) -> tuple[int, str]:
        return start + int(company_s / speedup * 1e9), _utc(base, company_s / speedup)

    for index, spec in enumerate(probes):
        first = f"Persona{index}"
        email = f"p{index}.{run_id}@probe.mysteryshop.test"
        persona = {"key": f"p{index}", "first_name": first, "last_name": "Mixed", "full_name": f"{first} Mixed", "email": email,
                   "phone": f"+1-555-{index:07d}", "order_id": f"ORD-{200000 + index}", "locale": "en_US"}
        pid = f"{spec.journey}-{target}-p{index}"
        status = "error" if not spec.reached else ("interrupted" if spec.ending == "interrupted" else "finished")
        probe_rows.append((pid, run_id, spec.journey, target, json.dumps(persona), email, status))
        start = t0 + index * 10_000_000
        event_rows.append((run_id, pid, "probe_started", None, start - 1000, _utc(base, 0), "{}"))
        end = at(start, 4 * 86400)
        if not spec.reached:
            error = "target unreachable at 127.0.0.1:1 during step 'ask': connection refused"
            event_rows.append((run_id, pid, "probe_finished", None, start + 1000, _utc(base, 0),
                               json.dumps({"status": "error", "error": error, "problem": "unreachable"})))
            continue
        customer_body = f"Hello, can I return my jacket from order {persona['order_id']}? Who pays return shipping? {first}"
        if spec.journey == "email_question":
            raw = compose(sender=(f"{first} Mixed", email), to="support@northwind.demo", subject=f"Returning order {persona['order_id']}",
                          body=customer_body, domain="probe.mysteryshop.test").as_bytes()
            message_rows.append((run_id, pid, "out", email, json.dumps(["support@northwind.demo"]), start, _utc(base, 0), raw,
                                 *_parsed(raw, None, True)))
            event_rows.append((run_id, pid, "sent", "ask", start, _utc(base, 0), "{}"))
        elif spec.journey == "webform_refund":
            event_rows.append((run_id, pid, "acted", "submit", start, _utc(base, 0), json.dumps({"text": customer_body, "channel": "webform"})))
            if spec.confirmation:
                ticket = f"NW-{index}" if spec.ticket else None
                text = f"Thank you, we received your message. Your ticket number is {ticket}." if ticket else "Thank you, we received your message."
                event_rows.append((run_id, pid, "form_submitted", "submit", start + 1000, _utc(base, 0),
                                   json.dumps({"url": "http://127.0.0.1/contact", "confirmation": text, "ticket": ticket})))
        else:
            event_rows.append((run_id, pid, "acted", "open", start, _utc(base, 0), json.dumps({"text": "", "channel": "chat"})))
            said = start + 1000
            event_rows.append((run_id, pid, "acted", "ask", said, _utc(base, 0), json.dumps({"text": "Where is my parcel?", "channel": "chat"})))
            event_rows.append((run_id, pid, "chat_message", "open", said, _utc(base, 0), json.dumps({"author": "customer", "text": "Where is my parcel?"})))
            for company_s, line in sorted(spec.chat):
                author, text = CHAT_LINES[line]
                t_ns, utc = at(said, company_s)
                event_rows.append((run_id, pid, "chat_message", "open", t_ns, utc, json.dumps({"author": author, "text": text})))
        replies: list[tuple[float, str, str, str]] = []
        if spec.bounced:
            replies.append((1.0, "Undelivered Mail Returned to Sender", BOUNCE, "MAILER-DAEMON@mx.northwind.demo"))
        if spec.ack_s is not None:
            replies.append((spec.ack_s, f"Re: your request [#NW-{index}]", STALL if spec.stall else ACK, "support@northwind.demo"))
        if spec.answer_s is not None:
            replies.append((spec.answer_s, "Re: Returning an opened item", GOOD if spec.good else WRONG, "support@northwind.demo"))
        if spec.followup_s is not None:
            replies.append((spec.followup_s, "How did we do?", FOLLOWUP, "support@northwind.demo"))
        if spec.marketing_s is not None:
            replies.append((spec.marketing_s, "40% off rain jackets - this week only", MARKETING, "news@northwind.demo"))
        if spec.journey != "chat_delivery":
            for company_s, subject, body, sender in sorted(replies):
                text = body.format(first=first, ticket=f"NW-{index}")
                raw = compose(sender=("Northwind", sender), to=email, subject=subject, body=text, domain="northwind.demo").as_bytes()
                t_ns, utc = at(start, company_s)
                message_rows.append((run_id, pid, "in", sender, json.dumps([email]), t_ns, utc, raw, *_parsed(raw, customer_body, True)))
        if spec.ending == "interrupted":
            t_ns, utc = at(start, 600)
            event_rows.append((run_id, pid, "probe_interrupted", None, t_ns, utc, json.dumps({"error": "interrupted (SIGINT)"})))
        else:
            event_rows.append((run_id, pid, "probe_finished", None, end[0], end[1], json.dumps({"status": "finished", "error": None})))
    columns = ", ".join(["run_id", "probe_id", "direction", "mail_from", "rcpt_to", "t_ns", "utc", "raw", *_PARSED])
    _write_rows(store_path, [
        ("INSERT INTO runs (id, started_utc, config) VALUES (?, ?, ?)", [run_row]),
        ("INSERT INTO probes (id, run_id, journey, target, persona, address, status) VALUES (?, ?, ?, ?, ?, ?, ?)", probe_rows),
        ("INSERT INTO events (run_id, probe_id, kind, step, t_ns, utc, data) VALUES (?, ?, ?, ?, ?, ?, ?)", event_rows),
        (f"INSERT INTO messages ({columns}) VALUES ({', '.join('?' * (8 + len(_PARSED)))})", message_rows),
        ("UPDATE runs SET finished_utc = ?, status = 'failed' WHERE id = ?", [(_utc(base, 30), run_id)]),
    ])


_PARSED = ("message_id", "in_reply_to", "subject", "text", "full_text", "html", "auto_submitted", "list_unsubscribe", "precedence",
           "malformed", "defects", "text_basis", *KIND_COLUMNS, "kind_reading")


def _parsed(raw: bytes, customer_text: str | None, annotate: bool, *, received: bool = False) -> tuple[object, ...]:
    """The parsed columns of a message as the engine records them (all NULL / defaults when not annotated); a received
    one with the kind it read as the probe took it (runner.Engine, collect.mailbox)."""
    if not annotate:
        return (None,) * 9 + (0, "[]", None) + (None,) * (len(KIND_COLUMNS) + 1)  # as stored raw: malformed 0, defects '[]'
    mail = parse_mail(raw, customer_text=customer_text)
    fields = stored_fields(mail, customer_text)
    fields["defects"] = json.dumps(fields["defects"])
    fields["kind_reading"] = read_and_keep(mail)[1] if received else None
    return tuple(fields[name] for name in _PARSED)


def _with_html(plain_msg, text: str, html: str):  # type: ignore[no-untyped-def]
    """The same headers, with a text and an HTML alternative."""
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    alt = MIMEMultipart("alternative")
    for name in ("From", "To", "Subject", "Message-ID"):
        alt[name] = plain_msg[name]
    alt.attach(MIMEText(text, "plain", "utf-8"))
    alt.attach(MIMEText(html, "html", "utf-8"))
    return alt


def record_as_the_engine_does(store_path: Path | str, run_id: str, journeys: Mapping[str, Journey], targets: Mapping[str, Target]) -> None:
    """Score a stored run as the engine does while it runs (runner.Engine): record every reply-quality verdict
    its journeys and the scorecard's look at each first answer make, then each finished probe's scorecard entry."""
    from mysteryshop.scorecard.entries import FinishedProbe, record_entries
    from mysteryshop.scorecard.rebuild import read_run, rebuild_probes
    from mysteryshop.scoring.expectations import evaluate
    from mysteryshop.scoring.first_answer import first_answer_quality
    from mysteryshop.scoring.shared_scores import recording_verdicts, shared_scores

    store = Store(store_path)
    try:
        finished = []
        for probe in rebuild_probes(read_run(store, run_id, rescore=True)):
            journey, speedup = journeys[probe.journey], targets[probe.target].spec.speedup
            with shared_scores() as verdicts, recording_verdicts(store.verdict_recorder(run_id, probe.probe_id)):
                evaluate(journey, probe.timeline, now_ns=probe.finished_ns or 0, speedup=speedup, finished=True)
                first_answer_quality(probe.timeline, journey)
            finished.append(FinishedProbe(probe.probe_id, journey, speedup, verdicts))
        record_entries(store, run_id, finished)
    finally:
        store.close()
