"""The scorecards the dashboard shows, built from the store as `mysteryshop report` builds them, and kept.

A run's scorecard of 10,000 probes takes seconds to build; its rows only grow (a late reply adds one) and an ended
run's hardly ever do. So each run's card, drawn maps and rendered pages are kept in memory and reused while the run's
version (store_reads.run_version: status, last event and message) stays the same. The version is looked at again at
most every `RECHECK_S` seconds, so a page served from memory costs no query at all.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop.errors import MysteryShopError
from mysteryshop.store import Store
from mysteryshop.store_reads import run_pairs, run_version

#: How long a kept card is trusted before the run's version is read again (seconds).
RECHECK_S = 5.0
#: Runs whose cards are kept at once (a 10,000-probe card is ~200 MB of objects: keep few).
KEPT_RUNS = 4
#: Rendered pages kept per run (the overview, the QA page under a few filters, company pages): a QA page of 500 probes
#: is ~3 MB.
KEPT_PAGES = 16


class UnknownRun(LookupError):
    """The store holds no run of that id."""


class Unscorable(MysteryShopError):
    """A run the dashboard cannot score: a journey or target file it ran with is gone or broken."""


class Purged(MysteryShopError):
    """A run whose messages and personas were purged (mysteryshop purge): only its stored figures remain."""


@dataclass(slots=True)
class Built:
    """One run's scorecard and what was made from it, valid while the run's version is `version`."""

    run_id: str
    version: tuple[Any, ...]
    card: dict[str, Any]
    journeys: dict[str, Any]
    checked: float
    build_s: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    pages: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)

    def page(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The page (or anything made from the card) under `key`, made once."""
        with self.lock:
            if key in self.pages:
                self.pages.move_to_end(key)
                return self.pages[key]
        made = make()
        with self.lock:
            self.pages[key] = made
            while len(self.pages) > KEPT_PAGES:
                self.pages.popitem(last=False)
        return made


class Cards:
    """Scorecards of the store's runs, built on first request and kept (see the module's docstring)."""

    def __init__(self, store: Store, journeys_dir: Path, rubric: Any = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.journeys_dir = journeys_dir
        self.rubric = rubric
        self._clock = clock
        self._kept: OrderedDict[str, Built] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._one_build = threading.Lock()  # one scorecard built at a time: two 10,000-probe builds at once double the memory

    def get(self, run_id: str) -> Built:
        """The run's card, built now when none is kept or the run has changed since. UnknownRun when there is no such run."""
        now = self._clock()
        with self._lock:
            kept = self._kept.get(run_id)
            if kept is not None and now - kept.checked < RECHECK_S:
                self._kept.move_to_end(run_id)
                return kept
            building = self._building.setdefault(run_id, threading.Lock())
        with building:  # one build per run at a time: the requests that wait for it take what it built
            with self._lock:
                kept = self._kept.get(run_id)
            version = run_version(self.store, run_id)
            if not version:
                with self._lock:  # no lock kept for every id asked for that is not a run
                    if run_id not in self._kept:
                        self._building.pop(run_id, None)
                raise UnknownRun(run_id)
            if kept is not None and kept.version == version:
                kept.checked = self._clock()
                return kept
            with self._one_build:
                built = self._build(run_id, version)
            with self._lock:
                self._kept[run_id] = built
                self._kept.move_to_end(run_id)
                while len(self._kept) > KEPT_RUNS:
                    dropped, _ = self._kept.popitem(last=False)
                    self._building.pop(dropped, None)
            return built

    def _build(self, run_id: str, version: tuple[Any, ...]) -> Built:
        from mysteryshop.journey import find_journey
        from mysteryshop.purge import refuse_purged
        from mysteryshop.scorecard.build import build_scorecard
        from mysteryshop.target import find_target

        try:
            refuse_purged(self.store, run_id)
        except MysteryShopError as exc:
            raise Purged(str(exc)) from exc
        pairs = run_pairs(self.store, run_id)
        try:
            journeys = {j: find_journey(j, self.journeys_dir) for j in sorted({j for j, _ in pairs})}
            targets = {t: find_target(t, self.journeys_dir / "targets") for t in sorted({t for _, t in pairs})}
        except MysteryShopError as exc:
            raise Unscorable(f"run {run_id} cannot be scored with the files in {self.journeys_dir}: {exc}") from exc
        started = time.perf_counter()
        card = build_scorecard(self.store, run_id, journeys, targets, rubric=self.rubric)
        # build_scorecard freezes what it made (gc.freeze: cheap for a command that ends); a server keeps running, and
        # what a card dropped from memory left in cycles must be collectable again
        gc.unfreeze()
        return Built(run_id, version, card, journeys, self._clock(), time.perf_counter() - started)
