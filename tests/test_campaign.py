"""Campaigns: send and exit, a listener that survives kill -9, tick, score, and the safety rails."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiosmtplib
import orjson
import pytest

from mysteryshop.storage import exists

from mysteryshop.campaign import load_targets_and_journeys, run_id_of
from mysteryshop.cli import main as cli
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.errors import JourneyError
from mysteryshop.journey import load_journey
from mysteryshop.mail import compose
from mysteryshop.collect.parse import parse_mail
from mysteryshop.safety import personal_data
import mysteryshop.scorecard.build as build
from mysteryshop.scorecard.build import build_scorecard
import mysteryshop.scorecard.entries as entries
from mysteryshop.scorecard.entries import probe_entry
from mysteryshop.store import Store

from .conftest import project_with_store, store_at, PROBE_DOMAIN, free_port, profile

JOURNEY = """
id: ask_and_wait
title: Ask, then wait for an acknowledgement and an answer
steps:
  - id: ask
    do: send_email
    subject: "Question about order {persona.order_id}"
    body: "Hello, can I return my jacket? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 1h
  - id: answered
    expect: answer
    within: {answer_within}
"""
TARGET = """
name: northwind
title: Northwind (a demo desk started by the test, probed as if it were real)
speedup: 14400
probe_domain: probe.mysteryshop.test
ticket_pattern: '\\[#(NW-\\d+)\\]'
email:
  support_address: support@northwind.demo
  smtp_host: 127.0.0.1
  smtp_port: {port}
"""


class Listener:
    """`mysteryshop listen` as its own process, killable with SIGKILL."""

    def __init__(self, project: Path, port: int) -> None:
        self.project, self.port = project, port
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Listener:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mysteryshop.cli", "listen", "--port", str(self.port), "--domain", PROBE_DOMAIN,
             "--tick-every", "0", "--root", str(self.project)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        for _ in range(10):
            line = self.proc.stdout.readline()
            if "ready" in line or not line:
                break
        if self.proc.poll() is not None:
            raise RuntimeError(self.proc.stderr.read() if self.proc.stderr else "listener died")
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def project(tmp_path: Path, store_location: Path | str) -> Path:
    return project_with_store(tmp_path, store_location)


@pytest.fixture
def listener(project: Path) -> Iterator[Listener]:
    running = Listener(project, free_port()).start()
    yield running
    running.stop()


def _wait_until(predicate, timeout: float = 30.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_campaign_runs_send_listener_restart_reply_tick_and_score(
    project: Path, listener: Listener, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a company (the demo desk, its clock 14400x fast) that acknowledges after 1-2 company
    # minutes and answers after 1 company hour, and a listener for the probe domain
    desk = DemoDeskProcess(
        profile(acknowledgement={"probability": 1.0, "delay": ["1m", "2m"]},
                answer={"probability": 1.0, "delay": ["1h", "1h"], "quality": {"good": 1.0}}),
        deliver_to=("127.0.0.1", listener.port), speedup=14400, workdir=project,
    ).start()
    try:
        # (deadlines leave room for the listener's restart: mail that finds it down waits at the sender)
        (project / "journeys/ask_and_wait.yaml").write_text(JOURNEY.replace("{answer_within}", "3d").replace("within: 1h", "within: 1d"))
        (project / "journeys/targets/northwind.yaml").write_text(TARGET.replace("{port}", str(desk.port)))
        # When the campaign sends and exits, and the listener is killed and restarted while replies come
        assert cli(["run", "--campaign", "c1", "--target", "northwind", "--personas", "3", "--root", str(project)]) == 0
        listener.kill9()
        time.sleep(0.5)
        listener.start()
        store_path = store_at(project)
        assert _wait_until(lambda: len(Store(store_path).messages("_inbox")) >= 6 or len(desk.truth.sent) >= 6 and _inbox_count(store_path) >= 6)
        assert cli(["tick", "c1", "--root", str(project)]) == 0
        assert cli(["score", "c1", "--root", str(project)]) == 0
    finally:
        desk.stop()
    # Then every probe was acknowledged and answered, scored from the store
    card = json.loads((project / "reports/campaign-c1/scorecard.json").read_text())
    assert [p["status"] for p in card["probes"]] == ["passed"] * 3
    assert all(o["status"] == "passed" for p in card["probes"] for o in p["outcomes"])
    assert "3 probe(s) started" in capsys.readouterr().out
    # and from the entries the campaign recorded as each probe finished: the card scoring every probe again gives
    journeys, targets = load_targets_and_journeys(project / "journeys")
    store = Store(store_at(project))
    try:
        assert len(store.query("SELECT probe_id FROM entries WHERE run_id = ?", (run_id_of("c1"),))) == 3
        scored: list[str] = []
        monkeypatch.setattr(build, "probe_entry", lambda probe, *a, **k: scored.append(probe.probe_id) or probe_entry(probe, *a, **k))
        recorded = build_scorecard(store, run_id_of("c1"), journeys, targets)
        assert scored == []
        assert orjson.dumps(recorded) == orjson.dumps(build_scorecard(store, run_id_of("c1"), journeys, targets, rescore=True))
    finally:
        store.close()


def test_an_entry_that_cannot_be_recorded_does_not_stop_the_campaign(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a company whose port is closed (every probe ends at once, in error) and a scorer that fails on every entry
    (project / "journeys/ask_and_wait.yaml").write_text(JOURNEY.replace("{answer_within}", "3d"))
    (project / "journeys/targets/northwind.yaml").write_text(TARGET.replace("{port}", str(free_port())))
    monkeypatch.setattr(entries, "probe_entry", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("a scoring bug")))
    # When the campaign starts
    cli(["run", "--campaign", "c1", "--target", "northwind", "--personas", "3", "--root", str(project)])
    # Then every probe was still started, and finished with its own error
    store = Store(store_at(project))
    try:
        assert [r["status"] for r in store.probes(run_id_of("c1"))] == ["error"] * 3
    finally:
        store.close()


def _inbox_count(store_path: Path | str) -> int:
    store = Store(store_path)
    try:
        return len(store.query("SELECT id FROM messages"))
    finally:
        store.close()


def test_score_marks_open_deadlines_pending(project: Path, listener: Listener) -> None:
    desk = DemoDeskProcess(profile(), deliver_to=("127.0.0.1", listener.port), speedup=14400, workdir=project).start()
    try:
        # deadlines far beyond the test's few seconds (days of company time): they stay open
        (project / "journeys/ask_and_wait.yaml").write_text(JOURNEY.replace("{answer_within}", "30d").replace("within: 1h", "within: 20d"))
        (project / "journeys/targets/northwind.yaml").write_text(TARGET.replace("{port}", str(desk.port)))
        assert cli(["run", "--campaign", "slow", "--target", "northwind", "--personas", "1", "--root", str(project)]) == 0
        assert cli(["tick", "slow", "--root", str(project)]) == 0
        assert cli(["score", "slow", "--root", str(project)]) == 0
    finally:
        desk.stop()
    (probe,) = json.loads((project / "reports/campaign-slow/scorecard.json").read_text())["probes"]
    assert probe["status"] == "waiting"
    assert {o["step"]: o["status"] for o in probe["outcomes"]} == {"acknowledged": "pending"}


def test_kill_9_during_a_1000_message_stream_loses_none(project: Path, listener: Listener) -> None:
    # Given a client streaming 1,000 replies to the listener, 20 at a time
    messages = [
        compose(sender="support@northwind.demo", to=f"c{i}@{PROBE_DOMAIN}", subject=f"Re: {i}", body=f"answer {i}", domain="northwind.demo")
        for i in range(1000)
    ]
    accepted: set[str] = set()
    killed = asyncio.Event()

    async def send(message: object, gate: asyncio.Semaphore) -> None:
        async with gate:
            for _ in range(200):  # bounded: retry while the listener is down
                try:
                    await aiosmtplib.send(message, hostname="127.0.0.1", port=listener.port, timeout=10)
                    accepted.add(str(message["Message-ID"]))  # type: ignore[index]
                    return
                except (OSError, aiosmtplib.SMTPException):
                    await asyncio.sleep(0.05)

    async def killer() -> None:
        while len(accepted) < 300:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(listener.kill9)  # when the listener dies, some messages are half-sent
        killed.set()
        await asyncio.sleep(0.5)
        await asyncio.to_thread(listener.start)

    async def stream() -> None:
        gate = asyncio.Semaphore(20)
        await asyncio.gather(killer(), *(send(m, gate) for m in messages))

    # When the listener is killed with SIGKILL mid-stream and restarted
    asyncio.run(asyncio.wait_for(stream(), timeout=240))
    assert killed.is_set()
    # Then every message the listener answered 250 for is in the store
    store = Store(store_at(project))
    stored = {parse_mail(bytes(r["raw"])).message_id for r in store.query("SELECT raw FROM messages")}
    store.close()
    assert len(accepted) == 1000
    assert accepted <= stored


def test_a_target_not_on_the_allowlist_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "allowlist.yaml").write_text("targets: []\n")
    (project / "journeys/ask_and_wait.yaml").write_text(JOURNEY.replace("{answer_within}", "3h"))
    remote = TARGET.replace("{port}", "25").replace("smtp_host: 127.0.0.1", "smtp_host: mx.northwind.example")
    (project / "journeys/targets/northwind.yaml").write_text(remote)
    code = cli(["run", "--campaign", "nope", "--target", "northwind", "--root", str(project)])
    assert code == 2
    err = capsys.readouterr().err
    assert "target 'northwind' (" in err and "is not on the allowlist" in err
    assert "    - northwind\n" in err  # the line to add
    assert not exists(store_at(project)) or not Store(store_at(project)).query("SELECT 1 FROM events")


def test_dry_run_prints_and_sends_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "journeys/ask_and_wait.yaml").write_text(JOURNEY.replace("{answer_within}", "3h"))
    (project / "journeys/targets/northwind.yaml").write_text(TARGET.replace("{port}", str(free_port())))
    assert cli(["run", "--campaign", "dry", "--target", "northwind", "--personas", "2", "--dry-run", "--root", str(project)]) == 0
    out = capsys.readouterr().out
    assert out.count("--- would send") == 2 and "To: support@northwind.demo" in out
    assert "dry run: 2 message(s) would be sent by the first steps" in out and "nothing was sent or stored" in out
    assert not exists(store_at(project)) or not Store(store_at(project)).query("SELECT 1 FROM runs")


def test_journey_text_that_looks_like_real_personal_data_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    path.write_text("title: T\nsteps:\n  - id: ask\n    do: send_email\n    subject: s\n    body: 'My card is 4111 1111 1111 1111'\n")
    with pytest.raises(JourneyError, match=r"leaky.yaml:6:5: steps\[0\].body: looks like real personal data \(payment card number"):
        load_journey(path)
    assert personal_data("order ORD-123456, call +1 555 0100") == []
    assert [f.split(":")[0] for f in personal_data("SSN 123-45-6789, IBAN GB82 WEST 1234 5698 7654 32")] == ["US social security number", "IBAN"]


class _Relay:
    """An outbound relay on loopback that insists on STARTTLS and a login, like a real submission server."""

    def __init__(self, cert_dir: Path) -> None:
        import ssl
        import threading

        from aiosmtpd.smtp import SMTP, AuthResult

        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(cert_dir / "key.pem"),
             "-out", str(cert_dir / "cert.pem"), "-days", "1", "-subj", "/CN=localhost"],
            check=True, capture_output=True,
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_dir / "cert.pem", cert_dir / "key.pem")
        self.messages: list[bytes] = []
        self.logins: list[tuple[str, bool]] = []
        relay = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
                relay.messages.append(envelope.original_content)  # type: ignore[attr-defined]
                return "250 OK"

        def authenticator(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
            user, password = data.login.decode(), data.password.decode()  # type: ignore[attr-defined]
            ok = (user, password) == ("relay-user", "s3cret-relay-pw")
            relay.logins.append((user, ok))
            return AuthResult(success=ok, handled=False)

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def serve() -> int:
            factory = lambda: SMTP(Handler(), hostname="relay.test", tls_context=context, require_starttls=True,  # noqa: E731
                                   auth_required=True, auth_require_tls=True, authenticator=authenticator)
            self.server = await self.loop.create_server(factory, "127.0.0.1", 0)
            return self.server.sockets[0].getsockname()[1]

        self.port = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


RELAY_TARGET = TARGET + """  starttls: true
  tls_verify: false          # the test relay's certificate is self-signed
  username_env: TEST_RELAY_USER
  password_env: TEST_RELAY_PASSWORD
"""


def test_outbound_mail_goes_through_a_starttls_relay_with_a_login_that_is_never_stored(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    relay = _Relay(project)
    try:
        monkeypatch.setenv("TEST_RELAY_USER", "relay-user")
        monkeypatch.setenv("TEST_RELAY_PASSWORD", "s3cret-relay-pw")
        (project / "journeys/ask_and_wait.yaml").write_text(JOURNEY.replace("{answer_within}", "3d"))
        (project / "journeys/targets/northwind.yaml").write_text(RELAY_TARGET.replace("{port}", str(relay.port)))
        assert cli(["run", "--campaign", "relayed", "--target", "northwind", "--personas", "2", "--root", str(project)]) == 0
        assert cli(["score", "relayed", "--root", str(project)]) == 0
        # (one login per connection, over TLS; the two emails may share a kept connection)
        assert len(relay.messages) == 2 and relay.logins and set(relay.logins) == {("relay-user", True)}
        # Then the password is nowhere in what mysteryshop wrote
        written = [p for p in (project / "reports").rglob("*") if p.is_file()]
        assert written and not any(b"s3cret-relay-pw" in p.read_bytes() for p in written)
        # And a wrong password is a clear error naming the relay and the step
        monkeypatch.setenv("TEST_RELAY_PASSWORD", "wrong")
        assert cli(["run", "--campaign", "badlogin", "--target", "northwind", "--personas", "1", "--root", str(project)]) == 2
        assert "refused the relay login for step 'ask'" in capsys.readouterr().out
    finally:
        relay.close()
