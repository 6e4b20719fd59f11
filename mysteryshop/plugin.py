"""The pytest plugin: probes as pytest items, run concurrently, one scorecard per session.

A probe module marks a test with the journey it walks and asks for the `probe` fixture:

    @pytest.mark.journey("email_question")
    def test_email_question(probe):
        probe.check()

The plugin makes one item per (target × persona). When the run loop starts, every probe of
the session starts at once on one event loop; each item then waits for its own probe only,
so the session takes as long as its slowest journey, not the sum of them.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mysteryshop.plan import ProbeSpec
    from mysteryshop.runner import ProbeResult

from mysteryshop.pytest_keys import (  # noqa: E402
    CONFIG_KEY,
    LOST_KEY,
    OPTIONS_KEY,
    PART_KEY,
    SINCE_KEY,
    READER_KEY,
    SESSION_KEY,
    START_ERROR_KEY,
)
from mysteryshop.untrusted import terminal_line  # noqa: E402
from mysteryshop.storage import location_of  # noqa: E402
from mysteryshop.storage.clock import utc_now  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mysteryshop", "mystery-shopping probes")
    group.addoption("--seed", type=int, default=None, help="seed for personas and the demo desk (default 1): the same seed, the same run")
    group.addoption("--personas", type=int, default=None, help="personas per journey and target (default 3)")
    group.addoption("--target", action="append", default=None, help="target name from journeys/targets/ (repeatable; default: demo)")
    group.addoption("--study", default=None, help="a benchmark study (YAML or CSV): the companies to probe and personas each, "
                                                  "instead of --target (see mysteryshop/study.py)")
    group.addoption("--locale", action="append", default=None, help="Faker locale of personas, e.g. de_DE (repeatable; default en_US)")
    group.addoption("--personas-file", default=None, help="personas from a CSV or YAML file (real test accounts) instead of Faker")
    group.addoption("--demo-profile", default=None, help="behaviour of the embedded demo desk: excellent, typical, poor or asks_back")
    group.addoption("--journeys", default=None, help="folder of journey files (default: <rootdir>/journeys)")
    group.addoption("--reports", default=None, help="folder for scorecards and the run store (default: <rootdir>/reports)")
    group.addoption("--store", default=None, help="run store: a SQLite file (default: <reports>/mysteryshop.sqlite) or a "
                                                  "postgresql:// URL; or set MYSTERYSHOP_STORE, or store under [tool.mysteryshop]")
    group.addoption("--run-id", default=None, help="name of this run's folder under the reports folder (default: time-based)")
    group.addoption("--browser-path", default=None, help="Chromium for web-form and chat probes (default: $MYSTERYSHOP_CHROMIUM, else /usr/bin/chromium)")
    group.addoption("--browser-concurrency", type=int, default=None, help="browser probes driving a page at once (default 4)")
    group.addoption("--browser-reuse", default=None, choices=["on", "off", "target"],
                    help="pooled browser contexts, cleared between personas: on or off for every target, or as each target file's "
                         "browser_reuse says (default: target; the demo's is on)")
    group.addoption("--browser-artifacts", default=None, choices=["on-failure", "trace", "always", "off"],
                    help="browser evidence under reports/<run-id>/browser/: on-failure (default: screenshot + HTML of a failed probe's pages), "
                         "trace (also a Playwright trace, recorded for every probe, kept on failure), always (trace kept for every probe), off")
    group.addoption("--collect", default=None, choices=["smtp", "imap", "listener"],
                    help="how replies come back, for every target (default: each target's collect.via, else smtp): "
                         "smtp (our mailbox on --mailbox-host:--mailbox-port), imap (the target's collect.imap mailbox), "
                         "listener (a `mysteryshop listen` running on the same store)")
    group.addoption("--mailbox-host", default=None, help="interface the reply mailbox binds (default: the target's collect.host, else 127.0.0.1)")
    group.addoption("--mailbox-port", type=int, default=None, help="port the reply mailbox binds (default: the target's collect.port)")
    group.addoption("--mailbox-advertise", default=None, help="host:port the desk delivers replies to, when not the bound address (NAT, MX)")
    group.addoption("--probe-domain", default=None, help="domain of the personas' addresses (default: each target's probe_domain)")
    group.addoption("--allowlist", default=None, help="targets that may be probed (default: <rootdir>/allowlist.yaml)")
    group.addoption("--rubric", default=None, help="rubric grading each channel and the whole (default: the shipped rubric.yaml)")
    group.addoption("--dry-run", action="store_true", default=False, help="print what the probes would send; send nothing, store nothing")
    group.addoption("--shard", default=None, metavar="I/N",
                    help="run slice I of N of the suite (by a stable hash of each probe's id), into the run named by --run-id: "
                         "N machines with --shard 1/N .. N/N and one --run-id write one run, scored when the last shard ends")
    group.addoption("--resume", action="store_true", default=False,
                    help="go on with the interrupted run named by --run-id (same seed, personas and targets): finished probes "
                         "keep their results, open ones walk on from where they stood; nothing is sent twice")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "journey(name): the journey (journeys/<name>.yaml) a probe test walks")
    from mysteryshop.errors import ConfigError
    from mysteryshop.session import RunConfig
    from mysteryshop.store import new_run_id

    root = Path(config.rootpath)
    opt = config.getoption
    personas = opt("personas")
    if personas is not None and personas < 1:
        raise pytest.UsageError(f"--personas must be at least 1, got {personas}")
    worker = getattr(config, "workerinput", None)  # an xdist worker: the controller named the run
    if worker is not None:
        from mysteryshop import interrupt

        interrupt.ignore_forwarded()  # until its run loop handles them: a stop its controller passes on never kills it
    shard = None
    if opt("shard") is not None:
        from mysteryshop.shards import parse_shard

        try:
            shard = parse_shard(opt("shard"))
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        if not opt("run_id"):
            raise pytest.UsageError("--shard needs --run-id: every shard must write into the same run, e.g. --run-id ci-$CI_PIPELINE_ID")
        if opt("resume"):
            raise pytest.UsageError("--shard goes on with its probes already in the run by itself: leave out --resume")
    run_id = (worker or {}).get("mysteryshop_run_id") or opt("run_id") or new_run_id()
    from mysteryshop.config import pytest_store

    try:
        store = pytest_store(root, opt("store"))
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    run = RunConfig(
        seed=opt("seed") if opt("seed") is not None else 1,
        personas=personas or 3,
        locales=opt("locale") or ["en_US"],
        personas_file=opt("personas_file"),
        demo_profile=opt("demo_profile"),
        reports_dir=Path(opt("reports")) if opt("reports") else root / "reports",
        store_path=location_of(store),
        run_id=run_id,
        browser_path=opt("browser_path"),
        browser_concurrency=opt("browser_concurrency") or 4,
        browser_artifacts=opt("browser_artifacts") or "on-failure",
        browser_reuse={"on": True, "off": False}.get(opt("browser_reuse") or "target"),
        collect={key: value for key, value in (("via", opt("collect")), ("host", opt("mailbox_host")), ("port", opt("mailbox_port")),
                                               ("advertise", opt("mailbox_advertise"))) if value is not None},
        allowlist=Path(opt("allowlist")) if opt("allowlist") else root / "allowlist.yaml",
        dry_run=bool(opt("dry_run")),
        resume=bool(opt("resume")),
        rubric=Path(opt("rubric")) if opt("rubric") else None,
        shard=str(shard) if shard else None,
        joined=shard is not None or worker is not None,
    )
    if run.resume and not opt("run_id"):
        raise pytest.UsageError("--resume needs --run-id: the id of the interrupted run to go on with")
    if run.rubric is not None:
        from mysteryshop.scorecard.rubric import load_rubric

        try:
            load_rubric(run.rubric)
        except ConfigError as exc:
            raise pytest.UsageError(f"--rubric: {exc}") from None
    if run.browser_concurrency < 1:
        raise pytest.UsageError(f"--browser-concurrency must be at least 1, got {run.browser_concurrency}")
    if run.demo_profile is not None:
        from mysteryshop.demo.profile import get_profile

        try:
            get_profile(run.demo_profile)
        except ConfigError as exc:
            raise pytest.UsageError(f"--demo-profile: {exc}") from None
    journeys = Path(opt("journeys")) if opt("journeys") else root / "journeys"
    options: dict[str, Any] = {"journeys": journeys, "targets": opt("target") or ["demo"], "probe_domain": opt("probe_domain"),
                               "personas": None, "study_journeys": None}
    if opt("study"):
        if opt("target"):
            raise pytest.UsageError("--study names the companies to probe: leave out --target (or leave out --study)")
        from mysteryshop.study import load_study

        try:
            study = load_study(Path(opt("study")), journeys / "targets")
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
        run.study = str(study.path)
        options.update(targets=study.targets, personas=study.personas(run.personas), study_journeys=study.journeys)
    config.stash[CONFIG_KEY] = run
    config.stash[OPTIONS_KEY] = options


def _xdist_controller(config: pytest.Config) -> bool:
    """This process hands the tests to xdist workers (`-n N`, N > 0) and runs none itself."""
    return not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker writes into the controller's run (its id; the personas are seeded with it)."""
    node.workerinput["mysteryshop_run_id"] = node.config.stash[CONFIG_KEY].run_id
    # when this session began: a probe a worker finds cut short before it (a run resumed) is still to be walked on
    node.workerinput["mysteryshop_since_utc"] = node.config.stash.setdefault(SINCE_KEY, utc_now())


def _probe_key(item: pytest.Item) -> str:
    """What decides an item's shard: its probe's id (a probe module's item and its journey file's are one probe), else its node id."""
    from mysteryshop.plan import ProbeSpec

    callspec = getattr(item, "callspec", None)
    spec = callspec.params.get("probe") if callspec is not None else getattr(item, "spec", None)
    return spec.probe_id if isinstance(spec, ProbeSpec) else item.nodeid


def load_targets(config: pytest.Config) -> list[Any]:
    """The targets named by --target, with --probe-domain applied."""
    from mysteryshop.target import Target, find_target

    options = config.stash[OPTIONS_KEY]
    targets = [find_target(name, Path(options["journeys"]) / "targets") for name in options["targets"]]
    domain = options.get("probe_domain")
    if domain:
        targets = [Target(spec=t.spec.model_copy(update={"probe_domain": domain}), path=t.path) for t in targets]
    return targets


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A study that names its journeys: the probes of other journeys are deselected (as `-k` would). With --shard i/n, the
    items of the other n-1 slices are deselected."""
    if config.getoption("shard"):
        from mysteryshop.shards import parse_shard

        shard = parse_shard(config.getoption("shard"))
        others = [item for item in items if not shard.owns(_probe_key(item))]
        if others:
            config.hook.pytest_deselected(items=others)
            items[:] = [item for item in items if shard.owns(_probe_key(item))]
    wanted = config.stash[OPTIONS_KEY].get("study_journeys")
    if not wanted:
        return
    from mysteryshop.plan import ProbeSpec

    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        spec = callspec.params.get("probe") if callspec is not None else getattr(item, "spec", None)
        (dropped if isinstance(spec, ProbeSpec) and spec.journey.name not in wanted else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _slug(text: str) -> str:
    from mysteryshop.persona import ascii_name

    return re.sub(r"[^A-Za-z0-9]+", "_", ascii_name(text)).strip("_")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "probe" not in metafunc.fixturenames:
        return
    from mysteryshop.errors import MysteryShopError
    from mysteryshop.journey import find_journey
    from mysteryshop.plan import plan_probes

    marker = metafunc.definition.get_closest_marker("journey")
    if marker is None or not marker.args:
        raise pytest.fail.Exception(
            f"{metafunc.definition.nodeid} uses the 'probe' fixture but has no journey: add @pytest.mark.journey(\"<name>\")",
            pytrace=False,
        )
    options = metafunc.config.stash[OPTIONS_KEY]
    try:
        journey = find_journey(marker.args[0], options["journeys"])
        targets = load_targets(metafunc.config)
        specs = plan_probes(metafunc.config.stash[CONFIG_KEY], journey, targets, options["personas"])
    except MysteryShopError as exc:
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    ids = [f"{s.target.name}-{s.persona.key}-{_slug(s.persona.full_name)}" for s in specs]
    metafunc.parametrize("probe", specs, ids=ids, indirect=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Any:
    from mysteryshop import interrupt
    from mysteryshop.plan import ProbeSpec

    specs = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        spec = callspec.params.get("probe") if callspec is not None else getattr(item, "spec", None)
        if isinstance(spec, ProbeSpec):
            specs.append(spec)
    config = session.config
    live = not config.option.collectonly and not config.stash[CONFIG_KEY].dry_run
    if _xdist_controller(config) and live:
        return (yield from _controller_loop(session))
    worker = getattr(config, "workerinput", None)
    runs = bool(specs) and live  # a worker waits for the probes of the others even when it runs none itself
    if worker is not None:  # each probe is run by one worker (the others' items read its result from the store)
        from mysteryshop.workers import runs_probe, worker_slot

        _, index, count = worker_slot(worker)
        specs = [s for s in specs if runs_probe(s.probe_id, index, count)]
    # Ctrl-C or SIGTERM (or a second one: at once) stops a run gracefully: see `_stop` and mysteryshop/interrupt.py.
    # A session without probes keeps pytest's own handling.
    with interrupt.handled(forwarded=worker is not None) if runs else contextlib.nullcontext():
        stopped: str | None = None
        try:
            if specs and not config.option.collectonly:
                if config.stash[CONFIG_KEY].dry_run:
                    from mysteryshop.dryrun import describe_sends

                    _say(config, *_lines(describe_sends, specs))
                else:
                    _start(config, specs)
            return (yield)
        except KeyboardInterrupt as exc:
            if not runs:
                raise  # where it hit is what a developer stopping a slow test wants to see
            stopped = interrupt.reason(exc)
        finally:
            if worker is None:
                _stop(session, stopped)
            else:
                _stop_worker(session, stopped)
        if worker is not None:
            # an xdist worker ends its session as asked to stop, not on a KeyboardInterrupt (which xdist takes for a crash:
            # a test reported crashed, a replacement worker started); the controller stops the others (workers.py)
            session.shouldstop = f"interrupted ({stopped})"
            return True
    # raised again from here, with a short traceback: pytest formats the traceback of a KeyboardInterrupt, and one
    # raised deep inside a waiting test took seconds of a stop that should take few
    raise interrupt.Interrupted(stopped or "interrupted") from None


def _stop_worker(session: pytest.Session, stopped: str | None) -> None:
    """`_stop` in an xdist worker, which must not raise: an error escaping a worker's run loop is an internal error that
    xdist's controller then trips over (KeyError in its list of active workers, INTERNALERROR) and the run's line is lost."""
    try:
        _stop(session, stopped)
    except Exception as exc:  # noqa: BLE001 - said here, with what to do; the session ends as failed
        where = getattr(session.config, "workerinput", {}).get("workerid")
        reason = (f"mysteryshop: xdist worker {where} could not finish its share of run {session.config.stash[CONFIG_KEY].run_id}: "
                  f"{type(exc).__name__}: {exc}; what it stored is kept, rerun with the same --run-id to go on")
        _say(session.config, reason)
        session.shouldfail = reason


def _controller_loop(session: pytest.Session) -> Any:
    """An xdist controller's run loop (xdist's, inside): a first Ctrl-C or SIGTERM is passed on to the workers, which stop
    their probes and end, and the controller ends with them, interrupted as plain pytest is; a second one stops at once."""
    from mysteryshop import interrupt

    dsession = session.config.pluginmanager.getplugin("dsession")

    def first(name: str) -> None:
        if dsession is None or not _run_in_store(session.config):
            raise interrupt.Interrupted(name)  # no probe of ours in this suite: pytest's and xdist's own handling
        from mysteryshop.workers import stop_workers

        stop_workers(dsession, name)

    with interrupt.handled(), interrupt.on_first_signal(first):
        try:
            return (yield)
        except KeyboardInterrupt as exc:  # xdist's Interrupted once every worker ended, or ours above
            stopped = interrupt.received() or str(exc)
            if not (stopped.startswith(("SIG", "interrupted (")) and _run_in_store(session.config)):
                raise  # -x / --maxfail, or a suite without probes
    raise interrupt.Interrupted(stopped.removeprefix("interrupted (").removesuffix(")")) from None


def _run_in_store(config: pytest.Config) -> bool:
    """Whether this session's run is in the store (its workers started probes)."""
    from mysteryshop.storage import exists
    from mysteryshop.store import Store

    run = config.stash[CONFIG_KEY]
    try:
        if not exists(run.store_file):
            return False
        store = Store(run.store_file)
        try:
            return bool(store.query("SELECT 1 FROM runs WHERE id = ?", (run.run_id,)))
        finally:
            store.close()
    except Exception:  # noqa: BLE001 - a store that cannot be read now: pytest's own handling of the stop
        return False


def _stop(session: pytest.Session, stopped: str | None) -> None:
    """Finish the run: after Ctrl-C / SIGTERM (`stopped`), or a session that ended before every probe's item waited
    for it (-x, --maxfail, a session timeout), what still waits is cancelled and the run is marked interrupted."""
    run = session.config.stash.get(SESSION_KEY, None)
    if run is None:
        return
    elsewhere = hasattr(session.config, "workerinput") and not (session.shouldstop or session.shouldfail)
    if stopped is None and run.unfinished() and not elsewhere:  # an xdist worker's probes may be waited for by other workers
        stopped = "the pytest session ended before every probe's test had its result (-x, --maxfail or a session timeout)"
    if stopped is not None:
        _say(session.config, f"mysteryshop: stopping ({stopped}): {len(run.unfinished())} probe(s) still waiting are cut short; "
                             "scoring what was measured")
    run.finish(interrupted=stopped)


def _lines(produce: Any, *args: Any) -> list[str]:
    lines: list[str] = []
    produce(*args, out=lines.append)
    return lines


def _say(config: pytest.Config, *lines: str) -> None:
    """Write to the terminal now, even while an item's output is being captured."""
    reporter = config.pluginmanager.getplugin("terminalreporter")
    capman = config.pluginmanager.getplugin("capturemanager")
    if reporter is None:
        return
    if capman is None:
        for line in lines:
            reporter.write_line(line)
        return
    with capman.global_and_fixture_disabled():
        for line in lines:
            reporter.write_line(line)


def _start(config: pytest.Config, specs: list[Any]) -> None:
    """Start the run; a run that cannot start (a refused target, replies it could not receive) fails every item with why."""
    from mysteryshop.errors import MysteryShopError
    from mysteryshop.session import RunSession

    run = RunSession(config.stash[CONFIG_KEY])
    config.stash[SESSION_KEY] = run  # stopped while starting (Ctrl-C): what did start is stopped
    try:
        run.start(specs)
    except MysteryShopError as exc:
        del config.stash[SESSION_KEY]
        run.abandon()  # stops what did start
        config.stash[START_ERROR_KEY] = str(exc)
        _say(config, f"mysteryshop: the run did not start: {exc}")
        return
    if any(not s.target.spec.embedded for s in specs):
        _say(config, f"mysteryshop: {len(specs)} probe(s) sent or sending; replies are expected at {run.replies_at}")


def finished_probe(config: pytest.Config, spec: ProbeSpec) -> ProbeResult:
    """The probe's result once it has finished; meanwhile, progress on the terminal (what is waiting, what came in)."""
    error = config.stash.get(START_ERROR_KEY, None)
    if error:
        pytest.fail(f"the mysteryshop run did not start: {error}", pytrace=False)
    run = config.stash.get(SESSION_KEY, None)
    if hasattr(config, "workerinput") and (run is None or spec.probe_id not in run.futures) and not config.stash[CONFIG_KEY].dry_run:
        return _elsewhere(config, spec)  # another xdist worker runs it
    if run is None:
        if config.stash[CONFIG_KEY].dry_run:
            pytest.skip("dry run: nothing was sent")
        pytest.fail("the mysteryshop run did not start; is the plugin disabled (-p no:mysteryshop)?", pytrace=False)
    from mysteryshop.progress import Waiting

    try:
        return Waiting.of(config, run, lambda *lines: _say(config, *lines)).wait(spec.probe_id)
    except KeyboardInterrupt:
        raise  # the whole run stops (pytest_runtestloop)
    except BaseException as exc:  # e.g. pytest-timeout failing this test: its probe is cut short, the others go on
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'stopped waiting'}"
        run.interrupt(reason, [spec.probe_id])
        raise


def _elsewhere(config: pytest.Config, spec: ProbeSpec) -> ProbeResult:
    from mysteryshop.shards import stored_result
    from mysteryshop.store import Store
    from mysteryshop.workers import lost_worker, owner_of, worker_slot

    store = config.stash.get(READER_KEY, None)
    if store is None:
        store = config.stash[READER_KEY] = Store(config.stash[CONFIG_KEY].store_file)
    run_id = config.stash[CONFIG_KEY].run_id
    workerinput = getattr(config, "workerinput", {})
    owner, session = owner_of(spec.probe_id, worker_slot(workerinput)[2]), str(workerinput.get("testrunuid"))
    return stored_result(store, run_id, spec, lambda: lost_worker(store, run_id, owner, session), workerinput.get("mysteryshop_since_utc"))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """xdist: a worker died (killed, out of memory): the probes under way in it are recorded as cut short, so the items
    waiting for them elsewhere end now; what they stored stays, and a rerun with the same --run-id goes on with them."""
    if error is None or error == "keyboard-interrupt" or not _run_in_store(node.config):
        return  # ended normally or stopped as asked (its probes recorded themselves); or no run of ours
    from mysteryshop.shards import parse_shard
    from mysteryshop.store import Store
    from mysteryshop.workers import record_lost, worker_slot

    run = node.config.stash[CONFIG_KEY]
    worker, _, count = worker_slot(node.workerinput)
    try:  # inside xdist's handling of the dead worker: an error raised here would end the whole session in an INTERNALERROR
        store = Store(run.store_file)
        try:
            lost = record_lost(store, run.run_id, worker=worker, count=count, shard=parse_shard(run.shard) if run.shard else None,
                               error=str(error).strip().splitlines()[-1] if str(error).strip() else "no reason given",
                               session=str(node.workerinput.get("testrunuid")))
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - said, with what it means for the items waiting
        _say(node.config, f"mysteryshop: xdist worker {worker} died ({error}) and its probes could not be recorded as cut short in "
                          f"{run.store_file}: {type(exc).__name__}: {exc}; the tests waiting for them end at their timeout")
        return
    node.config.stash.setdefault(LOST_KEY, []).append(lost)
    _say(node.config, *lost.lines(run.run_id))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A share of a sharded run (--shard, or the xdist controller once every worker ended): recorded; the last one in scores the run."""
    config = session.config
    reader = config.stash.get(READER_KEY, None)
    if reader is not None:
        reader.close()
        del config.stash[READER_KEY]
    run = config.stash[CONFIG_KEY]
    if hasattr(config, "workerinput") or not run.joined and not _xdist_controller(config):
        return
    if run.dry_run or config.option.collectonly or START_ERROR_KEY in config.stash:
        return
    from mysteryshop.errors import MysteryShopError
    from mysteryshop.resume import clock_base_ns
    from mysteryshop.session import process_info
    from mysteryshop.shards import Shard, end_part, join, parse_shard
    from mysteryshop.store import Store

    if run.shard is None and isinstance(run.store_file, Path) and not run.store_file.exists():
        return  # xdist, and no worker had a probe to run
    store = Store(run.store_file)
    try:
        if run.shard is None and not store.query("SELECT 1 FROM runs WHERE id = ?", (run.run_id,)):
            return
        shard = parse_shard(run.shard) if run.shard else Shard(1, 1)
        try:
            if run.shard is not None:  # a slice with no probe creates the run too; a slice with the wrong n is refused
                join(store, run.run_id, {**run.as_dict(), "clock_base_ns": clock_base_ns(), **process_info()}, run.shard)
            ended = end_part(store, run.run_id, shard, config.stash[OPTIONS_KEY]["journeys"], run.run_dir, run.rubric)
        except MysteryShopError as exc:
            _say(config, f"mysteryshop: run {run.run_id}, shard {shard}: {exc}")
            return
        config.stash[PART_KEY] = ended
    finally:
        store.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Journey files are test files too: `pytest journeys/` runs every journey against every --target."""
    journeys_dir = parent.config.stash[OPTIONS_KEY]["journeys"]
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.resolve() == Path(journeys_dir).resolve():
        return JourneyFile.from_parent(parent, path=file_path)
    return None


class JourneyFile(pytest.File):
    """One journey file: an item per (target × persona), marked with the journey's tags."""

    def collect(self) -> Any:
        from mysteryshop.errors import MysteryShopError
        from mysteryshop.journey import load_journey
        from mysteryshop.plan import plan_probes

        try:
            journey = load_journey(self.path)
            targets = load_targets(self.config)
            options = self.config.stash[OPTIONS_KEY]
            specs = plan_probes(self.config.stash[CONFIG_KEY], journey, targets, options["personas"])
        except MysteryShopError as exc:
            raise pytest.fail.Exception(str(exc), pytrace=False) from None
        for tag in journey.tags:
            self.config.addinivalue_line("markers", f"{tag}: journeys tagged '{tag}'")
        for spec in specs:
            item = JourneyItem.from_parent(self, name=f"{spec.target.name}-{spec.persona.key}-{_slug(spec.persona.full_name)}", spec=spec)
            for tag in journey.tags:
                item.add_marker(tag)
            yield item


class JourneyItem(pytest.Item):
    """One probe of a journey file; passes when every expectation on its path was met."""

    def __init__(self, *, spec: ProbeSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        Probe(self.spec, finished_probe(self.config, self.spec)).check()

    def reportinfo(self) -> tuple[Path, int, str]:
        s = self.spec
        return self.path, 0, f"{s.journey.name} against {s.target.name} as {s.persona.full_name}"


@dataclass(slots=True)
class Probe:
    """What a probe test receives: the finished probe, ready to be checked."""

    spec: ProbeSpec
    result: ProbeResult

    @property
    def persona(self) -> Any:
        return self.spec.persona

    @property
    def outcomes(self) -> list[Any]:
        return self.result.outcomes

    def check(self) -> None:
        """Fail the test with one line per missed expectation (or the error that stopped the probe)."""
        if self.result.error:
            # the class of problem first (TargetUnreachable, TargetMisconfigured, Blocked by a CAPTCHA, RunInterrupted, ...)
            from mysteryshop.errors import error_label

            pytest.fail(f"{error_label(self.result.problem, self.result.error_class)}: {terminal_line(self.result.error)}", pytrace=False)
        lines = self.result.failure_lines()
        if lines:
            pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def probe(request: pytest.FixtureRequest) -> Probe:
    """The finished probe of this item: its persona, outcomes and evidence."""
    spec = request.param
    return Probe(spec, finished_probe(request.config, spec))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for lost in config.stash.get(LOST_KEY, []):
        for line in lost.lines(config.stash[CONFIG_KEY].run_id)[:1]:
            terminalreporter.write_line(line)
    ended = config.stash.get(PART_KEY, None)
    if ended is not None:
        for line in ended.lines():
            terminalreporter.write_line(line)
        run: Any = ended
    else:
        run = config.stash.get(SESSION_KEY, None)
    if run is None or run.card is None:
        return
    from mysteryshop.scorecard.write import summary_lines

    terminalreporter.section("mysteryshop scorecard")
    for line in summary_lines(run.card):
        terminalreporter.write_line(line)
    for kind, path in run.paths.items():
        terminalreporter.write_line(f"  {kind.upper().replace('_', ' '):<16} {path}")
    if getattr(run, "scoring_s", None) is not None:
        terminalreporter.write_line(f"mysteryshop: run {run.config.run_id} scored in {run.scoring_s:.2f} s")
    for note in getattr(run, "notes", ()):
        terminalreporter.write_line(f"mysteryshop: {note}")
