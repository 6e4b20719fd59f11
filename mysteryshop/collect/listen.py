"""The long-running collector of a campaign: receives replies for days and loses none.

`mysteryshop listen` runs the probe mailbox on a configured interface and port (for a probe
domain whose MX points at it) and/or collects a real mailbox over IMAP (plus-addressed
personas). Every message is stored before the SMTP server answers 250 (or, for IMAP, with its
UID as a unique source), under the run `_inbox`; `mysteryshop tick` matches stored messages to
campaign probes and moves their journeys on. Times are wall-clock nanoseconds, so they stay
comparable across restarts.

With `--tick-every`, the listener starts a `mysteryshop tick` process at that interval (one at a
time, each bounded by a timeout): a tick parses and scores and sends, for seconds or minutes, and
none of that may hold up the SMTP loop, where every transaction waits for its 250.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mysteryshop.collect.imap import ImapAccount, ImapCollector
from mysteryshop.collect.inbox import HEARTBEAT_S, INBOX_RUN, ensure_inbox_run, remove_heartbeat, write_heartbeat
from mysteryshop.collect.mailbox import ProbeMailbox
from mysteryshop.store import Store

log = logging.getLogger(__name__)

#: how much lower than the listener a tick process runs (nice): on a busy machine SMTP transactions stay fast
TICK_NICENESS = 10


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
    tick_timeout_s: float = 600.0
    #: a tick still running when the listener stops gets this long to finish before it is terminated
    tick_grace_s: float = 10.0


async def listen(store: Store, config: ListenerConfig, *, tick: Sequence[str] | None = None, stop: asyncio.Event | None = None) -> None:
    """Run until SIGTERM/SIGINT (or `stop`): the SMTP mailbox, the IMAP collector, and periodic ticks (`tick`: the
    command line of one tick, run as its own process)."""
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
        tasks.append(asyncio.ensure_future(_ticker(list(tick), config, stop)))
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


async def _ticker(command: list[str], config: ListenerConfig, stop: asyncio.Event) -> None:
    """Run `command` (a tick) every `tick_every_s`, one at a time; a tick that fails or hangs is logged, and the
    listener goes on."""
    every_s = config.tick_every_s or 60.0
    while not stop.is_set():
        try:
            await run_tick(command, config.tick_timeout_s, stop, grace_s=config.tick_grace_s)
        except Exception:  # noqa: BLE001 - one failed tick must not stop the collector
            log.exception("tick failed")
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_s)
        except TimeoutError:
            pass


async def run_tick(command: list[str], timeout_s: float, stop: asyncio.Event | None = None, *, grace_s: float = 10.0) -> int | None:
    """Run one tick process to its end, its output passed on line by line; stopped after `timeout_s` (or `grace_s`
    after `stop` is set). Its exit code, or None when it had to be stopped or could not start."""
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                                                    stdin=asyncio.subprocess.DEVNULL)
    except OSError as exc:
        log.error("could not start a tick (%s): %s", " ".join(command[:4]), exc)
        return None
    # the SMTP loop comes first: a tick's parsing and scoring take the CPU the listener leaves (where the system
    # has priorities, and unless the tick has ended already)
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, proc.pid, TICK_NICENESS)
    assert proc.stdout is not None
    tail: list[str] = []

    async def relay() -> None:
        async for raw in proc.stdout:  # type: ignore[union-attr]
            line = raw.decode("utf-8", "replace").rstrip()
            tail[:] = [*tail[-19:], line]
            print(f"tick: {line}", flush=True)

    relaying = asyncio.ensure_future(relay())
    waiting = asyncio.ensure_future(proc.wait())
    stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
    done, _ = await asyncio.wait([waiting, *([stopping] if stopping else [])], timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    if waiting not in done and stopping is not None and stopping in done:
        try:  # the listener is stopping: a tick in the middle of a send gets a moment to finish it
            await asyncio.wait_for(asyncio.shield(waiting), timeout=grace_s)
        except TimeoutError:
            pass
    if stopping is not None:
        stopping.cancel()
    code: int | None = proc.returncode
    if proc.returncode is None:
        why = "the listener is stopping" if stop is not None and stop.is_set() else f"it ran longer than --tick-timeout {timeout_s:g}s"
        log.error("tick pid %d stopped: %s (its claims on walks lapse after their lease; the next tick goes on)", proc.pid, why)
        await _end(proc)
        code = None
    try:
        await asyncio.wait_for(relaying, timeout=5)
    except TimeoutError:  # a process of its own still holds the pipe open
        log.warning("tick pid %d: its output did not end; no longer read", proc.pid)
    if code not in (0, None):
        log.error("tick pid %d failed with exit code %s after %.1fs; last lines:%s", proc.pid, code, time.monotonic() - started,
                  "".join(f"\n  {line}" for line in tail[-10:]))
    return code


async def _end(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if it is still there after 5 s."""
    try:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=5)
    except ProcessLookupError:
        return
    except TimeoutError:
        proc.kill()
        await proc.wait()
