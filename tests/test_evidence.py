"""Evidence at hand: a real run against the demo desk (two companies, email, web form and chat, traces on), its QA page in
real Chromium (filters, search, sorting, links, CSP, .eml files, screenshots), its CSV files and its evidence pack."""

from __future__ import annotations

import csv
import email
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from email import policy
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from mysteryshop.scorecard.csvfiles import cell
from mysteryshop.store import Store

from .conftest import (
    ROOT,
    configured_store,
    env_without_store,
    fresh_store,
    shared_project_store,
)

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")

RUN = "ev"
ENV = env_without_store(PYTHONPATH=str(ROOT))  # the project's config names its store
#: a journey the demo desk always passes (its form confirms at once): the run has passed probes beside failed ones
FORM_ONLY = """
id: form_only
title: Only the contact form
steps:
  - id: submit
    do: submit_form
    body: "Hello, where is my order {persona.order_id}?"
  - id: confirmed
    expect: form_confirmation
    within: 1m
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped probes and journeys (and form_only) run by pytest against the demo desk as two companies, poor
    profile, Playwright traces kept for failed probes; the scorecard in reports/ev."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "probes", project / "probes")
    shutil.copytree(ROOT / "journeys", project / "journeys")
    shutil.copy(ROOT / "conftest.py", project / "conftest.py")
    (project / "journeys" / "form_only.yaml").write_text(FORM_ONLY)
    (project / "probes" / "test_form_only.py").write_text(
        'import pytest\n\n\n@pytest.mark.journey("form_only")\ndef test_form_only(probe):\n    probe.check()\n')
    location = shared_project_store(project)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "probes", "-q", "-p", "no:cacheprovider", "--rootdir", str(project), "--run-id", RUN,
         "--target", "demo", "--target", "demo-berlin", "--personas", "1", "--demo-profile", "poor", "--browser-artifacts", "trace",
         "--reports", str(project / "reports"), "--journeys", str(project / "journeys"), "--allowlist", str(ROOT / "allowlist.yaml"),
         "--store", str(location)],
        cwd=project, env=ENV, capture_output=True, text=True, timeout=400, check=False)
    assert (project / "reports" / RUN / "scorecard.html").exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return project


@pytest.fixture(scope="module")
def card(project: Path) -> dict:
    return json.loads((project / "reports" / RUN / "scorecard.json").read_text())


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from mysteryshop.scorecard.pdf import chromium

    with chromium() as b:
        yield b


CSP_WATCH = "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"


@pytest.fixture
def page(browser, project: Path):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page.console = []  # type: ignore[attr-defined]
    page.on("console", lambda m: page.console.append(m.text))  # type: ignore[attr-defined]
    page.add_init_script(CSP_WATCH)
    page.goto((project / "reports" / RUN / "scorecard.html").as_uri())
    yield page
    page.close()


def visible(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("() => [...document.querySelectorAll('#qa-probes > tbody')].filter(t => !t.hidden).map(t => t.id.slice(6))")


def is_open(page, probe_id: str) -> bool:  # type: ignore[no-untyped-def]
    more = page.locator(f"[id='more-{probe_id}']")
    return more.is_visible()


def stored(project: Path, sql: str, params: tuple = ()) -> list[tuple]:
    store = Store(configured_store(project))
    try:
        return [tuple(row) for row in store.query(sql, params)]
    finally:
        store.close()


# -- the QA page --------------------------------------------------------------------------------

def test_the_run_has_what_the_page_must_filter(card: dict) -> None:
    statuses = {p["status"] for p in card["probes"]}
    assert "passed" in statuses and "failed" in statuses, statuses
    assert {p["channel"] for p in card["probes"]} == {"email", "webform", "chat"}
    assert {p["target"] for p in card["probes"]} == {"demo", "demo-berlin"}


def test_filters_and_search_change_what_is_visible(page, card: dict) -> None:  # type: ignore[no-untyped-def]
    everyone = [p["id"] for p in card["probes"]]
    assert sorted(visible(page)) == sorted(everyone)
    assert page.locator("#qa-count").inner_text() == f"{len(everyone)} of {len(everyone)} probes shown"
    # did not pass only
    page.check("#qa-failed")
    assert sorted(visible(page)) == sorted(p["id"] for p in card["probes"] if p["status"] != "passed")
    page.uncheck("#qa-failed")
    # one journey, one channel, one company, and two at once
    page.select_option("#qa-journey", "email_question")
    assert sorted(visible(page)) == sorted(p["id"] for p in card["probes"] if p["journey"] == "email_question")
    page.select_option("#qa-journey", "")
    page.select_option("#qa-channel", "chat")
    assert sorted(visible(page)) == sorted(p["id"] for p in card["probes"] if p["channel"] == "chat")
    page.select_option("#qa-company", "demo-berlin")
    assert sorted(visible(page)) == sorted(p["id"] for p in card["probes"] if p["channel"] == "chat" and p["target"] == "demo-berlin")
    page.click("#qa-filters button[type=reset]")
    page.wait_for_function(f"() => document.querySelectorAll('#qa-probes > tbody:not([hidden])').length === {len(everyone)}")
    # search: a persona's address is one probe's; a word of a reply finds the probes that received it
    target = next(p for p in card["probes"] if p["messages"])
    page.fill("#qa-search", target["persona"]["email"])
    assert visible(page) == [target["id"]]
    word = "queue"
    page.fill("#qa-search", word.upper())
    having = [p["id"] for p in card["probes"] if word in json.dumps(p.get("web") or {}).lower() or any(word in m["text"].lower() for m in p["messages"])]
    assert having and sorted(visible(page)) == sorted(having)
    page.fill("#qa-search", "no-such-words-anywhere")
    assert visible(page) == [] and page.locator("#qa-count").inner_text() == f"0 of {len(everyone)} probes shown"


def test_sorting_orders_the_probes(page, card: dict) -> None:  # type: ignore[no-untyped-def]
    order = lambda: page.evaluate("() => [...document.querySelectorAll('#qa-probes > tbody')].map(t => t.id.slice(6))")
    missed = {p["id"]: sum(o["status"] == "failed" for o in p["outcomes"]) for p in card["probes"]}
    page.click("#qa-probes th button[data-sort=missed]")
    assert [missed[i] for i in order()] == sorted(missed.values(), reverse=True)
    assert page.locator("#qa-probes th[aria-sort]").get_attribute("aria-sort") == "ascending"
    page.click("#qa-probes th button[data-sort=missed]")
    assert [missed[i] for i in order()] == sorted(missed.values())
    page.click("#qa-probes th button[data-sort=target]")
    targets = [next(p["target"] for p in card["probes"] if p["id"] == i) for i in order()]
    assert targets == sorted(targets)


def test_a_worst_moment_and_a_junit_testcase_link_to_their_probe(page, project: Path, card: dict) -> None:  # type: ignore[no-untyped-def]
    # the one-pager's worst moments
    worst = card["worst_moments"][0]
    assert not is_open(page, worst["probe"])
    page.locator("#worst-moments a").first.click()
    page.wait_for_function("id => document.getElementById('probe-' + id).classList.contains('open')", arg=worst["probe"])
    assert is_open(page, worst["probe"])
    assert page.evaluate("id => { const r = document.getElementById('probe-' + id).getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }",
                         worst["probe"])
    # junit.xml: a failure's url, followed from the report folder, even with filters hiding the probe first
    failure = next(case for case in ET.parse(project / "reports" / RUN / "junit.xml").iter("testcase") if case.find("failure") is not None)
    url = failure.get("url")
    assert url and url.startswith("scorecard.html#probe-") and url in failure.find("failure").text
    probe_id = unquote(url.split("#probe-", 1)[1])
    assert probe_id in failure.find("failure").text  # the testcase's own probe
    other = next(p for p in card["probes"] if p["journey"] != next(q for q in card["probes"] if q["id"] == probe_id)["journey"])
    page.select_option("#qa-journey", other["journey"])
    assert probe_id not in visible(page)
    page.goto((project / "reports" / RUN / url.split("#")[0]).as_uri() + "#" + url.split("#")[1])
    page.wait_for_function("id => document.getElementById('probe-' + id).classList.contains('open')", arg=probe_id)
    assert probe_id in visible(page) and is_open(page, probe_id)
    # the one-pager on its own links to the QA page
    onepager = (project / "reports" / RUN / "onepager.html").read_text()
    assert f'href="scorecard.html#probe-{worst["probe"]}"' in onepager


def test_evidence_is_shown_and_linked_without_a_csp_violation(page, project: Path, card: dict) -> None:  # type: ignore[no-untyped-def]
    run_dir = project / "reports" / RUN
    # open every probe and every detail: screenshots and sandboxed mail bodies load
    page.evaluate("() => { document.querySelectorAll('#qa-probes a.toggle').forEach(a => a.click());"
                  " document.querySelectorAll('details').forEach(d => d.open = true); }")
    page.wait_for_load_state("load")
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(500)
    # the failure screenshots, from reports/<run>/browser/<probe>/, shown
    shots = page.locator("img.shot")
    kept = sorted((run_dir / "browser").glob("*/*.png"))
    assert kept and shots.count() == len(kept)
    for i in range(shots.count()):
        shots.nth(i).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=shots.nth(i).element_handle())
        assert shots.nth(i).evaluate("img => img.naturalWidth") > 100
    # trace and HAR linked, and what they link is a Playwright trace and a HAR
    traces, hars = page.locator("a", has_text="Playwright trace"), page.locator("a", has_text="network (HAR)")
    assert traces.count() == len(list((run_dir / "browser").glob("*/trace.zip"))) > 0 and hars.count() == traces.count()
    trace = run_dir / unquote(traces.first.get_attribute("href"))
    assert any(n.endswith(".trace") for n in zipfile.ZipFile(trace).namelist())
    assert json.loads((run_dir / unquote(hars.first.get_attribute("href"))).read_text())["log"]["entries"]
    # the chat transcript of a chat probe shown, every entry
    chat = next(p for p in card["probes"] if p["channel"] == "chat" and (p.get("web") or {}).get("transcript"))
    rows = page.locator(f"[id='more-{chat['id']}'] table.transcript tr")
    assert rows.count() == len(chat["web"]["transcript"]) and rows.first.is_visible()
    # no Content-Security-Policy violation, the page's own script ran (filters shown), nothing else
    assert page.evaluate("() => window.__csp") == []
    assert not [m for m in page.console if "Content Security Policy" in m or "Refused" in m], page.console
    assert page.locator("#qa-filters").is_visible()


def test_an_eml_link_downloads_the_stored_raw_message(page, project: Path, card: dict) -> None:  # type: ignore[no-untyped-def]
    probe = next(p for p in card["probes"] if p["messages"])
    page.locator(f"[id='probe-{probe['id']}'] a.toggle").click()
    link = page.locator(f"[id='msg-{probe['messages'][0]['ref']}'] a.eml")
    assert link.is_visible()
    # the file the link points at (a page opened from disk gets no download: Chromium ignores `download` on file: URLs)
    href = link.evaluate("a => a.href")
    saved = Path(unquote(urlsplit(href).path))
    raw = stored(project, "SELECT raw FROM messages WHERE id = ?", (probe["messages"][0]["ref"],))[0][0]
    assert saved.read_bytes() == raw
    parsed = email.message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == probe["messages"][0]["subject"] and probe["persona"]["email"] in parsed["To"]
    # and every message of the run is there, sent ones too
    run_dir = project / "reports" / RUN
    for ref, raw in stored(project, "SELECT id, raw FROM messages WHERE run_id = ?", (RUN,)):
        assert (run_dir / "messages" / f"{ref}.eml").read_bytes() == raw
    assert page.locator("p.sent a.eml").count() == stored(project, "SELECT count(*) FROM messages WHERE run_id = ? AND direction = 'out'", (RUN,))[0][0]


def test_the_qa_page_is_compact(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """25 probes were 10,600 px; as a table with details collapsed they take a screenful."""
    from mysteryshop.journey import load_journey
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.synthetic import POOR, write_synthetic_run
    from mysteryshop.scorecard.write import write_scorecard
    from mysteryshop.store import Store
    from mysteryshop.target import load_target

    db = fresh_store(tmp_path)
    write_synthetic_run(db, "r", probes=25, behaviour=POOR, seed=3)
    store = Store(db)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    card = build_scorecard(store, "r", journeys, {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")})
    paths = write_scorecard(card, tmp_path / "out", journeys=journeys, store=store)
    store.close()
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(paths["html"].as_uri())
    height = page.evaluate("() => document.getElementById('qa-detail').getBoundingClientRect().height")
    assert height < 1300, f"the QA page of 25 probes is {height:.0f}px high"
    # and on a phone, every probe opened, nothing sticks out sideways
    page.set_viewport_size({"width": 390, "height": 800})
    page.evaluate("() => { document.querySelectorAll('#qa-probes a.toggle').forEach(a => a.click());"
                  " document.querySelectorAll('#qa-detail details').forEach(d => d.open = true); }")
    assert page.evaluate("() => { const d = document.getElementById('qa-detail'); return d.scrollWidth <= d.clientWidth; }")
    page.close()


# -- CSV ----------------------------------------------------------------------------------------

def test_csv_files_hold_every_probe_and_expectation(project: Path, card: dict) -> None:
    run_dir = project / "reports" / RUN
    html = (run_dir / "scorecard.html").read_text()
    assert 'href="probes.csv"' in html and 'href="expectations.csv"' in html
    with (run_dir / "probes.csv").open(encoding="utf-8-sig", newline="") as fh:
        probes = list(csv.DictReader(fh))
    assert [r["probe"] for r in probes] == [p["id"] for p in card["probes"]]
    assert all(r["link"] == f"scorecard.html#probe-{r['probe']}" and f'id="probe-{r["probe"]}"' in html for r in probes)
    with (run_dir / "expectations.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == sum(len(p["outcomes"]) for p in card["probes"])
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == sum(o["status"] == "failed" for p in card["probes"] for o in p["outcomes"]) and failed[0]["reason"]


def test_a_cell_a_spreadsheet_would_run_is_made_text() -> None:
    assert cell("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert [cell(v) for v in ("+1", "-2", "@SUM(A1)", "plain", 3, None, True)] == ["'+1", "'-2", "'@SUM(A1)", "plain", 3, "", "yes"]


# -- the evidence pack ----------------------------------------------------------------------------

def _export(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", "export", *args, "--root", str(project),
                           "--reports", str(project / "reports"), "--journeys", str(project / "journeys")],
                          cwd=project, env=ENV, capture_output=True, text=True, timeout=120, check=False, **kwargs)


def test_the_evidence_pack_holds_every_file_with_its_sha256(project: Path, card: dict) -> None:
    done = _export(project, "latest")
    assert done.returncode == 0, done.stderr
    pack = project / "reports" / RUN / f"evidence-{RUN}.zip"
    assert f"sha256:  {hashlib.sha256(pack.read_bytes()).hexdigest()}" in done.stdout
    with zipfile.ZipFile(pack) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = set(zf.namelist()) - {"manifest.json"}
        # every file listed with its SHA-256, nothing unlisted
        assert {f["path"] for f in manifest["files"]} == names
        for f in manifest["files"]:
            assert hashlib.sha256(zf.read(f["path"])).hexdigest() == f["sha256"] and len(zf.read(f["path"])) == f["bytes"]
        # the run's settings, every probe
        config = json.loads(stored(project, "SELECT config FROM runs WHERE id = ?", (RUN,))[0][0])
        assert manifest["run"]["settings"] == config and manifest["run"]["id"] == RUN
        assert sorted(p["id"] for p in manifest["probes"]) == sorted(p["id"] for p in card["probes"])
        # every message, byte for byte
        emls = {int(n.rsplit("/", 1)[1].split("-")[0]): n for n in names if n.endswith(".eml")}
        for ref, raw in stored(project, "SELECT id, raw FROM messages WHERE run_id = ?", (RUN,)):
            assert zf.read(emls.pop(ref)) == raw
        assert emls == {}
        # every event, one a line
        events = zf.read("events.jsonl").decode().splitlines()
        assert len(events) == stored(project, "SELECT count(*) FROM events WHERE run_id = ?", (RUN,))[0][0]
        # the browser's evidence and the chat transcripts
        kept = sorted(p.relative_to(project / "reports" / RUN / "browser") for p in (project / "reports" / RUN / "browser").glob("*/*"))
        packed = sorted(Path(n.split("/", 1)[1].replace("/browser/", "/")) for n in names if "/browser/" in n)
        assert kept and packed == kept
        chat = next(p for p in card["probes"] if p["channel"] == "chat" and (p.get("web") or {}).get("transcript"))
        transcript = zf.read(f"probes/{chat['id']}/transcript.txt").decode()
        assert all(m["text"] in transcript for m in chat["web"]["transcript"])
        verdicts = json.loads(zf.read(f"probes/{chat['id']}/findings.json"))
        assert verdicts["status"] == chat["status"] and verdicts["outcomes"] == chat["outcomes"]
        assert "definitions/journeys/chat_delivery.yaml" in names and "definitions/targets/demo-berlin.yaml" in names


def test_a_company_s_pack_holds_only_its_own_evidence(project: Path, card: dict, tmp_path: Path) -> None:
    out = tmp_path / "berlin.zip"
    assert _export(project, RUN, "--target", "demo-berlin", "--out", str(out)).returncode == 0
    with zipfile.ZipFile(out) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = zf.namelist()
    berlin = {p["id"] for p in card["probes"] if p["target"] == "demo-berlin"}
    assert {p["id"] for p in manifest["probes"]} == berlin
    assert all(n.split("/")[1] in berlin for n in names if n.startswith("probes/"))
    assert "definitions/targets/demo.yaml" not in names and not any(n.startswith("unmatched/") for n in names)
    others = {e for p in card["probes"] if p["target"] != "demo-berlin" for e in (p["persona"]["email"],)}
    assert not any(addr in zipfile.ZipFile(out).read("events.jsonl").decode() for addr in others)
    wrong = _export(project, RUN, "--target", "acme", "--out", str(tmp_path / "acme.zip"))
    assert wrong.returncode == 2 and "probed no target named acme" in wrong.stderr and not (tmp_path / "acme.zip").exists()


def _error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_an_export_to_a_full_disk_says_so_and_leaves_no_pack(project: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    # a 64 KiB tmpfs in a mount namespace of its own (root not needed: a user namespace)
    script = (f"mount -t tmpfs -o size=64k tmpfs {tiny} || exit 97; "
              f"{sys.executable} -m mysteryshop.cli export {RUN} --root {project} --reports {project / 'reports'} "
              f"--journeys {project / 'journeys'} --out {tiny / 'pack.zip'}; echo \"exit=$?\" >&2; ls -A {tiny} >&2")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", script], check=False, cwd=project, env=ENV, capture_output=True, text=True, timeout=120)
    if done.returncode == 97 or "unshare:" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()[:200]}")
    lines = done.stderr.splitlines()
    error, code, left = lines[0], lines[1], lines[2:]
    assert code == "exit=2", done.stderr
    assert error.startswith("error: cannot write the evidence pack to ") and str(tiny / "pack.zip") in error
    assert "No space left on device" in error
    assert left == [], f"left on the full disk: {left}"


def test_an_export_whose_file_cannot_grow_or_whose_folder_is_a_file_says_so(project: Path, tmp_path: Path) -> None:
    # a file size limit (as a quota does): the write fails part-way
    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (32 * 1024, 32 * 1024))

    out = tmp_path / "limited" / "pack.zip"
    done = _export(project, RUN, "--out", str(out), preexec_fn=limit)
    assert done.returncode == 2
    line = _error_line(done)
    assert str(out) in line and "File too large" in line
    assert list(out.parent.iterdir()) == [], "nothing left: no pack, no partial file"
    # a path through a file
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    done = _export(project, RUN, "--out", str(blocker / "pack.zip"))
    assert done.returncode == 2
    line = _error_line(done)
    assert str(blocker / "pack.zip") in line and f"{blocker} is a file, not a folder" in line
