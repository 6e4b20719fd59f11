"""`mysteryshop doctor` against real loopback servers: relays that accept or refuse, a closed port, the
collector's own mailbox, dovecot over IMAP, a DNS server with and without the records, and none at all."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from mysteryshop.cli import main as cli
from mysteryshop.collect.inbox import live_listeners
from mysteryshop.collect.listen import InboxMailbox, ListenerConfig, listen
from mysteryshop.signing import load_signer
from mysteryshop.store import Store
from mysteryshop.target import load_target

from .conftest import free_port, store_at
from .dns_server import DnsServer, closed_udp_port, txt
from .imap_server import Dovecot
from .relay import Relay, RelayHandler, make_dkim_key

PROBE = "probe.acme-shopper.net"  # a domain only the tests' own DNS server knows
JOURNEY = """
id: ask
title: Ask and wait
steps:
  - id: ask
    do: send_email
    subject: "Order {persona.order_id}"
    body: "Where is my order? {persona.full_name}"
  - id: answered
    expect: answer
    within: 1h
"""
CHAT_JOURNEY = """
id: chat
title: Ask in the chat
steps:
  - id: open
    do: open_chat
  - id: ask
    do: say
    body: "Where is my parcel?"
  - id: answered
    expect: chat_response
    within: 5m
"""
TARGET = """
name: acme
probe_domain: {probe}
email:
  support_address: support@acme-desk.net
  smtp_host: 127.0.0.1
  smtp_port: {relay_port}
  timeout: 5
{email_extra}collect:
{collect}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "journeys/targets").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    (tmp_path / "allowlist.yaml").write_text("# who may be probed\ntargets: [acme]\n")
    (tmp_path / "journeys/ask.yaml").write_text(JOURNEY)
    return tmp_path


class Collector:
    """The collector's own mailbox handler (what `mysteryshop listen` runs) on a real aiosmtpd server."""

    def __init__(self, store: Store, domain: str = PROBE) -> None:
        self.port = free_port()
        self.controller = Controller(InboxMailbox(store, {domain}), hostname="127.0.0.1", port=self.port, server_hostname="collector.test")

    def __enter__(self) -> Collector:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def store(project: Path) -> Iterator[Store]:
    (project / "reports").mkdir()
    s = Store(store_at(project))
    yield s
    s.close()


def write_target(project: Path, relay_port: int, collect: str, *, email_extra: str = "", probe: str = PROBE) -> Path:
    path = project / "journeys/targets/acme.yaml"
    path.write_text(TARGET.format(probe=probe, relay_port=relay_port, collect=collect, email_extra=email_extra))
    return path


def doctor(project: Path, capsys: pytest.CaptureFixture[str], *args: str, dns_port: int | None = None, timeout: float = 3) -> tuple[int, dict[str, tuple[str, str]]]:
    """Run `mysteryshop doctor`; its exit code and {check name: (status, detail)} from the lines it printed.

    DNS goes to `dns_port`, by default to a resolver cut off from the internet (NXDOMAIN for everything).
    """
    if dns_port is None:
        with DnsServer({}, root=False) as offline:
            return doctor(project, capsys, *args, dns_port=offline.port, timeout=timeout)
    code = cli(["doctor", "--target", "acme", "--root", str(project), "--nameserver", f"127.0.0.1:{dns_port}", "--timeout", str(timeout), *args])
    out = capsys.readouterr().out
    checks: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        status, gap, rest = line[:4].rstrip(), line[4:6], line[6:]
        name, sep, detail = rest.partition(" — ")
        assert status in ("OK", "WARN", "FAIL", "SKIP") and gap == "  " and sep, f"not a check line: {line!r}"
        checks[name] = (status, detail)
    return code, checks


def smtp_collect(port: int) -> str:
    return f"  via: smtp\n  host: 127.0.0.1\n  port: {port}\n"


@pytest.mark.timeout(60)
def test_a_target_that_is_ready_passes_and_nothing_is_sent(project: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    with Relay() as relay, Collector(store) as collector:
        write_target(project, relay.port, smtp_collect(collector.port))
        code, checks = doctor(project, capsys)
    assert code == 0
    assert checks["target"][0] == "OK"
    assert checks["allowlist"] == ("OK", f"'acme' may be probed: 'acme' is listed in {project / 'allowlist.yaml'}:2")
    assert checks["journeys"] == ("OK", "1 journey(s) valid for 'acme': ask")
    status, detail = checks["relay"]
    assert status == "OK" and detail.startswith(f"127.0.0.1:{relay.port} accepts MAIL FROM:<") and f"@{PROBE}> and RCPT TO:<support@acme-desk.net>" in detail
    assert checks["collector"] == ("OK", (f"127.0.0.1:{collector.port} takes mail for <{detail.split('<')[1].split('>')[0]}> "
                                         "(replies will go there; nothing was sent)"))
    assert checks["dkim key"][0] == "SKIP" and "probe mail goes unsigned" in checks["dkim key"][1]
    for name in ("MX", "SPF", "DMARC"):
        assert checks[name][0] == "SKIP", checks[name]
        assert checks[name][1].startswith("cannot check offline: the DNS server (127.0.0.1:") and checks[name][1].endswith(
            ") does not resolve the root zone (NXDOMAIN), so no public name resolves here")
    # the relay was asked, never given a message: no DATA, and the transaction was reset
    assert [c.split(" ")[0] for c in relay.handler.commands] == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert not relay.handler.messages
    assert store.query("SELECT count(*) AS n FROM messages")[0]["n"] == 0


@pytest.mark.timeout(60)
def test_a_relay_that_refuses_the_recipient_is_a_configuration_failure(project: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    refusing = RelayHandler(refuse_rcpt="550 5.7.1 <support@acme-desk.net>: Relay access denied")
    with Relay(refusing) as relay, Collector(store) as collector:
        write_target(project, relay.port, smtp_collect(collector.port))
        code, checks = doctor(project, capsys)
    assert code == 2
    assert checks["relay"] == ("FAIL", (f"127.0.0.1:{relay.port} refused RCPT TO:<support@acme-desk.net>: 550 5.7.1 <support@acme-desk.net>: "
                                       "Relay access denied. Check email.support_address in "
                                       f"{project / 'journeys/targets/acme.yaml'}, or give the relay a login (email.username_env / "
                                       "password_env) so that it relays"))
    assert "DATA" not in refusing.commands and refusing.commands[-1] == "QUIT"


@pytest.mark.timeout(60)
def test_a_closed_relay_port_and_no_listener_are_unreachable(project: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    closed = free_port()
    with Collector(store) as collector:
        write_target(project, closed, smtp_collect(collector.port))
        code, checks = doctor(project, capsys)
    assert code == 3
    target_file = project / "journeys/targets/acme.yaml"
    assert checks["relay"] == ("FAIL", (f"cannot reach the relay at 127.0.0.1:{closed}: Connection refused. Check that it runs and that "
                                       f"email.smtp_host and email.smtp_port in {target_file} are right"))
    assert checks["collector"][0] == "OK"

    # and with the collector gone too: the line says how to start the listener
    with Relay() as relay:
        write_target(project, relay.port, smtp_collect(collector.port))
        code, checks = doctor(project, capsys)
    assert code == 3
    assert checks["relay"][0] == "OK"
    assert checks["collector"] == (
        "FAIL", (f"nothing answers at 127.0.0.1:{collector.port}, where replies go (Connection refused). A campaign needs a listener there: "
                f"start `mysteryshop listen --host 127.0.0.1 --port {collector.port} --domain {PROBE} --store "
                f"{store_at(project)}` (a `mysteryshop run` opens its own mailbox there instead)"))


@pytest.mark.timeout(60)
def test_a_collector_for_another_domain_and_a_mailbox_on_port_0(project: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    with Relay() as relay, Collector(store, domain="probe.other.net") as collector:
        write_target(project, relay.port, smtp_collect(collector.port))
        code, checks = doctor(project, capsys)
        assert code == 2
        status, detail = checks["collector"]
        assert status == "FAIL" and f"127.0.0.1:{collector.port} answers but refuses mail for <" in detail
        assert "relay denied; this mailbox only accepts probe addresses (@probe.other.net)" in detail
        assert detail.endswith(f"Start the listener for the probe domain: `mysteryshop listen --host 127.0.0.1 --port {collector.port} "
                               f"--domain {PROBE} --store {store_at(project)}`")

        write_target(project, relay.port, "  via: smtp\n  port: 0\n")  # a run refuses this: no desk can know the port
        code, checks = doctor(project, capsys)
    assert code == 2
    assert checks["collector"][0] == "FAIL"
    assert checks["collector"][1].startswith(f"target 'acme' ({project / 'journeys/targets/acme.yaml'}): the company's replies would go "
                                             "to a mailbox on a random port that nobody can know.")


@pytest.mark.timeout(60)
def test_the_relay_login_over_starttls_is_checked(project: Path, store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    login = "  starttls: true\n  tls_verify: false\n  username_env: ACME_RELAY_USER\n  password_env: ACME_RELAY_PASSWORD\n"
    with Relay(login=("relay-user", "s3cret"), tls_dir=project / "tls") as relay, Collector(store) as collector:
        write_target(project, relay.port, smtp_collect(collector.port), email_extra=login)
        monkeypatch.delenv("ACME_RELAY_USER", raising=False)
        code, checks = doctor(project, capsys)
        assert code == 2
        assert checks["relay"] == ("FAIL", (f"127.0.0.1:{relay.port}: email: environment variable ACME_RELAY_USER (username_env) is not set; "
                                           "export it before the run"))
        monkeypatch.setenv("ACME_RELAY_USER", "relay-user")
        monkeypatch.setenv("ACME_RELAY_PASSWORD", "wrong")
        code, checks = doctor(project, capsys)
        assert code == 2
        assert checks["relay"][0] == "FAIL" and checks["relay"][1].startswith(f"127.0.0.1:{relay.port} refused the login of relay-user: 535")
        monkeypatch.setenv("ACME_RELAY_PASSWORD", "s3cret")
        code, checks = doctor(project, capsys)
    assert code == 0
    assert checks["relay"][0] == "OK" and checks["relay"][1].startswith(f"127.0.0.1:{relay.port} (STARTTLS, login as relay-user) accepts")
    assert "s3cret" not in json.dumps(checks)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not Dovecot.available():
        pytest.skip("needs Debian's dovecot-imapd and root (scripts/bootstrap.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="mysteryshop-dovecot-"))
    root.chmod(0o755)  # dovecot's unprivileged processes must reach it
    server = Dovecot(root, free_port()).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.timeout(90)
def test_an_imap_collector_is_logged_in_to_and_its_mailbox_opened(
    project: Path, dovecot: Dovecot, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    dovecot.append(b"From: a@b.test\r\nSubject: s\r\n\r\nx\r\n")
    imap = f"  via: imap\n  imap: {{host: 127.0.0.1, port: {dovecot.port}, ssl: false, user_env: ACME_IMAP_USER, password_env: ACME_IMAP_PASSWORD{{mailbox}}}}\n"
    monkeypatch.setenv("ACME_IMAP_USER", dovecot.user)
    monkeypatch.setenv("ACME_IMAP_PASSWORD", dovecot.password)
    with Relay() as relay:
        path = write_target(project, relay.port, imap.replace("{mailbox}", ""))
        path.write_text(path.read_text() + "probe_mailbox: qa@acme-shopper.net\n")
        code, checks = doctor(project, capsys)
        assert code == 0
        assert checks["collector"] == ("OK", (f"logged in to 127.0.0.1:{dovecot.port} as probe; mailbox 'INBOX' holds 1 message(s); "
                                             "personas are plus-addresses of qa@acme-shopper.net"))
        assert "qa+" in checks["relay"][1]  # the probe sender is a plus-address of the mailbox

        monkeypatch.setenv("ACME_IMAP_PASSWORD", "wrong")
        code, checks = doctor(project, capsys)
        assert code == 2
        assert checks["collector"][0] == "FAIL"
        assert checks["collector"][1].startswith(f"IMAP 127.0.0.1:{dovecot.port} refused the login of probe: ")
        assert checks["collector"][1].endswith("Check $ACME_IMAP_USER and $ACME_IMAP_PASSWORD")

        monkeypatch.setenv("ACME_IMAP_PASSWORD", dovecot.password)
        path.write_text(path.read_text().replace("ACME_IMAP_PASSWORD}", "ACME_IMAP_PASSWORD, mailbox: Replies}"))
        code, checks = doctor(project, capsys, timeout=20)  # dovecot delays logins from an address that just failed one
        assert code == 2
        assert checks["collector"][0] == "FAIL" and "cannot open mailbox 'Replies'" in checks["collector"][1]

        dovecot.stop()
        code, checks = doctor(project, capsys)
    assert code == 3
    assert checks["collector"] == ("FAIL", (f"cannot reach IMAP at 127.0.0.1:{dovecot.port}: Connection refused. Check collect.imap.host and "
                                           f"port in {path}"))


class RunningListener:
    """A real `mysteryshop listen` (the coroutine the command runs, heartbeat and all) on a loop and store of its own."""

    def __init__(self, store_file: Path | str, domain: str = PROBE) -> None:
        self.store_file, self.domain, self.port = store_file, domain, free_port()

    def __enter__(self) -> RunningListener:
        self.store = Store(self.store_file)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-listener", daemon=True)
        self.thread.start()
        self.stop = asyncio.run_coroutine_threadsafe(self._event(), self.loop).result(5)
        config = ListenerConfig(host="127.0.0.1", port=self.port, domains={self.domain}, tick_every_s=None)
        self.task = asyncio.run_coroutine_threadsafe(listen(self.store, config, stop=self.stop), self.loop)
        deadline = time.monotonic() + 10
        while not live_listeners(self.store) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    @staticmethod
    async def _event() -> asyncio.Event:
        return asyncio.Event()

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)
        self.task.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.store.close()


@pytest.mark.timeout(60)
def test_a_running_listener_is_found_by_its_heartbeat_and_greeted(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store_file = store_at(project)  # the SQLite file a run makes, or on the PostgreSQL pass the test's database
    listen_line = f"`mysteryshop listen --host 127.0.0.1 --port 2525 --domain {PROBE} --store {store_file}`"
    with Relay() as relay:
        write_target(project, relay.port, "  via: listener\n")
        if isinstance(store_file, Path):  # a URL always names a store to ask; only a file can be missing
            code, checks = doctor(project, capsys)
            assert code == 3
            assert checks["collector"] == ("FAIL", (f"no `mysteryshop listen` runs on the store {store_file} (it does not exist yet): start "
                                                   f"{listen_line} and keep it running"))
            (project / "reports").mkdir()
        Store(store_file).close()
        code, checks = doctor(project, capsys)
        assert code == 3
        assert checks["collector"] == ("FAIL", (f"no `mysteryshop listen` runs on the store {store_file} (no heartbeat in the last 90 s): "
                                               f"start {listen_line} and keep it running"))

        with RunningListener(store_file) as listener:
            capsys.readouterr()  # what the listener printed as it started
            code, checks = doctor(project, capsys)
            assert code == 0
            status, detail = checks["collector"]
            assert status == "OK" and detail.startswith(f"a listener runs on {store_file}: ")
            assert f"(SMTP 127.0.0.1:{listener.port} for @{PROBE}; heartbeat " in detail
            assert detail.endswith(f"127.0.0.1:{listener.port} takes mail for <{checks['relay'][1].split('<')[1].split('>')[0]}> "
                                   "(replies will go there; nothing was sent)")
        with RunningListener(store_file, domain="probe.other.net"):
            capsys.readouterr()
            code, checks = doctor(project, capsys)
        assert code == 0
        assert checks["collector"][0] == "WARN"
        assert checks["collector"][1].endswith(f"the running listeners receive mail for @probe.other.net, not for @{PROBE}: its replies "
                                               "may not reach this run")
        code, checks = doctor(project, capsys)  # stopped: its heartbeat is gone
        assert code == 3 and checks["collector"][0] == "FAIL"


def _dns_zone(record: str | None, *, spf: bool = True, dmarc: bool = True) -> dict[tuple[str, str], list[str]]:
    zone = {(PROBE, "MX"): [f"10 mx.{PROBE}."], (f"mx.{PROBE}", "A"): ["127.0.0.1"]}
    if spf:
        zone[(PROBE, "TXT")] = [txt("v=spf1 ip4:127.0.0.1 -all"), txt("google-site-verification=abc")]
    if dmarc:
        zone[(f"_dmarc.{PROBE}", "TXT")] = [txt("v=DMARC1; p=none")]
    if record:
        zone[(f"ms1._domainkey.{PROBE}", "TXT")] = [txt(record)]
    return zone


@pytest.mark.timeout(60)
def test_dns_records_and_the_dkim_key_are_checked_where_dns_resolves(project: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    make_dkim_key(project / "journeys/targets/keys/dkim.pem")
    dkim = f"  dkim: {{domain: {PROBE}, selector: ms1, key_file: keys/dkim.pem}}\n"
    with Relay() as relay, Collector(store) as collector:
        path = write_target(project, relay.port, smtp_collect(collector.port), email_extra=dkim)
        signer = load_signer(load_target(path).spec.email.dkim, path)
        with DnsServer(_dns_zone(signer.record)) as dns_server:
            code, checks = doctor(project, capsys, dns_port=dns_server.port)
        assert code == 0
        assert checks["dkim key"] == ("OK", f"a 2048-bit key from {path.parent / 'keys/dkim.pem'} signs as d={PROBE}, s=ms1")
        assert checks["MX"] == ("OK", f"{PROBE} MX: 10 mx.{PROBE}")
        assert checks["SPF"] == ("OK", f"{PROBE}: \"v=spf1 ip4:127.0.0.1 -all\"")
        assert checks["DMARC"] == ("OK", f"_dmarc.{PROBE}: \"v=DMARC1; p=none\"")
        assert checks["DKIM record"] == ("OK", f"ms1._domainkey.{PROBE} publishes the public key of {path.parent / 'keys/dkim.pem'}")

        # When the records are missing, or publish another key, each line says what to publish
        other = load_signer(load_target(path).spec.email.dkim.model_copy(update={"key_file": str(make_dkim_key(project / "other.pem"))}), path)
        with DnsServer(_dns_zone(other.record, spf=False, dmarc=False)) as dns_server:
            code, checks = doctor(project, capsys, dns_port=dns_server.port)
        assert code == 2
        assert checks["SPF"] == ("WARN", (f"{PROBE} has no SPF record: receivers may junk or refuse probe mail. Publish TXT \"v=spf1 a:127.0.0.1 -all\" "
                                         "(or include: your mail provider)"))
        assert checks["DMARC"][0] == "WARN" and f"Publish TXT at _dmarc.{PROBE}: \"v=DMARC1; p=none\"" in checks["DMARC"][1]
        assert checks["DKIM record"] == ("FAIL", (f"ms1._domainkey.{PROBE} holds another public key than the one in {path.parent / 'keys/dkim.pem'}: "
                                                 f"signatures fail; publish TXT ms1._domainkey.{PROBE} \"{signer.record}\""))
        with DnsServer({}) as dns_server:  # a resolver that works, but the domain does not exist
            code, checks = doctor(project, capsys, dns_port=dns_server.port)
        assert code == 2
        assert checks["MX"] == ("FAIL", (f"{PROBE} does not exist in DNS: receivers refuse mail from it and replies cannot come back. "
                                        "Use a domain you own as probe_domain"))
        assert checks["DKIM record"][0] == "FAIL" and checks["DKIM record"][1].startswith(f"no TXT record at ms1._domainkey.{PROBE}")

        # With no DNS server at all, every DNS line says so within the timeout, and the record to publish is still given
        nowhere = closed_udp_port()
        code, checks = doctor(project, capsys, dns_port=nowhere)
    assert code == 0
    assert checks["DKIM record"] == ("SKIP", (f"cannot check offline: no DNS server answered within 3 s (127.0.0.1:{nowhere}); "
                                             f"publish TXT ms1._domainkey.{PROBE} \"{signer.record}\""))


@pytest.mark.timeout(60)
def test_allowlist_and_journeys_are_checked_from_the_files(project: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "journeys/chat.yaml").write_text(CHAT_JOURNEY)
    with Relay() as relay, Collector(store) as collector:
        write_target(project, relay.port, smtp_collect(collector.port))
        code, checks = doctor(project, capsys)
        assert code == 0
        assert checks["journey chat"][0] == "WARN"
        assert checks["journey chat"][1].startswith(f"{project / 'journeys/chat.yaml'}:6:5: steps[0] ('open') uses channel 'chat', but target file ")
        code, checks = doctor(project, capsys, "--journey", "chat", "--journey", "nope")
        assert code == 2
        assert checks["journey chat"][0] == "FAIL"
        assert checks["journey nope"] == ("FAIL", f"no journey 'nope' in {project / 'journeys'}; `mysteryshop journeys check {project / 'journeys'}` lists them")
        assert "journeys" not in checks  # the only journey asked for does not fit

        (project / "journeys/broken.yaml").write_text("id: broken\nsteps:\n  - id: a\n    do: fly\n")
        (project / "allowlist.yaml").write_text("targets: []\n")
        code, checks = doctor(project, capsys)
        assert code == 2
        assert checks["journey broken"][0] == "FAIL" and checks["journey broken"][1].startswith(f"{project / 'journeys/broken.yaml'}:")
        assert checks["allowlist"] == ("OK", f"'acme' is a desk on this machine's loopback: allowed without an entry in {project / 'allowlist.yaml'}")

        path = project / "journeys/targets/acme.yaml"
    path.write_text(path.read_text().replace("smtp_host: 127.0.0.1", "smtp_host: mail.acme-desk.invalid"))  # not on loopback
    nameserver = f"127.0.0.1:{closed_udp_port()}"
    code = cli(["doctor", "--target", "acme", "--root", str(project), "--nameserver", nameserver, "--timeout", "1", "--json"])
    listed = json.loads(capsys.readouterr().out)
    assert code == 2
    by_name = {c["name"]: c for c in listed}
    assert set(listed[0]) == {"name", "status", "detail"}
    assert by_name["allowlist"]["status"] == "FAIL"
    assert by_name["allowlist"]["detail"] == (f"target 'acme' ({path}; support@acme-desk.net) is not on the allowlist {project / 'allowlist.yaml'}, "
                                              "so nothing was sent. Probe only companies you may probe; to allow this one, add the line - acme "
                                              f"under 'targets:' in {project / 'allowlist.yaml'} (or its domain 'acme-desk.net' under 'domains:')")
    assert by_name["relay"]["status"] == "FAIL"


def test_doctor_help_documents_the_checks_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli(["doctor", "--help"])
    out = capsys.readouterr().out
    assert "mysteryshop doctor --target acme --json" in out
    assert "2 a check found the configuration wrong" in out and "3 nothing is misconfigured, but the relay or the collector could not be reached" in out
