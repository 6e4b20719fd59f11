"""Writing a scorecard: JSON for machines, HTML for people, JUnit and Markdown for CI, CSV for spreadsheets.

Every writer renders the same dict (`build_scorecard`). scorecard.html is the executive one-pager
(prints on one A4 page) followed by the QA page; it loads nothing from the network, and links the
evidence written beside it (messages as .eml, the browser's screenshots, traces and HAR: see
`evidence`). Replies from the company are untrusted: Jinja autoescapes all text, HTML bodies are
shown only inside `<iframe sandbox>` (no scripts, no same origin), and the page's
Content-Security-Policy (`csp`) lets no script run but the QA page's own, allowed by its SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from mysteryshop import atomic
from mysteryshop.atomic import atomic_path
from mysteryshop.durations import spoken_duration
from mysteryshop.scorecard.readable import versus_industry, when, zone_of
from mysteryshop.scorecard.trends import trend_axis, trend_chart
from mysteryshop.durations import format_duration
from mysteryshop.scoring.friction import describe as describe_friction
from mysteryshop.scoring.friction import describe_way
from mysteryshop.scorecard.companies import PAGES_DIR, by_company, company_card, league_columns
from mysteryshop.scorecard.labels import LABELS, industry_figures, interruption_line, median_text, metric_rows, problem_line, rate_text

#: metric key (channel.metric) → the trend value that is charted beside it.
TREND_OF = {key: f"{key}.rate" for key in LABELS}


def _pct(value: float | None) -> str:
    return "—" if value is None or not isinstance(value, int | float) else f"{value * 100:.0f}%"


def _seconds(value: float | None) -> str:
    return "—" if value is None or not isinstance(value, int | float) else format_duration(value * 1e9)


def _spoken_seconds(value: float | None) -> str:
    """Seconds as the page says them: '4 h 12 min' (the terminal keeps the short '4h 12m')."""
    return "—" if value is None or not isinstance(value, int | float) else spoken_duration(value * 1e9)


def environment() -> Environment:
    """The scorecard's Jinja environment (its filters and globals), for pages that extend its templates."""
    return _environment()


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("mysteryshop.scorecard", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["pct"] = _pct
    env.filters["secs"] = _spoken_seconds
    env.filters["dur"] = spoken_duration
    env.filters["when"] = when  # ISO UTC → 'Tue 3 Dec, 14:05 CET' in the company's zone (scorecard.json keeps ISO)
    env.filters["versus"] = versus_industry
    env.globals["zone_of"] = zone_of
    return env


#: The width a one-pager's journey map may take: the A4 page inside its 10 mm margins, in CSS pixels, less a little
#: for the map's frame.
MAP_WIDTH_PX = (210 - 20) / 25.4 * 96 - 8


def journey_maps(card: Mapping[str, Any], journeys: Mapping[str, Any] | None) -> dict[str, str | None]:
    """SVG journey maps (mysteryshop.journeymap, graphviz) per journey, drawn for the one-pager (readable, at most
    `MAP_WIDTH_PX` wide: see journeymap.page_svg); None where none can be drawn."""
    maps: dict[str, str | None] = {name: None for name in card["journeys"]}
    if not journeys:
        return maps
    try:
        from mysteryshop import journeymap
    except ImportError:
        return maps
    wanted = [name for name in journeys if name in maps]
    try:
        svgs = journeymap.page_svgs([(journeys[name], *journeymap.journey_stats(journeys[name], [p for p in card["probes"] if p["journey"] == name]))
                                     for name in wanted], width_px=MAP_WIDTH_PX)
    except Exception:  # noqa: BLE001 - no `dot` installed, or a drawing bug: the page shows the step strips instead
        return maps
    maps.update((name, svg if svg.startswith("<svg") else None) for name, svg in zip(wanted, svgs, strict=True))
    return maps


#: Probes shown in full in scorecard.html. A browser page holding the detail of ten thousand
#: probes is tens of megabytes that no one can read; past this, the page shows the probes
#: that did not pass first, and says where the rest is (scorecard.json has every probe).
DETAIL_LIMIT = 500


def detail_probes(card: Mapping[str, Any], limit: int | None = DETAIL_LIMIT) -> list[Mapping[str, Any]]:
    """The probes the QA detail shows: all of them up to `limit`; beyond, those that did not pass first (run order kept)."""
    probes = card["probes"]
    if limit is None or len(probes) <= limit:
        return list(probes)
    chosen = [i for i, p in enumerate(probes) if p["status"] != "passed"][:limit]
    if len(chosen) < limit:
        chosen += [i for i, p in enumerate(probes) if p["status"] == "passed"][: limit - len(chosen)]
    return [probes[i] for i in sorted(chosen)]


@cache
def qa_script() -> tuple[str, str]:
    """The QA page's script (templates/qa.js) and its CSP source ('sha256-…'), the only script the page may run."""
    from importlib import resources

    text = resources.files("mysteryshop.scorecard").joinpath("templates", "qa.js").read_text(encoding="utf-8")
    return text, "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def csp(*, script: bool) -> str:
    """The page's Content-Security-Policy: nothing from the network; styles inline; images as data: URLs or files beside
    the page (screenshots); frames only the sandboxed srcdoc ones of HTML replies; with `script` the QA script by its hash."""
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'"
    return policy + (f"; script-src {qa_script()[1]}" if script else "")


#: The QA page's file name, which the one-pager's worst moments and junit.xml link to.
QA_PAGE = "scorecard.html"


def render_html(
    card: Mapping[str, Any], *, journeys: Mapping[str, Any] | None = None, detail: bool = True,
    maps: Mapping[str, str | None] | None = None, detail_limit: int | None = DETAIL_LIMIT,
    shown: list[Mapping[str, Any]] | None = None, evidence: Mapping[str, Any] | None = None, files: Mapping[str, str] | None = None,
    nav: str | None = None, policy: str | None = None,
) -> str:
    """The scorecard page: the one-pager, and with `detail` the QA page after it (at most `detail_limit` probes, or `shown`).

    `evidence` (`evidence.page_evidence`): the .eml files and browser evidence to link; `files`: the downloads
    written beside the page (probes_csv, expectations_csv, json, junit → relative link). The dashboard
    (mysteryshop/dashboard) serves the same page with `nav`, trusted HTML put at the top of the body, under its own
    Content-Security-Policy `policy` (default: `csp`).
    """
    trend = card.get("trend") or []
    zone = zone_of(card)
    sparks = {key: trend_chart(trend, metric, tz=zone) for key, metric in TREND_OF.items()}
    sparks["score"] = trend_chart(trend, "score", tz=zone)
    sparks["axis"] = trend_axis(trend, tz=zone)  # the dates under the trend column's head
    if detail and shown is None:
        shown = detail_probes(card, detail_limit)
    return _environment().get_template("scorecard.html").render(
        card=card, rows=metric_rows(card), industry=industry_figures(), sparks=sparks, league_columns=league_columns(card.get("league") or ()),
        maps=journey_maps(card, journeys) if maps is None else maps, detail=detail,
        shown=shown if detail else [], evidence=evidence, files=files, csp=policy or csp(script=detail), nav=Markup(nav) if nav else None,
        qa_script=Markup(qa_script()[0]) if detail else None, qa_page="" if detail else card.get("page_root", "") + QA_PAGE,
    )


def write_json(card: Mapping[str, Any], path: Path) -> Path:
    """Compact JSON, encoded by orjson: the bytes of `json.dump(card, fh, ensure_ascii=False, separators=(",", ":"))`
    plus a newline, in a tenth of the time (49 MB for 10,000 probes: 0.2 s instead of 1-2 s).

    The probes are encoded a slice at a time, so the whole document is never one bytes object in memory.
    """
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        fh.write(b"{")
        for n, (key, value) in enumerate(card.items()):
            fh.write((b"," if n else b"") + orjson.dumps(key) + b":")
            if key == "probes" and isinstance(value, list):
                fh.write(b"[")
                for start in range(0, len(value), _PROBES_PER_WRITE):
                    fh.write((b"," if start else b"") + orjson.dumps(value[start:start + _PROBES_PER_WRITE])[1:-1])
                fh.write(b"]")
            else:
                fh.write(orjson.dumps(value))
        fh.write(b"}\n")
    return path


_PROBES_PER_WRITE = 256


#: Probes from which scorecard.json is worth a process of its own.
FORKED_JSON_FROM = 1000


def write_scorecard(
    card: dict[str, Any], directory: Path, *, journeys: Mapping[str, Any] | None = None, detail_limit: int | None = DETAIL_LIMIT,
    workers: int = 1, store: Any = None, evidence_root: Path | None = None,
) -> dict[str, Path]:
    """Write scorecard.json, scorecard.html (one-pager + QA page), onepager.html, junit.xml, summary.md, probes.csv and
    expectations.csv, each whole or not at all (see mysteryshop.atomic).

    With `store` (the run's store, open) every message of the probes the QA page shows is written beside it as
    messages/<id>.eml and linked. The browser evidence is looked for under `evidence_root` (where the run kept it,
    reports/<run-id>; default: `directory`). With `workers` > 1 scorecard.json and the CSV files (the data files,
    the largest) are written by a forked process while the pages are written here (for a card of `FORKED_JSON_FROM`
    probes or more).
    """
    from mysteryshop.scorecard.csvfiles import table_paths, write_tables
    from mysteryshop.scorecard.evidence import page_evidence
    from mysteryshop.scorecard.junit import write_junit
    from mysteryshop.scorecard.markdown import markdown_summary
    from mysteryshop.scorecard.shares import beside

    from mysteryshop.scorecard.build import gc_paused

    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "scorecard.json"
    # the card is millions of live objects: nothing for the collector to find in them (and a forked writer copies no page for it)
    forked = workers > 1 and len(card["probes"]) >= FORKED_JSON_FROM
    shown = detail_probes(card, detail_limit)
    linked = {p["id"] for p in shown}
    tables = table_paths(directory)

    def data_files() -> None:
        write_json(card, json_path)
        write_tables(card, directory, linked)

    with gc_paused(), beside(data_files, fork=forked):
        evidence = page_evidence(card, shown, directory, store=store, evidence_root=evidence_root)
        files = {"probes_csv": tables["probes_csv"].name, "expectations_csv": tables["expectations_csv"].name,
                 "json": json_path.name, "junit": "junit.xml"}
        pages = write_company_pages(card, directory, journeys=journeys)  # before the pages that link to them
        maps = journey_maps(card, journeys)  # drawn once (graphviz) for both pages
        html_path = atomic.write_text(directory / QA_PAGE, render_html(card, maps=maps, shown=shown, evidence=evidence, files=files))
        onepager = atomic.write_text(directory / "onepager.html", render_html(card, maps=maps, detail=False))
        junit = write_junit(card, directory / "junit.xml", linked=linked, page=QA_PAGE)
        md = atomic.write_text(directory / "summary.md", markdown_summary(card))
    return {"json": json_path, "html": html_path, "onepager": onepager, "junit": junit, "markdown": md, **tables,
            **({"companies": directory / PAGES_DIR} if pages else {})}


def company_maps(
    card: Mapping[str, Any], journeys: Mapping[str, Any] | None, groups: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, dict[str, str | None]]:
    """Each company's journey maps (company → journey → SVG; None where none can be drawn), coloured by its probes
    (`groups`: company → its probes), drawn for the page as the run's are (journeymap.page_svgs: readable, at most
    `MAP_WIDTH_PX` wide), each round of drawing by one graphviz process."""
    maps: dict[str, dict[str, str | None]] = {name: dict.fromkeys(section["journeys"], None) for name, section in card["companies"].items()}
    try:
        from mysteryshop import journeymap
    except ImportError:
        return maps
    wanted = [(name, j) for name, drawn in maps.items() for j in drawn if journeys and j in journeys]
    try:
        svgs = journeymap.page_svgs([(journeys[j], *journeymap.journey_stats(journeys[j], groups.get(name, ()))) for name, j in wanted],
                                    width_px=MAP_WIDTH_PX)
    except Exception:  # noqa: BLE001 - no `dot` installed, or a drawing bug: the pages show the step strips instead
        return maps
    for (name, j), svg in zip(wanted, svgs, strict=True):
        maps[name][j] = svg[svg.index("<svg"):] if "<svg" in svg else None  # inlined: no XML prologue or DOCTYPE
    return maps


def write_company_pages(card: Mapping[str, Any], directory: Path, *, journeys: Mapping[str, Any] | None = None) -> list[Path]:
    """One page per company (companies/<name>.html: its one-pager, with its map and trend) when the run probed more
    than one; pages of companies no longer in the run are removed. The pages written."""
    folder = directory / PAGES_DIR
    if len(card.get("companies") or ()) < 2:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    groups = by_company(card["probes"])
    maps = company_maps(card, journeys, groups)
    written = []
    for name, section in card["companies"].items():
        page = directory / section["page"]
        view = company_card(card, name, groups.get(name, []))
        written.append(atomic.write_text(page, render_html(view, maps=maps[name], detail=False)))
    for stale in set(folder.glob("*.html")) - set(written):
        stale.unlink(missing_ok=True)
    return written


def summary_lines(card: dict[str, Any]) -> list[str]:
    """A few plain lines for a terminal."""
    summary = card["summary"]
    grade = summary.get("grade") or {}
    lines = [f"{summary['probes']} probes: {summary['passed']} passed, {summary['failed']} failed, {summary['error']} errors"
             + (f", {summary['interrupted']} interrupted" if summary.get("interrupted") else "")
             + (f" · grade {grade['grade']} ({grade['score']}/100)" if grade.get("score") is not None and len(card.get("league") or ()) < 2 else "")]
    interruption = interruption_line(card)
    if interruption:
        lines.insert(0, interruption)
    league = card.get("league") or []
    if len(league) > 1:
        lines.append(f"  league of {len(league)} companies (each graded on its own probes; the figures below are of all together):")
        for row in league:
            score = f"{row['score']}/100" if row["score"] is not None else "not graded"
            lines.append(f"    {row['rank'] if row['rank'] is not None else '—':>3}. {row['grade']} {score:<11} {row['title']} ({row['target']}, n={row['n']})")
    problems = problem_line(summary)
    if problems:
        lines.append(f"  {problems}")
    promised = summary.get("promises") or {}
    if any(promised.values()):
        lines.append(f"  promised reply times: {promised.get('kept', 0)} kept, {promised.get('broken', 0)} broken, {promised.get('open', 0)} not yet due")
    pooled = len(league) > 1  # several companies: the figures below are of all together, graded only in the league
    if grade.get("reason") and not pooled:
        lines.append(f"  not graded: {grade['reason']}")
    for row in metric_rows(card):
        if row["first"] and pooled:
            lines.append(f"  {row['channel_title']}, all companies together:")
        elif row["first"]:
            channel_grade = row["grade"]
            lines.append(f"  {row['channel_title']}: grade {channel_grade.get('grade', '—')}"
                         + (f" ({channel_grade['score']}/100)" if channel_grade.get("score") is not None else "")
                         + (f" · {channel_grade['reason']}" if channel_grade.get("reason") else ""))
        figure = row["figure"]
        times = f" · median {median_text(figure)}" if figure.get("times") else ""
        lines.append(f"    {row['label']:<42} {rate_text(figure)}{times}")
    for name, section in (card.get("companies") or {}).items():
        if section.get("friction"):
            lines.append(f"  Contact form{f' of {name}' if pooled else ''}: {describe_friction(section['friction'])}")
        if section.get("chat_way_in"):
            lines.append(f"  Chat{f' of {name}' if pooled else ''}: {describe_way(section['chat_way_in'])}")
    if card["unmatched_messages"]:
        lines.append(f"  {len(card['unmatched_messages'])} message(s) matched no probe (kept in the store, listed in the scorecard)")
    if card["malformed_messages"]:
        lines.append(f"  {len(card['malformed_messages'])} malformed message(s) stored raw and flagged")
    return lines
