"""A real third-party help desk on loopback: Roundup (PyPI `roundup`), set up as a small support desk.

What runs, all on 127.0.0.1:

- a Roundup tracker in a folder of its own (`roundup-admin install classic sqlite`, then the files of
  tests/helpdesk/tracker/: a public contact form, an acknowledging nosy reactor, an 'Agent' role);
- its email intake: an SMTP server that pipes each message to `roundup-mailgw <tracker>`, exactly as an MTA's
  alias `support: |roundup-mailgw /path/to/tracker` does. By default (`--accept queued`) it answers 250 once the
  message is safe in its queue folder, as Postfix does, and pipes it right after; `--accept gateway` answers 250
  only once the gateway has taken the message (451 when it failed, so the sender keeps it);
- its outbound MTA: Roundup's `[mail] host:port` points at a relay that hands every message on to the reply
  collector given (mysteryshop's mailbox or `mysteryshop listen`), passes that server's answer back to Roundup,
  and logs when each message was delivered (Roundup itself records no send time);
- its web UI: `roundup-server`, with the contact form at <web>issue?@template=contact;
- a support agent: a bounded loop that answers each new issue after a delay, as the staff user `agent`,
  through Roundup's own API (a msg added to the issue's messages), so that Roundup's nosy reactor emails
  the answer to the customer; a share of issues is left unanswered on purpose.

Ground truth comes from Roundup's own database (issues, messages, their creation times and recipients) and
the desk's logs (intake.jsonl, outbound.jsonl, agent.jsonl in the tracker folder): `truth(home)`.

Command line (what `make helpdesk` and bench/helpdesk_campaign.py use):

    python -m tests.helpdesk.roundup_desk serve --home /tmp/desk --reply-to 127.0.0.1:2527 \\
        --intake-port 2528 --web-port 8917 --answer-delay 2 --unanswered 0.25
    python -m tests.helpdesk.roundup_desk truth --home /tmp/desk
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import formatdate
from pathlib import Path
from typing import Any

OVERLAY = Path(__file__).with_name("tracker")
TRACKER_NAME = "helpdesk"  # the path under roundup-server: http://127.0.0.1:PORT/helpdesk/
ADMIN_PASSWORD = "desk-admin-password"  # a throw-away tracker on loopback
AGENT = "agent"
ANSWER = """Hello {name},

thank you for writing to us about {designator}. Yes, you can return an opened item within 30 days of
delivery, and return shipping is free: reply to this email and we will send you a prepaid return label.
Once the parcel is back with us, the refund reaches your card within 5 business days.

Kind regards,
Sam Carter
Customer support
"""


@dataclass(slots=True)
class DeskSettings:
    home: Path
    reply_to: tuple[str, int]  # where the desk's outgoing mail goes: the reply collector
    domain: str = "helpdesk.test"
    support: str = "support"  # local part of the support address
    intake_port: int = 0
    web_port: int = 0
    answer_delay_s: float = 2.0
    unanswered: float = 0.0  # share of issues the agent leaves unanswered on purpose
    mailgw_concurrency: int = 4  # gateway processes at once (an MTA's pipe concurrency limit)
    accept: str = "queued"  # when the intake answers 250: "queued" (on disk, as an MTA does) or "gateway" (mailgw took it)
    max_seconds: float = 3600.0  # the agent's loop ends after this long at the latest

    @property
    def support_address(self) -> str:
        return f"{self.support}@{self.domain}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _script(name: str) -> str:
    """A console script of the roundup package: beside this Python (the venv), else on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"roundup_desk: '{name}' not found beside {sys.executable} or on PATH; install Roundup: "
                         f"{sys.executable} -m pip install roundup (scripts/bootstrap.sh does)")
    return found


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _log(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record, sort_keys=True) + "\n")
        f.flush()


def _read_log(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def epoch(date: Any) -> float:
    """A Roundup Date as Unix time. Not `Date.timestamp()`: in Roundup 2.6.0 it counts the fraction of a second
    twice (calendar.timegm already takes the float seconds, then the fraction is added again), up to 1 s late."""
    return calendar.timegm((date.year, date.month, date.day, date.hour, date.minute, 0, 0, 0, 0)) + date.second


def left_unanswered(number: int, share: float) -> bool:
    """Issue `number` (1, 2, ...) is left unanswered on purpose: exactly floor(n * share) of the first n issues are."""
    return share > 0 and math.floor(number * share) != math.floor((number - 1) * share)


# --- the tracker ---------------------------------------------------------------------------------------------


def install_tracker(settings: DeskSettings, relay_port: int) -> None:
    """`roundup-admin install classic sqlite` with the desk's configuration, the overlay files, `initialise`, the agent."""
    home = settings.home
    admin = _script("roundup-admin")
    web = f"http://127.0.0.1:{settings.web_port}/{TRACKER_NAME}/"
    options = {
        "tracker_name": "Northwind Help Desk",
        "tracker_web": web,
        "tracker_email": settings.support,  # support@<mail_domain>: the From of every mail the desk sends
        "admin_email": "desk-admin",
        "dispatcher_email": "desk-admin",
        "mail_domain": settings.domain,
        "mail_host": "127.0.0.1",  # the desk's outbound MTA (the relay), which hands mail on to --reply-to
        "mail_port": str(relay_port),
        "nosy_messages_to_author": "yes",  # the customer gets a copy of their own new message: the acknowledgement
        "logging_filename": str(home / "roundup.log"),
        "logging_level": "WARNING",  # INFO logs every database opening (the agent polls)
        "web_http_auth": "no",
    }
    run = [admin, "-i", str(home)]
    subprocess.run([*run, "install", "classic", "sqlite", ",".join(f"{k}={v}" for k, v in options.items())],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for part in ("detectors", "extensions", "html"):
        for source in (OVERLAY / part).iterdir():
            if source.is_file() and source.suffix in (".py", ".html"):
                shutil.copy(source, home / part / source.name)
    with (home / "schema.py").open("a", encoding="utf-8") as schema:
        schema.write((OVERLAY / "schema_helpdesk.py").read_text(encoding="utf-8"))
    subprocess.run([*run, "initialise", ADMIN_PASSWORD], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    subprocess.run([*run, "create", "user", f"username={AGENT}", "realname=Sam Carter", "roles=User,Agent"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


# --- SMTP: intake and outbound relay ---------------------------------------------------------------------------


class IntakeHandler:
    """The MTA's alias `support: |roundup-mailgw HOME`: each message is piped to the gateway.

    `accept="queued"` (default) is what Postfix or Exim do: the message is written to the desk's queue folder
    and fsynced, 250 is answered, then the pipe runs (a failed run is tried again; a restart pipes what is left
    in the queue), so Roundup's acknowledgement leaves after the sender saw 250. `accept="gateway"` answers 250
    only once roundup-mailgw has taken the message (451 when it failed): the acknowledgement, sent while the
    gateway runs, then reaches the customer before the 250 does."""

    def __init__(self, settings: DeskSettings) -> None:
        self.settings = settings
        self.mailgw = _script("roundup-mailgw")
        self.slots = asyncio.Semaphore(settings.mailgw_concurrency)
        self.log = settings.home / "intake.jsonl"
        self.queue = settings.home / "queue"
        self.queue.mkdir(exist_ok=True)
        self.tasks: set[asyncio.Task[None]] = set()
        self.count = 0

    def resume(self) -> None:
        """Pipe what an earlier run of the desk queued but did not hand to the gateway."""
        for path in sorted(self.queue.glob("*.eml")):
            meta = json.loads(path.with_suffix(".json").read_text()) if path.with_suffix(".json").exists() else {}
            self._spawn(path, meta)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.lower() != self.settings.support_address:
            return f"550 5.1.1 <{address}>: no such mailbox here (this desk takes mail for {self.settings.support_address})"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = time.time()
        content = envelope.original_content or envelope.content
        stamp = (f"Received: from {session.host_name or 'unknown'} ({session.peer[0]}) by {self.settings.domain} "
                 f"(roundup desk intake) for <{self.settings.support_address}>; {formatdate(received)}\r\n").encode()
        headers = BytesHeaderParser().parsebytes(content)
        meta = {"message_id": (headers.get("Message-ID") or "").strip(), "mail_from": envelope.mail_from,
                "subject": str(headers.get("Subject", "")), "received_epoch": received}
        if self.settings.accept == "gateway":
            code, err = await self._pipe(stamp + content)
            self._record(meta, code, err)
            if code != 0:
                return f"451 4.3.0 roundup-mailgw exited {code}: {_last_line(err)}"
            return "250 2.0.0 OK: taken by roundup-mailgw"
        self.count += 1
        path = self.queue / f"{received:.6f}-{os.getpid()}-{self.count}.eml"
        await asyncio.to_thread(_write_synced, path, stamp + content, meta)
        self._spawn(path, meta)
        return f"250 2.0.0 OK: queued as {path.stem}"

    def _spawn(self, path: Path, meta: dict[str, Any]) -> None:
        task = asyncio.ensure_future(self._deliver(path, meta))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, path: Path, meta: dict[str, Any]) -> None:
        """Pipe a queued message to the gateway; a failure is tried again (5 times, 1 s apart), then set aside."""
        message = path.read_bytes()
        for attempt in range(5):
            code, err = await self._pipe(message)
            self._record({**meta, "attempt": attempt + 1}, code, err)
            if code == 0:
                path.unlink()
                path.with_suffix(".json").unlink(missing_ok=True)
                return
            await asyncio.sleep(1.0)
        path.rename(path.with_suffix(".failed"))

    async def _pipe(self, message: bytes) -> tuple[int, bytes]:
        async with self.slots:
            process = await asyncio.create_subprocess_exec(
                self.mailgw, str(self.settings.home), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, err = await process.communicate(message)
        return int(process.returncode or 0), err

    def _record(self, meta: dict[str, Any], code: int, err: bytes) -> None:
        _log(self.log, {**meta, "accepted_epoch": time.time() if code == 0 else None, "exit": code,
                        "stderr": err.decode(errors="replace")[-2000:]})

    async def drain(self, timeout: float) -> None:
        """Let the pipes under way finish (what is left stays queued for the next start)."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)
        for task in list(self.tasks):
            task.cancel()


def _last_line(err: bytes) -> str:
    lines = err.decode(errors="replace").strip().splitlines()
    return lines[-1][:200] if lines else "no output"


def _write_synced(path: Path, message: bytes, meta: dict[str, Any]) -> None:
    """Queue file and its envelope, on disk before the 250 (as an MTA's queue manager does)."""
    path.with_suffix(".json").write_text(json.dumps(meta))
    with path.open("wb") as f:
        f.write(message)
        f.flush()
        os.fsync(f.fileno())


class RelayHandler:
    """The desk's outbound MTA: hands each message Roundup sends to the reply collector, logs when it was delivered."""

    def __init__(self, settings: DeskSettings) -> None:
        self.settings = settings
        self.log = settings.home / "outbound.jsonl"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import aiosmtplib

        received = time.time()
        content = envelope.original_content or envelope.content
        headers = BytesHeaderParser().parsebytes(content)
        host, port = self.settings.reply_to
        record: dict[str, Any] = {
            "message_id": (headers.get("Message-Id") or "").strip(), "issue": headers.get("X-Roundup-issue-Id"),
            "subject": str(headers.get("Subject", "")), "auto_submitted": headers.get("Auto-Submitted"),
            "mail_from": envelope.mail_from, "rcpt": list(envelope.rcpt_tos), "received_epoch": received,
        }
        try:
            errors, reply = await aiosmtplib.send(content, sender=envelope.mail_from, recipients=envelope.rcpt_tos,
                                                  hostname=host, port=port, timeout=30, start_tls=False, use_tls=False)
        except Exception as exc:  # noqa: BLE001 - any failure to deliver goes back to Roundup as a temporary error
            record.update(delivered_epoch=None, error=f"{type(exc).__name__}: {exc}")
            _log(self.log, record)
            return f"451 4.4.1 reply collector {host}:{port} did not take the message: {exc}"[:500]
        record.update(delivered_epoch=time.time(), reply=str(reply), refused=sorted(errors))
        _log(self.log, record)
        return "250 2.0.0 OK: delivered to the reply collector"


# --- the support agent ----------------------------------------------------------------------------------------


class Agent(threading.Thread):
    """Answers each new issue `answer_delay_s` after it was created, as the staff user, through Roundup's API."""

    def __init__(self, settings: DeskSettings) -> None:
        super().__init__(name="roundup-desk-agent", daemon=True)
        self.settings = settings
        self.stop = threading.Event()
        self.done: set[str] = set()
        self.log = settings.home / "agent.jsonl"
        self.failure: str | None = None

    def run(self) -> None:
        import roundup.instance

        instance = roundup.instance.open(str(self.settings.home))
        until = time.monotonic() + self.settings.max_seconds
        while not self.stop.is_set() and time.monotonic() < until:
            try:
                self._round(instance)
            except Exception as exc:  # noqa: BLE001 - a failed round (mail not taken, db busy) is retried
                self.failure = f"{type(exc).__name__}: {exc}"
                _log(self.log, {"error": self.failure, "at_epoch": time.time()})
            self.stop.wait(0.2)

    def _round(self, instance: Any) -> None:
        from roundup.date import Date

        db = instance.open(AGENT)
        try:
            me = db.user.lookup(AGENT)
            for issueid in db.issue.list():
                if issueid in self.done:
                    continue
                messages = db.issue.get(issueid, "messages")
                if any(db.msg.get(m, "author") == me for m in messages):
                    self.done.add(issueid)
                    continue
                if left_unanswered(int(issueid), self.settings.unanswered):
                    self.done.add(issueid)
                    _log(self.log, {"issue": issueid, "decision": "unanswered", "at_epoch": time.time()})
                    continue
                created = epoch(db.issue.get(issueid, "creation"))
                if time.time() - created < self.settings.answer_delay_s:
                    continue
                customer = db.msg.get(messages[0], "author") if messages else None
                name = (db.user.get(customer, "realname") or "").split(" ")[0] if customer else ""
                text = ANSWER.format(name=name or "there", designator=f"issue{issueid}")
                msgid = db.msg.create(content=text, author=me, date=Date("."))
                db.issue.set(issueid, messages=[*messages, msgid])  # the nosy reactor emails it to the customer
                db.commit()
                self.done.add(issueid)
                _log(self.log, {"issue": issueid, "decision": "answered", "msg": msgid, "at_epoch": time.time()})
        finally:
            db.close()


# --- the whole desk -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class DeskAddresses:
    home: str
    support_address: str
    intake: str  # host:port of the SMTP intake
    web: str  # the tracker's web address
    contact_form: str
    relay: str
    reply_to: str


async def serve(settings: DeskSettings, ready: Any = print) -> None:
    """Run the desk until SIGTERM or SIGINT (or `max_seconds`)."""
    from aiosmtpd.smtp import SMTP

    loop = asyncio.get_running_loop()
    settings.home.mkdir(parents=True, exist_ok=True)
    relay_handler, intake_handler = RelayHandler(settings), IntakeHandler(settings)
    relay = await loop.create_server(lambda: SMTP(relay_handler, hostname=f"mta.{settings.domain}"), "127.0.0.1", 0)
    relay_port = relay.sockets[0].getsockname()[1]
    settings.web_port = settings.web_port or free_port()
    if not (settings.home / "config.ini").exists():
        await asyncio.to_thread(install_tracker, settings, relay_port)
    else:  # a desk started again on its folder: Roundup's outbound mail goes to this run's relay
        _set_mail_port(settings.home, relay_port)
    try:
        intake = await loop.create_server(lambda: SMTP(intake_handler, hostname=settings.domain), "127.0.0.1", settings.intake_port)
    except OSError as exc:
        raise SystemExit(f"roundup_desk: the SMTP intake cannot listen on 127.0.0.1:{settings.intake_port}: {exc.strerror}; "
                         f"stop what uses that port or give another with --intake-port (and smtp_port in the target file)") from None
    if _port_taken(settings.web_port):
        raise SystemExit(f"roundup_desk: the web UI cannot listen on 127.0.0.1:{settings.web_port}: it is in use; stop what uses "
                         f"that port or give another with --web-port (and the webform url in the target file)")
    intake_port = intake.sockets[0].getsockname()[1]
    intake_handler.resume()
    web = f"http://127.0.0.1:{settings.web_port}/{TRACKER_NAME}/"
    # roundup-server refuses to run as root unless told which user to be: CI and these machines run as root,
    # and the tracker folder is root's, so it stays root (-u 0) on this throw-away loopback desk
    as_user = ["-u", "0"] if os.getuid() == 0 else []
    command = [_script("roundup-server"), *as_user, "-n", "127.0.0.1", "-p", str(settings.web_port),
               "-l", str(settings.home / "web.log"), f"{TRACKER_NAME}={settings.home}"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: ASYNC220 - only starts it
    agent = Agent(settings)
    stopped = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopped.set)
    try:
        await asyncio.to_thread(_wait_for_web, web, server, 30.0)
        agent.start()
        ready(json.dumps(asdict(DeskAddresses(
            home=str(settings.home), support_address=settings.support_address, intake=f"127.0.0.1:{intake_port}", web=web,
            contact_form=f"{web}issue?@template=contact", relay=f"127.0.0.1:{relay_port}",
            reply_to=f"{settings.reply_to[0]}:{settings.reply_to[1]}"))))
        with suppress(TimeoutError):
            await asyncio.wait_for(stopped.wait(), settings.max_seconds)
    finally:
        agent.stop.set()
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(10)
        if server.poll() is None:
            server.kill()
        intake.close()
        await intake.wait_closed()
        await intake_handler.drain(15)
        await asyncio.to_thread(agent.join, 15) if agent.is_alive() else None
        relay.close()
        await relay.wait_closed()


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _set_mail_port(home: Path, port: int) -> None:
    from roundup.configuration import CoreConfig

    config = CoreConfig(str(home))
    config["MAIL_PORT"] = port
    config.save()


def _wait_for_web(url: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    until = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"roundup-server exited {server.returncode} before serving {url}; see its web.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > until:
            raise RuntimeError(f"roundup-server did not answer at {url} within {timeout:.0f} s")
        time.sleep(0.1)


# --- ground truth ---------------------------------------------------------------------------------------------


def truth(home: Path) -> dict[str, Any]:
    """What the desk really did, from Roundup's database and the desk's logs.

    Per issue: the customer's address, when it was created, every message (author, created, whether staff wrote
    it, the addresses Roundup sent it to) and each delivery of it to the reply collector (outbound.jsonl, matched
    by the Message-Id Roundup put on the mail and the issue id header)."""
    import roundup.instance

    instance = roundup.instance.open(str(home))
    db = instance.open("admin")
    outbound = _read_log(home / "outbound.jsonl")
    intake = _read_log(home / "intake.jsonl")
    agent = _read_log(home / "agent.jsonl")
    try:
        staff = {u for u in db.user.list() if db.user.has_role(u, "Agent", "Admin")}
        issues = []
        for issueid in db.issue.list():
            messages = []
            for m in db.issue.get(issueid, "messages"):
                author = db.msg.get(m, "author")
                messageid = db.msg.get(m, "messageid")
                deliveries = [{"to": r["rcpt"], "delivered_epoch": r["delivered_epoch"], "received_epoch": r["received_epoch"],
                               "auto_submitted": r["auto_submitted"], "error": r.get("error")}
                              for r in outbound if r["issue"] == issueid and messageid and r["message_id"] == messageid]
                messages.append({
                    "id": m, "author": db.user.get(author, "username"), "author_address": db.user.get(author, "address"),
                    "staff": author in staff, "created_epoch": epoch(db.msg.get(m, "creation")), "messageid": messageid,
                    "recipients": [db.user.get(r, "address") for r in db.msg.get(m, "recipients")], "deliveries": deliveries,
                })
            first = messages[0] if messages else None
            via_email = bool(first and first["messageid"] and any(r["message_id"] == first["messageid"] for r in intake))
            decision = next((r["decision"] for r in agent if r.get("issue") == issueid), None)
            issues.append({
                "id": issueid, "designator": f"issue{issueid}", "title": db.issue.get(issueid, "title"),
                "customer": first["author_address"] if first else None, "created_epoch": epoch(db.issue.get(issueid, "creation")),
                "via": "email" if via_email else "web", "agent": decision, "messages": messages,
            })
        return {"issues": issues, "intake": intake, "outbound": outbound, "agent": agent}
    finally:
        db.close()


# --- a desk in a child process (tests, bench) ------------------------------------------------------------------


@dataclass(slots=True)
class RunningDesk:
    process: subprocess.Popen[str]
    addresses: DeskAddresses
    home: Path
    output: list[str] = field(default_factory=list)

    @property
    def intake(self) -> tuple[str, int]:
        host, port = self.addresses.intake.rsplit(":", 1)
        return host, int(port)

    def truth(self) -> dict[str, Any]:
        """Ground truth, read in a child process (Roundup's mailer sets the process's TZ; keep that out of ours)."""
        out = subprocess.run([sys.executable, "-m", "tests.helpdesk.roundup_desk", "truth", "--home", str(self.home)],
                             check=True, capture_output=True, text=True, cwd=Path(__file__).parents[2], timeout=120)
        return json.loads(out.stdout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextmanager
def running_desk(home: Path, reply_to: tuple[str, int], *, answer_delay_s: float = 2.0, unanswered: float = 0.0,
                 intake_port: int = 0, web_port: int = 0, max_seconds: float = 1800.0, accept: str = "queued") -> Iterator[RunningDesk]:
    """`serve` in a child process; yields once its intake, web UI and agent are up."""
    command = [sys.executable, "-m", "tests.helpdesk.roundup_desk", "serve", "--home", str(home),
               "--reply-to", f"{reply_to[0]}:{reply_to[1]}", "--answer-delay", str(answer_delay_s),
               "--unanswered", str(unanswered), "--intake-port", str(intake_port), "--web-port", str(web_port),
               "--max-seconds", str(max_seconds), "--accept", accept]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               cwd=Path(__file__).parents[2], env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    lines: list[str] = []
    until = time.monotonic() + 120
    addresses = None
    while time.monotonic() < until:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("{"):
            addresses = DeskAddresses(**json.loads(line))
            break
    if addresses is None:
        process.kill()
        raise RuntimeError("the Roundup desk did not start:\n" + "".join(lines) + (process.stdout.read() or ""))
    desk = RunningDesk(process, addresses, home, lines)
    drain = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    drain.start()
    try:
        yield desk
    finally:
        desk.stop()


# --- command line ---------------------------------------------------------------------------------------------


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.helpdesk.roundup_desk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("serve", help="set up (once) and run the desk until SIGTERM or Ctrl-C")
    s.add_argument("--home", type=Path, required=True, help="the tracker folder (made on first start)")
    s.add_argument("--reply-to", type=_host_port, required=True, help="HOST:PORT of the reply collector the desk mails to")
    s.add_argument("--intake-port", type=int, default=0, help="SMTP intake port on 127.0.0.1 (default: any free port)")
    s.add_argument("--web-port", type=int, default=0, help="roundup-server port on 127.0.0.1 (default: any free port)")
    s.add_argument("--domain", default="helpdesk.test", help="the desk's mail domain (default: helpdesk.test)")
    s.add_argument("--answer-delay", type=float, default=2.0, help="seconds after an issue is created before the agent answers")
    s.add_argument("--unanswered", type=float, default=0.0, help="share of issues left unanswered on purpose, 0..1")
    s.add_argument("--accept", choices=["queued", "gateway"], default="queued",
                   help="when the intake answers 250: queued (on disk, then piped to roundup-mailgw, as an MTA does; default) "
                        "or gateway (only once roundup-mailgw took the message)")
    s.add_argument("--max-seconds", type=float, default=3600.0, help="stop after this long at the latest (default 3600)")
    t = commands.add_parser("truth", help="print the ground truth (issues, messages, deliveries) as JSON")
    t.add_argument("--home", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "truth":
        print(json.dumps(truth(args.home), indent=1, sort_keys=True))
        return 0
    if not 0 <= args.unanswered <= 1:
        parser.error(f"--unanswered must be between 0 and 1, got {args.unanswered}")
    settings = DeskSettings(home=args.home.resolve(), reply_to=args.reply_to, domain=args.domain, intake_port=args.intake_port,
                            web_port=args.web_port, answer_delay_s=args.answer_delay, unanswered=args.unanswered,
                            max_seconds=args.max_seconds, accept=args.accept)
    asyncio.run(serve(settings, ready=lambda line: print(line, flush=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
