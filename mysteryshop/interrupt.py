"""Ctrl-C and SIGTERM: the first stops a run gracefully, a second one at once.

While `handled()` is in force (the `mysteryshop` command around every sub-command, the pytest plugin
around a run), SIGINT and SIGTERM are handled alike:

- the first raises `Interrupted` (a KeyboardInterrupt, so pytest and every `finally:` treat it as
  Ctrl-C) in the main thread; the run then cancels what is still waiting, marks itself interrupted
  and writes the scorecard of what was measured. Inside `finishing()` (that work itself) it is only
  noted, and inside `run_async` it cancels the main task of the event loop instead;
- any later one ends the process at once with exit code 130, after the cleanups registered with
  `on_hard_exit` (the run marked interrupted in the store) and with the temporary files of writes under
  way removed (mysteryshop.atomic): nothing half-written is left.

Under pytest-xdist the controller is the process a user or CI signals; its workers run the probes. The
controller passes a stop on to its workers as SIGUSR1 (for SIGINT) or SIGUSR2 (for SIGTERM): `forward`. A
worker (`handled(forwarded=True)`) stops on either as on the original, once: a Ctrl-C in a terminal reaches
the whole process group, so a worker gets the original and the forwarded one, and that is one stop, not a
second signal.

Without `handled()` (not the main thread, or another program embedding mysteryshop), nothing is
installed and Python's defaults apply.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mysteryshop import atomic
from mysteryshop.exitcodes import EXIT_INTERRUPTED

T = TypeVar("T")
SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: the signal an xdist controller sends its workers for each signal it was stopped by
FORWARDS = {signal.SIGINT: signal.SIGUSR1, signal.SIGTERM: signal.SIGUSR2}


class Interrupted(KeyboardInterrupt):
    """The run was asked to stop by a signal (SIGINT: Ctrl-C, SIGTERM: a service manager, CI cancelling a job)."""

    def __init__(self, signame: str) -> None:
        self.signame = signame
        super().__init__(signame)


class _State:
    def __init__(self) -> None:
        self.depth = 0  # nested handled() blocks: the outermost installs and restores
        self.previous: dict[int, Any] = {}
        self.signals: list[str] = []  # the signals received while installed, in order (not those forwarded)
        self.stopping: str | None = None  # the signal the stop under way is for (received or forwarded)
        self.forwarded: dict[int, str] = {}  # forwarded signal -> the name of the one it stands for (xdist workers)
        self.finishing = 0
        self.cleanups: list[Callable[[], None]] = []
        self.on_first: Callable[[str], None] | None = None


_state = _State()


def received() -> str | None:
    """The signal that stopped the run while `handled()` was in force (e.g. 'SIGINT'), received or forwarded; or None."""
    return _state.stopping


def reason(exc: BaseException) -> str:
    """What stopped a run, for people: the signal's name, or 'KeyboardInterrupt' for a Ctrl-C Python raised itself."""
    return exc.signame if isinstance(exc, Interrupted) else (received() or type(exc).__name__)


@contextmanager
def handled(*, forwarded: bool = False) -> Iterator[None]:
    """Handle SIGINT and SIGTERM as described above while the block runs (main thread only; nests). `forwarded`: an
    xdist worker, which also stops on what its controller forwards (FORWARDS)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _state.depth == 0:
        _state.signals.clear()
        _state.stopping = None
        _state.forwarded = {int(sent): sig.name for sig, sent in FORWARDS.items()} if forwarded else {}
        _state.previous = {sig: signal.signal(sig, _handle) for sig in (*SIGNALS, *_state.forwarded)}
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0:
            for sig, previous in _state.previous.items():
                signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
            _state.previous = {}


@contextmanager
def finishing() -> Iterator[None]:
    """A block that is itself the graceful stop (scoring and writing what was measured): a first signal in it is
    noted, not raised; a second one still ends the process at once."""
    _state.finishing += 1
    try:
        yield
    finally:
        _state.finishing -= 1


@contextmanager
def on_first_signal(act: Callable[[str], None]) -> Iterator[None]:
    """While the block runs, a first signal calls `act(name)` instead of raising (a second one still ends the process at
    once): for a loop that stops by itself once told, such as an xdist controller's."""
    previous, _state.on_first = _state.on_first, act
    try:
        yield
    finally:
        _state.on_first = previous


def ignore_forwarded() -> None:
    """An xdist worker outside `handled(forwarded=True)` (starting, collecting, ending) ignores what its controller forwards."""
    if threading.current_thread() is threading.main_thread():
        for sent in FORWARDS.values():
            signal.signal(sent, signal.SIG_IGN)


def forward(pids: Iterable[int], name: str) -> list[int]:
    """Pass the stop `name` (SIGINT, SIGTERM) on to xdist workers; the pids it reached."""
    sent = FORWARDS.get(signal.Signals[name])
    reached = []
    for pid in pids if sent is not None else ():
        try:
            os.kill(pid, sent)
        except (ProcessLookupError, PermissionError):
            continue  # gone already (or never ours): nothing to stop
        reached.append(pid)
    return reached


@contextmanager
def on_hard_exit(cleanup: Callable[[], None]) -> Iterator[None]:
    """Run `cleanup` (quick, synchronous, never raising far) if a second signal ends the process during the block."""
    _state.cleanups.append(cleanup)
    try:
        yield
    finally:
        _state.cleanups.remove(cleanup)


def _handle(signum: int, frame: Any) -> None:
    if signum in _state.forwarded:
        name = _state.forwarded[signum]
        if _state.stopping is not None:
            return  # the stop under way: the controller forwarded the signal this process got itself
    else:
        name = signal.Signals(signum).name
        _state.signals.append(name)
        if len(_state.signals) > 1:
            hard_exit(name)
        if _state.stopping is not None:
            return  # the controller's forward of this very signal came first: the same stop
    _state.stopping = name
    if _state.finishing:
        _say(f"mysteryshop: {name}: stopping; writing the scorecard of what was measured (again to stop at once)")
        return
    if _state.on_first is not None:
        _say(f"mysteryshop: {name}: stopping (again to stop at once)")
        _state.on_first(name)
        return
    _say(f"mysteryshop: {name}: stopping: cancelling what still waits, then scoring what was measured (again to stop at once)")
    raise Interrupted(name)


def hard_exit(name: str) -> None:
    """End the process now with exit code 130: the registered cleanups run (newest first), partial files go."""
    _say(f"mysteryshop: {name} again: stopping at once")
    for cleanup in reversed(list(_state.cleanups)):
        try:
            cleanup()
        except Exception as exc:  # noqa: BLE001 - the process ends now whatever happens; say what could not be done
            _say(f"mysteryshop: while stopping at once: {exc}")
    atomic.remove_partial()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # noqa: BLE001, S110 - a closed or broken stream must not keep the process alive
        pass
    os._exit(EXIT_INTERRUPTED)


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr, flush=True)
    except Exception:  # noqa: BLE001, S110 - a closed stream must not turn a signal into a traceback
        pass


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)`; under `handled()` a first signal cancels `main` (its `finally:` blocks run, so servers
    close and what was received is kept), then `Interrupted` is raised; a second one ends the process at once."""

    async def guarded() -> T:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        assert task is not None

        def first(name: str) -> None:
            loop.call_soon_threadsafe(task.cancel)

        previous, _state.on_first = _state.on_first, first
        try:
            return await main
        except asyncio.CancelledError:
            if received() is not None:
                raise Interrupted(received() or "SIGINT") from None
            raise
        finally:
            _state.on_first = previous

    return asyncio.run(guarded())
