"""Kept SMTP connections (SmtpPool) and socket-time stamps, against real aiosmtpd servers on loopback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mysteryshop.mail import compose
from mysteryshop.smtp import SmtpPool, deliver, serve_smtp


class _Sink:
    """Keeps each message with the connection (peer) it came over and when its handler ran."""

    def __init__(self) -> None:
        self.received: list[tuple[Any, bytes]] = []
        self.open_sessions = 0
        self.most_open = 0
        self.socket_vs_handler_ns: list[tuple[int, int]] = []
        self.servers: list[Any] = []

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        self.open_sessions += 1
        self.most_open = max(self.most_open, self.open_sessions)
        session.host_name = hostname
        return responses

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.open_sessions -= 1
        return "221 Bye"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.socket_vs_handler_ns.append((server.last_data_ns, time.monotonic_ns()))
        self.servers.append(server)
        self.received.append((session.peer, envelope.original_content))
        await asyncio.sleep(0.01)  # a server that takes a moment: senders pile up
        return "250 OK"


def _message(i: int) -> bytes:
    return compose(sender=f"p{i}@probe.test", to="support@northwind.demo", subject=f"q {i}", body=f"question {i}", domain="probe.test").as_bytes()


async def _send_all(pool: SmtpPool, port: int, n: int) -> list[Any]:
    return await asyncio.gather(*(
        pool.deliver(_message(i), host="127.0.0.1", port=port, sender=f"p{i}@probe.test", recipients=["support@northwind.demo"])
        for i in range(n)
    ))


def test_the_pool_keeps_connections_and_opens_no_more_than_allowed() -> None:
    async def scenario() -> tuple[_Sink, list[Any]]:
        sink = _Sink()
        server, port = await serve_smtp(sink, name="sink")
        pool = SmtpPool(per_destination=3)
        deliveries = await _send_all(pool, port, 30)
        await pool.close()
        server.close()
        await server.wait_closed()
        return sink, deliveries

    sink, deliveries = asyncio.run(scenario())
    assert len(sink.received) == 30
    assert len({raw for _, raw in sink.received}) == 30
    peers = {peer for peer, _ in sink.received}
    assert 1 <= len(peers) <= 3, peers  # 30 messages over at most three kept connections
    assert sink.most_open <= 3
    assert sink.open_sessions == 0  # closing the pool says QUIT on every kept connection
    assert all(d.transmitted_ns <= d.accepted_ns for d in deliveries)


def test_a_connection_the_server_dropped_while_idle_is_replaced() -> None:
    async def scenario() -> tuple[_Sink, int]:
        sink = _Sink()
        server, port = await serve_smtp(sink, name="sink")
        pool = SmtpPool(per_destination=1)
        await _send_all(pool, port, 1)
        # the server drops the idle connection (as a mail server does after its idle timeout)
        for protocol in sink.servers:
            protocol.transport.close()
        # whether the pool has noticed yet or finds out on its next MAIL FROM, it must open a new connection
        await _send_all(pool, port, 2)
        await pool.close()
        server.close()
        await server.wait_closed()
        return sink, len({peer for peer, _ in sink.received})

    sink, connections = asyncio.run(scenario())
    assert len(sink.received) == 3  # every message delivered once, none lost, none twice
    assert connections == 2


def test_the_server_notes_when_the_message_came_off_the_socket() -> None:
    async def scenario() -> list[tuple[int, int]]:
        sink = _Sink()
        server, port = await serve_smtp(sink, name="sink")
        for i in range(5):
            await deliver(_message(i), host="127.0.0.1", port=port, sender=f"p{i}@probe.test", recipients=["support@northwind.demo"])
        server.close()
        await server.wait_closed()
        return sink.socket_vs_handler_ns

    stamps = asyncio.run(scenario())
    assert len(stamps) == 5
    for socket_ns, handler_ns in stamps:
        assert socket_ns is not None and 0 <= handler_ns - socket_ns < 1_000_000_000


def test_an_unreachable_destination_is_an_oserror() -> None:
    async def scenario() -> None:
        server, port = await serve_smtp(_Sink(), name="sink")
        server.close()
        await server.wait_closed()
        pool = SmtpPool()
        try:
            await pool.deliver(_message(0), host="127.0.0.1", port=port, sender="p0@probe.test", recipients=["support@northwind.demo"], timeout=5)
        finally:
            await pool.close()

    with pytest.raises(OSError):
        asyncio.run(scenario())


@pytest.mark.parametrize("arg", [
    "<jane.doe+abc@probe.test>", "<jane@probe.test> SIZE=1234", "<jane@probe.test>  SIZE=1 BODY=8BITMIME ", "<jane@probe.test>\tSIZE=1",
    "<>", "", "jane@probe.test", '<"quoted local"@probe.test>', "<a..b@x.test>", "<x@[127.0.0.1]>", " <jane@probe.test>",
    "<jane@probe.test>SIZE=1", "<jane@probe.test> (comment) SIZE=1", "<@relay.test:jane@probe.test>", "<jane@probe.test", "<ünï@probe.test>",
    "<" + "a" * 70 + "@x.test>", "not an address at all <",
])
def test_the_servers_address_parse_agrees_with_aiosmtpd(arg: str) -> None:
    from aiosmtpd.smtp import SMTP

    from mysteryshop.smtp import TimedSMTP

    class Handler:
        pass

    for limit in (0, 64):
        ours = type("Ours", (TimedSMTP,), {"local_part_limit": limit})(Handler(), hostname="x")
        theirs = type("Theirs", (SMTP,), {"local_part_limit": limit})(Handler(), hostname="x")
        assert ours._getaddr(arg) == theirs._getaddr(arg)


def test_the_turn_budget_starts_a_few_pieces_of_work_per_turn_of_the_loop() -> None:
    from mysteryshop.pacing import TurnBudget

    async def scenario() -> list[int]:
        budget = TurnBudget(per_turn=2)
        turn = [0]
        started: list[int] = []

        def tick() -> None:  # counts the loop's turns while the work runs
            turn[0] += 1
            if len(started) < 7:
                asyncio.get_running_loop().call_soon(tick)

        async def work() -> None:
            await budget()
            started.append(turn[0])

        asyncio.get_running_loop().call_soon(tick)
        await asyncio.gather(*(work() for _ in range(7)))
        return started

    started = asyncio.run(scenario())
    assert len(started) == 7
    per_turn = {t: started.count(t) for t in set(started)}
    assert max(per_turn.values()) <= 2 and len(per_turn) >= 4  # seven pieces over at least four turns
