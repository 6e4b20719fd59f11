"""How the one-pager writes its figures (pure functions): durations, times of day, the verdict against the industry,
trend charts and their axis, and how a journey map too wide for the page is wrapped into rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysteryshop.durations import spoken_duration
from mysteryshop.journey import load_journey
from mysteryshop.journeymap import PAGE_TEXT_PX, page_svgs, ranks, snake
from mysteryshop.scorecard.readable import day, versus_industry, when, zone_of
from mysteryshop.scorecard.trends import trend_axis, trend_chart, unit_of

ROOT = Path(__file__).resolve().parent.parent
SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(None, "—"), (0.25, "250 ms"), (0.9996, "999 ms"), (4.27, "4.2 s"), (12.9, "12 s"), (59.9, "59 s"), (840, "14 min"),
     (3599, "59 min"), (3600, "1 h"), (15120, "4 h 12 min"), (4 * 3600 + 59 * 60 + 59, "4 h 59 min"), (86400, "1 d"),
     (180000, "2 d 2 h")],
)
def test_durations_are_written_as_people_say_them(seconds: float | None, said: str) -> None:
    assert spoken_duration(None if seconds is None else seconds * SECOND) == said


@pytest.mark.parametrize(
    ("utc", "tz", "said"),
    [("2026-12-03T13:05:09.123Z", "Europe/Berlin", "Thu 3 Dec, 14:05 CET"),
     ("2026-06-03T13:05:09Z", "Europe/Berlin", "Wed 3 Jun, 15:05 CEST"),  # summer time
     ("2026-12-03T13:05:09.123Z", None, "Thu 3 Dec, 13:05 UTC"),  # no company clock: UTC
     ("2026-12-03T13:05:09.123Z", "Not/AZone", "Thu 3 Dec, 13:05 UTC"),
     ("2026-12-03T13:05:09+00:00", "America/New_York", "Thu 3 Dec, 08:05 EST"),
     ("2026-12-31T23:30:00Z", "Asia/Tokyo", "Fri 1 Jan, 08:30 JST"),  # the next day, and the next year, there
     (None, None, "—"), ("not a time", None, "not a time")],
)
def test_times_are_written_to_the_minute_in_the_company_zone(utc: str | None, tz: str | None, said: str) -> None:
    assert when(utc, tz) == said


def test_the_zone_is_the_company_clock_s_or_none_when_targets_disagree() -> None:
    card = {"targets": {"berlin": {"clock": {"timezone": "Europe/Berlin"}}, "nyc": {"clock": {"timezone": "America/New_York"}},
                        "plain": {}}}
    assert zone_of(card, "berlin") == "Europe/Berlin"
    assert zone_of(card, "plain") is None
    assert zone_of(card) is None  # three targets, three zones: the run's own times in UTC
    assert zone_of({"targets": {"berlin": card["targets"]["berlin"]}}) == "Europe/Berlin"


@pytest.mark.parametrize(
    ("rate", "industry", "better", "interval", "verdict"),
    [(0.8, 0.1, "higher", None, "better"), (0.05, 0.1, "higher", None, "worse"), (0.1, 0.1, "higher", None, "level"),
     (0.2, 0.6, "lower", None, "better"), (0.7, 0.6, "lower", None, "worse"),
     (0.5, 0.4, "higher", (0.3, 0.7), "level"),  # the industry figure is inside the interval: could be chance
     (0.5, 0.2, "higher", (0.3, 0.7), "better"), (0.5, 0.8, "higher", (0.3, 0.7), "worse"),
     (0.5, 0.8, "lower", (0.3, 0.7), "better")],
)
def test_a_rate_against_the_industry(rate: float, industry: float, better: str, interval: tuple[float, float] | None, verdict: str) -> None:
    got = versus_industry(rate, industry, better, interval)
    assert got is not None and got["verdict"] == verdict and got["class"] == f"vs-{verdict}"
    assert got["cue"].split()[-1] == verdict  # the cue says it in words, not only in colour


def test_no_verdict_without_two_figures_or_with_too_few_probes() -> None:
    assert versus_industry(None, 0.1) is None
    assert versus_industry(0.5, None) is None
    assert versus_industry(0.9, 0.1, too_few=True) is None


def _points(*values: float | None, days: tuple[int, ...] | None = None) -> list[dict]:
    days = days or tuple(range(1, len(values) + 1))
    return [{"started_utc": f"2026-11-{d:02d}T08:00:00.000Z", "values": {"answered.rate": v, "score": None if v is None else v * 100}}
            for d, v in zip(days, values, strict=True)]


def test_a_trend_prints_its_first_and_last_values_and_the_axis_its_dates() -> None:
    points = _points(0.4, None, 0.55, 0.8, days=(2, 9, 16, 23))
    chart = trend_chart(points, "answered.rate", tz="Europe/Berlin")
    assert chart["count"] == 3  # the run without the value is skipped
    assert (chart["first"]["value"], chart["last"]["value"]) == ("40%", "80%")
    assert chart["first"]["when"] == "Mon 2 Nov, 09:00 CET" and chart["last"]["date"] == "23 Nov"
    assert len(chart["points"].split()) == 3
    xs = [float(p.split(",")[0]) for p in chart["points"].split()]
    assert xs == sorted(xs) and xs[0] == 2 and xs[-1] == chart["width"] - 2  # first run at the left, last at the right
    ys = [float(p.split(",")[1]) for p in chart["points"].split()]
    assert ys[0] > ys[-1]  # higher value, higher on the chart (smaller y)
    assert trend_chart(points, "score")["last"]["value"] == "80"
    assert trend_axis(points, tz="Europe/Berlin") == {"first": "2 Nov", "last": "23 Nov", "runs": 4, "from": "Mon 2 Nov, 09:00 CET",
                                                      "to": "Mon 23 Nov, 09:00 CET"}


def test_runs_of_one_day_get_their_times_on_the_axis_and_one_run_gets_none() -> None:
    points = [{"started_utc": "2026-12-04T07:17:48.813Z", "values": {}}, {"started_utc": "2026-12-04T07:20:01.000Z", "values": {}}]
    assert trend_axis(points) == {"first": "4 Dec 07:17", "last": "07:20", "runs": 2, "from": "Fri 4 Dec, 07:17 UTC", "to": "Fri 4 Dec, 07:20 UTC"}
    assert trend_axis(points[:1]) is None
    assert trend_chart(points, "answered.rate")["count"] == 0


def test_units_of_trend_values() -> None:
    assert [unit_of(m) for m in ("answered.rate", "score", "email.answered.median_s")] == ["rate", "score", "seconds"]


def test_day_is_the_company_s_date() -> None:
    assert day("2026-12-31T23:30:00Z", "Asia/Tokyo") == "1 Jan" and day("2026-12-31T23:30:00Z") == "31 Dec"


def test_a_map_too_wide_is_wrapped_into_rows_that_alternate_direction() -> None:
    journey = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
    place = snake(journey, 3)
    order = [s.id for s in journey.steps]
    assert [ranks(journey)[s] for s in order] == list(range(8))
    assert [place.row[s] for s in order] == [0, 0, 0, 1, 1, 1, 2, 2]
    assert [place.column[s] for s in order] == [0, 1, 2, 2, 1, 0, 0, 1]  # right to left on the second row
    assert place.leads("open", "ask") and not place.leads("first_response", "wait_shown")  # only left-to-right rows place steps


def test_a_branch_and_a_loop_place_no_step_before_its_predecessor() -> None:
    journey = load_journey(ROOT / "journeys" / "escalation.yaml")
    rank = ranks(journey)
    assert all(rank[b] > rank[a] for a, b in journey.graph.edges
               if [s.id for s in journey.steps].index(b) > [s.id for s in journey.steps].index(a))


def test_maps_for_the_page_are_drawn_at_the_text_size_and_within_the_width() -> None:
    import re

    journeys = [load_journey(ROOT / "journeys" / f"{name}.yaml") for name in ("chat_delivery", "escalation", "email_question")]
    svgs = page_svgs([(j, {}, {}) for j in journeys], width_px=300)
    for journey, svg in zip(journeys, svgs, strict=True):
        width, height, box_w, box_h = map(float, re.search(
            r'<svg width="([\d.]+)px" height="([\d.]+)px" viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', svg).groups())
        scale = min(width / box_w, height / box_h)
        assert scale * 10 >= PAGE_TEXT_PX  # labels are 10 pt in the drawing: never below the page's minimum
        assert width <= 300, (journey.name, width)
    # the 8-step chat map did not fit in 300 px as one row: it was wrapped, so it is taller than one row
    assert float(re.search(r'height="([\d.]+)px"', svgs[0]).group(1)) > 1.5 * float(re.search(r'height="([\d.]+)px"', svgs[2]).group(1))


def test_each_company_page_gets_maps_drawn_for_the_page() -> None:
    import re

    from mysteryshop.scorecard.write import MAP_WIDTH_PX, company_maps

    journeys = {name: load_journey(ROOT / "journeys" / f"{name}.yaml") for name in ("chat_delivery", "escalation")}
    card = {"companies": {"north": {"journeys": list(journeys)}, "rival": {"journeys": ["chat_delivery"]}}}
    maps = company_maps(card, journeys, {"north": [], "rival": []})
    drawn = [svg for company in maps.values() for svg in company.values()]
    assert len(drawn) == 3 and all(svg and svg.startswith("<svg") for svg in drawn)
    for svg in drawn:  # the 8-step chat map too: at most the page's width, in px, never shrunk by the page below 8 px
        width = float(re.match(r'<svg width="([\d.]+)px"', svg).group(1))
        assert width <= MAP_WIDTH_PX
