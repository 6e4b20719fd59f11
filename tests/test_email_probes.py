"""Email probes end to end: real SMTP on loopback, the real demo desk, the real store."""

from __future__ import annotations

import time
from pathlib import Path

import aiosmtplib
import pytest

from mysteryshop.mail import compose
from mysteryshop.runner import EngineThread

from .conftest import ACK_JOURNEY, PROBE_DOMAIN, free_port, profile, specs_for, target_for, write_journey

TIMING_TOLERANCE_NS = 20_000_000  # 20 ms, the bound


def test_fifty_concurrent_probes_measure_acknowledgements_within_20ms_of_ground_truth(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    # Given a desk that acknowledges every email after 1 to 3 s, and 50 probes sent at once
    desk = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["1s", "3s"]}))
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "10s"))
    specs = specs_for(journey, target_for(desk.port), 50)
    started = time.monotonic()

    # When they all run concurrently on the engine's loop
    futures = [engine.submit(spec) for spec in specs]
    results = [f.result(timeout=60) for f in futures]
    wall = time.monotonic() - started

    # Then each probe's measured time-to-acknowledgement matches the desk's own log
    assert [r.status for r in results] == ["passed"] * 50
    errors = []
    ground_truth = desk.truth
    for result in results:
        truth = [r for r in ground_truth.for_address(result.spec.persona.email) if r.kind == "acknowledgement"]
        assert len(truth) == 1, result.spec.persona.email
        measured = result.timeline.replies[0].t_ns - result.timeline.actions["ask"].t_ns
        actual = truth[0].sent_ns - truth[0].received_ns
        errors.append(abs(measured - actual))
    assert max(errors) < TIMING_TOLERANCE_NS, f"worst timing error {max(errors) / 1e6:.1f} ms"
    # And they ran concurrently: one at a time would take at least 50 s; concurrently the slowest reply is 3 s
    assert wall < 15, f"50 probes took {wall:.1f} s"


def test_replies_that_interleave_go_to_the_right_probe(tmp_path: Path, engine: EngineThread, make_desk, store) -> None:
    # Given replies (ack, answer, marketing) drawn at random times for 20 probes, so they interleave
    desk = make_desk(
        profile(
            acknowledgement={"probability": 1.0, "delay": ["50ms", "800ms"]},
            answer={"probability": 1.0, "delay": ["100ms", "900ms"], "quality": {"good": 1.0}},
            marketing={"probability": 1.0, "delay": ["10ms", "900ms"]},
        )
    )
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "5s") + "  - id: answered\n    expect: answer\n    within: 5s\n")
    specs = specs_for(journey, target_for(desk.port), 20)
    results = [f.result(timeout=60) for f in [engine.submit(s) for s in specs]]
    deadline = time.monotonic() + 10
    while len(desk.truth.sent) < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    engine.call(engine.engine.mailbox.drain())

    # Then every stored reply belongs to the probe whose persona the desk wrote to
    ground_truth = desk.truth
    sent_to = {rec.message_id: rec.to for rec in ground_truth.sent}
    by_probe = {s.probe_id: s.persona.email for s in specs}
    stored = [m for m in store.messages("run-1") if m["direction"] == "in"]
    assert len(stored) == len(ground_truth.sent) == 60
    for message in stored:
        assert message["probe_id"] is not None
        assert sent_to[message["message_id"]] == by_probe[message["probe_id"]]
    assert all(r.status == "passed" for r in results)


def test_mail_for_a_non_probe_address_is_refused(engine: EngineThread) -> None:
    host, port = engine.engine.mailbox_address
    message = compose(sender="spammer@example.com", to="victim@example.org", subject="relay?", body="x", domain="example.com")

    async def send() -> None:
        await aiosmtplib.send(message, hostname=host, port=port, timeout=5)

    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as info:
        engine.call(send())
    refusal = info.value.recipients[0]
    assert refusal.code == 550
    assert "relay denied" in refusal.message


MALFORMED = (
    b"From: Northwind <support@northwind.demo>\r\n"
    b"To: someone.abc123@" + PROBE_DOMAIN.encode() + b"\r\n"
    b"Subject: broken\r\n"
    b"Content-Type: multipart/mixed\r\n"
    b"\r\n"
    b"this multipart has no boundary at all\r\n"
)


def test_a_malformed_message_is_stored_raw_and_flagged_and_unmatched_mail_is_kept(engine: EngineThread, store) -> None:
    host, port = engine.engine.mailbox_address

    async def send() -> None:
        await aiosmtplib.send(MALFORMED, sender="support@northwind.demo", recipients=[f"someone.abc123@{PROBE_DOMAIN}"], hostname=host, port=port)

    engine.call(send())
    engine.call(engine.engine.mailbox.drain())
    rows = store.messages("run-1")
    assert len(rows) == 1
    row = rows[0]
    assert bytes(row["raw"]).replace(b"\r\n", b"\n") == MALFORMED.replace(b"\r\n", b"\n")
    assert row["malformed"] == 1
    assert "NoBoundaryInMultipartDefect" in row["defects"]
    assert row["probe_id"] is None
    assert [e["kind"] for e in store.events("run-1")] == ["unmatched_message"]


def test_a_reply_to_an_unknown_address_is_matched_by_its_thread(tmp_path: Path, engine: EngineThread, make_desk, store) -> None:
    desk = make_desk(profile())
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "2s"))
    spec = specs_for(journey, target_for(desk.port), 1)[0]
    future = engine.submit(spec)
    deadline = time.monotonic() + 5
    while not desk.truth.received and time.monotonic() < deadline:
        time.sleep(0.01)
    probe_message_id = desk.truth.received[0]["message_id"]
    reply = compose(
        sender="agent@northwind.demo", to=f"shared-inbox@{PROBE_DOMAIN}", subject="Re: your order",
        body="We have received your message.", domain="northwind.demo", in_reply_to=probe_message_id,
    )
    host, port = engine.engine.mailbox_address

    async def send() -> None:
        await aiosmtplib.send(reply, hostname=host, port=port)

    engine.call(send())
    result = future.result(timeout=10)
    assert result.status == "passed"
    incoming = [m for m in store.messages("run-1") if m["direction"] == "in"]
    assert [(m["probe_id"], m["matched_by"]) for m in incoming] == [(spec.probe_id, "thread")]


def test_a_closed_smtp_port_names_host_port_and_step(tmp_path: Path, engine: EngineThread) -> None:
    port = free_port()
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "2s"))
    spec = specs_for(journey, target_for(port), 1)[0]
    result = engine.submit(spec).result(timeout=20)
    assert result.status == "error"
    assert f"127.0.0.1:{port}" in result.error
    assert "step 'ask'" in result.error
    assert "journey 'ack_only'" in result.error


def test_a_reply_taken_by_a_receive_that_is_cancelled_goes_to_the_next_receive(store_location: Path | str) -> None:
    import asyncio

    from mysteryshop.collect.mailbox import ProbeMailbox, _Received
    from mysteryshop.store import Store

    first = _Received(1, 1, "now", b"Subject: first\r\n\r\nx\r\n", ("a@probe.test",))
    second = _Received(2, 2, "now", b"Subject: second\r\n\r\ny\r\n", ("a@probe.test",))

    async def scenario() -> list[str]:
        store = Store(store_location)
        try:
            mailbox = ProbeMailbox(store, "run-1", {"probe.test"})
            hold = asyncio.Event()
            mailbox.pace = hold.wait  # the turn budget is spent: a receive waits after taking its reply
            inbox = mailbox.open_inbox("p0", "a@probe.test")
            inbox.put_nowait(first)
            waiting = asyncio.ensure_future(mailbox.receive("p0", inbox, 5))
            for _ in range(5):
                await asyncio.sleep(0)
            assert inbox.empty(), "the receive did not take the reply"
            inbox.put_nowait(second)
            waiting.cancel()  # e.g. the probe's chat showed something first (WebChannels.or_changed)
            await asyncio.gather(waiting, return_exceptions=True)
            hold.set()
            got = [(await mailbox.receive("p0", inbox, 5)).mail.subject for _ in range(2)]
            await store.aflush()
            return got
        finally:
            store.close()

    assert asyncio.run(scenario()) == ["first", "second"]
