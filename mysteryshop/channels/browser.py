"""The browser: Debian's Chromium driven by Playwright's async API, shared by every browser probe.

One browser per run, started lazily on the engine's loop by the first probe that needs it; one
browser context per probe (its own cookies and storage, like a separate customer); a semaphore
bounds how many probes drive a page at once (`concurrency`). A probe holds a slot only while it
has a page open (filling a form, or while its chat is open), not while it waits for email, so a
slow company does not starve the others.

Evidence, under `reports/<run-id>/browser/<probe-id>/`:
- `on-failure` (default): nothing is recorded while a probe runs. When a step fails, a screenshot
  and the page's HTML are taken at that moment; when a probe ends failed, of each page still open.
  Costs nothing for passing probes.
- `trace`: also a Playwright trace (DOM snapshots of every action, `trace.zip`) and the network as
  a HAR (`network.har`, bodies embedded) recorded for every probe and kept when it fails. Recording
  a trace costs: on a 2-core machine it roughly halves form throughput and doubles the memory each
  context needs (bench/browser_probes.py --artifacts trace).
- `always`: a trace and a HAR for every probe, kept (with screenshots) whether it passed or not.
- `off`: nothing.

A probe's Chromium context is created only once it holds a slot (`concurrency`), so waiting
probes cost no memory.

Reuse (per target, `browser_reuse:` in its file, on for the demo desk; `--browser-reuse on|off` for a whole run; off with
artifacts `trace`/`always`, whose HAR belongs to one context): a new page costs Chromium a renderer process and a headless window, ~60% of a form probe's CPU
(bench/browser_probes.py), while a context alone costs ~15 ms. So a probe takes a context *with its page*
from a pool (channels/reset.py): its first page is that page; when the probe ends the page goes to
about:blank and everything a persona could leave is cleared (cookies, every visited origin's storage:
localStorage, sessionStorage, IndexedDB, Cache Storage, service workers; permissions; HTTP cache; the
tab's history) before the next persona gets it. tests/test_browser_reuse.py proves, in real Chromium, that
persona B sees nothing persona A left. What is not cleared (open keep-alive sockets, TLS session tickets,
HSTS entries of the context's network stack: no CDP command clears them) is named in channels/reset.py.

`playwright install` is never needed: the executable is /usr/bin/chromium, or the path given by
`--browser-path` or the MYSTERYSHOP_CHROMIUM environment variable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence
from typing import Any

from urllib.parse import urlsplit

from mysteryshop.channels.blocking import install as install_blocking
from mysteryshop.channels.blocking import ready as blocking_ready
from mysteryshop.channels.reset import RESET_TIMEOUT_MS, Lease, new_lease, park, reset
from mysteryshop.errors import ChannelError, ConfigError, MysteryShopError, TargetMisconfigured, TargetUnreachable

ENV_VAR = "MYSTERYSHOP_CHROMIUM"
DEFAULT_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
#: This machine has no internet: without the background-networking flags Chromium stalls on refused connections.
#: Chromium's new headless mode is the full browser: every window (so every Playwright context's
#: first page) preloads the omnibox popup as a WebUI in a renderer of its own, ~0.3-0.6 s of CPU
#: that no probe needs: on 2 cores it was half of a form probe's renderer time. Chromium keeps only
#: the last --disable-features switch, so this one repeats what Playwright (1.65) disables.
#: Chromium also keeps a spare renderer process warm for the next navigation; a spare belongs to one browser
#: context, so with several contexts (pooled ones, or one per probe) it is mostly forked, initialised and thrown
#: away: 16 renderer processes for 10 sequential form probes with it, 4 without; ~20% of a pooled probe's CPU.
#: RenderDocument (a new RenderFrameHost, and renderer-side frame, for every document) and ProactivelySwapBrowsingInstance
#: (a new browsing instance on each browser-initiated cross-site navigation, made for the back/forward cache) are
#: internal to Chromium, invisible to a page, and cost every navigation: a form probe makes three (the form, its
#: post, the park at about:blank), and without the two, ours took 209 ms of CPU instead of 262 and the bench's
#: fresh-context peer 476 instead of 502 (bench/browser_probes.py, same run). Without them Chromium reuses the frame
#: for a same-site navigation, as it did before both; unload handlers still run before the next document commits.
_PLAYWRIGHT_DISABLED = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades", "HttpsFirstBalancedModeAutoEnable",
    "LensOverlay", "MediaRouter", "PaintHolding", "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch",
)
DISABLED_FEATURES = (*_PLAYWRIGHT_DISABLED, "WebUIOmniboxPopup", "WebUIOmniboxAimPopup", "WebUIOmniboxFullPopup",
                     "SpareRendererForSitePerProcess", "RenderDocument", "ProactivelySwapBrowsingInstance")
LAUNCH_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-features=" + ",".join(DISABLED_FEATURES),
)
ARTIFACTS = ("on-failure", "trace", "always", "off")
#: Pages driven at once. A form probe is CPU-bound in Chromium (its renderer and browser processes
#: take ~85% of a probe's CPU; see bench/browser_probes.py), so more pages than about two per core
#: only add memory and stretch each step towards its deadline.
DEFAULT_CONCURRENCY = max(2, min(8, 2 * (os.cpu_count() or 1)))


class BrowserNotFound(ConfigError):
    """No Chromium executable where we looked."""


#: Chromium's network errors that mean the server was not reached (Playwright puts them in the message of a failed `goto`)
UNREACHABLE_NET_ERRORS = (
    "ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_CONNECTION_CLOSED", "ERR_CONNECTION_FAILED", "ERR_CONNECTION_TIMED_OUT",
    "ERR_TIMED_OUT", "ERR_ADDRESS_UNREACHABLE", "ERR_NAME_NOT_RESOLVED", "ERR_NAME_RESOLUTION_FAILED", "ERR_INTERNET_DISCONNECTED",
    "ERR_EMPTY_RESPONSE", "ERR_NETWORK_CHANGED", "ERR_SOCKET_NOT_CONNECTED", "ERR_PROXY_CONNECTION_FAILED", "ERR_TUNNEL_CONNECTION_FAILED",
)
_BAD_URL = ("ERR_INVALID_URL", "invalid URL", "ERR_UNKNOWN_URL_SCHEME", "ERR_DISALLOWED_URL_SCHEME")


def page_status_error(status: int | None, url: str, *, what: str, setting: str, target_path: Path, step: str,
                      journey: str) -> MysteryShopError | None:
    """What an HTTP status of a page a probe opens means (None: the page is there). 502/503/504: the server behind
    is down (TargetUnreachable); 404 and 410: the URL in the target file is wrong (TargetMisconfigured); any other
    4xx/5xx: the company's server refused or failed (a ChannelError: a finding)."""
    if status is None or status < 400:
        return None
    where = f"step '{step}' of journey '{journey}'"
    if status in (502, 503, 504):
        parts = urlsplit(url)
        return TargetUnreachable(host=parts.hostname or url, port=parts.port or {"https": 443, "http": 80}.get(parts.scheme), step=step,
                                 journey=journey, reason=f"{what} at {url} answered HTTP {status}", what=f"the web server of {what} ({setting})")
    if status in (404, 410):
        return TargetMisconfigured(f"{where}: {what} at {url} answered HTTP {status} (no such page). Fix '{setting}' in target file {target_path}.")
    return ChannelError(f"{where}: {what} at {url} answered HTTP {status}")


def page_load_error(exc: Exception, url: str, *, what: str, setting: str, target_path: Path, step: str, journey: str) -> MysteryShopError:
    """What a page that did not load (`page.goto` raised `exc`) means for the probe.

    The server not reached, or not answering within the step's deadline: TargetUnreachable (exit code 3), naming
    host:port. A URL Chromium cannot load at all: TargetMisconfigured (exit code 4), naming the setting. Anything
    else: a ChannelError.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if any(marker in first for marker in _BAD_URL):
        return TargetMisconfigured(f"step '{step}' of journey '{journey}': {what} URL '{url}' cannot be loaded ({first}). "
                                   f"Fix '{setting}' in target file {target_path}.")
    if isinstance(exc, PlaywrightTimeout) or any(code in first for code in UNREACHABLE_NET_ERRORS):
        parts = urlsplit(url)
        try:
            port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
        except ValueError:
            port = None
        return TargetUnreachable(host=parts.hostname or url, port=port, step=step, journey=journey,
                                 reason=f"{what} at {url} did not load: {first}", what=f"the web server of {what} ({setting})")
    return ChannelError(f"step '{step}' of journey '{journey}': could not open {what} at {url}: {first}")


def find_chromium(explicit: str | None = None) -> str:
    """The Chromium to drive: `explicit`, else $MYSTERYSHOP_CHROMIUM, else Debian's /usr/bin/chromium."""
    if explicit or os.environ.get(ENV_VAR):
        path = explicit or os.environ[ENV_VAR]
        origin = "--browser-path" if explicit else f"${ENV_VAR}"
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
        raise BrowserNotFound(
            f"{origin} names {path}, which is not an executable file. Point it at Chromium, "
            f"or install Debian's build with: sudo apt-get install -y chromium"
        )
    for path in DEFAULT_PATHS:
        if Path(path).is_file() and os.access(path, os.X_OK):
            return path
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    raise BrowserNotFound(
        f"Chromium not found (looked at {', '.join(DEFAULT_PATHS)} and $PATH). Web-form and chat probes need it: "
        f"install Debian's build with: sudo apt-get install -y chromium — or pass --browser-path, or set {ENV_VAR}. "
        f"(`playwright install` is not needed.)"
    )


@dataclass(slots=True)
class BrowserOptions:
    path: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    artifacts: str = "on-failure"  # on-failure | trace | always | off
    artifacts_dir: Path | None = None  # reports/<run-id>; None keeps nothing
    # pooled contexts and pages, reset between personas (channels/reset.py): True or False for every probe of the run,
    # None (default): as each target's file says (`browser_reuse:`; a reused context keeps its keep-alive sockets)
    reuse: bool | None = None

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError(f"browser concurrency must be at least 1, got {self.concurrency}")
        if self.artifacts not in ARTIFACTS:
            raise ConfigError(f"browser artifacts must be one of {', '.join(ARTIFACTS)}, got '{self.artifacts}'")


@dataclass(slots=True)
class ProbeBrowser:
    """One probe's browser context and what it holds."""

    probe_id: str
    context: Any = None  # created when the probe first holds a slot
    pages: list[Any] = field(default_factory=list)
    holding: bool = False
    tracing: bool = False
    lease: Lease | None = None  # a pooled context with its page (reuse)
    parked: Any = None  # the lease's page while no step uses it (at about:blank)
    har: Path | None = None  # where Playwright writes the context's HAR when it closes (moved into the evidence folder if kept)


#: What a probe's evidence folder holds (the scorecard and `mysteryshop export` read them by these names).
TRACE_FILE, HAR_FILE = "trace.zip", "network.har"
_HAR_PARTIAL = ".har.partial"


def evidence_folder(artifacts_dir: Path, probe_id: str) -> Path:
    """The folder of one probe's browser evidence: `<artifacts_dir>/browser/<probe id, made safe for a file name>`."""
    return artifacts_dir / "browser" / _safe(probe_id)


class Browser:
    """The run's one Chromium, started on first use, and each probe's context."""

    def __init__(self, options: BrowserOptions | None = None) -> None:
        self.options = options or BrowserOptions()
        self._semaphore = asyncio.Semaphore(self.options.concurrency)
        self._lock = asyncio.Lock()
        self._playwright: Any = None
        self._browser: Any = None
        self._probes: dict[str, ProbeBrowser] = {}
        self._pool: dict[tuple[str, ...], list[Lease]] = {}  # idle leases, by what their context blocks
        self._resets: set[asyncio.Task[None]] = set()
        self._parked: set[str] = set()  # probes whose pooled page waits, at about:blank, for their next step
        self.launch_s: float | None = None
        self.reused = 0  # probes that got a pooled context (for the bench and tests)

    async def _ensure(self) -> Any:
        async with self._lock:
            if self._browser is None:
                from playwright.async_api import async_playwright

                executable = find_chromium(self.options.path)
                started = time.monotonic()
                self._playwright = await async_playwright().start()
                try:
                    self._browser = await self._playwright.chromium.launch(executable_path=executable, args=list(LAUNCH_ARGS), headless=True, timeout=60_000)
                except Exception as exc:
                    await self._playwright.stop()
                    self._playwright = None
                    raise ConfigError(f"could not start Chromium at {executable}: {exc}") from exc
                self.launch_s = time.monotonic() - started
            return self._browser

    def probe(self, probe_id: str) -> ProbeBrowser:
        """The probe's record (no Chromium context yet: that waits for a slot)."""
        probe = self._probes.get(probe_id)
        if probe is None:
            probe = self._probes[probe_id] = ProbeBrowser(probe_id)
        return probe

    @property
    def tracing(self) -> bool:
        return self.options.artifacts in ("trace", "always") and self.options.artifacts_dir is not None

    def reusing(self, target_reuse: bool = False) -> bool:
        """Whether a probe gets a pooled context: the run's choice (`reuse`), else its target's; never while tracing."""
        return (target_reuse if self.options.reuse is None else self.options.reuse) and not self.tracing

    async def context(self, probe_id: str, block: Sequence[str] = (), *, reuse: bool = False) -> ProbeBrowser:
        """The probe's context (created on first use; recording a trace with artifacts `trace` or `always`; the
        requests of the kinds in `block` aborted, see channels/blocking.py; pooled when `reusing(reuse)`)."""
        probe = self.probe(probe_id)
        if probe.context is not None:
            return probe
        browser = await self._ensure()
        if self.reusing(reuse):
            lease = await self._lease(browser, tuple(sorted(block)))
            if probe.context is not None:  # created meanwhile by another step of the same probe
                self._return(lease)
                return probe
            self.reused += bool(lease.probes)
            lease.probes += 1
            probe.context, probe.lease, probe.parked = lease.context, lease, lease.page
            return probe
        har = None
        if self.tracing:
            assert self.options.artifacts_dir is not None
            # written by Playwright when the context closes, outside browser/: a passing probe's HAR never looks like evidence
            har = self.options.artifacts_dir / _HAR_PARTIAL / f"{_safe(probe_id)}.{os.getpid()}.har"
            har.parent.mkdir(parents=True, exist_ok=True)
        context = await browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US",
                                            **({"record_har_path": str(har), "record_har_content": "embed"} if har else {}))
        if probe.context is not None:  # created meanwhile by another step of the same probe
            await context.close()
            if har is not None:
                har.unlink(missing_ok=True)
            return probe
        probe.context = context
        probe.har = har
        await install_blocking(context, block)
        if self.tracing:
            # DOM snapshots per action; no screencast (it streams every frame to Python and distorts timings). Screenshots are taken on failure.
            await context.tracing.start(screenshots=False, snapshots=True, title=probe_id)
            probe.tracing = True
        return probe

    async def acquire(self, probe: ProbeBrowser) -> None:
        """Take a slot before opening a page; a probe holds at most one."""
        if not probe.holding:
            await self._semaphore.acquire()
            probe.holding = True

    async def new_page(self, probe: ProbeBrowser, timeout_s: float, *, reuse: bool = True) -> Any:
        """A page for a step. `reuse=False`: a new page, never the pooled one (a step that registers bindings or init
        scripts on its page, which would outlive a reset: the chat)."""
        await self.acquire(probe)
        if probe.context is None:
            await self.context(probe.probe_id)
        if probe.parked is not None and reuse:
            page, probe.parked = probe.parked, None
            self._parked.discard(probe.probe_id)
        else:
            page = await probe.context.new_page()
            await blocking_ready(page)
        page.set_default_timeout(timeout_s * 1000)
        page.set_default_navigation_timeout(timeout_s * 1000)
        probe.pages.append(page)
        return page

    async def close_page(self, probe: ProbeBrowser, page: Any) -> None:
        """Close a page; with no page left the probe gives its slot back."""
        if page in probe.pages:
            probe.pages.remove(page)
            # bounded: a campaign's probes wait hours for email, each parked page would keep a renderer process
            if (probe.lease is not None and page is probe.lease.page and probe.parked is None
                    and len(self._parked) < self.options.concurrency and await park(page)):
                probe.parked = page
                self._parked.add(probe.probe_id)  # kept for the probe's next step, and for the next persona once reset
            else:
                if probe.lease is not None and page is probe.lease.page:
                    probe.lease.page = None  # the context is closed, not pooled, when the probe ends
                with contextlib.suppress(Exception):
                    await page.close()
        if not probe.pages and probe.holding:
            probe.holding = False
            self._semaphore.release()

    async def finish(self, probe_id: str, *, failed: bool) -> list[Path]:
        """Close the probe's context; keep its trace and screenshots if it failed (or always). Returns what was kept."""
        probe = self._probes.pop(probe_id, None)
        if probe is None:
            return []
        kept: list[Path] = []
        artifacts = self.options.artifacts
        keep = artifacts != "off" and (failed or artifacts == "always") and self.options.artifacts_dir is not None
        folder = evidence_folder(self.options.artifacts_dir, probe_id) if self.options.artifacts_dir else None
        try:
            if keep and folder is not None:
                for index, page in enumerate(list(probe.pages)):
                    kept += await self._evidence(folder, page, f"page{index + 1}")
                if probe.tracing:
                    folder.mkdir(parents=True, exist_ok=True)
                    trace = folder / TRACE_FILE
                    await probe.context.tracing.stop(path=str(trace))
                    kept.append(trace)
            elif probe.tracing:
                await probe.context.tracing.stop()
        except Exception:  # noqa: BLE001 - evidence is best effort; the probe's verdict stands
            pass
        for page in list(probe.pages):
            await self.close_page(probe, page)
        if probe.holding:
            probe.holding = False
            self._semaphore.release()
        if self._give_back(probe):
            return kept
        if probe.context is not None:
            with contextlib.suppress(Exception):
                await probe.context.close()  # writes the HAR
        if probe.har is not None:
            if keep and folder is not None and probe.har.exists():
                folder.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    kept.append(Path(shutil.move(probe.har, folder / HAR_FILE)))
            probe.har.unlink(missing_ok=True)
        return kept

    def _give_back(self, probe: ProbeBrowser) -> bool:
        """Hand the probe's pooled context to the pool (reset first, in the background); False if it has none."""
        self._parked.discard(probe.probe_id)
        lease, probe.lease, probe.parked = probe.lease, None, None
        if lease is None:
            return False
        probe.context = None
        task = asyncio.ensure_future(self._reset(lease))
        self._resets.add(task)
        task.add_done_callback(self._resets.discard)
        return True

    def walked(self, probe_id: str) -> None:
        """The probe will drive no page any more (its journey's walk has ended; it may still wait for email): a pooled
        context with no page open goes back to the pool now rather than when the probe ends, so the personas that
        come next reuse it instead of opening contexts of their own. One with a page still open waits for `finish`,
        which keeps that page's evidence."""
        probe = self._probes.get(probe_id)
        if probe is not None and probe.lease is not None and not probe.pages and not probe.tracing:
            self._give_back(probe)

    @staticmethod
    async def _evidence(folder: Path, page: Any, name: str) -> list[Path]:
        """A full-page screenshot and the page's HTML, as they are now (best effort)."""
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        shot, dom = folder / f"{_safe(name)}.png", folder / f"{_safe(name)}.html"
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(shot), full_page=True, timeout=5000)
            kept.append(shot)
        with contextlib.suppress(Exception):  # bounded: a page whose scripts never stop answers no call, and a probe must end
            dom.write_text(await asyncio.wait_for(page.content(), 3), encoding="utf-8")
            kept.append(dom)
        return kept

    async def screenshot(self, probe_id: str, page: Any, name: str) -> Path | None:
        """A screenshot (and the page's HTML beside it) now, e.g. of a blocked or rejected form; kept if artifacts are not off."""
        if self.options.artifacts == "off" or self.options.artifacts_dir is None:
            return None
        kept = await self._evidence(evidence_folder(self.options.artifacts_dir, probe_id), page, name)
        return next((p for p in kept if p.suffix == ".png"), None)

    async def _lease(self, browser: Any, key: tuple[str, ...]) -> Lease:
        """A pooled lease; while none is idle but some are being reset, wait for one (a reset is a fraction of a new
        page's cost); a new one only when none is coming back."""
        for _ in range(1000):  # bounded: each turn waits for one reset to end
            pool = self._pool.get(key)
            if pool:
                return pool.pop()
            if not self._resets:
                break
            await asyncio.wait(list(self._resets), timeout=RESET_TIMEOUT_MS / 1000, return_when=asyncio.FIRST_COMPLETED)
        return await new_lease(browser, key, install_blocking)

    async def settled(self) -> None:
        """Wait until every ended probe's context is reset and back in the pool (or closed)."""
        while self._resets:
            await asyncio.wait(list(self._resets), timeout=30)

    async def _reset(self, lease: Lease) -> None:
        """Clear what the persona left and put the lease back in the pool; close it if it cannot be cleared."""
        if await reset(lease):
            self._return(lease)
        else:
            with contextlib.suppress(Exception):
                await lease.context.close()

    def _return(self, lease: Lease) -> None:
        pool = self._pool.setdefault(lease.block, [])
        if len(pool) < self.options.concurrency and self._browser is not None:
            pool.append(lease)
        else:
            task = asyncio.ensure_future(lease.context.close())
            self._resets.add(task)
            task.add_done_callback(self._resets.discard)

    async def stop(self) -> None:
        for probe_id in list(self._probes):
            await self.finish(probe_id, failed=False)
        if self._resets:
            await asyncio.wait(list(self._resets), timeout=30)
        for pool in self._pool.values():
            for lease in pool:
                with contextlib.suppress(Exception):
                    await lease.context.close()
        self._pool.clear()
        if self.options.artifacts_dir is not None:
            with contextlib.suppress(OSError):
                (self.options.artifacts_dir / _HAR_PARTIAL).rmdir()  # when empty
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.close()
            self._browser = None
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await self._playwright.stop()
            self._playwright = None


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120]


class PageClock:
    """The page clock's offset from brackets taken on calls the channel makes anyway (no extra round trip).

    `sample(before, page_ms, after)`: a reading of `performance.timeOrigin + performance.now()`
    taken inside one evaluate() that started at monotonic `before` and returned at `after`. The
    offset is then known exactly (see `page_clock_offset`) when this process's wall-minus-monotonic
    offset lies in the intersection of the brackets, which it does unless the wall clock was stepped;
    `offset()` is None otherwise and the caller measures properly with `page_clock_offset`.
    """

    __slots__ = ("high", "low")

    def __init__(self) -> None:
        self.low, self.high = -(2**63), 2**63

    def sample(self, before: int, page_ms: float, after: int) -> None:
        page_ns = int(page_ms * 1_000_000)
        self.low = max(self.low, page_ns - after - 100_000)
        self.high = min(self.high, page_ns - before + 100_000)

    def offset(self) -> int | None:
        wall_offset = time.time_ns() - time.monotonic_ns()
        return wall_offset if self.low <= wall_offset <= self.high else None


async def page_clock_offset(page: Any, samples: int = 5) -> int:
    """Nanoseconds to subtract from the page's clock (`performance.timeOrigin + performance.now()`,
    as ns) to get this process's `time.monotonic_ns()`.

    Measured, not assumed. Each sample brackets one evaluate() between two monotonic readings, so
    the true offset lies in [page - after, page - before]; the brackets of all samples are
    intersected (0.1 ms wider each, for Chromium's coarsened `performance.now()`). Chromium derives
    its page clock from the monotonic clock plus a wall-clock offset fixed at start-up, so when this
    process's own (wall - monotonic) lies inside the bracket it is used: exact to microseconds. If
    it does not (the wall clock was stepped since), the middle of the bracket is used: its error is
    at most half the bracket, i.e. half the shortest round trip (about 1 ms on an idle loopback,
    tens of ms on a saturated machine).
    """
    low, high = -(2**63), 2**63
    for _ in range(samples):
        before = time.monotonic_ns()
        page_ms = await page.evaluate("performance.timeOrigin + performance.now()")
        after = time.monotonic_ns()
        page_ns = int(page_ms * 1_000_000)
        low = max(low, page_ns - after - 100_000)
        high = min(high, page_ns - before + 100_000)
    wall_offset = time.time_ns() - time.monotonic_ns()
    if low <= wall_offset <= high:
        return wall_offset
    return (low + high) // 2 if low <= high else wall_offset
