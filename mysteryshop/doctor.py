"""`mysteryshop doctor`: before a campaign, check what can be checked, one line per check.

Each check is `OK`, `WARN`, `FAIL` or `SKIP` with what was checked and, when it is not OK, how to fix
it. Nothing is sent: the relay is asked whether it would take the probe's mail (EHLO, MAIL FROM,
RCPT TO, then RSET and QUIT, never DATA), the collector is only greeted. Every network step has a
short timeout, and DNS is checked only where it resolves: offline, the DNS checks say so and skip.

A FAIL is either a configuration problem (a file or a variable to fix: exit 2) or something that
could not be reached (exit 3); configuration wins, because a wrong host also looks unreachable.
"""

from __future__ import annotations

import imaplib
import ipaddress
import smtplib
import socket
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop.errors import ConfigError, JourneyError
from mysteryshop.persona import make_persona
from mysteryshop.storage import exists
from mysteryshop.target import Target

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
EXIT_OK, EXIT_CONFIG, EXIT_UNREACHABLE = 0, 2, 3
#: top-level domains and second-level names reserved for testing (RFC 2606, RFC 6761): no public DNS has them
RESERVED_TLDS = ("test", "example", "invalid", "localhost")
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report. `unreachable`: a FAIL because something did not answer, not because a setting is wrong."""

    name: str
    status: str
    detail: str
    unreachable: bool = False

    def line(self) -> str:
        return f"{self.status:<4}  {self.name} — {self.detail}"

    def as_json(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}


@dataclass(slots=True)
class DoctorOptions:
    """Where the project's files are and how long a network step may take."""

    journeys_dir: Path
    allowlist: Path
    store_file: Path | str
    journeys: list[str] | None = None  # the campaign's journeys; None: every journey in journeys_dir
    timeout: float = 5.0
    nameservers: list[str] | None = None  # "IP" or "IP:PORT"; None: the system's resolver
    collect: dict[str, Any] = field(default_factory=dict)  # overrides of the target's collect: ([tool.mysteryshop.collect])


def exit_code(checks: list[Check]) -> int:
    failed = [c for c in checks if c.status == FAIL]
    if not failed:
        return EXIT_OK
    return EXIT_UNREACHABLE if all(c.unreachable for c in failed) else EXIT_CONFIG


def diagnose(target: Target, options: DoctorOptions) -> list[Check]:
    """Every check for `target`, in report order. The network checks run at once, each with its own timeout."""
    checks = [check_allowlist(target, options.allowlist), *check_journeys(target, options.journeys_dir, options.journeys)]
    signer, dkim_check = check_dkim_key(target)
    network: list[Callable[[], list[Check]]] = [
        lambda: [check_relay(target, options.timeout)],
        lambda: [check_collector(target, options)],
        lambda: check_dns(target, signer, options.nameservers, min(options.timeout, 3.0), _collect_or_none(target, options)),
    ]
    with ThreadPoolExecutor(max_workers=len(network)) as pool:
        results = [future.result() for future in [pool.submit(job) for job in network]]
    return checks + results[0] + [dkim_check] + results[1] + results[2]


def _collect_or_none(target: Target, options: DoctorOptions) -> Any:
    from mysteryshop.collect.setup import effective_settings

    try:
        return effective_settings(target, options.collect)
    except ConfigError:
        return None  # the collector check says why


# -- what the user's files say ----------------------------------------------------------------------

def _line_of(path: Path, word: str) -> int | None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return next((n for n, text in enumerate(lines, 1) if word in text and not text.lstrip().startswith("#")), None)


def check_allowlist(target: Target, path: Path) -> Check:
    """What mysteryshop.safety.Allowlist says for the target, with the entry's file:line."""
    from mysteryshop.safety import Allowlist

    name = "allowlist"
    if target.spec.embedded == "demo":
        return Check(name, OK, f"'{target.name}' is the embedded demo desk: always allowed")
    try:
        allowlist = Allowlist.load(path)
    except ConfigError as exc:
        return Check(name, FAIL, str(exc))
    domain = target.spec.email.support_address.rpartition("@")[2].lower() if target.spec.email else ""
    entry = target.name if target.name in allowlist.targets else (domain if domain and domain in allowlist.domains else None)
    if entry is not None:
        line = _line_of(path, entry)
        return Check(name, OK, f"'{target.name}' may be probed: '{entry}' is listed in {path}" + (f":{line}" if line else ""))
    try:
        allowlist.check(target)
    except ConfigError as exc:
        return Check(name, FAIL, " ".join(str(exc).split()))
    return Check(name, OK, f"'{target.name}' is a desk on this machine's loopback: allowed without an entry in {path}")


def check_journeys(target: Target, directory: Path, wanted: list[str] | None) -> list[Check]:
    """Every journey file loads; the campaign's journeys find each channel and form field they use in the target file."""
    from mysteryshop.cli.journeys import target_problems
    from mysteryshop.journey import load_journey

    checks: list[Check] = []
    fine: list[str] = []
    names: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        try:
            journey = load_journey(path)
        except JourneyError as exc:
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            checks.append(Check(f"journey {path.stem}", FAIL, f"{exc.problems[0]}{more}; see them all with `mysteryshop journeys check {path}`"))
            continue
        names.add(journey.name)
        if wanted is not None and journey.name not in wanted:
            continue
        problems = target_problems(journey, target)
        if not problems:
            fine.append(journey.name)
        elif wanted is not None:
            checks.append(Check(f"journey {journey.name}", FAIL, problems[0]))
        else:
            checks.append(Check(f"journey {journey.name}", WARN, f"{problems[0]}; or leave it out of the campaign "
                                "(`--journey NAME` for each journey to run)"))
    for missing in sorted(set(wanted or []) - names):
        checks.append(Check(f"journey {missing}", FAIL, f"no journey '{missing}' in {directory}; `mysteryshop journeys check {directory}` lists them"))
    if fine:
        checks.insert(0, Check("journeys", OK, f"{len(fine)} journey(s) valid for '{target.name}': {', '.join(sorted(fine))}"))
    elif not checks:
        checks.append(Check("journeys", FAIL, f"no journey files in {directory}; write one (README, Your first journey) or pass --journeys DIR"))
    return checks


def check_dkim_key(target: Target) -> tuple[Any, Check]:
    """(the signer or None, the check): the key reads and signs; its domain aligns with the persona's for DMARC."""
    from mysteryshop.signing import load_signer

    name = "dkim key"
    email = target.spec.email
    if email is None or email.dkim is None:
        return None, Check(name, SKIP, "no email.dkim in the target file: probe mail goes unsigned, which spam filters count against it; "
                                       "to sign, add email.dkim: {domain, selector, key_file} (README, Targets)")
    try:
        signer = load_signer(email.dkim, target.path)
    except ConfigError as exc:
        return None, Check(name, FAIL, str(exc))
    sender_domain = probe_sender(target).rpartition("@")[2].lower()
    d = signer.domain.lower()
    if not (sender_domain == d or sender_domain.endswith("." + d) or d.endswith("." + sender_domain)):
        return signer, Check(name, WARN, f"signs as d={signer.domain}, but personas write from @{sender_domain}: DMARC needs the two aligned "
                                         f"(the same domain or one under the other); set email.dkim.domain to {sender_domain}")
    return signer, Check(name, OK, f"a {signer.bits}-bit key from {signer.source} signs as d={signer.domain}, s={signer.selector}")


def probe_sender(target: Target) -> str:
    """An address personas of this target write from (their domain, or a plus-address of probe_mailbox)."""
    return make_persona(1, 0, domain=target.spec.probe_domain, mailbox=target.spec.probe_mailbox, run_tag="doctor").email


# -- the relay --------------------------------------------------------------------------------------

def check_relay(target: Target, timeout: float) -> Check:
    """EHLO, STARTTLS and login as the target says, MAIL FROM the probe sender, RCPT TO support; then RSET and QUIT."""
    from mysteryshop.credentials import relay_credentials

    name = "relay"
    email = target.spec.email
    if email is None:
        return Check(name, SKIP, f"target file {target.path} has no 'email:' section: its journeys send no mail")
    if target.spec.embedded:
        return Check(name, SKIP, "the embedded demo desk is started by each run, on a port of its own: nothing to reach before")
    where = f"{email.smtp_host}:{email.smtp_port}"
    sender, recipient = probe_sender(target), email.support_address
    try:
        credentials = relay_credentials(email)
    except ConfigError as exc:
        return Check(name, FAIL, f"{where}: {exc}")
    steps: list[str] = []
    try:
        client = _connect(email.smtp_host, email.smtp_port, timeout)
    except smtplib.SMTPConnectError as exc:
        return Check(name, FAIL, f"{where} greeted with {exc.smtp_code} {_text(exc.smtp_error)} instead of 220: it does not take mail "
                                 f"from here; check email.smtp_host and email.smtp_port in {target.path}")
    except (OSError, smtplib.SMTPException) as exc:
        return Check(name, FAIL, f"cannot reach the relay at {where}: {_reason(exc)}. Check that it runs and that email.smtp_host and "
                                 f"email.smtp_port in {target.path} are right", unreachable=True)
    try:
        client.ehlo_or_helo_if_needed()
        if email.starttls:
            if not client.has_extn("starttls"):
                return Check(name, FAIL, f"{where} does not offer STARTTLS, but email.starttls is true in {target.path}; "
                                         "turn it off or use the relay's submission port (587)")
            context = ssl.create_default_context()
            if not email.tls_verify:
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            client.starttls(context=context)
            client.ehlo()
            steps.append("STARTTLS")
        if credentials is not None:
            client.login(credentials.username, credentials.password)
            steps.append(f"login as {credentials.username}")
        code, reply = client.mail(sender)
        if code != 250:
            return Check(name, FAIL, f"{where} refused MAIL FROM:<{sender}>: {code} {_text(reply)}. The relay may need a login "
                                     "(email.username_env / password_env) or refuse senders of this domain")
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            return Check(name, FAIL, f"{where} refused RCPT TO:<{recipient}>: {code} {_text(reply)}. Check email.support_address in "
                                     f"{target.path}, or give the relay a login (email.username_env / password_env) so that it relays")
        client.rset()
    except smtplib.SMTPAuthenticationError as exc:
        return Check(name, FAIL, f"{where} refused the login of {credentials.username if credentials else '?'}: {exc.smtp_code} "
                                 f"{_text(exc.smtp_error)}. Check the variables email.username_env / password_env name")
    except smtplib.SMTPNotSupportedError as exc:
        return Check(name, FAIL, f"{where}: {exc}; the relay offers no login on this port (try STARTTLS first, or port 587)")
    except ssl.SSLError as exc:
        return Check(name, FAIL, f"{where}: STARTTLS failed: {exc.reason or exc}. A test relay with a self-signed certificate needs "
                                 "email.tls_verify: false")
    except (OSError, smtplib.SMTPException) as exc:
        return Check(name, FAIL, f"{where} stopped answering: {_reason(exc)}", unreachable=True)
    finally:
        _quit(client)
    via = f" ({', '.join(steps)})" if steps else ""
    return Check(name, OK, f"{where}{via} accepts MAIL FROM:<{sender}> and RCPT TO:<{recipient}>; nothing was sent (RSET before DATA)")


def _connect(host: str, port: int, timeout: float) -> smtplib.SMTP:
    """An SMTP client greeted by host:port; raises SMTPConnectError for a greeting other than 220.

    The local name is given, so no reverse lookup of our own address stalls an offline machine.
    """
    return smtplib.SMTP(host, port, local_hostname="localhost", timeout=timeout)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)).replace("\n", " ")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer (timed out)"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _split_hostport(value: str, default_port: int) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        return value.strip("[]"), default_port
    return host.strip("[]"), int(port)


# -- the collector ------------------------------------------------------------------------------------

def check_collector(target: Target, options: DoctorOptions) -> Check:
    """Where the company's replies will go, as a run plans it (mysteryshop.collect.setup), and whether it answers there."""
    from mysteryshop.collect.setup import effective_settings, plan_collection

    name = "collector"
    if target.spec.embedded:
        return Check(name, OK, "the embedded demo desk delivers to the mailbox each run opens (any free port, told to the desk)")
    try:
        collect = effective_settings(target, options.collect)
        if collect.via == "listener":
            return _check_listener(target, collect, options)
        plan = plan_collection([target], options.collect)  # what a run refuses (a port nobody can know, no IMAP login) fails here too
    except ConfigError as exc:
        return Check(name, FAIL, str(exc))
    notes = "".join(f"; but {note}" for note in plan.notes)
    if collect.via == "imap":
        found = _check_imap(target, plan.imap[0], options.timeout)
    else:
        host, port = _split_hostport(collect.advertise, collect.port) if collect.advertise else (_reachable(collect.host), collect.port)
        found = _greet_collector(target, host, port, options.timeout, listen=_listen_command(target, collect.host, collect.port, options))
    if found.status == OK and notes:
        return Check(name, WARN, found.detail + notes)
    return found


def _reachable(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)


def _listen_command(target: Target, host: str, port: int, options: DoctorOptions) -> str:
    return f"`mysteryshop listen --host {host} --port {port or 2525} --domain {target.spec.probe_domain} --store {options.store_file}`"


def _greet_collector(target: Target, host: str, port: int, timeout: float, *, listen: str) -> Check:
    """Expect an SMTP greeting at host:port, and a yes to mail for a persona (the desk's reply, up to RCPT TO)."""
    name = "collector"
    where = f"{host}:{port}"
    runs = " (a `mysteryshop run` opens its own mailbox there instead)" if target.spec.collect.via == "smtp" else ""
    try:
        client = _connect(host, port, timeout)
    except smtplib.SMTPConnectError as exc:
        return Check(name, FAIL, f"{where} greeted with {exc.smtp_code} {_text(exc.smtp_error)}: replies cannot be delivered there; "
                                 f"is it a listener? Start {listen}")
    except (OSError, smtplib.SMTPException) as exc:
        return Check(name, FAIL, f"nothing answers at {where}, where replies go ({_reason(exc)}). A campaign needs a listener there: "
                                 f"start {listen}{runs}", unreachable=True)
    try:
        recipient = probe_sender(target)
        client.ehlo_or_helo_if_needed()
        client.mail(target.spec.email.support_address if target.spec.email else f"support@{target.spec.probe_domain}")
        code, reply = client.rcpt(recipient)
        client.rset()
    except (OSError, smtplib.SMTPException) as exc:
        return Check(name, FAIL, f"{where} stopped answering: {_reason(exc)}", unreachable=True)
    finally:
        _quit(client)
    if code not in (250, 251):
        return Check(name, FAIL, f"{where} answers but refuses mail for <{recipient}>: {code} {_text(reply)}. "
                                 f"Start the listener for the probe domain: {listen}")
    return Check(name, OK, f"{where} takes mail for <{recipient}> (replies will go there; nothing was sent)")


def _check_imap(target: Target, account: Any, timeout: float) -> Check:
    """Log in to the mailbox a run would read and open it, read-only."""
    name = "collector"
    where = f"{account.host}:{account.port}"
    imap = target.spec.collect.imap
    user_env, password_env = (imap.user_env, imap.password_env) if imap else ("the user variable", "the password variable")
    try:
        client = (imaplib.IMAP4_SSL(account.host, account.port, ssl_context=ssl.create_default_context(), timeout=timeout) if account.ssl
                  else imaplib.IMAP4(account.host, account.port, timeout=timeout))
    except (OSError, imaplib.IMAP4.error) as exc:
        hint = " (is it plain IMAP? set collect.imap.ssl: false)" if account.ssl and isinstance(exc, ssl.SSLError) else ""
        return Check(name, FAIL, f"cannot reach IMAP at {where}: {_reason(exc)}{hint}. Check collect.imap.host and port in {target.path}",
                     unreachable=not isinstance(exc, ssl.SSLError))
    try:
        try:
            client.login(account.user, account.password)
        except imaplib.IMAP4.error as exc:
            return Check(name, FAIL, f"IMAP {where} refused the login of {account.user}: {_text(str(exc))}. Check ${user_env} and ${password_env}")
        status, data = client.select(_quoted(account.mailbox), readonly=True)
        if status != "OK":
            return Check(name, FAIL, f"IMAP {where}: cannot open mailbox '{account.mailbox}': {_text(data[0] or b'')}. "
                                     f"Check collect.imap.mailbox in {target.path}")
        count = int(data[0] or 0)
    except (OSError, imaplib.IMAP4.error) as exc:
        return Check(name, FAIL, f"IMAP {where} stopped answering: {_reason(exc)}", unreachable=True)
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return Check(name, OK, f"logged in to {where} as {account.user}; mailbox '{account.mailbox}' holds {count} message(s); "
                           f"personas are plus-addresses of {target.spec.probe_mailbox}")


def _quoted(mailbox: str) -> str:
    return mailbox if mailbox.isalnum() else '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_listener(target: Target, collect: Any, options: DoctorOptions) -> Check:
    """A `mysteryshop listen` on the same store leaves a heartbeat (mysteryshop.collect.inbox): is one running, for this
    probe domain, and does its SMTP take mail for a persona?"""
    from mysteryshop.collect.inbox import live_listeners
    from mysteryshop.collect.setup import plan_collection
    from mysteryshop.store import Store

    name = "collector"
    store_file = options.store_file
    listen = _listen_command(target, collect.host if collect.port else "127.0.0.1", collect.port, options)
    if not exists(store_file):
        return Check(name, FAIL, f"no `mysteryshop listen` runs on the store {store_file} (it does not exist yet): start {listen} "
                                 "and keep it running", unreachable=True)
    store = Store(store_file)
    try:
        listeners = live_listeners(store)
        if not listeners:
            return Check(name, FAIL, f"no `mysteryshop listen` runs on the store {store_file} (no heartbeat in the last 90 s): start "
                                     f"{listen} and keep it running", unreachable=True)
        plan = plan_collection([target], options.collect, store=store)
    except ConfigError as exc:
        return Check(name, FAIL, str(exc))
    finally:
        store.close()
    domain = probe_sender(target).rpartition("@")[2].lower()
    mine = [i for i in listeners if domain in {d.lower() for d in i.get("domains", [])}] or [i for i in listeners if i.get("imap")]
    running = "; ".join(f"{i['key'].removeprefix('listener:')} (SMTP {i.get('smtp') or '-'} for @{', @'.join(i.get('domains') or ['-'])}"
                        f"{', ' + i['imap'] if i.get('imap') else ''}; heartbeat {i.get('utc', '?')})" for i in listeners)
    if plan.notes or not mine:
        return Check(name, WARN, f"a listener runs on {store_file}: {running}; but " + " ".join(plan.notes or [f"none collects @{domain}"]))
    smtp = next((i["smtp"] for i in mine if i.get("smtp")), None)
    if smtp and not mine[0].get("imap"):
        host, port = _split_hostport(smtp, 25)
        greeted = _greet_collector(target, _reachable(host), port, options.timeout, listen=listen)
        if greeted.status != OK:
            return greeted
        return Check(name, OK, f"a listener runs on {store_file}: {running}; {greeted.detail}")
    return Check(name, OK, f"a listener runs on {store_file}: {running}")


# -- DNS --------------------------------------------------------------------------------------------

def _reserved(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    return domain.rpartition(".")[2] in RESERVED_TLDS or any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)


def _resolver(nameservers: list[str] | None, timeout: float) -> Any:
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=nameservers is None)
    if nameservers:
        servers = [_split_hostport(s, 53) for s in nameservers]
        resolver.nameservers = [host for host, _ in servers]
        resolver.port = servers[0][1]
    resolver.timeout = resolver.lifetime = timeout
    return resolver


def _txt(resolver: Any, name: str) -> list[str] | None:
    """The TXT strings at `name`, or None when there are none (no such name, no TXT)."""
    import dns.resolver

    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return None
    return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]


def check_dns(target: Target, signer: Any, nameservers: list[str] | None, timeout: float, collect: Any = None) -> list[Check]:
    """MX, SPF and DMARC of the domain personas write from, and the DKIM key's TXT record, where DNS resolves."""
    import dns.exception
    import dns.resolver

    domain = probe_sender(target).rpartition("@")[2].lower()
    names = ["MX", "SPF", "DMARC"] + (["DKIM record"] if signer is not None else [])
    publish = f"; publish TXT {signer.record_name} \"{signer.record}\"" if signer is not None else ""
    if _reserved(domain):
        why = (f"@{domain} is reserved for testing (RFC 2606): no public DNS knows it; it suits desks on loopback or a test network only. "
               "Against a real company, use a domain you own (probe_domain)")
        return [Check(n, SKIP, why if i == 0 else f"@{domain} is reserved for testing (see MX)" + (publish if n == "DKIM record" else ""))
                for i, n in enumerate(names)]
    resolver = None
    try:
        resolver = _resolver(nameservers, timeout)
        resolver.resolve(".", "NS")  # the root zone: any working resolver knows it
    except (dns.exception.DNSException, OSError) as exc:
        servers = ", ".join(nameservers or [str(n) for n in getattr(resolver, "nameservers", None) or []] or ["none configured"])
        if isinstance(exc, dns.resolver.NoResolverConfiguration):
            why = "no DNS server is configured (/etc/resolv.conf); give one with --nameserver"
        elif isinstance(exc, dns.exception.Timeout | dns.resolver.NoNameservers | OSError):
            why = f"no DNS server answered within {timeout:g} s ({servers})"
        else:
            why = f"the DNS server ({servers}) does not resolve the root zone ({type(exc).__name__}), so no public name resolves here"
        return [Check(n, SKIP, f"cannot check offline: {why}" + (publish if n == "DKIM record" else "")) for n in names]
    try:
        checks = [_mx(resolver, domain, target, collect or target.spec.collect), _spf(resolver, domain, target), _dmarc(resolver, domain)]
        if signer is not None:
            checks.append(_dkim_record(resolver, signer))
    except dns.exception.DNSException as exc:
        return [Check(n, SKIP, f"DNS stopped answering while checking @{domain}: {exc}") for n in names]
    return checks


def _mx(resolver: Any, domain: str, target: Target, collect: Any) -> Check:
    import dns.resolver

    try:
        answer = resolver.resolve(domain, "MX")
    except dns.resolver.NXDOMAIN:
        return Check("MX", FAIL, f"{domain} does not exist in DNS: receivers refuse mail from it and replies cannot come back. "
                                 "Use a domain you own as probe_domain")
    except dns.resolver.NoAnswer:
        return Check("MX", WARN, f"{domain} has no MX record: replies to personas have nowhere to go; point an MX record at your collector "
                                 "(collect.advertise, or the host `mysteryshop listen` runs on)")
    hosts = sorted((r.preference, str(r.exchange).rstrip(".").lower()) for r in answer)
    listed = ", ".join(f"{pref} {host}" for pref, host in hosts)
    if collect.via in ("smtp", "listener") and collect.advertise:
        want = _split_hostport(collect.advertise, 25)[0].lower()
        if want not in {h for _, h in hosts} and not _resolves_to(resolver, [h for _, h in hosts], want):
            return Check("MX", WARN, f"{domain} MX: {listed}; but replies are collected at {want} (collect.advertise): "
                                     "point the MX record there, or forward mail for the domain to it")
    return Check("MX", OK, f"{domain} MX: {listed}")


def _resolves_to(resolver: Any, hosts: list[str], address: str) -> bool:
    import dns.exception

    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    for host in hosts[:5]:
        for kind in ("A", "AAAA"):
            try:
                if address in {r.to_text() for r in resolver.resolve(host, kind)}:
                    return True
            except dns.exception.DNSException:
                continue
    return False


def _spf(resolver: Any, domain: str, target: Target) -> Check:
    records = [t for t in _txt(resolver, domain) or [] if t.lower().startswith("v=spf1")]
    relay = target.spec.email.smtp_host if target.spec.email else "your-relay"
    if not records:
        return Check("SPF", WARN, f"{domain} has no SPF record: receivers may junk or refuse probe mail. Publish TXT \"v=spf1 a:{relay} -all\" "
                                  "(or include: your mail provider)")
    if len(records) > 1:
        return Check("SPF", FAIL, f"{domain} has {len(records)} SPF records, which receivers treat as an error (RFC 7208 permerror): "
                                  "merge them into one")
    return Check("SPF", OK, f"{domain}: \"{records[0]}\"")


def _dmarc(resolver: Any, domain: str) -> Check:
    labels = domain.split(".")
    for candidate in dict.fromkeys([domain, ".".join(labels[-2:])]):  # the domain's own policy, else its organisation's
        records = [t for t in _txt(resolver, f"_dmarc.{candidate}") or [] if t.upper().startswith("V=DMARC1")]
        if records:
            owner = "" if candidate == domain else f" (the policy of {candidate})"
            return Check("DMARC", OK, f"_dmarc.{candidate}{owner}: \"{records[0]}\"")
    return Check("DMARC", WARN, f"no DMARC record for {domain}: large receivers expect one from senders. Publish TXT at _dmarc.{domain}: "
                                "\"v=DMARC1; p=none\" (add rua=mailto:... for reports)")


def _dkim_record(resolver: Any, signer: Any) -> Check:
    name = "DKIM record"
    records = _txt(resolver, signer.record_name)
    publish = f"publish TXT {signer.record_name} \"{signer.record}\""
    if not records:
        return Check(name, FAIL, f"no TXT record at {signer.record_name}: receivers cannot verify the signature; {publish}")
    published = {_tag(r, "p") for r in records}
    ours = _tag(signer.record, "p")
    if ours not in published:
        return Check(name, FAIL, f"{signer.record_name} holds another public key than the one in {signer.source}: signatures fail; {publish}")
    return Check(name, OK, f"{signer.record_name} publishes the public key of {signer.source}")


def _tag(record: str, tag: str) -> str:
    for part in record.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip() == tag:
            return "".join(value.split())
    return ""
