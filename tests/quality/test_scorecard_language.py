"""The scorecard says when a criterion could not judge a reply's language, instead of showing a bare name."""

from pathlib import Path

from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.synthetic import write_synthetic_run
from mysteryshop.scorecard.write import render_html
from mysteryshop.store import Store
from mysteryshop.target import load_target

ROOT = Path(__file__).resolve().parents[2]


def test_an_unscored_criterion_shows_its_language_in_the_scorecard(tmp_path, store_location):
    db = store_location
    write_synthetic_run(db, "run-a", probes=2, seed=4)
    store = Store(db)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    card = build_scorecard(store, "run-a", journeys, {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")})
    store.close()
    card["probes"][0]["quality"] = {"criteria": {
        "empathy": {"passed": None, "evidence": "", "reason": "unscored (language it): empathy is judged in en, de, es, fr only"},
        "readability": {"passed": True, "evidence": "", "reason": "reading ease 70"},
    }}
    page = render_html(card, journeys=journeys, maps={})
    assert "unscored (language it)" in page
    assert page.count("unscored (language") == 1
