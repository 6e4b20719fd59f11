"""Every mode receives a real desk's replies: our mailbox on a fixed port, a running listener, an IMAP mailbox.

The desk is the demo desk run as its own process, probed as if it were a company (not embedded):
it answers by SMTP to wherever it is told, and keeps a ground-truth log of what it sent when.
Runs go through the real command (`python -m mysteryshop.cli run`) and through plain pytest.
"""

from __future__ import annotations

import asyncio
import imaplib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from mysteryshop.collect.inbox import INBOX_RUN
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.storage import exists
from mysteryshop.store import Store

from .conftest import PROBE_DOMAIN, ROOT, free_port, profile, store_at
from .imap_server import Dovecot
from .test_campaign import Listener
from .test_imap import dovecot  # noqa: F401 - the fixture: a real dovecot on loopback

JOURNEY = """
id: ask
title: Ask and wait for an acknowledgement and an answer
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
    within: 6h
"""
PROBE = 'import pytest\n\n\n@pytest.mark.journey("ask")\ndef test_ask(probe):\n    probe.check()\n'
#: timing tolerance against the desk's ground truth: the desk's 250 and our end-of-DATA stamp, on a shared 2-core machine
SMTP_TOLERANCE_S = 0.25
#: ... and for IMAP, whose Received header carries whole seconds
IMAP_TOLERANCE_S = 1.5


def answering_desk(deliver_to: tuple[str, int], workdir: Path, *, answer: bool = True, speedup: int = 14400) -> DemoDeskProcess:
    """A desk (its company clock `speedup` times faster) that acknowledges after 1-2 company minutes and answers after an hour."""
    on = {"probability": 1.0, "quality": {"good": 1.0}}
    desk_profile = profile(
        acknowledgement={"probability": 1.0, "delay": ["1m", "2m"]},
        answer={**on, "delay": ["1h", "1h"]} if answer else {"probability": 0.0, "delay": ["1s", "1s"]},
    )
    return DemoDeskProcess(desk_profile, deliver_to=deliver_to, speedup=speedup, workdir=workdir).start()


def write_project(root: Path, target: str, *, store: Path | str | None = None) -> Path:
    """A project; its config names `store` when that is a URL (a PostgreSQL store), else the default SQLite file is used."""
    (root / "journeys/targets").mkdir(parents=True, exist_ok=True)
    (root / "probes").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.mysteryshop]\n" + (f'store = "{store}"\n' if isinstance(store, str) else ""))
    (root / "journeys/ask.yaml").write_text(JOURNEY)
    (root / "journeys/targets/desk.yaml").write_text(target)
    (root / "probes/test_ask.py").write_text(PROBE)
    return root


def target_yaml(desk_port: int, collect: str, *, speedup: int = 14400, extra: str = "") -> str:
    return (
        f"name: desk\nspeedup: {speedup}\nprobe_domain: {PROBE_DOMAIN}\nticket_pattern: '\\[#(NW-\\d+)\\]'\n{extra}"
        f"collect: {collect}\n"
        f"email: {{support_address: support@northwind.demo, smtp_host: 127.0.0.1, smtp_port: {desk_port}, timeout: 5}}\n"
    )


def mysteryshop(project: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def replies_of(store_path: Path | str, run_id: str) -> list[dict]:
    store = Store(store_path)
    try:
        return [dict(r) for r in store.query("SELECT m.*, p.address FROM messages m JOIN probes p ON p.run_id = m.run_id AND p.id = m.probe_id "
                                            "WHERE m.run_id = ? AND m.direction = 'in' ORDER BY m.t_ns", (run_id,))]
    finally:
        store.close()


def timing_errors(replies: list[dict], desk: DemoDeskProcess) -> list[float]:
    """Seconds between each reply's time in the store and the desk's own record of sending it (matched by Message-ID)."""
    from mysteryshop.collect.parse import parse_mail

    sent = {r.message_id: r for r in desk.truth.sent}
    errors = []
    for reply in replies:
        record = sent[parse_mail(bytes(reply["raw"])).message_id]
        errors.append(abs(reply["t_ns"] - record.accepted_ns) / 1e9)
    return errors


def card_of(project: Path, run_id: str) -> dict:
    return json.loads((project / "reports" / run_id / "scorecard.json").read_text())


def test_a_run_receives_a_desk_s_replies_on_the_mailbox_port_its_target_names(tmp_path: Path) -> None:
    port = free_port()
    desk = answering_desk(("127.0.0.1", port), tmp_path)
    try:
        project = write_project(tmp_path / "p", target_yaml(desk.port, f"{{via: smtp, host: 127.0.0.1, port: {port}}}"))
        result = mysteryshop(project, "run", "--target", "desk", "--personas", "3", "--run-id", "fixed")
        assert result.returncode == 0, result.stdout + result.stderr
        card = card_of(project, "fixed")
        assert card["summary"]["probes"] == 3
        assert all(p["status"] == "passed" for p in card["probes"]), [p["outcomes"] for p in card["probes"]]
        replies = replies_of(store_at(project), "fixed")
        assert len(replies) == 6 == len(desk.truth.sent)  # an acknowledgement and an answer each, nothing lost
        assert max(timing_errors(replies, desk)) < SMTP_TOLERANCE_S
    finally:
        desk.stop()


def test_plain_pytest_receives_them_too_and_shows_progress_while_it_waits(tmp_path: Path) -> None:
    port = free_port()
    desk = answering_desk(("127.0.0.1", port), tmp_path)
    try:
        project = write_project(tmp_path / "p", target_yaml(desk.port, f"{{port: {port}}}"))
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "probes", "-p", "no:cacheprovider", "--target", "desk", "--personas", "2",
             "--run-id", "viapytest", "--rootdir", str(project)],
            cwd=project, capture_output=True, text=True, timeout=180,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "2 passed" in result.stdout
        assert f"replies are expected at SMTP 127.0.0.1:{port} for @{PROBE_DOMAIN}" in result.stdout
        assert len(replies_of(store_at(project), "viapytest")) == 4
    finally:
        desk.stop()


def test_a_desk_that_stays_silent_is_reported_while_waiting_and_at_the_end(tmp_path: Path) -> None:
    # a desk that acknowledges nothing and answers nothing, company clock at real speed: deadlines of a few seconds
    port = free_port()
    desk = DemoDeskProcess(profile(), deliver_to=("127.0.0.1", port), speedup=1, workdir=tmp_path).start()
    try:
        journey = JOURNEY.replace("within: 1h", "within: 7s").replace("within: 6h", "within: 8s")
        project = write_project(tmp_path / "p", target_yaml(desk.port, f"{{port: {port}}}", speedup=1))
        (project / "journeys/ask.yaml").write_text(journey)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "probes", "-p", "no:cacheprovider", "--target", "desk", "--personas", "1",
             "--rootdir", str(project)],
            cwd=project, capture_output=True, text=True, timeout=120,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "mysteryshop: 1 waiting · 0 passed · 0 failed · 0 replies in" in result.stdout
        assert "no reply from target 'desk' reached this run by its last deadline" in result.stdout
        assert f"Replies were expected at SMTP 127.0.0.1:{port}" in result.stdout
    finally:
        desk.stop()


def test_runs_collect_through_a_running_listener_each_claiming_only_its_own_replies(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", "")
    listener = Listener(project, free_port()).start()
    desk = answering_desk(("127.0.0.1", listener.port), tmp_path)
    try:
        (project / "journeys/targets/desk.yaml").write_text(target_yaml(desk.port, "{via: listener}"))
        # two runs at once on one store, one listener: every reply reaches the run whose probe it answers
        runs = [subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "run", "--target", "desk", "--personas", "2", "--seed", str(seed),
                                  "--run-id", f"run{seed}", "--root", str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for seed in (1, 2)]
        outputs = [r.communicate(timeout=180) for r in runs]
        assert [r.returncode for r in runs] == [0, 0], outputs
        store_path = store_at(project)
        for seed in (1, 2):
            card = card_of(project, f"run{seed}")
            assert all(p["status"] == "passed" for p in card["probes"]), [p["outcomes"] for p in card["probes"]]
            replies = replies_of(store_path, f"run{seed}")
            assert len(replies) == 4
            assert all(r["rcpt_to"] and json.loads(r["rcpt_to"])[0] == r["address"] for r in replies)
            assert max(timing_errors(replies, desk)) < SMTP_TOLERANCE_S
        store = Store(store_path)
        assert store.query("SELECT count(*) AS n FROM messages WHERE run_id = ?", (INBOX_RUN,))[0]["n"] == 0  # all claimed
        store.close()
    finally:
        desk.stop()
        listener.stop()


def test_without_a_running_listener_the_run_stops_before_sending(tmp_path: Path) -> None:
    desk = answering_desk(("127.0.0.1", free_port()), tmp_path)
    try:
        project = write_project(tmp_path / "p", target_yaml(desk.port, "{via: listener}"))
        result = mysteryshop(project, "run", "--target", "desk", "--personas", "1")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "none is running on the store" in result.stderr and "mysteryshop listen --domain probe.mysteryshop.test" in result.stderr
        assert desk.truth.received == []
    finally:
        desk.stop()


def test_a_mailbox_port_in_use_stops_the_run_before_sending(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        desk = answering_desk(("127.0.0.1", port), tmp_path)
        try:
            project = write_project(tmp_path / "p", target_yaml(desk.port, f"{{port: {port}}}"))
            result = mysteryshop(project, "run", "--target", "desk", "--personas", "1")
            assert result.returncode == 2, result.stdout + result.stderr
            assert f"cannot open the reply mailbox on 127.0.0.1:{port}" in result.stderr and "--mailbox-port" in result.stderr
            assert desk.truth.received == []
        finally:
            desk.stop()


def test_a_remote_target_not_on_the_allowlist_is_refused_by_run_and_by_pytest(tmp_path: Path) -> None:
    remote = target_yaml(25, "{port: 2525}").replace("smtp_host: 127.0.0.1", "smtp_host: mx.northwind.example")
    project = write_project(tmp_path, remote)
    (project / "allowlist.yaml").write_text("targets: [someone-else]\n")
    result = mysteryshop(project, "run", "--target", "desk", "--personas", "1")
    assert result.returncode == 2
    assert "target 'desk'" in result.stderr and f"is not on the allowlist {project / 'allowlist.yaml'}" in result.stderr
    assert "    - desk\n" in result.stderr
    plain = subprocess.run([sys.executable, "-m", "pytest", "probes", "-p", "no:cacheprovider", "--target", "desk", "--personas", "1",
                            "--rootdir", str(project)], cwd=project, capture_output=True, text=True, timeout=120)
    assert plain.returncode == 1 and "is not on the allowlist" in plain.stdout
    assert not exists(store_at(project)) or not Store(store_at(project)).query(
        "SELECT 1 FROM events")


def test_dry_run_of_a_run_prints_what_would_be_sent_and_sends_nothing(tmp_path: Path) -> None:
    desk = answering_desk(("127.0.0.1", free_port()), tmp_path)
    try:
        project = write_project(tmp_path / "p", target_yaml(desk.port, "{port: 2525}"))
        result = mysteryshop(project, "run", "--target", "desk", "--personas", "2", "--dry-run")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("--- would send") == 2 and "Subject: Question about order ORD-" in result.stdout
        assert "nothing was sent or stored" in result.stdout
        time.sleep(0.5)
        assert desk.truth.received == []
        assert not exists(store_at(project)) or not Store(store_at(project)).query(
            "SELECT 1 FROM probes")
    finally:
        desk.stop()


class ImapDelivery:
    """The mail server in front of an IMAP mailbox: takes SMTP, writes Received and Delivered-To as an MTA does, files into INBOX."""

    def __init__(self, dovecot: Dovecot) -> None:
        self.dovecot = dovecot
        self.delivered = 0
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), server_hostname="mx.imap.test")

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201 - aiosmtpd's hook
        raw = envelope.original_content or envelope.content
        for rcpt in envelope.rcpt_tos:
            stamp = formatdate(time.time(), usegmt=True)
            headers = f"Delivered-To: {rcpt}\r\nReceived: from desk (localhost [127.0.0.1]) by mx.imap.test; {stamp}\r\n".encode()
            await asyncio.to_thread(self._append, headers + raw)
        return "250 OK delivered"

    def _append(self, message: bytes) -> None:
        with self._lock:
            client = self.dovecot.client()
            try:
                client.append("INBOX", None, imaplib.Time2Internaldate(time.time()), message)
                self.delivered += 1
            finally:
                client.logout()

    @property
    def port(self) -> int:
        return self.controller.port


def test_a_run_collects_from_an_imap_mailbox_with_plus_addressed_personas(tmp_path: Path, dovecot: Dovecot) -> None:  # noqa: F811
    mx = ImapDelivery(dovecot)
    mx.controller.start()
    # a mailbox is slower than our own SMTP server (delivery, IDLE, fetch): the company's clock runs 360x, not 14,400x,
    # so the answer comes after 10 s and the acknowledgement's 1 h deadline is 10 s of wall time
    desk = answering_desk(("127.0.0.1", mx.port), tmp_path, speedup=360)
    try:
        imap = f"{{via: imap, imap: {{host: 127.0.0.1, port: {dovecot.port}, ssl: false}}}}"
        project = write_project(tmp_path / "p", target_yaml(desk.port, imap, speedup=360, extra="probe_mailbox: probe@imap.test\n"))
        env = {"MYSTERYSHOP_IMAP_USER": dovecot.user, "MYSTERYSHOP_IMAP_PASSWORD": dovecot.password}
        result = mysteryshop(project, "run", "--target", "desk", "--personas", "2", "--run-id", "imap", env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        card = card_of(project, "imap")
        assert all(p["status"] == "passed" for p in card["probes"]), [p["outcomes"] for p in card["probes"]]
        replies = replies_of(store_at(project), "imap")
        assert len(replies) == 4 and all(r["address"].startswith("probe+") and r["address"].endswith("@imap.test") for r in replies)
        # times come from the Received header our mail server wrote, not from when the run polled
        assert max(timing_errors(replies, desk)) < IMAP_TOLERANCE_S

        wrong = mysteryshop(project, "run", "--target", "desk", "--personas", "1",
                            env={**env, "MYSTERYSHOP_IMAP_PASSWORD": "not-the-password"})
        assert wrong.returncode == 2, wrong.stdout + wrong.stderr
        assert f"cannot read the reply mailbox imap:probe@127.0.0.1:{dovecot.port}/INBOX" in wrong.stderr
        assert "nothing was sent" in wrong.stderr
        assert len(desk.truth.received) == 2  # only the first run's emails
    finally:
        desk.stop()
        mx.controller.stop()
