"""The demo desk asking back (profile `ask_back:`): it answers a customer only once they sent what it asked for.

On a customer's first email the desk asks, after the profile's delay, for the first detail of `ask_back.ask` the
email lacks (`ORD-` order number in the subject or text; a photo: an image attachment), in the customer's language,
under a ticket number. The customer's next email (from the same address) that carries it is answered per the rest
of the profile (answer, follow-up...), threaded to it; one that lacks it is asked again (`again` times), then
answered anyway. A contact that already carries everything is answered at once, as any profile does, and so is
whatever a customer writes once answered.
"""

from __future__ import annotations

import asyncio
import email
import random
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from mysteryshop.demo.company import Customer
from mysteryshop.demo.keys import contact_rng
from mysteryshop.demo.profile import PlannedReply

if TYPE_CHECKING:
    from mysteryshop.collect.parse import ParsedMail

_ORDER = re.compile(r"\b(ORD-\d+)\b")
_DATE = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\.? [A-Za-zäéû]{3,10}\.? \d{4}\b")


@dataclass(slots=True)
class _Waiting:
    customer: Customer
    subject: str
    ticket: str
    detail: str
    asked: int


def has_detail(detail: str, mail: ParsedMail, raw: bytes) -> str | None:
    """What the customer's email gives of `detail` (its order number, a photo's file name), or None."""
    if detail in ("order_id", "birth_date"):
        found = (_ORDER if detail == "order_id" else _DATE).search(f"{mail.subject}\n{mail.full_text}")
        return found.group(found.lastindex or 0) if found else None
    message = email.message_from_bytes(raw)
    for part in message.walk():
        if part.get_content_maintype() == "image" and part.get_payload(decode=True):
            return part.get_filename() or "image"
    return None


class AskingBack:
    """The desk's customers it has asked something and waits for."""

    def __init__(self, desk: Any) -> None:
        """`desk`: the demo.desk.EmailDesk it belongs to (its profile, seed, speedup, scheduling and sending)."""
        self.desk = desk
        self.waiting: dict[str, _Waiting] = {}
        self.answered: set[str] = set()  # customers it has answered: what they write next is handled as by any profile

    def handle(self, mail: ParsedMail, raw: bytes, customer: Customer, received_ns: int) -> bool:
        """Deal with one email when the profile asks back; False: the desk treats it as any email."""
        settings = self.desk.profile.ask_back
        if settings is None:
            return False
        key = customer.address.lower()
        if key in self.answered:
            return False
        waiting = self.waiting.get(key)
        rng = contact_rng(self.desk.seed, "ask-back", address=customer.address, name=customer.name, what=mail.subject)
        if waiting is None:
            detail = next((d for d in settings.ask if not has_detail(d, mail, raw)), None)
            if detail is None:
                return False
            waiting = self.waiting[key] = _Waiting(customer, mail.subject, f"NW-{rng.randint(100000, 999999)}", detail, 0)
            self.desk.remember(customer, waiting.ticket, "email")
            self._ask(waiting, mail.message_id, received_ns, rng)
            return True
        given = has_detail(waiting.detail, mail, raw)
        if given is None and waiting.asked <= settings.again:
            self._ask(waiting, mail.message_id, received_ns, rng)
            return True
        del self.waiting[key]
        self.answered.add(key)
        order = given if waiting.detail == "order_id" and given else waiting.customer.order_id
        answered = replace(waiting.customer, order_id=order, name=customer.name or waiting.customer.name)
        self.desk.respond(answered, waiting.subject, mail.message_id, waiting.ticket, received_ns, rng)
        return True

    def _ask(self, waiting: _Waiting, in_reply_to: str | None, received_ns: int, rng: random.Random) -> None:
        settings = self.desk.profile.ask_back
        assert settings is not None
        low, high = settings.delay
        waiting.asked += 1
        planned = PlannedReply(f"ask_{waiting.detail}", "plain", low if low == high else rng.randint(low, high), True)
        self.desk.truth.add_planned(channel="email", to=waiting.customer.address, subject=waiting.subject, ticket=waiting.ticket,
                                    received_ns=received_ns, replies=[[planned.kind, planned.quality, planned.delay_ns, planned.personal]])
        scheduled_ns = received_ns + int(planned.delay_ns / self.desk.speedup)
        wall_delay = max(0.0, (scheduled_ns - time.monotonic_ns()) / 1e9)
        args: tuple[Any, ...] = (planned, waiting.customer, waiting.subject, in_reply_to, waiting.ticket, received_ns, scheduled_ns)
        self.desk._handles.append(asyncio.get_running_loop().call_later(wall_delay, self.desk._spawn, args))
