"""Shared fixtures: a real store, a real engine with its probe mailbox, a real demo desk."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import mysteryshop.quality as quality
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.demo.profile import Profile
from mysteryshop.journey import Journey, load_journey
from mysteryshop.quality import Exchange, score_reply
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import Engine, EngineThread
from mysteryshop.store import Store
from mysteryshop.target import EmailChannel, Target, TargetSpec

PROBE_DOMAIN = "probe.mysteryshop.test"
ROOT = Path(__file__).resolve().parent.parent


#: which engine the tests' stores use: sqlite (default) or postgresql (a real server started from Debian's binaries)
TEST_ENGINE = os.environ.get("MYSTERYSHOP_TEST_STORE", "sqlite")
_databases = itertools.count()


_server: list[object] = []  # the session's PostgreSQL server, started on first use
_server_stack = contextlib.ExitStack()


def _pg_server() -> object:
    """One PostgreSQL server for the session (initdb and pg_ctl in a temporary folder, 127.0.0.1, a free port), started on first use."""
    if not _server:
        from mysteryshop.storage.pgserver import running_server

        _server.append(_server_stack.enter_context(running_server(fsync=False)))
    return _server[0]


def pytest_sessionfinish(session: pytest.Session) -> None:
    _server_stack.close()


@pytest.fixture(scope="session")
def pg_server() -> object:
    from mysteryshop.storage.pgserver import ServerUnavailable

    try:
        return _pg_server()
    except ServerUnavailable as exc:
        if TEST_ENGINE == "postgresql":
            raise
        pytest.skip(str(exc))


def pg_database(server: object) -> str:
    """A fresh, empty database on `server`: its URL."""
    return server.create_database(f"t{os.getpid()}_{next(_databases)}")  # type: ignore[attr-defined]


_template: list[str] = []  # the session's migrated template database, made on first use
TEMPLATE = "mysteryshop_template"


def migrated_database(server: object) -> str:
    """A fresh database already at the current schema: a file copy of a template migrated once per session.
    Measured on the shared 2-core machine: 0.11 s a database, against 0.13 s for an empty one plus 0.9 s migrating it."""
    import psycopg

    if not _template:
        Store(server.create_database(TEMPLATE)).close()  # type: ignore[attr-defined]
        _template.append(TEMPLATE)
    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:  # type: ignore[attr-defined]
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY')
    return server.url(name)  # type: ignore[attr-defined]


def fresh_store(folder: Path, name: str = "store.sqlite") -> Path | str:
    """A new store's location for a test: `folder`/`name`, or with MYSTERYSHOP_TEST_STORE=postgresql a fresh database."""
    if TEST_ENGINE == "postgresql":
        return migrated_database(_pg_server())
    return folder / name


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL pass, tests marked sqlite_only (the file format, WAL, a corrupt file) are skipped with their reason."""
    if TEST_ENGINE != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "about the SQLite file itself")
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(autouse=True)
def _engine_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path | str | None:
    """With MYSTERYSHOP_TEST_STORE=postgresql every test gets a fresh database of its own, named by MYSTERYSHOP_STORE, so
    that the CLI, pytester runs and subprocesses it starts store there instead of in reports/mysteryshop.sqlite.
    On SQLite (the default) nothing changes."""
    if TEST_ENGINE != "postgresql" or request.node.get_closest_marker("sqlite_only"):
        return None
    url = migrated_database(_pg_server())
    monkeypatch.setenv("MYSTERYSHOP_STORE", url)
    return url


@pytest.fixture
def store_location(tmp_path: Path, _engine_store: Path | str | None) -> Path | str:
    """Where a test's store lives: a SQLite file, or with MYSTERYSHOP_TEST_STORE=postgresql the test's own database
    (the one MYSTERYSHOP_STORE names, so the CLI and the test read the same store)."""
    return _engine_store if _engine_store is not None else tmp_path / "store.sqlite"


@pytest.fixture
def new_store(tmp_path: Path) -> Callable[[str], Path | str]:
    """Locations for a test that needs several stores: `new_store("a.sqlite")` is a file in tmp_path, or a fresh database."""
    return lambda name="store.sqlite": fresh_store(tmp_path, name)


def project_with_store(folder: Path, location: Path | str) -> Path:
    """A project folder (pyproject.toml, allowlist for northwind) whose config names `location` as its store when it is a URL."""
    (folder / "journeys/targets").mkdir(parents=True, exist_ok=True)
    key = f'store = "{location}"\n' if isinstance(location, str) else ""
    (folder / "pyproject.toml").write_text("[tool.mysteryshop]\n" + key)
    (folder / "allowlist.yaml").write_text("targets: [northwind]\n")
    return folder


def store_at(project: Path) -> Path | str:
    """The store a project's commands use: MYSTERYSHOP_STORE (the PostgreSQL pass sets it), its config's `store` key, else reports/mysteryshop.sqlite."""
    file = project / "pyproject.toml"
    config = tomllib.loads(file.read_text()).get("tool", {}).get("mysteryshop", {}) if file.exists() else {}
    return os.environ.get("MYSTERYSHOP_STORE") or config.get("store") or project / "reports/mysteryshop.sqlite"


@pytest.fixture
def store(store_location: Path | str) -> Iterator[Store]:
    s = Store(store_location)
    s.create_run("run-1", {})
    yield s
    s.close()


@pytest.fixture
def engine(store: Store) -> Iterator[EngineThread]:
    thread = EngineThread(Engine(store, "run-1", domains={PROBE_DOMAIN})).start()
    yield thread
    thread.stop()


@pytest.fixture
def make_desk(engine: EngineThread, tmp_path: Path) -> Iterator[Callable[..., DemoDeskProcess]]:
    """Start demo desks (separate processes) delivering to the engine's probe mailbox; all stopped afterwards."""
    desks: list[DemoDeskProcess] = []

    def make(profile: Profile, *, speedup: float = 1.0, seed: int = 0) -> DemoDeskProcess:
        workdir = tmp_path / f"desk{len(desks)}"
        workdir.mkdir()
        desk = DemoDeskProcess(profile, deliver_to=engine.engine.mailbox_address, seed=seed, speedup=speedup, workdir=workdir).start()
        desks.append(desk)
        return desk

    yield make
    for desk in desks:
        desk.stop()


def profile(**overrides: object) -> Profile:
    """A profile that does nothing unless told: acknowledgement, answer, followup, marketing off."""
    off = {"probability": 0.0, "delay": ["1s", "1s"]}
    data: dict[str, object] = {"name": "test", "personalize": 1.0, "acknowledgement": off, "answer": off, "followup": off, "marketing": off}
    data.update(overrides)
    return Profile.model_validate(data)


def target_for(port: int, *, speedup: float = 1.0, name: str = "testdesk") -> Target:
    spec = TargetSpec(
        name=name,
        speedup=speedup,
        probe_domain=PROBE_DOMAIN,
        ticket_pattern=r"\[#(NW-\d+)\]",
        email=EmailChannel(support_address="support@northwind.demo", smtp_host="127.0.0.1", smtp_port=port, timeout=5),
    )
    return Target(spec=spec, path=Path(f"journeys/targets/{name}.yaml"))


def write_journey(directory: Path, text: str, name: str = "j") -> Journey:
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_journey(path)


ACK_JOURNEY = """
id: ack_only
title: Is the email acknowledged?
steps:
  - id: ask
    do: send_email
    subject: "Where is order {persona.order_id}?"
    body: "Hello, where is my delivery? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: {within}
"""


def free_port() -> int:
    """A port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def specs_for(journey: Journey, target: Target, count: int, seed: int = 3) -> list[ProbeSpec]:
    from mysteryshop.persona import make_persona

    return [ProbeSpec(f"p{i}", journey, target, make_persona(seed, i, domain=PROBE_DOMAIN)) for i in range(count)]


#: A customer's question and a good reply, for reply-quality tests.
EXCHANGE = Exchange("Can I return my boots from order ORD-1?", "Hi Sam, sorry about that. Yes, within 30 days, and returns are free.",
                    persona={"first_name": "Sam", "full_name": "Sam Lee", "order_id": "ORD-1"}, expected_facts=[["30 days"]])


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The criteria of every call to the quality module's score_reply during the test (which still scores for real)."""
    seen: list[tuple[str, ...]] = []

    def counting(exchange: Exchange, criteria: Any = None, engine: str = "rules", **options: Any) -> Any:
        seen.append(tuple(criteria))
        return score_reply(exchange, criteria, engine, **options)

    monkeypatch.setattr(quality, "score_reply", counting)
    return seen
