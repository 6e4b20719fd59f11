"""The one-pager as people read it, in real Chromium (Debian's, through Playwright): one A4 page printed, no sideways
scrolling on a phone, journey maps with readable labels, trends with dates and values, human times, figures against the
industry in colour and words, and screenshots that match the stored references.

The pages come from three real demo runs (every shipped journey, each demo profile; the typical one twice, so that it
has a trend), from a league of ten companies (synthetic runs: the run's page and a company's), and from a fixed card (synthetic runs of fixed seeds
and dates, a company in Berlin) for the screenshots.

Reference screenshots: tests/data/onepager/*.png. After a deliberate change of the page, regenerate them with
    MYSTERYSHOP_UPDATE_SCREENSHOTS=1 .venv/bin/pytest tests/test_onepager_layout.py -k screenshot
and look at them before committing. They need Debian's fonts-liberation and fonts-dejavu-core (scripts/bootstrap.sh).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.pdf import A4_CONTENT_PX, fit_scale, write_pdf
from mysteryshop.scorecard.synthetic import EXCELLENT, POOR, Behaviour, write_synthetic_run
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.store import Store
from mysteryshop.target import Target, load_target

from .conftest import fresh_store

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ROOT / "tests" / "data" / "onepager"
UPDATE = os.environ.get("MYSTERYSHOP_UPDATE_SCREENSHOTS") == "1"
A4_WIDTH, A4_HEIGHT = round(A4_CONTENT_PX[0]), A4_CONTENT_PX[1]
PHONE = 390
#: the stated minimum size of any text on the one-pager, journey map labels included (CSS px)
MIN_TEXT_PX = 8.0
#: a screenshot matches its reference when at most this share of its pixels differ by more than PIXEL_TOLERANCE
DIFF_RATIO, PIXEL_TOLERANCE = 0.01, 48
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
TERSE_DURATION = re.compile(r"\b\d+[dhm] \d+[hms]\b|\b\d+(?:\.\d+)?(?:ms|s|m|h|d)\b(?! business)")
HUMAN_TIME = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec), \d\d:\d\d [A-Z]{2,5}\b")
LATE_ANSWER = Behaviour(acknowledge=0.95, ack_delay=(60, 600), stall=0.0, answer=0.08, answer_delay=(4 * 3600, 20 * 3600), good=1.0,
                        followup=0.0, marketing=0.2)


# ---------------------------------------------------------------------------------------------------------- pages


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from mysteryshop.scorecard.pdf import chromium

    try:
        with chromium() as b:
            yield b
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Chromium did not start: {exc}. Run scripts/bootstrap.sh (installs Debian's chromium).", pytrace=False)


def _demo(folder: Path, profile: str, runs: int) -> Path:
    """`mysteryshop demo` (every probe in probes/, against the embedded desk), `runs` times into one store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERYSHOP_") and k != "GITHUB_STEP_SUMMARY"}
    store = fresh_store(folder)  # a SQLite file, or on the PostgreSQL pass a database of its own
    for n in range(runs):
        done = subprocess.run(
            [sys.executable, "-m", "mysteryshop.cli", "demo", "--root", str(ROOT), "--reports", str(folder), "--store",
             str(store), "--profile", profile, "--personas", "3", "--seed", "1", "--run-id", f"{profile}-{n}"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=400,
        )
        # the exit code says how the company did (or that a probe timed out on a busy machine: 4); the page is what counts
        page = folder / f"{profile}-{n}" / "onepager.html"
        assert page.exists(), f"demo {profile} wrote no one-pager (exit {done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return page


@pytest.fixture(scope="module")
def demo_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The one-pager of the demo in each profile; the typical one after a second run (with its trend)."""
    base = tmp_path_factory.mktemp("demo")
    plans = {"typical": 2, "excellent": 1, "poor": 1}
    with ThreadPoolExecutor(max_workers=len(plans)) as pool:  # the runs mostly wait on the desk's company clock
        pages = dict(zip(plans, pool.map(lambda item: _demo(base / item[0], *item), plans.items()), strict=True))
    return {f"demo-{name}": page for name, page in pages.items()}


def _berlin_demo() -> Target:
    """The demo desk as a company in Berlin (its clock's time zone), named like the synthetic runs' target."""
    berlin = load_target(ROOT / "journeys" / "targets" / "demo-berlin.yaml")
    return Target(spec=berlin.spec.model_copy(update={"name": "demo"}), path=berlin.path)


def _finish(store: Store, run_id: str, card: dict[str, Any]) -> None:
    """Record the run's summary as the engine does at its end (the trend of the next run reads it)."""
    try:
        from mysteryshop.history import stored_summary  # with the league: the summary and each company's
    except ImportError:
        store.finish_run(run_id, "failed", card["summary"])
    else:
        store.finish_run(run_id, "failed", stored_summary(card))


def _dated(db: Path | str, run_id: str, started: str) -> None:
    store = Store(db)
    try:
        store.write("UPDATE runs SET started_utc = ? WHERE id = ?", (started, run_id))
    finally:
        store.close()


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """A card that is the same on every machine: four synthetic runs of fixed seeds a week apart, of a company in
    Berlin; the last answers late and rarely (worse than the industry) but acknowledges (better)."""
    folder = tmp_path_factory.mktemp("fixed")
    db = fresh_store(folder)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": _berlin_demo()}
    card: dict[str, Any] = {}
    for n, behaviour in enumerate((EXCELLENT, Behaviour(), POOR, LATE_ANSWER)):
        run_id = f"week-{n + 1}"
        write_synthetic_run(db, run_id, probes=25, behaviour=behaviour, seed=7 + n)
        _dated(db, run_id, f"2026-11-{9 + 7 * n:02d}T08:00:00.000Z")
        store = Store(db)
        try:
            card = build_scorecard(store, run_id, journeys, targets)
            _finish(store, run_id, card)
        finally:
            store.close()
    return card, write_scorecard(card, folder / "out", journeys=journeys)["onepager"]


@pytest.fixture(scope="module")
def league_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The one-pager of a run over ten companies (synthetic, email), after an earlier run (the trend), and the page of
    one of the companies (its map, perception gap and trend)."""
    folder = tmp_path_factory.mktemp("league")
    db = fresh_store(folder)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    demo = load_target(ROOT / "journeys" / "targets" / "demo.yaml")
    names = [f"co{i}" for i in range(10)]
    targets = {n: Target(spec=demo.spec.model_copy(update={"name": n, "title": f"Company number {i} Outdoor Retail GmbH"}), path=demo.path)
               for i, n in enumerate(names)}
    card: dict[str, Any] = {}
    for r, run_id in enumerate(("league-1", "league-2")):
        for i, name in enumerate(names):
            write_synthetic_run(db, run_id, probes=8, behaviour=(EXCELLENT, POOR, Behaviour())[(i + r) % 3], seed=i + 10 * r, target=name)
        _dated(db, run_id, f"2026-11-{20 + 3 * r}T09:00:00.000Z")
        store = Store(db)
        try:
            card = build_scorecard(store, run_id, journeys, targets)
            _finish(store, run_id, card)
        finally:
            store.close()
    out = folder / "out"
    page = write_scorecard(card, out, journeys=journeys)["onepager"]
    assert len(card["league"]) == 10
    return {"league-of-10": page, "league-company": out / card["companies"]["co0"]["page"]}


@pytest.fixture(scope="module")
def pages(demo_pages: dict[str, Path], league_pages: dict[str, Path], fixed: tuple[dict[str, Any], Path]) -> dict[str, Path]:
    return {**demo_pages, **league_pages, "fixed": fixed[1]}


CASES = ["demo-typical", "demo-excellent", "demo-poor", "league-of-10", "league-company", "fixed"]
SHIPPED = {"chat_delivery", "cross_channel", "email_question", "escalation", "webform_refund"}


def _open(browser: Any, html: Path, *, width: int, media: str) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(html.resolve().as_uri())
    page.emulate_media(media=media)
    return page


# ---------------------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASES)
def test_the_one_pager_prints_on_one_a4_page(case: str, pages: dict[str, Path], browser: Any, tmp_path: Path) -> None:
    # Given the one-pager laid out for print at the width of an A4 page inside its margins
    page = _open(browser, pages[case], width=A4_WIDTH, media="print")
    try:
        height = page.evaluate("() => document.querySelector('#onepager').getBoundingClientRect().height")
        # Then it is no taller than the page: it prints at full size, not shrunk to fit
        assert height <= A4_HEIGHT, f"{case}: the one-pager is {height:.0f} px tall; an A4 page holds {A4_HEIGHT:.0f} px"
        assert fit_scale(page) == 1.0
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= A4_WIDTH
    finally:
        page.close()
    # And Chromium prints it as one page
    pdf = write_pdf(pages[case], tmp_path / "onepager.pdf", browser=browser)
    assert len(PdfReader(pdf).pages) == 1


@pytest.mark.parametrize("case", CASES)
def test_the_one_pager_reads_on_a_phone_without_sideways_scrolling(case: str, pages: dict[str, Path], browser: Any) -> None:
    # Given a phone's viewport
    page = _open(browser, pages[case], width=PHONE, media="screen")
    try:
        # Then the page is no wider than the screen (a map wider than it scrolls in its own box)
        assert page.evaluate("() => document.scrollingElement.scrollWidth") <= PHONE
        # And each figure of the headline table and the perception gap says what it is, by the name its (hidden)
        # column head has
        for table in ("#metrics", "#perception-gap"):
            if not page.locator(table).count():
                continue
            heads, labels = page.evaluate("""table => {
                const heads = [...document.querySelectorAll(table + ' tr:first-child th')].map(th => th.textContent.trim().split(/\\s{2,}/)[0]);
                const row = [...document.querySelectorAll(table + ' tr')].find(tr => tr.querySelectorAll('td').length === heads.length);
                return [heads, [...row.querySelectorAll('td')].map(td => getComputedStyle(td, '::before').content)];
            }""", table)
            for head, label in zip(heads[1:], labels[1:], strict=True):
                assert label.strip('"').rstrip(": ").lower() in head.lower(), (table, head, label)
            assert page.locator(f"{table} tr").first.is_hidden()
    finally:
        page.close()


@pytest.mark.parametrize(("case", "width", "media", "maps"), [
    ("demo-typical", A4_WIDTH, "print", SHIPPED), ("demo-typical", PHONE, "screen", SHIPPED), ("demo-excellent", A4_WIDTH, "print", SHIPPED),
    ("league-company", A4_WIDTH, "print", {"email_question"})])
def test_journey_map_labels_are_never_below_the_minimum_size(case: str, width: int, media: str, maps: set[str], pages: dict[str, Path],
                                                             browser: Any) -> None:
    page = _open(browser, pages[case], width=width, media=media)
    try:
        # every label of every map, at the size Chromium draws it (font size times the SVG's scale on the page)
        sizes = page.evaluate("""() => [...document.querySelectorAll('#journey-map svg')].map(svg => {
            const m = svg.getScreenCTM();
            const px = [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * Math.min(m.a, m.d));
            return [svg.closest('[data-journey]').dataset.journey, Math.min(...px), svg.getBoundingClientRect().width];
        })""")
        journeys = {name for name, *_ in sizes}
        assert journeys >= maps, journeys
        for name, smallest, drawn in sizes:
            assert smallest >= MIN_TEXT_PX - 1e-6, f"{name}: labels drawn at {smallest:.2f} px (minimum {MIN_TEXT_PX})"
            assert drawn <= A4_WIDTH, f"{name}: {drawn:.0f} px wide, wider than the page"
        # and the rest of the page's small print is no smaller
        smallest_text = page.evaluate("""() => Math.min(...[...document.querySelectorAll('#onepager *')]
            .filter(e => !e.closest('svg') && e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize)))""")
        assert smallest_text >= MIN_TEXT_PX
    finally:
        page.close()


def test_trends_show_values_at_both_ends_and_dates_on_their_axis(fixed: tuple[dict[str, Any], Path], browser: Any) -> None:
    page = _open(browser, fixed[1], width=A4_WIDTH, media="print")
    try:
        # the axis: the first run's date and the last's, in the company's zone
        axis = page.locator("#metrics .trend-head .axis span").all_inner_texts()
        assert axis == ["9 Nov", "30 Nov"]
        # each metric's line with its first and last value printed at its ends
        trends = page.locator("#metrics .trend")
        assert trends.count() >= 6
        for i in range(trends.count()):
            values = trends.nth(i).locator(".tp").all_inner_texts()
            assert len(values) == 2 and all(re.fullmatch(r"\d+%|\d+", v) for v in values), values
            assert trends.nth(i).locator("svg.spark polyline").count() == 1
        title = trends.first.get_attribute("title") or ""
        assert "Mon 9 Nov, 09:00 CET" in title and "Mon 30 Nov, 09:00 CET" in title
    finally:
        page.close()
    # and on a phone, where the column heads are hidden, each trend says its dates itself
    page = _open(browser, fixed[1], width=PHONE, media="screen")
    try:
        assert page.locator("#metrics .trend-head").is_hidden()
        assert page.locator("#metrics .trend .dates").first.inner_text() == "9 Nov – 30 Nov"
        assert page.locator("#metrics .trend .dates").first.is_visible()
    finally:
        page.close()


@pytest.mark.parametrize("case", ["fixed", "demo-typical"])
def test_times_and_durations_read_as_people_write_them(case: str, pages: dict[str, Path], browser: Any) -> None:
    page = _open(browser, pages[case], width=A4_WIDTH, media="print")
    try:
        text = page.locator("#onepager").inner_text()
        # no ISO timestamps (scorecard.json keeps them)
        assert not ISO_TIME.search(text), ISO_TIME.search(text)
        # and no terse durations such as "12h 8m" in the figures the page formats (a deadline quoted from a journey
        # file in a verdict's reason, "no answer within 1d", stays as the journey writes it)
        figures = " ".join(page.locator(s).inner_text() for s in ("#metrics", "#perception-gap", "#journey-map") if page.locator(s).count())
        assert not TERSE_DURATION.findall(figures), TERSE_DURATION.findall(figures)
        times = HUMAN_TIME.findall(text)
        assert len(times) >= 4  # the run's start and each worst moment
        # in the company's time zone where it is known (Berlin), else UTC
        zone = "CET" if case == "fixed" else "UTC"
        assert all(m.group(0).endswith(zone) for m in HUMAN_TIME.finditer(text)), text
        assert re.search(r"\b\d+ h \d+ min\b|\b\d+ d \d+ h\b", text)
        if case == "fixed":
            assert "Mon 30 Nov, 09:00 CET" in page.locator("#onepager header").inner_text()
    finally:
        page.close()


def test_the_qa_page_gives_times_to_the_second_in_the_company_zone_with_the_iso_time_kept(fixed: tuple[dict[str, Any], Path],
                                                                                         browser: Any) -> None:
    page = _open(browser, fixed[1].parent / "scorecard.html", width=1200, media="screen")
    try:
        page.evaluate("() => { document.querySelectorAll('#qa-probes > tbody').forEach(b => b.classList.add('open'));"
                      "        document.querySelectorAll('#qa-detail details').forEach(d => { d.open = true; }); }")
        text = page.locator("#qa-detail").inner_text()
        assert not ISO_TIME.search(text), ISO_TIME.search(text)
        stamps = page.locator("#qa-detail time")
        assert stamps.count() > 25
        first = stamps.first
        assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}, \d\d:\d\d:\d\d CET", first.inner_text()), first.inner_text()
        assert ISO_TIME.match(first.get_attribute("datetime") or "")  # the exact time stays in the page, for machines and disputes
    finally:
        page.close()


def test_figures_are_coloured_against_the_industry_with_a_cue_in_words(fixed: tuple[dict[str, Any], Path], browser: Any) -> None:
    page = _open(browser, fixed[1], width=A4_WIDTH, media="print")
    try:
        verdicts = page.evaluate("""() => [...document.querySelectorAll('#metrics .vs')].map(v => {
            const row = v.closest('tr'); const measured = row.querySelector('td.num');
            return [v.className, v.innerText, getComputedStyle(v).color, getComputedStyle(measured).color, measured.className];
        })""")
        kinds = {cls.split()[-1] for cls, *_ in verdicts}
        assert {"vs-better", "vs-worse"} <= kinds, verdicts
        colours = {"vs-better": ("▲ better", "rgb(10, 122, 47)"), "vs-worse": ("▼ worse", "rgb(179, 38, 30)")}
        for cls, cue, colour, measured_colour, measured_class in verdicts:
            kind = cls.split()[-1]
            if kind in colours:
                assert cue == colours[kind][0] and colour == colours[kind][1] and measured_colour == colours[kind][1]
                assert kind in measured_class
    finally:
        page.close()


def _compare(shot: bytes, reference: Path, tmp_path: Path) -> None:
    if UPDATE:
        reference.parent.mkdir(parents=True, exist_ok=True)
        reference.write_bytes(shot)
        return
    assert reference.exists(), f"no reference {reference}: run with MYSTERYSHOP_UPDATE_SCREENSHOTS=1 to store one"
    got, want = Image.open(io.BytesIO(shot)).convert("RGB"), Image.open(reference).convert("RGB")
    (tmp_path / reference.name).write_bytes(shot)
    assert got.size == want.size, f"{reference.name}: {got.size} against the reference's {want.size} (now: {tmp_path / reference.name})"
    diff = ImageChops.difference(got, want)
    channels = diff.split()
    worst = ImageChops.lighter(ImageChops.lighter(channels[0], channels[1]), channels[2])
    changed = sum(worst.point(lambda v: 255 if v > PIXEL_TOLERANCE else 0).histogram()[255:])
    ratio = changed / (got.size[0] * got.size[1])
    if ratio > DIFF_RATIO:
        diff.save(tmp_path / f"diff-{reference.name}")
    assert ratio <= DIFF_RATIO, (f"{reference.name}: {ratio:.2%} of the pixels differ (at most {DIFF_RATIO:.0%}); "
                                 f"now: {tmp_path / reference.name}, difference: {tmp_path / ('diff-' + reference.name)}")


@pytest.mark.parametrize(("name", "width", "media"), [("fixed-a4", A4_WIDTH, "print"), ("fixed-phone", PHONE, "screen")])
def test_screenshot_matches_the_stored_reference(name: str, width: int, media: str, fixed: tuple[dict[str, Any], Path], browser: Any,
                                                 tmp_path: Path) -> None:
    page = _open(browser, fixed[1], width=width, media=media)
    try:
        shot = page.locator("#onepager").screenshot(animations="disabled", caret="hide")
    finally:
        page.close()
    _compare(shot, REFERENCES / f"{name}.png", tmp_path)


def test_a_page_taller_than_a4_is_printed_smaller_to_stay_on_one_page(fixed: tuple[dict[str, Any], Path], browser: Any, tmp_path: Path) -> None:
    # Given a one-pager made a page and a half tall (a card with more than the layout is made for)
    html = tmp_path / "tall.html"
    text = fixed[1].read_text(encoding="utf-8")
    html.write_text(text.replace("</section>", '<div style="height: 600px">more</div></section>', 1), encoding="utf-8")
    page = _open(browser, html, width=A4_WIDTH, media="print")
    try:
        scale = fit_scale(page)
    finally:
        page.close()
    # Then it is printed at less than full size, on one page
    assert 0.5 < scale < 1
    assert len(PdfReader(write_pdf(html, tmp_path / "tall.pdf", browser=browser)).pages) == 1
