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
from dataclasses import asdict, dataclass, field
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from mysteryshop.demo.company import Customer, company, letter
from mysteryshop.demo.profile import PlannedReply, Profile, plan_replies
from mysteryshop.mail import compose
from mysteryshop.smtp import deliver, serve_smtp

_ORDER = re.compile(r"\b(ORD-\d+)\b")


@dataclass(slots=True)
class TruthRecord:
    """One message the desk sent (or failed to send), with monotonic nanosecond times."""

    kind: str
    quality: str
    to: str
    message_id: str
    in_reply_to: str | None
    ticket: str
    received_ns: int
    scheduled_ns: int
    sent_ns: int | None = None
    error: str | None = None


@dataclass(slots=True)
class GroundTruth:
    """What the desk received and sent. Appends come from the desk's loop thread only."""

    received: list[dict[str, Any]] = field(default_factory=list)
    sent: list[TruthRecord] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_sent(self, record: TruthRecord) -> None:
        with self._lock:
            self.sent.append(record)

    def add_received(self, **entry: Any) -> None:
        with self._lock:
            self.received.append(entry)

    def for_address(self, address: str) -> list[TruthRecord]:
        with self._lock:
            return [r for r in self.sent if r.to == address]

    def dump(self, path: Path) -> None:
        with self._lock:
            lines = [json.dumps({"event": "received", **r}) for r in self.received]
            lines += [json.dumps({"event": "sent", **asdict(r)}) for r in self.sent]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


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
    ) -> None:
        self.profile = profile
        self.deliver_to = deliver_to
        self.seed = seed
        self.speedup = speedup
        self.host, self.port = host, port
        self.truth = GroundTruth()
        data = company()
        self.support_address: str = data["support_address"]
        self.marketing_address: str = data["marketing_address"]
        self.domain: str = data["domain"]
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handles: list[asyncio.TimerHandle] = []

    async def start(self) -> int:
        self._server, self.port = await serve_smtp(self, host=self.host, port=self.port, name=self.domain)
        return self.port

    async def stop(self) -> None:
        for handle in self._handles:
            handle.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- aiosmtpd handler hooks -----------------------------------------------------------
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.lower().endswith("@" + self.domain):
            envelope.rcpt_tos.append(address)
            return "250 OK"
        return f"550 5.7.1 {address}: this mailbox only accepts mail for @{self.domain}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received_ns = time.monotonic_ns()
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        name, reply_to = parseaddr(str(msg.get("Reply-To") or msg.get("From") or envelope.mail_from))
        body = msg.get_body(preferencelist=("plain", "html"))
        text = f"{msg.get('Subject', '')}\n{body.get_content() if body is not None else ''}"
        order = _ORDER.search(text)
        customer = Customer(address=reply_to or envelope.mail_from, name=name, order_id=order.group(1) if order else None, text=text)
        message_id = str(msg.get("Message-ID") or "").strip() or None
        self.truth.add_received(mail_from=envelope.mail_from, message_id=message_id, t_ns=received_ns)
        rng = random.Random(f"{self.seed}:{customer.address}:{msg.get('Subject', '')}")
        ticket = f"NW-{rng.randint(100000, 999999)}"
        subject = str(msg.get("Subject", ""))
        loop = asyncio.get_running_loop()
        for planned in self.plan(rng):
            wall_delay = planned.delay_ns / self.speedup / 1e9
            scheduled_ns = received_ns + int(wall_delay * 1e9)
            args = (planned, customer, subject, message_id, ticket, received_ns, scheduled_ns)
            self._handles.append(loop.call_at(loop.time() + wall_delay, self._spawn, args))
        return "250 OK: queued as " + ticket

    def plan(self, rng: random.Random) -> list[PlannedReply]:
        return plan_replies(self.profile, rng)

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
        headers: dict[str, str] = {}
        if marketing:
            headers["List-Unsubscribe"] = f"<https://{self.domain}/unsubscribe>"
            headers["Precedence"] = "bulk"
            title = "40% off rain jackets - this week only"
        else:
            title = f"Re: {subject} [#{ticket}]" if not subject.lower().startswith("re:") else f"{subject} [#{ticket}]"
            if planned.kind == "acknowledgement":
                headers["Auto-Submitted"] = "auto-replied"
        body = letter(planned.kind, planned.quality, customer, ticket=ticket, personal=planned.personal)
        if planned.kind == "answer" and customer.text:
            quoted = "\n".join(f"> {line}" for line in customer.text.splitlines()[1:])
            body += f"\nOn a recent day, {customer.name or customer.address} wrote:\n{quoted}\n"
        message = compose(
            sender=f"{company()['company']} <{sender}>",
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
        try:
            record.sent_ns = await deliver(message, host=host, port=port, sender=sender, recipients=[customer.address])
        except Exception as exc:  # noqa: BLE001 - a refused delivery is part of the record
            record.error = f"{type(exc).__name__}: {exc}"
        self.truth.add_sent(record)


class DemoDesk:
    """The demo desk on its own thread and loop, for the pytest plugin, the CLI and tests.

    Example:
        >>> with DemoDesk(get_profile("excellent"), deliver_to=("127.0.0.1", sink_port)) as desk:
        ...     send_to(desk.email.port)
    """

    def __init__(self, profile: Profile, *, deliver_to: tuple[str, int], seed: int = 0, speedup: float = 1.0) -> None:
        self.email = EmailDesk(profile, deliver_to=deliver_to, seed=seed, speedup=speedup)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mysteryshop-demo-desk", daemon=True)

    @property
    def truth(self) -> GroundTruth:
        return self.email.truth

    def start(self) -> DemoDesk:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.email.start(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self.email.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> DemoDesk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
