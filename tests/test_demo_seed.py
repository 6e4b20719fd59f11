"""The demo desk draws all its behaviour from the run's seed and what each customer says.

The desk runs in this process on a real loop: its SMTP mailbox, its website (contact form over
HTTP, chat over a websocket) and its outbound SMTP to a sink. Two "runs" write to it as two runs
of the harness would: with the same seed and personas, but with each run's own tag in every
address and in another order. What the desk does (which replies, of what kind and quality, how
long after, which chat messages when) must be the same; with another seed it differs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Sequence
from typing import Any

import aiohttp
import pytest

from mysteryshop.collect.smtp_server import serve_smtp
from mysteryshop.demo.desk import EmailDesk
from mysteryshop.demo.keys import contact_key, stable_address
from mysteryshop.demo.profile import draw_delay, get_profile, plan_replies
from mysteryshop.demo.web import WebDesk
from mysteryshop.mail import compose
from mysteryshop.smtp import SmtpPool

#: so fast that two days of company time pass in ~20 ms: every planned reply goes out during the test
SPEEDUP = 1e7
PEOPLE = [("Erik Payne", "ORD-127214"), ("Latoya Jones", "ORD-360566"), ("Brian Ramirez", "ORD-639663"),
          ("Mark Webster", "ORD-418171"), ("Jerome Orr", "ORD-948130"), ("Ana Lima", "ORD-100200")]


class _Sink:
    """The probe mailbox: takes every reply the desk sends."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _address(name: str, tag: str) -> str:
    return f"{name.lower().replace(' ', '.')}.{tag}@probe.mysteryshop.test"


async def _play_run(seed: int, run_tag: str, order: Sequence[int], profile: str) -> dict[str, Any]:
    """One run's contacts against a fresh desk: an email, a contact form and a chat per person, in `order`."""
    sink = _Sink()
    sink_server, sink_port = await serve_smtp(sink, name="sink.test")
    desk = EmailDesk(get_profile(profile), deliver_to=("127.0.0.1", sink_port), seed=seed, speedup=SPEEDUP)
    smtp_port = await desk.start()
    web = WebDesk(desk)
    http_port = await web.start()
    pool = SmtpPool()
    try:
        async with aiohttp.ClientSession() as http:
            for index in order:
                name, order_id = PEOPLE[index]
                address = _address(name, f"{(index * 0x9E3779 + hash(run_tag)) % (1 << 24):06x}")
                mail = compose(sender=(name, address), to="support@northwind.demo", subject=f"Returning an opened item from order {order_id}",
                               body=f"Hello, can I return an opened jacket from order {order_id}?\n{name}", domain="probe.mysteryshop.test")
                await pool.deliver(mail, host="127.0.0.1", port=smtp_port, sender=address, recipients=["support@northwind.demo"])
                form = {"name": name, "email": address, "order_id": order_id, "topic": "returns", "reply_by": "email", "consent": "yes",
                        "message": f"The jacket from order {order_id} does not fit. How do I return it?"}
                async with http.post(f"http://127.0.0.1:{http_port}/contact", data=form) as response:
                    assert response.status == 200, await response.text()
                async with http.ws_connect(f"http://127.0.0.1:{http_port}/chat/ws") as ws:
                    await ws.send_str(json.dumps({"type": "start", "email": address}))
                    await ws.send_str(json.dumps({"type": "message", "text": f"Hi, where is my order {order_id}?"}))
                    async with asyncio.timeout(10):  # the desk has read the message, and played its whole plan
                        while not any(e.get("kind") == "received" and e["email"] == address for e in desk.truth.chat):
                            await asyncio.sleep(0.01)
                        while web._chats:  # noqa: SLF001 - the tasks that play chats
                            await asyncio.sleep(0.01)
        async with asyncio.timeout(20):  # every planned email sent (the last ones ~1 s later: replies are spaced)
            while len(desk.truth.sent) < _planned(desk):
                await asyncio.sleep(0.05)
    finally:
        await pool.close()
        await web.stop()
        await desk.stop()
        sink_server.close()
    return _behaviour(desk)


def _planned(desk: EmailDesk) -> int:
    return len(desk._handles)  # noqa: SLF001 - one timer per planned reply


def _behaviour(desk: EmailDesk) -> dict[str, Any]:
    """What the desk did, without what differs between runs by design (the run tag, message ids, wall times)."""
    emails = sorted(
        (stable_address(r.to), r.kind, r.quality, r.ticket, round((r.scheduled_ns - r.received_ns) * SPEEDUP / 1e9))
        for r in desk.truth.sent
    )
    forms = sorted((stable_address(f["email"]), f["ticket"]) for f in desk.truth.forms)
    chats: dict[str, list[tuple[str, str, str]]] = {}
    for entry in desk.truth.chat:
        if "sent_ns" in entry:
            chats.setdefault(stable_address(entry["email"]), []).append((entry["author"], entry["kind"], entry["text"]))
    planned = sorted(json.dumps([p["channel"], stable_address(p.get("to") or p.get("email") or ""), p.get("said", ""), p.get("ticket"),
                                 p.get("replies") or p.get("messages")]) for p in desk.truth.planned)
    return {"emails": emails, "forms": forms, "chats": chats, "planned": planned}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("profile", ["typical", "poor"])
def test_the_same_seed_gives_the_same_desk_whatever_the_order_and_the_run_tag(profile: str) -> None:
    first = asyncio.run(_play_run(7, "run-a", range(len(PEOPLE)), profile))
    again = asyncio.run(_play_run(7, "run-b", list(reversed(range(len(PEOPLE)))), profile))
    assert first["emails"] and first["forms"] and first["chats"] and first["planned"]
    assert again == first
    other = asyncio.run(_play_run(8, "run-a", range(len(PEOPLE)), profile))
    assert other != first  # another seed, another company day


def test_a_contact_key_leaves_out_the_run_tag_and_the_mailbox() -> None:
    assert stable_address("jane.doe.3fa9c1@probe.mysteryshop.test") == stable_address("Jane.Doe.00beef@probe.mysteryshop.test")
    assert stable_address("qa+jane.doe.3fa9c1@example.com") == "jane.doe@example.com"
    assert stable_address("jane@example.com") == "jane@example.com"  # no run tag: kept whole
    key = contact_key(1, "email", address="jane.doe.3fa9c1@probe.test", name="Jane  Doe", what="Order 5")
    assert key == contact_key(1, "email", address="jane.doe.777777@probe.test", name="jane doe", what="Order 5")
    assert key != contact_key(2, "email", address="jane.doe.3fa9c1@probe.test", name="Jane Doe", what="Order 5")
    assert key != contact_key(1, "form", address="jane.doe.3fa9c1@probe.test", name="Jane Doe", what="Order 5")


def test_replies_to_one_customer_are_spaced_so_jitter_cannot_reorder_them() -> None:
    profile = get_profile("poor")  # marketing and answers drawn over the same days
    gap = 3600 * 10**9
    for i in range(300):
        plan = plan_replies(profile, random.Random(f"gap:{i}"), min_gap_ns=gap)
        delays = [reply.delay_ns for reply in plan]
        assert delays == sorted(delays)
        assert all(later - earlier >= gap for earlier, later in itertools.pairwise(delays))


def test_replies_keep_clear_of_the_deadlines_where_the_profile_leaves_room() -> None:
    hour = 3600 * 10**9
    guards = (hour, hour // 2, hour // 4)
    # an answer drawn over 2h..30h keeps an hour from the 24h deadline
    answers = [draw_delay(random.Random(i), 2 * hour, 30 * hour, deadlines=[24 * hour], guards=guards) for i in range(500)]
    assert all(abs(a - 24 * hour) >= hour for a in answers) and min(answers) < 8 * hour and max(answers) > 25 * hour
    # counted from an earlier reply: a follow-up 12h..36h after an answer at 40h keeps clear of the 3-day deadline
    followups = [40 * hour + draw_delay(random.Random(i), 12 * hour, 36 * hour, offset=40 * hour, deadlines=[72 * hour], guards=guards)
                 for i in range(500)]
    assert all(abs(f - 72 * hour) >= hour for f in followups)
    # 1h..3h around a 2h deadline: an hour leaves nothing, half an hour leaves half the range
    answers = [draw_delay(random.Random(i), hour, 3 * hour, deadlines=[2 * hour], guards=guards) for i in range(500)]
    assert all(abs(a - 2 * hour) >= hour // 2 for a in answers)
    # a busy machine delivers a reply late, and seldom reads it early: before a deadline the guard is `late` times wider,
    # so an answer that could land just before 2h (and pass in one run, fail in the next) goes after it instead
    answers = [draw_delay(random.Random(i), hour, 3 * hour, deadlines=[2 * hour], guards=guards, late=2) for i in range(500)]
    assert all(a >= 2 * hour + hour // 2 for a in answers) and max(answers) > 2 * hour + 3 * hour // 4
    # ...and where the range leaves room on both sides, it keeps both, twice the guard before the deadline
    answers = [draw_delay(random.Random(i), 2 * hour, 30 * hour, deadlines=[24 * hour], guards=guards, late=2) for i in range(500)]
    assert all(a <= 22 * hour or a >= 25 * hour for a in answers) and min(answers) < 8 * hour and max(answers) > 26 * hour
    # no room at all (1m..10m against 15m with an hour's guard): the whole range, as without deadlines
    minute = 60 * 10**9
    assert draw_delay(random.Random(3), minute, 10 * minute, deadlines=[15 * minute], guards=(hour,)) == random.Random(3).randint(minute, 10 * minute)
    # one number drawn whatever the deadlines: what is drawn after is the same
    a, b = random.Random(4), random.Random(4)
    draw_delay(a, 2 * hour, 30 * hour, deadlines=[24 * hour], guards=guards)
    draw_delay(b, 2 * hour, 30 * hour)
    assert a.random() == b.random()
