"""The long-running collector of a campaign: receives replies for days and loses none.

`mysteryshop listen` runs the probe mailbox on a configured interface and port (for a probe
domain whose MX points at it) and/or collects a real mailbox over IMAP (plus-addressed
personas). Every message is stored before the SMTP server answers 250 (or, for IMAP, with its
UID as a unique source), under the run `_inbox`; `mysteryshop tick` matches stored messages to
campaign probes and moves their journeys on. Times are wall-clock nanoseconds, so they stay
comparable across restarts.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mysteryshop.collect.imap import ImapAccount, ImapCollector
from mysteryshop.collect.inbox import HEARTBEAT_S, INBOX_RUN, ensure_inbox_run, remove_heartbeat, write_heartbeat
from mysteryshop.collect.mailbox import ProbeMailbox
from mysteryshop.store import Store

log = logging.getLogger(__name__)


class InboxMailbox(ProbeMailbox):
    """The probe mailbox in collector mode: store first, match later (in `tick`)."""

    clock = staticmethod(time.time_ns)

    def __init__(self, store: Store, domains: set[str], on_stored: Callable[[], None] | None = None) -> None:
        super().__init__(store, INBOX_RUN, domains)
        self.on_stored = on_stored
        self.received = 0

    def _route(self, item: Any) -> None:
        self.received += 1
        if self.on_stored is not None:
            self.on_stored()


@dataclass(slots=True)
class ListenerConfig:
    host: str = "127.0.0.1"
    port: int = 2525
    domains: set[str] = field(default_factory=set)
    imap: ImapAccount | None = None
    tick_every_s: float | None = 60.0


async def listen(store: Store, config: ListenerConfig, *, tick: Callable[[], Any] | None = None, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`): the SMTP mailbox, the IMAP collector, and periodic ticks."""
    ensure_inbox_run(store)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    tasks: list[asyncio.Task[Any]] = []
    mailbox = None
    if config.domains:
        mailbox = InboxMailbox(store, config.domains)
        port = await mailbox.start(config.host, config.port)
        print(f"mysteryshop listen: SMTP on {config.host}:{port} for @{', @'.join(sorted(config.domains))}", flush=True)
    if config.imap is not None:
        collector = ImapCollector(store, config.imap, run_id=INBOX_RUN)
        tasks.append(asyncio.ensure_future(collector.run(stop)))
        print(f"mysteryshop listen: IMAP {config.imap.key}", flush=True)
    if tick is not None and config.tick_every_s:
        tasks.append(asyncio.ensure_future(_ticker(tick, config.tick_every_s, stop)))
    info = {"smtp": f"{config.host}:{mailbox.port}" if mailbox is not None else None, "domains": sorted(config.domains),
            "imap": config.imap.key if config.imap is not None else None}
    beat = asyncio.ensure_future(_heartbeat(store, info, stop))
    print("mysteryshop listen: ready", flush=True)
    await stop.wait()
    if mailbox is not None:
        await mailbox.stop()
    await asyncio.gather(*tasks, beat, return_exceptions=True)


async def _heartbeat(store: Store, info: dict[str, Any], stop: asyncio.Event) -> None:
    """Tell runs on the same store that a listener is collecting (collect.via listener checks it before sending)."""
    key = None
    try:
        while not stop.is_set():
            try:
                key = await asyncio.to_thread(write_heartbeat, store, info)
            except Exception as exc:  # noqa: BLE001 - the heartbeat is a courtesy; collecting goes on
                log.warning("could not write the listener heartbeat: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=HEARTBEAT_S)
            except TimeoutError:
                pass
    finally:
        if key is not None:
            try:
                remove_heartbeat(store, key)
            except Exception:  # noqa: BLE001
                pass


async def _ticker(tick: Callable[[], Any], every_s: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            result = tick()
            if asyncio.iscoroutine(result):
                await result
        except Exception as exc:  # noqa: BLE001 - one failed tick must not stop the collector
            log.error("tick failed: %s", exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_s)
        except TimeoutError:
            pass
