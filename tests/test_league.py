"""Several companies side by side, from real stores: a grade per company, the league, trends per company, the pages."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from mysteryshop.history import stored_summary
from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.companies import league_table
from mysteryshop.scorecard.synthetic import (
    EXCELLENT,
    POOR,
    Behaviour,
    write_synthetic_run,
)
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.store import Store
from mysteryshop.target import Target, load_target

ROOT = Path(__file__).resolve().parent.parent
TYPICAL = Behaviour()


def journeys() -> dict:
    return {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}


def company(name: str, title: str) -> Target:
    demo = load_target(ROOT / "journeys" / "targets" / "demo.yaml")
    return Target(spec=demo.spec.model_copy(update={"name": name, "title": title}), path=demo.path)


TARGETS = {"demo": company("demo", "Northwind"), "rival": company("rival", "Rival Gear"), "third": company("third", "Third Co")}


def card_of(db: Path | str, run_id: str, names: list[str], *, finish: bool = False) -> dict:
    store = Store(db)
    try:
        card = build_scorecard(store, run_id, journeys(), {n: TARGETS[n] for n in names}, quality=False)
        if finish:
            store.finish_run(run_id, "failed", stored_summary(card))
    finally:
        store.close()
    return card


def test_two_companies_in_one_run_get_the_grades_of_two_separate_runs(new_store: Callable[[str], Path | str]) -> None:
    # Given one run that probed two companies, and each company probed alone in a run of its own (same seeds)
    both, alone = new_store("both.sqlite"), new_store("alone.sqlite")
    write_synthetic_run(both, "r", probes=12, behaviour=TYPICAL, seed=3, target="demo")
    write_synthetic_run(both, "r", probes=9, behaviour=POOR, seed=5, target="rival")
    write_synthetic_run(alone, "demo-only", probes=12, behaviour=TYPICAL, seed=3, target="demo")
    write_synthetic_run(alone, "rival-only", probes=9, behaviour=POOR, seed=5, target="rival")
    # When each is scored
    together = card_of(both, "r", ["demo", "rival"])
    separate = {"demo": card_of(alone, "demo-only", ["demo"]), "rival": card_of(alone, "rival-only", ["rival"])}
    # Then each company's grade, metrics, counts and channels are those of its own run
    assert set(together["companies"]) == {"demo", "rival"}
    for name, own in separate.items():
        section = together["companies"][name]
        assert section["summary"] == own["summary"]
        assert section["channels"] == own["channels"]
        assert section["step_stats"] == own["step_stats"] and section["perception_gap"] == own["perception_gap"]
    # and they differ from each other and from the two blended (what the run-wide summary is)
    grades = {n: together["companies"][n]["summary"]["grade"]["score"] for n in ("demo", "rival")}
    assert grades["demo"] != grades["rival"]
    assert together["summary"]["grade"]["score"] not in grades.values()
    assert together["summary"]["probes"] == 21


def test_the_league_orders_companies_by_grade_best_first(store_location: Path | str) -> None:
    # Given three companies listed worst, best, middling
    db = store_location
    for name, behaviour, seed in (("rival", POOR, 1), ("third", EXCELLENT, 2), ("demo", TYPICAL, 3)):
        write_synthetic_run(db, "r", probes=10, behaviour=behaviour, seed=seed, target=name)
    card = card_of(db, "r", ["rival", "third", "demo"])
    # Then the league is by score, best first, ranked 1..3, each row its company's own figures and n
    league = card["league"]
    assert [row["target"] for row in league] == ["third", "demo", "rival"]
    assert [row["rank"] for row in league] == [1, 2, 3]
    scores = [row["score"] for row in league]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3
    for row in league:
        section = card["companies"][row["target"]]
        assert row["grade"] == section["summary"]["grade"]["grade"] and row["n"] == 10 and section["rank"] == row["rank"]
        answered = section["summary"]["metrics"]["email"]["answered"]
        assert row["values"]["email.answered.rate"] == answered["rate"]
        assert row["counts"]["email.answered.rate"] == {"count": answered["count"], "of": 10, "too_few": False}


def test_equal_scores_share_a_rank_and_a_company_without_a_grade_comes_last() -> None:
    def section(score: float | None, grade: str) -> dict:
        return {"title": None, "summary": {"probes": 4, "metrics": {}, "grade": {"grade": grade, "score": score}}}

    rows = league_table({"c": section(70.0, "C"), "none": section(None, "—"), "a": section(91.0, "A"), "b": section(70.0, "C")})
    assert [(r["target"], r["rank"]) for r in rows] == [("a", 1), ("b", 2), ("c", 2), ("none", None)]


def test_a_company_trend_is_unchanged_by_adding_another_company(new_store: Callable[[str], Path | str]) -> None:
    # Given two stores with the same two earlier runs of demo alone; the third run adds rival in one store only
    with_b, without_b = new_store("with.sqlite"), new_store("without.sqlite")
    for db in (with_b, without_b):
        for run_id, behaviour, seed in (("r1", EXCELLENT, 1), ("r2", TYPICAL, 2)):
            write_synthetic_run(db, run_id, probes=8, behaviour=behaviour, seed=seed, target="demo")
            card_of(db, run_id, ["demo"], finish=True)
        write_synthetic_run(db, "r3", probes=8, behaviour=POOR, seed=3, target="demo")
    write_synthetic_run(with_b, "r3", probes=8, behaviour=EXCELLENT, seed=4, target="rival")
    # When the third run is scored in each store
    added = card_of(with_b, "r3", ["demo", "rival"], finish=True)
    alone = card_of(without_b, "r3", ["demo"], finish=True)
    # Then demo's trend, overall and on its journey, is the same three runs with the same values either way
    trend = added["companies"]["demo"]["trend"]
    assert [p["run_id"] for p in trend] == ["r1", "r2", "r3"]
    assert trend == alone["companies"]["demo"]["trend"] == alone["trend"]
    on_journey = added["companies"]["demo"]["journeys"]["email_question"]["trend"]
    assert on_journey == alone["companies"]["demo"]["journeys"]["email_question"]["trend"] and len(on_journey) == 3
    assert trend[0]["values"]["email.answered.rate"] == 1.0 > trend[2]["values"]["email.answered.rate"]
    # and rival's trend starts with this run; a later run of demo alone goes on from the run with both
    assert [p["run_id"] for p in added["companies"]["rival"]["trend"]] == ["r3"]
    write_synthetic_run(with_b, "r4", probes=8, behaviour=TYPICAL, seed=5, target="demo")
    later = card_of(with_b, "r4", ["demo"])
    assert [p["run_id"] for p in later["trend"]] == ["r1", "r2", "r3", "r4"]
    assert later["trend"][2]["values"] == trend[2]["values"]


def test_the_pages_show_a_league_and_a_page_per_company_with_its_map(tmp_path: Path, store_location: Path | str) -> None:
    db = store_location
    write_synthetic_run(db, "r", probes=6, behaviour=EXCELLENT, seed=1, target="demo")
    write_synthetic_run(db, "r", probes=6, behaviour=POOR, seed=2, target="rival")
    card = card_of(db, "r", ["demo", "rival"])
    paths = write_scorecard(card, tmp_path / "out", journeys=journeys())
    schema = json.loads(resources.files("mysteryshop.scorecard").joinpath("schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(paths["json"].read_text(encoding="utf-8")), schema)
    onepager = paths["onepager"].read_text(encoding="utf-8")
    # the one-pager: a league with a row per company, best first, each linking to its page; no blended grade
    rows = re.findall(r'<tr data-target="([^"]+)">', onepager)
    assert rows == ["demo", "rival"]
    assert 'id="overall-grade"' not in onepager and "Mystery-shopping league: 2 companies" in onepager
    for name, title in (("demo", "Northwind"), ("rival", "Rival Gear")):
        assert f'href="companies/{name}.html"' in onepager
        page = (tmp_path / "out" / "companies" / f"{name}.html").read_text(encoding="utf-8")
        assert f"Mystery-shopping scorecard:\n        {title}" in page or f"scorecard: {title}" in " ".join(page.split())
        grade = card["companies"][name]["summary"]["grade"]["grade"]
        assert re.search(rf'id="overall-grade"><span class="grade g{grade} big">{grade}<', page)
        assert "<svg" in page  # its own journey map, coloured by its probes alone
        assert 'id="league-position"' in page and 'href="../onepager.html"' in page
        score = card["companies"][name]["journeys"]["email_question"]["grade"]["score"]
        assert re.search(rf'<tr data-journey="email_question">.*?: {score}</td>', page, re.DOTALL)  # its grade per journey, and its trend
    rival = (tmp_path / "out" / "companies" / "rival.html").read_text(encoding="utf-8")
    assert 'href="../scorecard.html#probe-' in rival  # its worst moments open the probe on the run's QA page
    assert "**League of 2 companies**" in paths["markdown"].read_text(encoding="utf-8")


def test_a_run_of_one_company_looks_as_before(tmp_path: Path, store_location: Path | str) -> None:
    db = store_location
    write_synthetic_run(db, "r", probes=6, behaviour=TYPICAL, seed=1, target="demo")
    card = card_of(db, "r", ["demo"])
    paths = write_scorecard(card, tmp_path / "out", journeys=journeys())
    onepager = paths["onepager"].read_text(encoding="utf-8")
    assert 'id="league"' not in onepager and 'id="overall-grade"' in onepager and "league" not in onepager.lower()
    assert not (tmp_path / "out" / "companies").exists() and "companies" not in paths
    assert card["companies"]["demo"]["summary"] is card["summary"] and [r["target"] for r in card["league"]] == ["demo"]


@pytest.mark.parametrize("name", ["a/b", "..", "x y"])
def test_company_page_names_stay_inside_the_run_folder(name: str) -> None:
    from mysteryshop.scorecard.companies import page_name

    page = page_name(name)
    assert page.startswith("companies/") and "/" not in page.removeprefix("companies/") and ".." not in page


def test_a_ten_company_league_prints_on_one_a4_page_and_links_to_each_company(tmp_path: Path, store_location: Path | str) -> None:
    from mysteryshop.scorecard.pdf import chromium, write_pdf

    # Given one run of ten companies with long names, from excellent to poor
    db = store_location
    targets = {}
    for i in range(10):
        name = f"co{i}"
        write_synthetic_run(db, "r", probes=6, behaviour=(EXCELLENT, TYPICAL, POOR)[i % 3], seed=i, target=name)
        targets[name] = company(name, f"Company number {i} Outdoor Retail and Mountaineering Supplies GmbH")
    store = Store(db)
    card = build_scorecard(store, "r", journeys(), targets, quality=False)
    store.close()
    paths = write_scorecard(card, tmp_path / "out", journeys=journeys())
    with chromium() as browser:
        # Then its one-pager is one PDF page
        pdf = write_pdf(paths["onepager"], tmp_path / "onepager.pdf", browser=browser).read_bytes()
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
        # and the league's first company opens that company's page
        page = browser.new_page()
        page.goto(paths["onepager"].resolve().as_uri())
        assert page.locator("#league tr[data-target]").count() == 10
        best = card["league"][0]
        page.locator(f'#league tr[data-target="{best["target"]}"] a').click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/companies/{best['target']}.html")
        assert page.locator("#overall-grade").inner_text().strip() == best["grade"]
        page.close()


LIVE_JOURNEY = """
id: email_question
title: Ask a product question by email (deadlines far from what the demo desks draw)
steps:
  - id: ask
    do: send_email
    subject: "Returning an opened item from order {persona.order_id}"
    body: |
      Hello, I bought a rain jacket with order {persona.order_id} and opened it, but it does not fit.
      Can I still return it, and how long do I have? Do I have to pay for the return shipping?
      {persona.full_name}
  - id: acknowledged
    expect: acknowledgement
    within: 1d
  - id: answered
    expect: answer
    within: 3d
    facts:
      - ["30 days", "thirty days"]
"""


@pytest.mark.timeout(240)
def test_two_demo_desks_in_one_run_grade_as_each_alone(tmp_path: Path, new_store: Callable[[str], Path | str]) -> None:
    """The same, end to end: the seeded demo desks behave the same whoever else is probed (a desk each), so each
    company's grade in one run of both is its grade in a run of its own. Deadlines are far from every delay the
    desks draw, so only the measured times differ (by scheduling), not what was met."""
    import os
    import subprocess
    import sys

    project = tmp_path / "p"
    (project / "journeys" / "targets").mkdir(parents=True)
    (project / "probes").mkdir()
    (project / "journeys" / "email_question.yaml").write_text(LIVE_JOURNEY, encoding="utf-8")
    demo = (ROOT / "journeys" / "targets" / "demo.yaml").read_text(encoding="utf-8")
    (project / "journeys" / "targets" / "demo.yaml").write_text(demo.replace("profile: typical", "profile: excellent"), encoding="utf-8")
    (project / "journeys" / "targets" / "rival.yaml").write_text((ROOT / "journeys" / "targets" / "rival.yaml").read_text(encoding="utf-8"),
                                                                  encoding="utf-8")
    (project / "probes" / "test_email_question.py").write_text((ROOT / "probes" / "test_email_question.py").read_text(encoding="utf-8"),
                                                                 encoding="utf-8")
    (project / "pyproject.toml").write_text("[tool.mysteryshop]\npersonas = 5\nseed = 11\n", encoding="utf-8")  # 5: the least a rubric grades
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERYSHOP_") and k != "GITHUB_STEP_SUMMARY"}
    runs = {"both": ["demo", "rival"], "demo-alone": ["demo"], "rival-alone": ["rival"]}
    running = {run_id: subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "run", "--run-id", run_id, "--store", str(new_store(f"{run_id}.sqlite")),
                                         *[a for t in names for a in ("--target", t)]],
                                        cwd=project, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for run_id, names in runs.items()}
    for run_id, proc in running.items():
        _, err = proc.communicate(timeout=200)
        assert (project / "reports" / run_id / "scorecard.json").is_file(), err
    cards = {run_id: json.loads((project / "reports" / run_id / "scorecard.json").read_text(encoding="utf-8")) for run_id in runs}
    for name in ("demo", "rival"):
        together, alone = cards["both"]["companies"][name]["summary"], cards[f"{name}-alone"]["summary"]
        # what was met is the same; the measured times differ by the machine's scheduling (0.1 s of wall time is 24
        # company minutes here), and with them the points for speed: the score within 3 points (its letter may cross a band)
        assert together["grade"]["score"] == pytest.approx(alone["grade"]["score"], abs=3)
        rates = _rates(together["metrics"])
        assert rates and rates == _rates(alone["metrics"])
        assert together["probes"] == alone["probes"] == 5
    scores = {name: cards["both"]["companies"][name]["summary"]["grade"]["score"] for name in ("demo", "rival")}
    assert scores["demo"] > scores["rival"] + 30  # two companies told apart, not one blend
    assert [row["target"] for row in cards["both"]["league"]] == ["demo", "rival"]


def _rates(metrics: object, path: str = "") -> dict[str, object]:
    """Every rate in a summary's metrics (flat per metric, or nested per channel), with its count and denominator, by path."""
    if not isinstance(metrics, dict):
        return {}
    found: dict[str, object] = {}
    for key, value in metrics.items():
        if key in ("rate", "count", "of"):
            found[f"{path}.{key}"] = value
        else:
            found.update(_rates(value, f"{path}.{key}"))
    return found
