"""The scorecard in real Chromium (Debian's, through Playwright): one A4 page, visible essentials, no script runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.synthetic import EXCELLENT, POOR, Behaviour, write_synthetic_run
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.store import Store
from mysteryshop.target import load_target

from .conftest import fresh_store

ROOT = Path(__file__).resolve().parent.parent
A4_CONTENT_PX = (297 - 20) / 25.4 * 96  # A4 height inside the 10 mm @page margins, in CSS pixels
A4_WIDTH_PX = (210 - 20) / 25.4 * 96
PAYLOAD = "<script>alert('pwned-text')</script><img src=x onerror=\"alert('pwned-img')\">"
HTML_PAYLOAD = "<p>Hi</p><script>alert('pwned-html')</script><img src=x onerror=\"alert('pwned-html-img')\"><a href=\"javascript:alert(1)\">x</a>"


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from mysteryshop.scorecard.pdf import chromium

    try:
        with chromium() as b:
            yield b
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Chromium did not start: {exc}. Run scripts/bootstrap.sh (installs Debian's chromium).", pytrace=False)


def _card(tmp_path: Path, runs: list[tuple[str, Behaviour]], **kwargs: object) -> tuple[dict, dict[str, Path]]:
    db = fresh_store(tmp_path)  # a SQLite file, or on the PostgreSQL pass a database of its own
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
    card: dict = {}
    for run_id, behaviour in runs:
        write_synthetic_run(db, run_id, probes=25, behaviour=behaviour, seed=len(run_id), **kwargs)  # type: ignore[arg-type]
        store = Store(db)
        card = build_scorecard(store, run_id, journeys, targets)
        store.finish_run(run_id, "failed", card["summary"])
        store.close()
    return card, write_scorecard(card, tmp_path / "out", journeys=journeys)


def test_the_one_pager_fits_an_a4_page_and_shows_grade_metrics_and_map(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    # Given a run with history (so the trend charts are drawn) and many failures (so every section is full)
    card, paths = _card(tmp_path, [("r1", EXCELLENT), ("r2", Behaviour()), ("r3", POOR), ("r4", Behaviour())])
    page = browser.new_page(viewport={"width": round(A4_WIDTH_PX), "height": 1200})
    page.goto(paths["html"].resolve().as_uri())
    page.emulate_media(media="print")
    # Then the grade, the metrics, the map and the worst moments are visible
    assert page.locator("#overall-grade").inner_text().strip() == card["summary"]["grade"]["grade"]
    assert page.locator("#overall-grade").is_visible()
    assert page.locator("#metrics").is_visible() and page.locator("#metrics tr[data-metric]").count() == 6  # email's six
    email = card["summary"]["metrics"]["email"]["acknowledged"]
    assert f"{email['count']} of 25 emails" in page.locator("#metrics tr[data-metric='email.acknowledged']").inner_text()
    assert page.locator("#journey-map").is_visible()
    assert page.locator("#journey-map svg, #journey-map .steps").first.is_visible()
    assert page.locator("#grading-rules").is_visible() and "A ≥ 90" in page.locator("#grading-rules").inner_text()
    assert page.locator("#worst-moments .moment").count() == 3
    assert page.locator("#metrics svg.spark").count() >= 6  # a trend chart per headline metric
    # And nothing overflows one A4 page: the one-pager's height and every element's width
    box = page.locator("#onepager").bounding_box()
    assert box is not None and box["height"] <= A4_CONTENT_PX, f"one-pager is {box['height']:.0f}px, A4 holds {A4_CONTENT_PX:.0f}px"
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('#onepager *')]
               .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow === 'visible' && e.clientWidth > 0)
               .map(e => e.tagName + '.' + e.className)"""
    )
    assert overflowing == []
    assert page.evaluate("() => document.querySelector('#onepager').getBoundingClientRect().right") <= A4_WIDTH_PX + 1
    page.close()
    # And the PDF export of the one-pager is exactly one page
    from mysteryshop.scorecard.pdf import write_pdf

    pdf = write_pdf(paths["onepager"], tmp_path / "onepager.pdf", browser=browser).read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1


def test_a_script_injection_in_a_reply_does_not_run(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    # Given replies whose text and HTML carry script payloads
    card, paths = _card(tmp_path, [("inj", EXCELLENT)], reply_text=PAYLOAD, reply_html=HTML_PAYLOAD)
    assert any(PAYLOAD in m["text"] for p in card["probes"] for m in p["messages"])
    dialogs: list[str] = []
    page = browser.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: dialogs.append(f"pageerror: {e}"))
    # When the scorecard is opened and every detail is expanded
    page.goto(paths["html"].resolve().as_uri())
    page.evaluate("() => { document.querySelectorAll('#qa-probes a.toggle').forEach(a => a.click());"
                  " document.querySelectorAll('details').forEach(d => d.open = true); }")
    page.wait_for_timeout(500)
    # Then no dialog opened, the payload is shown as text, and HTML bodies are in script-less sandboxes
    assert dialogs == []
    assert "<script>alert('pwned-text')</script>" in page.locator("#qa-detail").inner_text()
    from mysteryshop.scorecard.write import qa_script

    scripts = page.locator("script")  # the QA page's own, nothing else
    assert scripts.count() == 1 and scripts.first.text_content() == qa_script()[0]
    assert page.locator("img[onerror]").count() == 0
    frames = page.locator("iframe.mail")
    assert frames.count() == 25
    assert all(frames.nth(i).get_attribute("sandbox") == "" for i in range(frames.count()))
    page.close()
