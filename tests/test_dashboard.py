"""`mysteryshop serve` in real Chromium (Debian's, through Playwright) against a real uvicorn on loopback and a real store:
navigation, the QA page's filters (the server's and the page's own), comparisons, the token, unknown runs."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mysteryshop.dashboard.app import DashboardConfig, create_app
from mysteryshop.dashboard.auth import is_loopback, token_problem
from mysteryshop.dashboard.cards import RECHECK_S, Cards, UnknownRun
from mysteryshop.history import stored_summary
from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.synthetic import EXCELLENT, POOR, Behaviour, write_synthetic_run
from mysteryshop.store import Store
from mysteryshop.target import load_target
from tests.conftest import fresh_store, free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "t0ken-for-the-dashboard-tests"
PAYLOAD = "<script>alert('pwned-text')</script><img src=x onerror=\"alert('pwned-img')\">"
#: run → (demo's behaviour, rival's behaviour); started in this order
RUNS = {"r1": (EXCELLENT, POOR), "r2": (POOR, POOR), "r3": (Behaviour(), POOR)}


#: the runs a scheduled wave 'weekly' started (campaign-<wave>-<fire time>), and one purged run
WAVE_RUNS = ("campaign-weekly-20261102-0900", "campaign-weekly-20261109-0900")
PURGED = "r0-purged"


def _fill(db: Path | str, reports: Path) -> dict[str, dict[str, Any]]:
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {name: load_target(ROOT / "journeys" / "targets" / f"{name}.yaml") for name in ("demo", "rival")}
    cards = {}
    for n, (run_id, (demo, rival)) in enumerate(RUNS.items()):
        write_synthetic_run(db, run_id, probes=25, behaviour=demo, seed=11 + n, reply_text=PAYLOAD if run_id == "r3" else None)
        write_synthetic_run(db, run_id, target="rival", probes=25, behaviour=rival, seed=21 + n)
        store = Store(db)
        store.write("UPDATE runs SET started_utc = ? WHERE id = ?", (f"2026-11-0{n + 1}T09:00:00.000Z", run_id))
        cards[run_id] = build_scorecard(store, run_id, journeys, targets)
        store.finish_run(run_id, "failed", stored_summary(cards[run_id]))
        store.close()
    from datetime import UTC, datetime

    from mysteryshop.purge import plan_purge, purge_run
    from mysteryshop.waves import Wave, add_wave

    for n, run_id in enumerate(WAVE_RUNS):
        write_synthetic_run(db, run_id, probes=10, behaviour=(EXCELLENT, POOR)[n], seed=31 + n)
    write_synthetic_run(db, PURGED, probes=5, seed=41)
    store = Store(db)
    add_wave(store, Wave("weekly", "0 9 * * MON", "Europe/Berlin", ("demo",), ("email_question",), 10, 1), now=datetime(2026, 11, 1, tzinfo=UTC))
    store.write("UPDATE runs SET started_utc = '2026-10-01T09:00:00.000Z' WHERE id = ?", (PURGED,))
    store.finish_run(PURGED, "passed", {})
    for plan in plan_purge(store, reports, round(datetime(2026, 10, 15, tzinfo=UTC).timestamp() * 1e9)):
        purge_run(store, plan, "30d", reports)
    store.close()
    return cards


class Served:
    """A dashboard on a real uvicorn in a thread, on loopback."""

    def __init__(self, db: Path | str, reports: Path, token: str | None = None) -> None:
        import uvicorn

        self.store = Store(db)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(DashboardConfig(store=self.store, journeys_dir=ROOT / "journeys", reports_dir=reports, token=token))
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the dashboard did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.store.close()


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path | str, dict[str, dict[str, Any]], Path]:
    """The module's store (a SQLite file, or a database of its own on the PostgreSQL pass), its runs' cards, its reports folder."""
    folder = tmp_path_factory.mktemp("dashboard")
    db = fresh_store(folder)
    return db, _fill(db, folder / "reports"), folder / "reports"


@pytest.fixture(scope="module")
def served(stored: tuple[Path | str, dict[str, Any], Path]) -> Iterator[Served]:
    s = Served(stored[0], stored[2])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from mysteryshop.scorecard.pdf import chromium

    try:
        with chromium() as b:
            yield b
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Chromium did not start: {exc}. Run scripts/bootstrap.sh (installs Debian's chromium).", pytrace=False)


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    p = context.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.dialogs = dialogs
    yield p
    context.close()


def test_navigating_from_the_runs_to_a_scorecard_a_company_page_and_a_history(served: Served, stored: Any, page: Any) -> None:
    cards = stored[1]
    # Given the dashboard's front page: every run, newest first, with its grade and n
    response = page.goto(served.url + "/")
    assert response.status == 200
    assert "script-src" not in response.headers["content-security-policy"]  # the dashboard's own pages run no script
    rows = page.locator("#runs tbody tr")
    assert [rows.nth(i).get_attribute("data-run") for i in range(rows.count())][-4:] == ["r3", "r2", "r1", PURGED]
    r3 = page.locator("#runs tr[data-run='r3']")
    assert r3.locator("td").nth(7).inner_text() == "50"
    assert r3.locator(".grade").inner_text() == cards["r3"]["summary"]["grade"]["grade"]
    assert "2026-11-03 09:00" in r3.inner_text() and "demo" in r3.inner_text() and "rival" in r3.inner_text()
    # When the run is opened: its one-pager, server-rendered from the static templates, with the league of both companies
    r3.get_by_role("link", name="r3").click()
    page.wait_for_url(served.url + "/runs/r3/")
    assert page.locator("#onepager").is_visible() and page.locator("#dashboard-nav").is_visible()
    league = page.locator("#league")
    assert league.is_visible() and "Northwind Outfitters" in league.inner_text() and "Rival Gear" in league.inner_text()
    # And a company's page in the run, from the league's link (relative links as in the report folder)
    league.get_by_role("link").first.click()
    page.wait_for_url("**/runs/r3/companies/*.html")
    assert page.locator("#onepager").is_visible() and page.locator("#overall-grade").is_visible()
    # And the journey maps
    page.get_by_role("link", name="Journey maps").click()
    page.wait_for_url(served.url + "/runs/r3/maps")
    assert page.locator("figure.map[data-journey='email_question']").count() == 3  # the run's, then each company's
    assert page.locator("figure.map svg").count() == 3
    # And a company's history: one point per run, dated, with a trend line per metric
    page.get_by_role("link", name="Companies").click()
    page.get_by_role("link", name="demo", exact=True).click()
    page.wait_for_url(served.url + "/companies/demo")
    history = page.locator("#history tbody tr")
    assert [history.nth(i).get_attribute("data-run") for i in range(history.count())] == ["r3", "r2", "r1"]
    grades = [cards[r]["companies"]["demo"]["summary"]["grade"]["grade"] for r in ("r3", "r2", "r1")]
    assert [history.nth(i).locator(".grade").inner_text() for i in range(3)] == grades
    score = page.locator("#trends tr[data-metric='score']")
    assert score.locator("svg.spark").count() == 1 and score.locator("td.num").inner_text() == "3"
    first = cards["r1"]["companies"]["demo"]["summary"]["grade"]["score"]
    last = cards["r3"]["companies"]["demo"]["summary"]["grade"]["score"]
    assert score.locator(".tp").first.inner_text() == f"{first:.0f}" and score.locator(".tp").last.inner_text() == f"{last:.0f}"
    assert "1 Nov" in page.locator("#trends thead").inner_text() and "3 Nov" in page.locator("#trends thead").inner_text()
    assert page.dialogs == []


def test_the_qa_page_filters_on_the_server_and_in_the_page(served: Served, stored: Any, page: Any) -> None:
    card = stored[1]["r3"]
    response = page.goto(served.url + "/runs/r3/scorecard.html")
    # The page's own script runs under the served CSP (allowed by its hash): its filter form is shown
    assert "script-src 'sha256-" in response.headers["content-security-policy"]
    assert page.locator("#qa-filters").is_visible()
    probes = page.locator("#qa-probes tbody.probe")
    assert probes.count() == 50
    # The page's filters: did not pass only
    failed = sum(p["status"] != "passed" for p in card["probes"])
    page.locator("#qa-failed").check()
    assert page.locator("#qa-probes tbody.probe:not([hidden])").count() == failed
    # The server's filters: one company, from the store; every row shown is that company's
    page.locator("#qa-server select[name='company']").select_option("rival")
    page.locator("#qa-server button[type='submit']").click()
    page.wait_for_url("**/scorecard.html?*company=rival*")
    targets = page.locator("#qa-probes tbody.probe").evaluate_all("rows => rows.map(r => r.dataset.target)")
    assert targets == ["rival"] * 25
    assert "25 of 50 probes match" in page.locator("#qa-server-count").inner_text()
    # A search over everything a probe holds: the payload a reply carried, found and shown as text, never run
    page.goto(served.url + "/runs/r3/scorecard.html?q=" + "pwned-text")
    with_payload = [p for p in card["probes"] if any(PAYLOAD in (m.get("text") or "") for m in p["messages"])]
    assert with_payload and page.locator("#qa-probes tbody.probe").count() == len(with_payload)
    page.evaluate("() => document.querySelectorAll('#qa-probes a.toggle').forEach(a => a.click())")
    assert "<script>alert('pwned-text')</script>" in page.locator("#qa-detail").inner_text()
    assert page.locator("img[onerror]").count() == 0 and page.dialogs == []
    # A probe's message opens as its raw .eml from the store
    href = page.locator("#qa-detail a[href$='.eml']").first.get_attribute("href")
    eml = page.request.get(served.url + "/runs/r3/" + href)
    assert eml.status == 200 and eml.headers["content-type"] == "message/rfc822" and b"Subject:" in eml.body()


def test_comparing_two_runs_and_two_companies(served: Served, stored: Any, page: Any) -> None:
    page.goto(served.url + "/compare")
    page.locator("select[name='a']").select_option("r1")
    page.locator("select[name='b']").select_option("r2")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/compare?a=r1&b=r2")
    # demo went from excellent to poor: answers fell beyond tolerance and chance
    answered = page.locator("#changes tr[data-metric='email.answered.rate']")
    assert answered.get_attribute("data-verdict") == "regressed" and "regressed" in answered.inner_text()
    assert page.locator("#verdict").text_content() == "regression"
    # Two companies, each in its latest run: rival (poor) against demo (typical)
    page.goto(served.url + "/compare/companies?a=demo&b=rival")
    assert "r3" in page.locator("#sides").inner_text()
    rows = page.locator("#changes tbody tr")
    assert rows.count() > 3
    demo = stored[1]["r3"]["companies"]["demo"]["summary"]["metrics"]["email"]["acknowledged"]["rate"]
    acknowledged = page.locator("#changes tr[data-metric='email.acknowledged.rate']")
    assert acknowledged.locator("td").nth(1).inner_text() == f"{demo * 100:.0f}%"


def test_an_unknown_run_or_page_is_404_with_the_reason(served: Served, page: Any) -> None:
    response = page.goto(served.url + "/runs/no-such-run/")
    assert response.status == 404
    assert "no run 'no-such-run'" in page.locator("#reason").inner_text() and ", r3, r2, r1" in page.locator("#reason").inner_text()
    assert page.goto(served.url + "/companies/nobody").status == 404
    assert "companies: demo, rival" in page.locator("#reason").inner_text()
    assert page.goto(served.url + "/runs/r3/companies/nobody.html").status == 404
    assert page.request.get(served.url + "/runs/r3/browser/..%2F..%2Fstore.sqlite").status == 404
    assert page.request.get(served.url + "/compare?a=r1&b=nope").status == 404
    # a purged run: listed, but its scorecard is gone (410), said so
    response = page.goto(served.url + f"/runs/{PURGED}/")
    assert response.status == 410 and "was purged" in page.locator("#reason").inner_text()


def test_the_waves_page_lists_each_wave_and_compares_it_with_the_one_before(served: Served, page: Any) -> None:
    page.goto(served.url + "/")
    page.get_by_role("link", name="Waves").click()
    page.wait_for_url(served.url + "/waves")
    rows = page.locator("table[data-wave='weekly'] tbody tr")
    assert [rows.nth(i).get_attribute("data-run") for i in range(rows.count())] == list(WAVE_RUNS)
    assert "0 9 * * MON" in page.locator("#wave-weekly").inner_text() and "Europe/Berlin" in page.locator("#wave-weekly").inner_text()
    rows.nth(1).get_by_role("link", name="compare").click()
    page.wait_for_url(f"**/compare?a={WAVE_RUNS[0]}&b={WAVE_RUNS[1]}")
    assert page.locator("#changes tr[data-metric='email.answered.rate']").get_attribute("data-verdict") in ("regressed", "chance")


def test_a_dashboard_with_a_token_refuses_requests_without_it(stored: Any, browser: Any) -> None:
    served = Served(stored[0], stored[2], token=TOKEN)
    try:
        context = browser.new_context()
        page = context.new_page()
        # no token: 401, saying what to send
        response = page.goto(served.url + "/runs/r3/")
        assert response.status == 401 and "needs a token" in page.inner_text("body")
        assert response.headers["www-authenticate"].startswith("Bearer")
        # a wrong one: 401, saying it is wrong
        assert page.goto(served.url + "/?token=wrong-token-wrong-token").status == 401
        assert "wrong" in page.inner_text("body")
        assert page.request.get(served.url + "/", headers={"Authorization": "Bearer nope"}).status == 401
        # the right one in a link: kept as a cookie, taken out of the address, and every page opens
        assert page.goto(served.url + f"/runs/r3/?token={TOKEN}").status == 200
        assert page.url == served.url + "/runs/r3/"
        assert page.locator("#onepager").is_visible()
        assert page.goto(served.url + "/").status == 200
        cookie = next(c for c in context.cookies() if c["name"] == "mysteryshop_token")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        context.close()
        # a bearer token, as a script would send it
        other = browser.new_context(extra_http_headers={"Authorization": f"Bearer {TOKEN}"})
        assert other.new_page().goto(served.url + "/companies").status == 200
        other.close()
    finally:
        served.stop()


def test_serve_refuses_to_bind_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "serve", "--host", "0.0.0.0", "--root", str(ROOT)], check=False,
                          capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2
    assert "binding the dashboard to 0.0.0.0" in done.stderr and "--token" in done.stderr
    assert token_problem("0.0.0.0", None) and token_problem("10.0.0.5", "short")
    assert token_problem("0.0.0.0", "a" * 16 + ";") is not None
    assert token_problem("127.0.0.1", None) is None and token_problem("::1", None) is None and token_problem("0.0.0.0", "a" * 16) is None
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and not is_loopback("192.168.1.2")


def test_serve_on_loopback_answers_and_stops_on_sigterm(stored: Any) -> None:
    import signal
    import urllib.request

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "serve", "--root", str(ROOT), "--store", str(stored[0]), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    assert response.status == 200 and b'data-run="r3"' in response.read()
                    assert response.headers["server-timing"].startswith("app;dur=")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "mysteryshop serve did not start"
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0, out
    assert f"http://127.0.0.1:{port}/" in out and "dashboard: stopped" in out
    assert "scoring what was measured" not in out and "interrupted" not in out  # not reported as a run cut short


def test_a_kept_card_is_built_again_when_the_run_gains_a_row(store_location: Path | str) -> None:
    db = store_location
    write_synthetic_run(db, "run", probes=5, seed=2)
    store = Store(db)
    now = [0.0]
    cards = Cards(store, ROOT / "journeys", clock=lambda: now[0])
    first = cards.get("run")
    assert cards.get("run") is first  # kept
    now[0] += RECHECK_S + 1
    assert cards.get("run") is first  # looked at again: nothing changed
    store.write("INSERT INTO messages (run_id, probe_id, direction, mail_from, rcpt_to, t_ns, utc, raw) VALUES (?, ?, 'in', ?, '[]', ?, ?, ?)",
                ("run", None, "late@example.com", 1, "2026-11-01T00:00:00Z", b"Subject: late\r\n\r\nhi"))
    assert cards.get("run") is first  # not looked at again yet
    now[0] += RECHECK_S + 1
    again = cards.get("run")
    assert again is not first and len(again.card["unmatched_messages"]) == len(first.card["unmatched_messages"]) + 1
    with pytest.raises(UnknownRun):
        cards.get("nope")
    store.close()
