"""The demo desk's email side: a support mailbox on loopback that answers per a behaviour profile.

Every message it sends is logged with the monotonic time the recipient's server accepted it,
so tests and benchmarks can check the harness's own timing against ground truth.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from mysteryshop.demo.ask_back import AskingBack
from mysteryshop.demo.company import Customer, company, letter
from mysteryshop.demo.keys import contact_rng
from mysteryshop.durations import TIMING_RESOLUTION_WALL_S
from mysteryshop.demo.profile import PlannedReply, Profile, plan_replies
from mysteryshop.mail import compose
from mysteryshop.collect.parse import PLANNED_HEADER, parse_mail
from mysteryshop.smtp import SmtpPool
from mysteryshop.collect.smtp_server import serve_smtp
from mysteryshop.quality.reply_language import likely_language

DELIVERY_ATTEMPTS = 30
RETRY_PAUSE_S = 0.5
_ORDER = re.compile(r"\b(ORD-\d+)\b")
#: Wall seconds between two emails to one customer at least (company time: times the speedup; see plan_replies).
MIN_GAP_WALL_S = 0.25
#: How far apart two runs with one seed may measure the same reply, in wall seconds (company time: times the
#: speedup, two hours at the demo's 14,400x). The desk decides the same things in both runs (see keys.py) and stamps
#: each email with when it got the customer's message, the delay it planned and which message it answers
#: (PLANNED_HEADER; each chat line with its planned page time, counted from the page time the customer's own line is
#: stamped with), and the harness times a simulated desk's replies by that stamp (scoring.timeline.judged_ns,
#: channels.chat.counted_page_ms): a loaded machine's delay (up to 1.8 s measured delivering emails on a 2-core
#: machine shared with Chromium and other sessions) no longer moves them, as long as it stays under the harness's grace.
REPEAT_TOLERANCE_WALL_S = TIMING_RESOLUTION_WALL_S
#: How far (wall seconds, widest first) acknowledgements, answers and follow-ups keep from the deadlines of the
#: run's journeys, where the profile's range leaves room (see profile.draw_delay).
GUARDS_WALL_S = (REPEAT_TOLERANCE_WALL_S, REPEAT_TOLERANCE_WALL_S / 2, REPEAT_TOLERANCE_WALL_S / 4)
#: Before a deadline the guard is this many times wider than after it. What moves a measured time is nearly all
#: lateness: a reply that reaches the harness late (measured on a 2-core machine at load 9-17: p90 0.25-0.48 s, at most
#: 0.5 s; idle: at most 0.22 s). A reply looks early only by as much as the harness read the 250 of the customer's email
#: late, which is the harness's own loop (tens of ms). An answer drawn from 1h..3h against escalation's 2h deadline
#: was kept half an hour (0.125 s) either side; planned at 1h30m it was measured after 2h in one run of two and the
#: journey's chat fallback ran in that run only. Now it goes out after 2h30m: the same outcome in every run.
LATE_GUARD_FACTOR = 2.0


@dataclass(slots=True)
class TruthRecord:
    """One message the desk sent (or failed to send), with monotonic nanosecond times.

    `sent_ns` is when its last byte went to the socket; `received_ns` when the customer's
    email that it answers had been read in full (end of SMTP DATA).
    """

    kind: str
    quality: str
    to: str
    message_id: str
    in_reply_to: str | None
    ticket: str
    received_ns: int
    scheduled_ns: int
    sent_ns: int | None = None
    accepted_ns: int | None = None
    error: str | None = None


_TRUTH_FIELDS = tuple(f.name for f in fields(TruthRecord))


@dataclass(slots=True)
class GroundTruth:
    """What the desk received and sent. With `path`, every entry is also appended to that
    JSON-lines file as it happens, so another process can read it and a crash loses nothing."""

    path: Path | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[TruthRecord] = field(default_factory=list)
    #: the web side: contact-form submissions and every chat message shown, with monotonic ns
    forms: list[dict[str, Any]] = field(default_factory=list)
    chat: list[dict[str, Any]] = field(default_factory=list)
    #: what the desk decided to do about each contact when it arrived (email, webform, chat), before doing it
    planned: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _file: Any = field(default=None, repr=False)

    def _append(self, entry: dict[str, Any]) -> None:
        if self.path is None:
            return
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(entry) + "\n")
        self._file.flush()  # handed to the OS at once: a reader sees it, and a crash of the desk loses nothing

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def add_sent(self, record: TruthRecord) -> None:
        with self._lock:
            self.sent.append(record)
            # asdict's deep copy of every field costs more than writing the line; the fields are scalars
            self._append({"event": "sent", **{name: getattr(record, name) for name in _TRUTH_FIELDS}})

    def add_received(self, **entry: Any) -> None:
        with self._lock:
            self.received.append(entry)
            self._append({"event": "received", **entry})

    def add_web(self, event: str, **entry: Any) -> None:
        """A web-side fact: event 'form' (a contact form accepted) or 'chat' (a chat message or typing indicator sent)."""
        with self._lock:
            (self.forms if event == "form" else self.chat).append(entry)
            self._append({"event": event, **entry})

    def add_planned(self, **entry: Any) -> None:
        """What the desk decided about one contact: every reply or chat message it will send, and when."""
        with self._lock:
            self.planned.append(entry)
            self._append({"event": "planned", **entry})

    def for_address(self, address: str) -> list[TruthRecord]:
        with self._lock:
            return [r for r in self.sent if r.to == address]

    @classmethod
    def read(cls, path: Path) -> GroundTruth:
        """The ground truth another desk process has written so far."""
        truth = cls()
        if not path.exists():
            return truth
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            kind = entry.pop("event")
            if kind == "sent":
                truth.sent.append(TruthRecord(**entry))
            elif kind in ("form", "chat"):
                (truth.forms if kind == "form" else truth.chat).append(entry)
            elif kind == "planned":
                truth.planned.append(entry)
            else:
                truth.received.append(entry)
        return truth


class EmailDesk:
    """The company's support mailbox. Runs on the loop that calls `start()`.

    `deliver_to` is where its replies go (host, port): the harness's probe mailbox, which
    stands in for the MX of the probe domain.
    """

    def __init__(
        self,
        profile: Profile,
        *,
        deliver_to: tuple[str, int],
        seed: int = 0,
        speedup: float = 1.0,
        host: str = "127.0.0.1",
        port: int = 0,
        truth_path: Path | None = None,
        deadlines: Sequence[int] = (),
    ) -> None:
        """`deadlines`: company ns after a customer's email by which the run's journeys expect an email reply."""
        self.profile = profile
        self.deadlines = tuple(sorted(set(deadlines)))
        self.guards = tuple(int(g * 1e9 * speedup) for g in GUARDS_WALL_S)
        self.deliver_to = deliver_to
        self.seed = seed
        self.speedup = speedup
        self.host, self.port = host, port
        self.truth = GroundTruth(truth_path)
        data = company()
        self.support_address: str = data["support_address"]
        self.marketing_address: str = data["marketing_address"]
        self.domain: str = data["domain"]
        #: what the company knows about each customer address (name, order, tickets), across channels
        self.crm: dict[str, dict[str, Any]] = {}
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handles: list[asyncio.TimerHandle] = []
        self.asking_back = AskingBack(self)
        self._outbound = SmtpPool()  # like a mail server: up to 20 connections to the probe mailbox at once

    async def start(self) -> int:
        self._warm_up()
        self._server, self.port = await serve_smtp(self, host=self.host, port=self.port, name=self.domain)
        return self.port

    def _warm_up(self) -> None:
        """Load templates and parsers before the first customer writes, so no reply is late for cold-start reasons."""
        customer = Customer(address="warm@up.test", name="Warm Up", order_id="ORD-1", text="return")
        body = letter("answer", "good", customer, ticket="NW-0", personal=True)
        raw = compose(sender=self.support_address, to=customer.address, subject="warm-up", body=body, domain=self.domain).as_bytes()
        parse_mail(raw)

    async def stop(self) -> None:
        for handle in self._handles:
            handle.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._outbound.close()
        self.truth.close()

    # -- aiosmtpd handler hooks -----------------------------------------------------------
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.lower().endswith("@" + self.domain):
            envelope.rcpt_tos.append(address)
            return "250 OK"
        return f"550 5.7.1 {address}: this mailbox only accepts mail for @{self.domain}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received_ns = time.monotonic_ns()  # read in full; the 250 goes out as this returns
        raw = envelope.original_content or envelope.content
        asyncio.get_running_loop().call_soon(self._schedule, raw, envelope.mail_from, received_ns)
        return "250 OK: queued"

    def _schedule(self, raw: bytes, mail_from: str, received_ns: int) -> None:
        """Decide what to send and when; runs after the 250, so it never delays the sender."""
        mail = parse_mail(raw)
        subject = mail.subject
        text = f"{subject}\n{mail.full_text}"
        order = _ORDER.search(text)
        address = mail.reply_to or mail.from_addr or mail_from
        customer = Customer(address=address, name=mail.from_name, order_id=order.group(1) if order else None, text=text)
        message_id = mail.message_id
        self.truth.add_received(mail_from=mail_from, message_id=message_id, subject=subject, t_ns=received_ns)
        if self.asking_back.handle(mail, raw, customer, received_ns):  # profile ask_back: asks before it answers (ask_back.py)
            return
        rng = contact_rng(self.seed, "email", address=customer.address, name=customer.name, what=subject)
        ticket = f"NW-{rng.randint(100000, 999999)}"
        self.respond(customer, subject, message_id, ticket, received_ns, rng)

    def remember(self, customer: Customer, ticket: str, channel: str) -> None:
        """Note a contact in the company's CRM, keyed by the customer's address."""
        record = self.crm.setdefault(customer.address.lower(), {"name": "", "order_id": None, "tickets": [], "text": ""})
        record["name"] = customer.name or record["name"]
        record["order_id"] = customer.order_id or record["order_id"]
        record["text"] = customer.text or record["text"]
        record["tickets"].append({"ticket": ticket, "channel": channel})

    def respond(self, customer: Customer, subject: str, message_id: str | None, ticket: str, received_ns: int, rng: random.Random) -> None:
        """Schedule the emails the profile sends about one contact (an email, or a contact form threaded to `ticket`)."""
        self.remember(customer, ticket, "email" if message_id else "webform")
        loop = asyncio.get_running_loop()
        plan = self.plan(rng)
        self.truth.add_planned(channel="email" if message_id else "webform", to=customer.address, subject=subject, ticket=ticket,
                               received_ns=received_ns, replies=[[r.kind, r.quality, r.delay_ns, r.personal] for r in plan])
        for planned in plan:
            scheduled_ns = received_ns + int(planned.delay_ns / self.speedup)
            wall_delay = max(0.0, (scheduled_ns - time.monotonic_ns()) / 1e9)
            args = (planned, customer, subject, message_id, ticket, received_ns, scheduled_ns)
            self._handles.append(loop.call_later(wall_delay, self._spawn, args))

    def plan(self, rng: random.Random) -> list[PlannedReply]:
        return plan_replies(self.profile, rng, min_gap_ns=int(MIN_GAP_WALL_S * 1e9 * self.speedup), deadlines=self.deadlines,
                            guards=self.guards, late=LATE_GUARD_FACTOR)

    # -- sending --------------------------------------------------------------------------
    def _spawn(self, args: tuple[Any, ...]) -> None:
        task = asyncio.ensure_future(self._send(*args))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(
        self,
        planned: PlannedReply,
        customer: Customer,
        subject: str,
        in_reply_to: str | None,
        ticket: str,
        received_ns: int,
        scheduled_ns: int,
    ) -> None:
        marketing = planned.kind == "marketing"
        sender = self.marketing_address if marketing else self.support_address
        # when it planned this email: how long after it got the customer's message (then, on this machine's monotonic clock),
        # and which message that was (its Message-ID; a contact form's: the ticket its confirmation page gave).
        # A simulated desk's reply counts that long after the customer's action, not when a busy machine delivered it
        # (scoring.timeline.judged_ns), so the same seed gives the same outcomes under load
        headers: dict[str, str] = {PLANNED_HEADER: f"{received_ns} {planned.delay_ns} {(in_reply_to or ticket).split()[0]}"}
        if marketing:
            headers["List-Unsubscribe"] = f"<https://{self.domain}/unsubscribe>"
            headers["Precedence"] = "bulk"
            title = "40% off rain jackets - this week only"
        else:
            title = f"Re: {subject} [#{ticket}]" if not subject.lower().startswith("re:") else f"{subject} [#{ticket}]"
            if planned.kind == "acknowledgement":
                headers["Auto-Submitted"] = "auto-replied"
        body = letter(planned.kind, planned.quality, customer, ticket=ticket, personal=planned.personal,
                      language=likely_language(customer.text) or "en")
        if planned.kind == "answer" and customer.text:
            quoted = "\n".join(f"> {line}" for line in customer.text.splitlines()[1:])
            body += f"\nOn a recent day, {customer.name or customer.address} wrote:\n{quoted}\n"
        message = compose(
            sender=(company()["company"], sender),
            to=customer.address,
            subject=title,
            body=body,
            domain=self.domain,
            in_reply_to=None if marketing else in_reply_to,
            headers=headers,
        )
        record = TruthRecord(
            kind=planned.kind,
            quality=planned.quality,
            to=customer.address,
            message_id=str(message["Message-ID"]),
            in_reply_to=None if marketing else in_reply_to,
            ticket=ticket,
            received_ns=received_ns,
            scheduled_ns=scheduled_ns,
        )
        host, port = self.deliver_to
        # Like any mail server, retry a while when the receiving side is down (connection refused);
        # a refusal by the receiver (5xx) is final.
        for attempt in range(DELIVERY_ATTEMPTS):
            try:
                delivery = await self._outbound.deliver(message, host=host, port=port, sender=sender, recipients=[customer.address])
                record.sent_ns, record.accepted_ns, record.error = delivery.transmitted_ns, delivery.accepted_ns, None
                break
            except OSError as exc:
                record.error = f"{type(exc).__name__}: {exc} (attempt {attempt + 1})"
                await asyncio.sleep(RETRY_PAUSE_S)
            except Exception as exc:  # noqa: BLE001 - a refused delivery is part of the record
                record.error = f"{type(exc).__name__}: {exc}"
                break
        self.truth.add_sent(record)
