"""Who may read the dashboard: anyone on this machine when it binds to loopback, else whoever holds the token.

A token is given with `--token` or the environment variable `MYSTERYSHOP_DASHBOARD_TOKEN`. A request carries it as
`Authorization: Bearer TOKEN`, or once as `?token=TOKEN` in a link (the dashboard then sets it as an HttpOnly,
SameSite=Strict cookie and sends the browser to the same address without it, so the token stays out of the
history and of every link on the pages), or as that cookie. Anything else gets 401 with the reason.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_ENV = "MYSTERYSHOP_DASHBOARD_TOKEN"
COOKIE = "mysteryshop_token"
#: Fewest characters a token may have: a short one is guessed.
MIN_TOKEN = 16
#: Characters a token may hold: those a cookie, a header and a link carry as they are.
TOKEN_CHARS = re.compile(r"[A-Za-z0-9._~+/=-]+")


def is_loopback(host: str) -> bool:
    """Does binding `host` keep the dashboard on this machine? ('localhost', 127.0.0.0/8, ::1.)"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_problem(host: str, token: str | None) -> str | None:
    """Why the dashboard must not start bound to `host` with `token`, or None when it may."""
    if token is not None and len(token) < MIN_TOKEN:
        return (f"the dashboard token is {len(token)} characters long; give one of at least {MIN_TOKEN} "
                f"(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(24))'`)")
    if token is not None and not TOKEN_CHARS.fullmatch(token):
        return "the dashboard token holds characters other than letters, digits and . _ ~ + / = -; use one made by secrets.token_urlsafe"
    if token is None and not is_loopback(host):
        return (f"binding the dashboard to {host} lets other machines read every run: give a token with --token or "
                f"{TOKEN_ENV} (at least {MIN_TOKEN} characters), or bind to 127.0.0.1")
    return None


class TokenRequired:
    """ASGI middleware: every request must carry the token (see the module's docstring)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    def _matches(self, given: str) -> bool:
        return secrets.compare_digest(given.encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        in_link = [v for k, v in query if k == "token"]
        if in_link:
            if self._matches(in_link[-1]):
                rest = urlencode([(k, v) for k, v in query if k != "token"])
                await _respond(send, 303, b"", [(b"location", (scope["path"] + ("?" + rest if rest else "")).encode()),
                                                (b"set-cookie", f"{COOKIE}={in_link[-1]}; HttpOnly; SameSite=Strict; Path=/".encode())])
                return
            await _refuse(send, "the token in the link (?token=) is wrong; ask whoever started `mysteryshop serve` for it")
            return
        auth = headers.get("authorization")
        if auth is not None:
            scheme, _, given = auth.partition(" ")
            if scheme.lower() != "bearer" or not given:
                await _refuse(send, "the Authorization header is not 'Bearer TOKEN'")
            elif not self._matches(given.strip()):
                await _refuse(send, "the bearer token is wrong; ask whoever started `mysteryshop serve` for it")
            else:
                await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # noqa: BLE001 - a malformed Cookie header is no token
            cookie = SimpleCookie()
        if COOKIE in cookie:
            if self._matches(cookie[COOKIE].value):
                await self.app(scope, receive, send)
            else:
                await _refuse(send, "the token kept in this browser is wrong (was the dashboard restarted with another?); "
                                    "open a link with ?token=TOKEN again")
            return
        await _refuse(send, "this dashboard needs a token: send 'Authorization: Bearer TOKEN', or open a link with ?token=TOKEN once")


async def _respond(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, reason: str) -> None:
    body = f"401 Unauthorized: {reason}\n".encode()
    await _respond(send, 401, body, [(b"content-type", b"text/plain; charset=utf-8"), (b"www-authenticate", b'Bearer realm="mysteryshop"'),
                                     (b"cache-control", b"no-store")])
