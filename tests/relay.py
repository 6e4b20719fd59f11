"""A real SMTP relay for tests: aiosmtpd on loopback in its own thread, noting every command it was given."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .conftest import free_port


class RelayHandler:
    """Accepts mail (or refuses the sender or the recipients, with the reply given) and keeps what came."""

    def __init__(self, *, refuse_mail: str | None = None, refuse_rcpt: str | None = None) -> None:
        self.refuse_mail, self.refuse_rcpt = refuse_mail, refuse_rcpt
        self.commands: list[str] = []
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]) -> list[str]:
        self.commands.append("EHLO")
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.commands.append(f"MAIL {address}")
        if self.refuse_mail:
            return self.refuse_mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        self.commands.append(f"RCPT {address}")
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.commands.append("DATA")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK: queued"

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        self.commands.append("RSET")
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.commands.append("QUIT")
        return "221 Bye"


def _login(user: str, password: str) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == user.encode() and data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return authenticate


def _tls_context(directory: Path) -> ssl.SSLContext:
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(directory / "key.pem"),
         "-out", str(directory / "cert.pem"), "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


class Relay:
    """`with Relay(handler) as relay:` a real aiosmtpd server on 127.0.0.1:`relay.port`.

    `login=(user, password)` requires AUTH; `tls_dir` (where its certificate is made) requires STARTTLS first.
    """

    def __init__(self, handler: RelayHandler | None = None, *, login: tuple[str, str] | None = None, tls_dir: Path | None = None) -> None:
        self.handler = handler or RelayHandler()
        self.port = free_port()
        options: dict[str, Any] = {}
        if tls_dir is not None:  # STARTTLS required, with a self-signed certificate, as a submission server does
            options = {"tls_context": _tls_context(tls_dir), "require_starttls": True}
        if login:
            options |= {"authenticator": _login(*login), "auth_required": True, "auth_require_tls": tls_dir is not None}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, server_hostname="relay.test", **options)

    def __enter__(self) -> Relay:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def make_dkim_key(path: Path, bits: int = 2048) -> Path:
    """An RSA private key in PEM, made by openssl as a user makes theirs (README, Targets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["openssl", "genrsa", "-out", str(path), str(bits)], check=True, capture_output=True)
    return path
