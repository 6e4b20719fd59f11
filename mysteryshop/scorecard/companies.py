"""Several companies side by side: a run's probes grouped by company, the league table, one company's page.

A company is a target. Each company is graded by the same summary function as the whole run
(`build.summarize`) applied to its own probes alone, so a company probed beside others gets the
grade it would get in a run of its own. Pure functions over scorecard dicts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mysteryshop.scorecard.headline import headline_values

#: The figures the league table shows beside each grade: headline key → (column, unit). A column no company has a
#: figure for (a channel none of the journeys used) is left out.
LEAGUE_COLUMNS: dict[str, tuple[str, str]] = {
    "email.score": ("Email", "score"),
    "webform.score": ("Web form", "score"),
    "chat.score": ("Chat", "score"),
    "email.acknowledged.rate": ("Email acknowledged", "rate"),
    "email.answered.rate": ("Email answered", "rate"),
    "email.answered.median_s": ("Median answer", "seconds"),
    "chat.reached_person.rate": ("Chat: reached a person", "rate"),
}

#: Folder (beside scorecard.html) of the company pages.
PAGES_DIR = "companies"


def by_company(probes: Iterable[Mapping[str, Any]], names: Iterable[str] = ()) -> dict[str, list[Mapping[str, Any]]]:
    """Probe entries grouped by target, in the order of `names` (the run's targets), then any other target met."""
    groups: dict[str, list[Mapping[str, Any]]] = {name: [] for name in names}
    for probe in probes:
        groups.setdefault(probe["target"], []).append(probe)
    return groups


def by_journey(probes: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Probe entries grouped by journey, journeys in name order."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for probe in probes:
        groups.setdefault(probe["journey"], []).append(probe)
    return dict(sorted(groups.items()))


def page_name(company: str) -> str:
    """The company page's path relative to the run's folder: companies/<name>.html (a name safe as a file name)."""
    return f"{PAGES_DIR}/{re.sub(r'[^A-Za-z0-9._-]+', '_', company).strip('._') or 'company'}.html"


def grade_interval(grade: Mapping[str, Any]) -> tuple[float, float] | None:
    """The 95% interval of a grade's score, when the summary carries one ('interval': [low, high] or {low, high},
    or 'score_low' / 'score_high'); None otherwise."""
    found = grade.get("interval")
    if isinstance(found, Mapping):
        found = (found.get("low"), found.get("high"))
    if found is None and "score_low" in grade:
        found = (grade.get("score_low"), grade.get("score_high"))
    if isinstance(found, list | tuple) and len(found) == 2 and all(isinstance(v, int | float) for v in found):
        return float(found[0]), float(found[1])
    return None


def league_table(companies: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per company, best first: rank, grade (score, interval when known), key figures, n.

    Ordered by score, highest first; a company with no grade (nothing measured) comes last, unranked. Equal scores
    share a rank (1, 2, 2, 4), listed by name.
    """
    rows = []
    for name, company in companies.items():
        summary = company["summary"]
        grade = summary.get("grade") or {}
        values = headline_values(summary)
        rows.append({
            "target": name, "title": company.get("title") or name, "grade": grade.get("grade", "—"), "score": grade.get("score"),
            "interval": grade_interval(grade), "n": summary.get("probes", 0) - summary.get("undeliverable", 0),
            "probes": summary.get("probes", 0), "values": {key: values.get(key) for key in LEAGUE_COLUMNS},
            "counts": {key: _count_of(summary, key) for key in LEAGUE_COLUMNS if key.endswith(".rate")},
            "page": company.get("page") or page_name(name),
        })
    rows.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0.0), r["title"].casefold(), r["target"]))
    previous: tuple[float | None, int] = (None, 0)
    for position, row in enumerate(rows, 1):
        if row["score"] is None:
            row["rank"] = None
            continue
        row["rank"] = previous[1] if row["score"] == previous[0] else position
        previous = (row["score"], row["rank"])
    return rows


def _count_of(summary: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """A rate's numerator and denominator ('3 of 10') and whether they are too few to judge, from the summary."""
    channel, metric, _ = key.split(".")
    figure = ((summary.get("metrics") or {}).get(channel) or {}).get(metric)
    if not isinstance(figure, Mapping) or not isinstance(figure.get("of"), int):
        return None
    return {"count": figure.get("count"), "of": figure["of"], "too_few": bool(figure.get("too_few"))}


def company_card(card: Mapping[str, Any], company: str, probes: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The scorecard as one company's page shows it: that company's summary, channels, trend, maps' figures and
    probes (`probes`: the company's, when grouped already), with where it stands in the league (`league_position`)."""
    section = card["companies"][company]
    row = next((r for r in card.get("league") or () if r["target"] == company), None)
    journeys = {name: j for name, j in card["journeys"].items() if name in section["journeys"]} or dict(card["journeys"])
    return {
        **card,
        "targets": {company: card["targets"][company]} if company in card["targets"] else {},
        "journeys": journeys,
        "summary": section["summary"],
        "channels": section["channels"],
        "perception_gap": section["perception_gap"],
        "step_stats": section["step_stats"],
        "worst_moments": section["worst_moments"],
        "promises": [p for p in card.get("promises") or () if p.get("target") == company],
        "trend": section["trend"],
        "probes": list(probes) if probes is not None else [p for p in card["probes"] if p["target"] == company],
        "companies": {company: section},
        "league": [],
        "page_root": "../",  # the page is in companies/: the run's other pages are one folder up
        "league_position": {"rank": row["rank"] if row else None, "of": len(card.get("league") or ()), "back": "../onepager.html",
                            "journeys": journey_rows(section, card["journeys"])},
    }


def journey_rows(section: Mapping[str, Any], journeys: Mapping[str, Mapping[str, Any]], points: int = 6) -> list[dict[str, Any]]:
    """A company's grade per journey with its score in its last `points` runs (date, score), for its page."""
    rows = []
    for name, part in section["journeys"].items():
        trend = [{"date": (p.get("started_utc") or "")[:10], "score": p["values"].get("score"), "grade": p.get("grade")}
                 for p in part["trend"][-points:]]
        rows.append({"journey": name, "title": (journeys.get(name) or {}).get("title") or name, "grade": part["grade"].get("grade", "—"),
                     "score": part["grade"].get("score"), "probes": part["probes"], "trend": trend})
    return rows


def league_columns(league: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, str]]:
    """The league table's figure columns, for the templates: those some company of `league` has a value for (a
    league of chat-only journeys shows no email columns); all of them for an empty league."""
    return [{"key": key, "label": label, "unit": unit} for key, (label, unit) in LEAGUE_COLUMNS.items()
            if not league or any(row["values"].get(key) is not None for row in league)]


def companies_of(card: Mapping[str, Any]) -> Sequence[str]:
    """The companies of a card, in league order (the card's own order when it has no league)."""
    league = card.get("league") or ()
    return [r["target"] for r in league] or list(card.get("companies") or ())
