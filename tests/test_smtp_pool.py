"""Kept SMTP connections (SmtpPool) and socket-time stamps, against real aiosmtpd servers on loopback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mysteryshop.mail import compose
from mysteryshop.smtp import SmtpPool, deliver
from mysteryshop.collect.smtp_server import serve_smtp


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

    from mysteryshop.collect.smtp_server import TimedSMTP

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


def test_the_turn_budget_releases_waiters_in_order_and_a_cancelled_one_spends_nothing() -> None:
    from mysteryshop.pacing import TurnBudget

    async def scenario() -> tuple[list[int], list[int]]:
        budget = TurnBudget(per_turn=2)
        turn = [0]
        order: list[int] = []
        turns: list[int] = []

        def tick() -> None:
            turn[0] += 1
            if turn[0] < 50:
                asyncio.get_running_loop().call_soon(tick)

        async def work(i: int) -> None:
            await budget()
            order.append(i)
            turns.append(turn[0])

        asyncio.get_running_loop().call_soon(tick)
        tasks = [asyncio.create_task(work(i)) for i in range(9)]
        await asyncio.sleep(0)  # every task is now started (two ran, seven wait)
        tasks[4].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return order, turns

    order, turns = asyncio.run(scenario())
    assert order == [0, 1, 2, 3, 5, 6, 7, 8]  # first come, first served; the cancelled one never ran
    assert max(turns.count(t) for t in set(turns)) <= 2
    assert turns[4] - turns[0] <= 3, "a cancelled waiter held up those after it"


def test_a_turn_budget_left_with_waiters_on_a_stopped_loop_works_on_the_next_one() -> None:
    from mysteryshop.pacing import TurnBudget

    budget = TurnBudget(per_turn=2)
    loop = asyncio.new_event_loop()

    async def queue_five() -> None:
        for _ in range(5):
            asyncio.ensure_future(budget())
        await asyncio.sleep(0)

    loop.run_until_complete(queue_five())  # the loop stops with three waiters queued and a reset pending
    loop.close()

    async def five_more() -> None:
        await asyncio.wait_for(asyncio.gather(*(budget() for _ in range(5))), 2)

    asyncio.run(five_more())


class _Gatekeeper:
    """Refuses the sender or recipients named in `refuse` (and p0's message, if 'DATA' is in it); notes every envelope command."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.log: list[tuple[Any, ...]] = []
        self.servers: set[Any] = set()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]) -> str:
        self.servers.add(server)
        self.log.append(("MAIL", address, mail_options))
        if address in self.refuse:
            return "553 5.7.1 sender refused"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        self.log.append(("RCPT", address, rcpt_options))
        if address in self.refuse:
            return f"550 5.1.1 {address}: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.log.append(("DATA", session.peer, envelope.original_content))
        return "554 5.6.0 message refused" if "DATA" in self.refuse and envelope.mail_from == "p0@probe.test" else "250 OK"

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        self.log.append(("RSET",))
        return "250 OK"


def _outcome(exc: BaseException | None) -> Any:
    import aiosmtplib

    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return type(exc), [(e.code, e.message, e.recipient) for e in exc.recipients]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return type(exc), exc.code, exc.message, getattr(exc, "sender", None)
    return None if exc is None else (type(exc), str(exc))


_GOOD = "ok@northwind.demo"


@pytest.mark.parametrize("refuse, recipients", [
    (set(), [_GOOD]),
    ({"gone@northwind.demo"}, ["gone@northwind.demo"]),
    ({"gone@northwind.demo"}, ["gone@northwind.demo", _GOOD]),
    ({"gone@northwind.demo", "left@northwind.demo"}, ["gone@northwind.demo", "left@northwind.demo"]),
    ({"p0@probe.test"}, [_GOOD]),
    ({"DATA"}, [_GOOD]),
    (set(), []),
])
def test_a_kept_connection_sends_and_refuses_as_aiosmtplib_sendmail_does(refuse: set[str], recipients: list[str]) -> None:
    """The same commands reach the server and the same error is raised as with aiosmtplib's sendmail, and the next message goes through."""
    import aiosmtplib

    payload = _message(0)

    async def scenario() -> tuple[Any, list[Any], Any, list[Any]]:
        theirs, ours = _Gatekeeper(refuse), _Gatekeeper(refuse)
        their_server, their_port = await serve_smtp(theirs, name="sink")
        our_server, our_port = await serve_smtp(ours, name="sink")
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=their_port, local_hostname="localhost", start_tls=False)
        await client.connect()
        their_error: BaseException | None = None
        try:
            await client.sendmail("p0@probe.test", recipients, payload, timeout=5)
        except aiosmtplib.SMTPException as exc:
            their_error = exc
        await client.quit()
        pool = SmtpPool(per_destination=1)
        our_error: BaseException | None = None
        await pool.deliver(_message(1), host="127.0.0.1", port=our_port, sender="p1@probe.test", recipients=[_GOOD])
        ours.log.clear()
        try:
            await pool.deliver(payload, host="127.0.0.1", port=our_port, sender="p0@probe.test", recipients=recipients, timeout=5)
        except aiosmtplib.SMTPException as exc:
            our_error = exc
        sent = len(ours.log)
        await pool.deliver(_message(2), host="127.0.0.1", port=our_port, sender="p2@probe.test", recipients=[_GOOD])
        await pool.close()
        for session in ours.servers:  # the pool drops a connection whose message was refused without QUIT
            if session.transport is not None:
                session.transport.close()
        for server in (their_server, our_server):
            server.close()
            await server.wait_closed()
        await asyncio.sleep(0)
        return their_error, theirs.log, our_error, ours.log[:sent] + [ours.log[sent:]]

    their_error, their_log, our_error, our_log = asyncio.run(scenario())
    after = our_log.pop()
    assert _outcome(our_error) == _outcome(their_error)
    assert [entry[:1] + entry[2:] if entry[0] == "DATA" else entry for entry in our_log] == [
        entry[:1] + entry[2:] if entry[0] == "DATA" else entry for entry in their_log
    ]
    assert [entry[0] for entry in after] == ["MAIL", "RCPT", "DATA"]


@pytest.mark.parametrize("address", [
    "jane@probe.test", "jane.doe+abc@probe.test", "o'brien@x.test", "a-b@-x.test", "x@y", "Jane <jane@probe.test>",
    " jane@probe.test ", '"quoted local"@probe.test', "a..b@x.test", "jane@[127.0.0.1]", "", "<jane@probe.test>",
    "jane@probe.test>", "jane@probe.test SIZE=1", "jane@probe.test\r\nRCPT TO:<x@y.test>", "ünï@probe.test", "a@b.c.",
])
def test_the_client_quotes_an_address_as_aiosmtplib_does(address: str) -> None:
    from aiosmtplib.email import quote_address

    from mysteryshop.smtp import _path

    try:
        expected: Any = quote_address(address).encode("ascii")
    except ValueError as exc:
        expected = type(exc)
    try:
        ours: Any = _path(address)
    except ValueError as exc:
        ours = type(exc)
    assert ours == expected


def test_the_fast_path_quotes_every_plain_address_as_aiosmtplib_does() -> None:
    from aiosmtplib.email import quote_address
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from mysteryshop.smtp import _PLAIN_ADDRESS, _path

    @settings(max_examples=300, deadline=None)
    @given(st.from_regex(_PLAIN_ADDRESS, fullmatch=True))
    def check(address: str) -> None:
        assert _path(address) == quote_address(address).encode("ascii")

    check()


@pytest.mark.parametrize("payload", [
    b"", b"a", b"a\r\n", b"a\n", b"a\r", b"a\r\nb", b"a\nb\r\n", b"a\rb\r\n", b"\r\n\r\n", b"a\r\r\n", b"a\n\r\n", b"\n.\r\n",
])
def test_the_size_the_client_declares_is_aiosmtplibs(payload: bytes) -> None:
    from aiosmtplib.protocol import normalize_message_line_endings

    from mysteryshop.smtp import _wire_size

    assert _wire_size(payload) == len(normalize_message_line_endings(payload))
    composed = _message(3)
    assert _wire_size(composed) == len(composed)


def test_the_server_finds_the_same_commands_and_auth_methods_as_aiosmtpd() -> None:
    from aiosmtpd.smtp import SMTP

    from mysteryshop.collect.smtp_server import TimedSMTP, _hooks_of

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

        async def auth_CRAM__MD5(self, server: object, args: list[str]) -> None:
            return None

    class Extended(TimedSMTP):
        async def smtp_XCLIENT(self, arg: str) -> None:
            return None

    loop = asyncio.new_event_loop()
    try:
        for ours_cls in (TimedSMTP, Extended):
            ours = ours_cls(_hooks_of(Handler()), hostname="x", loop=loop)
            extra = {"smtp_XCLIENT": Extended.smtp_XCLIENT} if ours_cls is Extended else {}
            theirs = type("Theirs", (SMTP,), extra)(Handler(), hostname="x", loop=loop)
            assert sorted(ours._smtp_methods) == sorted(theirs._smtp_methods)
            assert {k: v.is_builtin for k, v in ours._auth_methods.items()} == {k: v.is_builtin for k, v in theirs._auth_methods.items()}
            assert sorted(ours._handle_hooks) == sorted(theirs._handle_hooks) == ["DATA"]
        assert "XCLIENT" in Extended(_hooks_of(Handler()), hostname="x", loop=loop)._smtp_methods
        assert "CRAM-MD5" in ours._auth_methods
        assert {"push", "transport", "smtp_DATA", "last_data_ns"} <= set(dir(ours))  # a whole dir() once the connection is made
    finally:
        loop.close()
