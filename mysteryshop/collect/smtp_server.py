"""The receiving side of SMTP: aiosmtpd servers on an existing loop whose messages are timed as they come off the socket.

Used by the probe mailbox (mysteryshop.collect.mailbox) and by the demo desk's own support mailbox.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from functools import cache, partial
from types import SimpleNamespace
from typing import Any

from aiosmtpd.smtp import SMTP

from mysteryshop.smtp import DOT_ATOM_ADDRESS

_PLAIN_PATH = re.compile(rf"<({DOT_ATOM_ADDRESS})>[ \t]*([^(]*)")


class TimedSMTP(SMTP):
    """aiosmtpd's SMTP server, noting when bytes come off the socket (`last_data_ns`).

    A handler runs a turn or more of the event loop after its bytes arrived; on a busy loop
    that is milliseconds. `handle_DATA` reads `server.last_data_ns`: the moment the end of the
    message arrived, which is when it was received.
    """

    _introspecting = False

    def __init__(self, handler: Any, *args: Any, clock: Callable[[], int] = time.monotonic_ns, **kwargs: Any) -> None:
        self._introspecting = True
        try:
            super().__init__(handler, *args, **kwargs)
        finally:
            self._introspecting = False
        self._clock = clock
        self.last_data_ns: int | None = None

    def data_received(self, data: bytes) -> None:
        self.last_data_ns = self._clock()
        super().data_received(data)

    def __dir__(self) -> list[str]:
        """While aiosmtpd's __init__ runs: only the command and AUTH methods.

        It finds them, for every new connection, by `dir(self)` and by `inspect.getmembers(self)`,
        which reads every attribute of the protocol: two thirds of the cost of opening a
        connection. A test checks both find the same methods. Afterwards, everything.
        """
        if not self._introspecting:
            return list(super().__dir__())
        return [*_command_names(type(self)), *(name for name in vars(self) if name.startswith(("smtp_", "auth_")))]

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's parse of MAIL FROM / RCPT TO arguments, with a fast path for `<dot-atom@domain>`.

        Its own version builds a typing.Protocol class on every call, which costs more than the
        parse; a test compares the two on plain and odd addresses.
        """
        plain = _PLAIN_PATH.fullmatch(arg)
        if plain is not None:
            addr, rest = plain.group(1), plain.group(2)
        elif not arg:
            return "", ""
        else:
            try:
                address, rest = (get_angle_addr if arg.lstrip().startswith("<") else get_addr_spec)(arg)
            except HeaderParseError:
                return None, None
            addr = address.addr_spec
        if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return addr, rest


@cache
def _command_names(cls: type) -> tuple[str, ...]:
    return tuple(sorted({name for base in cls.__mro__ for name in vars(base) if name.startswith(("smtp_", "auth_"))}))


def _hooks_of(handler: Any) -> SimpleNamespace:
    """The handler's aiosmtpd hooks (handle_*, auth_*) and nothing else.

    aiosmtpd inspects every attribute of its handler for each new connection; a handler with
    state (the probe mailbox) made that a third of the cost of taking one message.
    """
    return SimpleNamespace(**{name: getattr(handler, name) for name in dir(handler) if name.startswith(("handle_", "auth_"))})


async def serve_smtp(
    handler: Any, *, host: str = "127.0.0.1", port: int = 0, name: str, clock: Callable[[], int] = time.monotonic_ns,
) -> tuple[asyncio.Server, int]:
    """Start an aiosmtpd server for `handler` on the running loop; returns the server and its port.

    `name` is the hostname the server greets with; giving it avoids aiosmtpd's reverse DNS
    lookup, which can stall for seconds on machines without a resolver.
    """
    loop = asyncio.get_running_loop()
    factory = partial(TimedSMTP, _hooks_of(handler), hostname=name, ident=f"{name} ESMTP", data_size_limit=25 * 2**20, timeout=60, clock=clock)
    # A deep accept queue: a thousand replies arriving at once must not have their SYNs dropped
    # (the sender's TCP would retry after 1, 3, 7 s, and we would measure the company as late).
    server = await loop.create_server(factory, host=host, port=port, reuse_address=True, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    return server, bound
