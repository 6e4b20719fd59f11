"""Company clocks: business time by a target's time zone, hours and holidays; business deadlines; send windows.

The calendar cases are worked by hand (a wall calendar and the tz database's change dates): the
expected instants are written out, never computed with the code under test.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import jsonschema
import pytest

import mysteryshop.campaign as campaign_module
from mysteryshop.campaign import Campaign
from mysteryshop.cli import main as cli
from mysteryshop.collect.parse import ParsedMail
from mysteryshop.company_clock import (
    BusinessCalendar, ClosedDays, CompanyClock, CompanyTime, SendWindow, epoch_ns, from_epoch_ns, holiday_calendar, parse_hours, zone,
)
from mysteryshop.durations import format_duration, parse_business
from mysteryshop.errors import ConfigError, JourneyError
from mysteryshop.plan import ProbeSpec, plan_probes
from mysteryshop.progress import Progress
from mysteryshop.runner import EngineThread
from mysteryshop.safety import Allowlist
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scoring.classify import ACKNOWLEDGEMENT
from mysteryshop.scoring.expectations import FAILED, PASSED, PENDING, evaluate
from mysteryshop.scoring.timeline import Action, Reply, Timeline, Visit
from mysteryshop.store import Store
from mysteryshop.target import ClockSettings, SendWindowSettings, Target, load_target

from .conftest import ACK_JOURNEY, ROOT, profile, specs_for, target_for, write_journey

H = 3600 * 10**9
M = 60 * 10**9
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = "Mon-Fri 09:00-17:00"


def at(text: str, tz: ZoneInfo = BERLIN) -> int:
    """Epoch ns of a local wall-clock time."""
    return epoch_ns(datetime.fromisoformat(text).replace(tzinfo=tz))


def local(ns: int, tz: ZoneInfo = BERLIN) -> str:
    return from_epoch_ns(ns, tz).strftime("%a %Y-%m-%d %H:%M")


def berlin(hours: str = OFFICE, subdivision: str = "BE", extra: frozenset[date] = frozenset()) -> BusinessCalendar:
    return BusinessCalendar(BERLIN, parse_hours(hours), ClosedDays(holiday_calendar("DE", subdivision), extra))


# -- business time, by hand --------------------------------------------------------------------

@pytest.mark.parametrize(("start", "business", "expected"), [
    ("2025-06-13 16:00", 8 * H, "Mon 2025-06-16 16:00"),   # Friday evening -> Monday: 1h on Friday, 7h on Monday
    ("2025-06-13 17:30", 1 * H, "Mon 2025-06-16 10:00"),   # after closing: counting starts at Monday's opening
    ("2025-06-13 09:00", 8 * H, "Fri 2025-06-13 17:00"),   # ends exactly at closing: that closing, not Monday
    ("2025-06-14 10:00", 0, "Mon 2025-06-16 09:00"),       # nothing to add on a Saturday: the next opening
    ("2025-06-13 12:00", 30 * M, "Fri 2025-06-13 12:30"),
    ("2025-04-17 12:00", 8 * H, "Tue 2025-04-22 12:00"),   # Good Friday and Easter Monday
    ("2025-12-24 16:00", 8 * H, "Mon 2025-12-29 16:00"),   # Christmas on Thursday and Friday, then the weekend
    ("2025-06-06 16:00", 8 * H, "Tue 2025-06-10 16:00"),   # Whit Monday (2025-06-09)
])
def test_business_hours_are_added_over_nights_weekends_and_holidays(start: str, business: int, expected: str) -> None:
    calendar = berlin()
    assert local(calendar.add(at(start), business)) == expected


def test_a_deadline_spanning_a_holiday_of_one_state_only() -> None:
    # International Women's Day (Friday 2024-03-08) is a holiday in Berlin, not in Bavaria
    start = at("2024-03-07 15:00")
    assert local(berlin(subdivision="BE").add(start, 4 * H)) == "Mon 2024-03-11 11:00"
    assert local(berlin(subdivision="BY").add(start, 4 * H)) == "Fri 2024-03-08 11:00"


def test_extra_closed_days_and_a_lunch_break() -> None:
    closed_on_christmas_eve = berlin(extra=frozenset({date(2025, 12, 24)}))
    assert local(closed_on_christmas_eve.add(at("2025-12-24 16:00"), 8 * H)) == "Mon 2025-12-29 17:00"
    lunch = berlin("Mon-Fri 09:00-12:00, 13:00-17:00")
    assert local(lunch.add(at("2025-06-16 11:00"), 2 * H)) == "Mon 2025-06-16 14:00"
    assert lunch.between(at("2025-06-16 11:00"), at("2025-06-16 14:00")) == 2 * H


def test_business_time_between_two_instants() -> None:
    calendar = berlin()
    assert calendar.between(at("2025-06-13 16:00"), at("2025-06-16 10:00")) == 2 * H  # Friday 1h + Monday 1h
    assert calendar.between(at("2025-06-14 08:00"), at("2025-06-15 20:00")) == 0      # the weekend
    assert calendar.between(at("2025-12-23 09:00"), at("2025-12-29 09:00")) == 16 * H  # Tue, Wed; Christmas closed
    assert calendar.between(at("2025-06-16 12:00"), at("2025-06-16 11:00")) == 0      # backwards: nothing


def test_daylight_saving_changes_count_real_time() -> None:
    always = berlin("Mon-Sun 00:00-24:00", extra=frozenset())
    open_all_week = BusinessCalendar(BERLIN, always.hours)  # no holidays
    # Berlin springs forward on Sunday 2025-03-30 (02:00 -> 03:00): that day has 23 hours
    assert open_all_week.between(at("2025-03-29 12:00"), at("2025-03-30 12:00")) == 23 * H
    assert local(open_all_week.add(at("2025-03-29 12:00"), 24 * H)) == "Sun 2025-03-30 13:00"
    # ... and falls back on Sunday 2025-10-26 (03:00 -> 02:00): 25 hours
    assert open_all_week.between(at("2025-10-25 12:00"), at("2025-10-26 12:00")) == 25 * H
    assert local(open_all_week.add(at("2025-10-25 12:00"), 24 * H)) == "Sun 2025-10-26 11:00"
    # Office hours across the change: Friday 16:00 CET (15:00Z) + 2 business hours = Monday 10:00 CEST (08:00Z), 65 real hours
    office = berlin()
    end = office.add(at("2025-03-28 16:00"), 2 * H)
    assert local(end) == "Mon 2025-03-31 10:00"
    assert end == epoch_ns(datetime.fromisoformat("2025-03-31T08:00:00+00:00"))
    assert end - at("2025-03-28 16:00") == 65 * H


def test_daylight_saving_in_new_york_and_hours_lost_in_the_gap() -> None:
    new_york = ZoneInfo("America/New_York")
    office = BusinessCalendar(new_york, parse_hours(OFFICE), holiday_calendar("US", "NY"))
    start = at("2025-03-07 16:00", new_york)  # Friday before the change (Sunday 2025-03-09, 02:00 -> 03:00)
    end = office.add(start, 2 * H)
    assert local(end, new_york) == "Mon 2025-03-10 10:00"
    assert end - start == 65 * H
    # open 02:00-03:00 on Sundays: the spring-forward Sunday has no such hour, the fall-back one has two
    night = BusinessCalendar(BERLIN, parse_hours("Sun 02:00-03:00"))
    assert night.intervals(date(2025, 3, 30)) == ()
    assert night.between(at("2025-03-29 00:00"), at("2025-03-31 00:00")) == 0
    assert night.between(at("2025-10-25 00:00"), at("2025-10-27 00:00")) == 2 * H


def test_open_or_closed() -> None:
    calendar = berlin()
    assert calendar.is_open(at("2025-06-16 09:00"))
    assert calendar.is_open(at("2025-06-16 16:59"))
    assert not calendar.is_open(at("2025-06-16 17:00"))  # closing time is closed
    assert not calendar.is_open(at("2025-06-14 11:00"))  # Saturday
    assert not calendar.is_open(at("2025-06-09 11:00"))  # Whit Monday
    assert local(calendar.next_open(at("2025-06-06 18:00"))) == "Tue 2025-06-10 09:00"


@pytest.mark.parametrize(("hours", "start", "days", "expected"), [
    (OFFICE, "2025-06-13 16:00", 1, "Mon 2025-06-16 16:00"),   # Friday -> Monday, same time of day
    (OFFICE, "2025-06-14 10:00", 1, "Tue 2025-06-17 09:00"),   # Saturday counts from Monday's opening
    (OFFICE, "2025-12-24 10:00", 1, "Mon 2025-12-29 10:00"),   # over Christmas and the weekend
    (OFFICE, "2025-06-12 10:00", 2, "Mon 2025-06-16 10:00"),
    ("Mon-Thu 09:00-17:00; Fri 09:00-15:00", "2025-06-12 16:00", 1, "Fri 2025-06-13 15:00"),  # Friday closes early
])
def test_business_days(hours: str, start: str, days: int, expected: str) -> None:
    assert local(berlin(hours).add_days(at(start), days)) == expected


def test_a_calendar_that_is_never_open_fails_after_a_bounded_search() -> None:
    class Everything:
        def __contains__(self, day: object) -> bool:
            return True

    never = BusinessCalendar(BERLIN, parse_hours(OFFICE), Everything())
    with pytest.raises(ValueError, match="no business hours within 3660 days after"):
        never.add(at("2025-06-16 10:00"), H)


# -- send windows and company time -------------------------------------------------------------

def test_send_times_are_inside_the_window_spread_by_seeded_jitter() -> None:
    window = SendWindow(berlin(), 30 * M)
    saturday = at("2025-06-07 10:00")  # the next opening is Tuesday 09:00: Monday is Whit Monday
    times = [window.send_at(saturday, f"probe-{i}") for i in range(50)]
    assert all(at("2025-06-10 09:00") <= t < at("2025-06-10 09:30") for t in times)
    assert min(times) < at("2025-06-10 09:05") and max(times) > at("2025-06-10 09:25")  # spread over the 30 minutes
    assert [window.send_at(saturday, f"probe-{i}") for i in range(50)] == times  # the same keys, the same times
    inside = at("2025-06-10 10:00")
    assert all(inside <= window.send_at(inside, f"p{i}") < inside + 30 * M for i in range(20))
    # a jitter longer than what is left of the day goes on in the next day's window, never where it is closed
    short = SendWindow(berlin("Mon-Fri 16:50-17:00"), 30 * M)
    late = [short.send_at(at("2025-06-16 16:55"), f"p{i}") for i in range(40)]
    assert all(short.calendar.is_open(t) for t in late)
    days = {local(t)[:14] for t in late}  # 30 minutes of a 10-minute window: up to three days on
    assert len(days) > 1 and days <= {"Mon 2025-06-16", "Tue 2025-06-17", "Wed 2025-06-18", "Thu 2025-06-19"}
    assert SendWindow(berlin(), 0).send_at(saturday, "x") == at("2025-06-10 09:00")


def test_company_time_runs_at_the_targets_speedup() -> None:
    company = CompanyTime(origin_t_ns=1_000, origin_ns=at("2025-06-13 16:00"), speedup=14400)
    assert local(company.at(1_000 + 10**9)) == "Fri 2025-06-13 20:00"  # one wall second is four company hours
    assert company.t_of(at("2025-06-16 15:00")) == 1_000 + (71 * H) // 14400


# -- what users write, and what they are told when it is wrong ---------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("Mon-Fri 9-17", "hours 'Mon-Fri 9-17': times are written HH:MM-HH:MM"),
    ("Mo-Fr 09:00-17:00", "unknown day 'Mo'. Did you mean 'Mon'?"),
    ("Wendsday 09:00-17:00", "unknown day 'Wendsday'. Did you mean 'Wed'?"),
    ("Mon-Fri 17:00-09:00", "17:00-09:00 ends before it starts. For hours past midnight write two entries"),
    ("Mon-Fri 09:00-25:00", "25:00 is not a time of day"),
    ("", "hours are empty"),
])
def test_malformed_hours(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        parse_hours(text)


def test_hours_forms() -> None:
    assert parse_hours("Mon-Thu 09:00-17:00; Fri 09:00-15:00").describe() == "Mon-Thu 09:00-17:00; Fri 09:00-15:00"
    assert parse_hours(["Mon-Fri 09:00-12:00", "Mon-Fri 12:00-17:00"]).describe() == OFFICE  # merged
    assert parse_hours("Fri-Mon 10:00-11:00").describe() == "Mon 10:00-11:00; Fri-Sun 10:00-11:00"  # wraps over the weekend
    assert parse_hours("Sat 00:00-24:00").days[5] == ((0, 1440),)
    assert parse_hours("weekdays 09:00-17:00").describe() == OFFICE
    assert parse_hours("daily 08:00-20:00").describe() == "Mon-Sun 08:00-20:00"


def test_unknown_zones_and_holiday_regions_name_the_closest() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Berln'. Did you mean 'Europe/Berlin'"):
        zone("Europe/Berln")
    with pytest.raises(ValueError, match=r"unknown holiday country 'Germany'. Did you mean 'DE' \(Germany\)\?"):
        holiday_calendar("Germany")
    with pytest.raises(ValueError, match="Valid subdivisions: BB, BE, BW, BY"):
        holiday_calendar("DE", "XX")


def test_business_deadlines_as_written() -> None:
    assert parse_business("8 business hours") == (8 * H, "hours")
    assert parse_business("1 business day") == (24 * H, "days")
    assert parse_business("8bh") == (8 * H, "hours") and parse_business("30bm") == (30 * M, "hours")
    with pytest.raises(ValueError, match="business days are whole days"):
        parse_business("1.5 business days")


TARGET = """\
name: acme
email:
  support_address: help@acme.test
  smtp_host: 127.0.0.1
  smtp_port: 2525
clock:
  timezone: Europe/Berlin
  hours: "Mon-Fri 09:00-17:00"
  holidays: {country: DE, subdivision: BE}
send_window: {hours: "Mon-Fri 10:00-16:00", jitter: 30m}
"""


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("timezone: Europe/Berlin", "timezone: Europe/Berln", "7:3: clock.timezone", "unknown time zone 'Europe/Berln'. Did you mean 'Europe/Berlin'"),
    ("country: DE,", "country: Germany,", "9:14: clock.holidays.country", "unknown holiday country 'Germany'. Did you mean 'DE' (Germany)?"),
    ("subdivision: BE", "subdivision: BX", "9:27: clock.holidays.subdivision",
     "unknown subdivision 'BX' of holiday country DE. Valid subdivisions: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH"),
    ('hours: "Mon-Fri 09:00-17:00"', 'hours: "weekdays 9 to 5"', "8:3: clock.hours", "hours 'weekdays 9 to 5': times are written HH:MM-HH:MM"),
    ("jitter: 30m", "jitter: soon", "10:45: send_window.jitter", "'soon' is not a duration"),
])
def test_bad_clocks_in_a_target_file_get_one_line_with_file_line(tmp_path: Path, old: str, new: str, where: str, message: str) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(TARGET.replace(old, new))
    with pytest.raises(JourneyError) as caught:
        load_target(path)
    (line,) = caught.value.problems
    assert line.startswith(f"{path}:{where}: {message}")


def test_a_send_window_needs_a_clock_and_a_real_company_no_simulated_start(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(TARGET.split("clock:")[0] + 'send_window: {hours: "Mon-Fri 10:00-16:00"}\n')
    with pytest.raises(JourneyError, match="send_window needs a 'clock:' for its time zone"):
        load_target(path)
    path.write_text(TARGET.replace("  holidays:", "  simulated_start: 2025-06-13T16:00\n  holidays:"))
    with pytest.raises(JourneyError, match="simulated_start is for a desk that plays time faster"):
        load_target(path)
    path.write_text(TARGET)
    clock = load_target(path).clock
    assert clock is not None and clock.window is not None and clock.window.jitter_ns == 30 * M


BUSINESS_JOURNEY = """\
title: Acknowledged within business hours
steps:
  - id: ask
    do: send_email
    subject: "Order {persona.order_id}"
    body: "Hello, where is my order? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: {within}
"""


def test_journeys_state_business_deadlines_and_bad_ones_get_file_line(tmp_path: Path) -> None:
    journey = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hours"))
    step = journey.step("acknowledged")
    assert (step.within, step.business, step.deadline_text) == (8 * H, "hours", "8 business hours")
    assert write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "1bd")).step("acknowledged").deadline_text == "1 business day"
    with pytest.raises(JourneyError) as caught:
        write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "1.5 business days"))
    assert caught.value.problems == [(f"{tmp_path / 'j.yaml'}:9:5: steps[1].within: '1.5 business days': business days are whole days "
                                      "(1 business day, 2 business days); for less, write business hours")]
    with pytest.raises(JourneyError, match=r"j.yaml:9:5: steps\[1\].within: '8 business hrs' is not a deadline"):
        write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hrs"))
    chat = BUSINESS_JOURNEY.replace("do: send_email", "do: open_chat").replace("acknowledgement", "status_update")
    with pytest.raises(JourneyError, match="status_update's 'within' is the longest silence allowed"):
        write_journey(tmp_path, chat.replace("{within}", "2 business hours"))


def test_business_deadlines_compare_with_business_deadlines_only(tmp_path: Path) -> None:
    two = BUSINESS_JOURNEY.replace("{within}", "8 business hours") + "  - id: answered\n    expect: answer\n    within: {later}\n"
    with pytest.raises(JourneyError) as caught:
        write_journey(tmp_path, two.replace("{later}", "4 business hours"))
    assert caught.value.problems == [f"{tmp_path / 'j.yaml'}:12:5: steps[2].within: 4 business hours is sooner than 'acknowledged' "
                                      "(8 business hours) earlier on the same path from 'ask'. Give it at least 8 business hours, "
                                      "or count it from a later action with 'after:'"]
    # 4 elapsed hours may come before or after 8 business hours: not a mistake the checker can know of
    assert write_journey(tmp_path, two.replace("{later}", "4h")).step("answered").business is None


def test_a_business_deadline_against_a_target_without_a_clock_stops_planning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "targets").mkdir()
    journey = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hours"), name="business")
    (tmp_path / "targets/acme.yaml").write_text(TARGET.split("clock:")[0])
    (tmp_path / "targets/clocked.yaml").write_text(TARGET.replace("name: acme", "name: clocked"))
    bare, clocked = load_target(tmp_path / "targets/acme.yaml"), load_target(tmp_path / "targets/clocked.yaml")
    expected = (f"{journey.path}:9:5: steps[1] ('acknowledged') is due within 8 business hours, but target file {bare.path} has no "
                f"'clock:' to count business time on.")
    with pytest.raises(JourneyError) as caught:
        plan_probes(SimpleNamespace(seed=1, personas=1, locales=["en_US"], run_id="r"), journey, [clocked, bare])
    (line,) = caught.value.problems
    assert line.startswith(expected)
    assert len(plan_probes(SimpleNamespace(seed=1, personas=2, locales=["en_US"], run_id="r"), journey, [clocked])) == 2
    # and `mysteryshop journeys check` says the same when it checks against that target
    assert cli(["journeys", "check", str(tmp_path), "--target", "acme", "--target", "clocked"]) == 1
    out = capsys.readouterr().out
    assert expected in out and "1 problem(s)" in out


def test_mysteryshop_run_says_which_target_needs_a_clock_before_sending(tmp_path: Path) -> None:
    # Given a project whose journey has a business deadline, and a target without a clock
    (tmp_path / "journeys/targets").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    journey = tmp_path / "journeys/business.yaml"
    journey.write_text(BUSINESS_JOURNEY.replace("{within}", "8 business hours"))
    (tmp_path / "journeys/targets/acme.yaml").write_text(TARGET.split("clock:")[0])
    # When it is run
    done = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "run", "--probes", str(journey), "--target", "acme", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False)
    # Then it stops with the journey's line, the step and the target file, and nothing was sent (the desk's port is shut)
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"error: {journey}:9:5: steps[1] ('acknowledged') is due within 8 business hours, but target file "
            f"{tmp_path / 'journeys/targets/acme.yaml'} has no 'clock:'") in done.stderr


# -- scoring, pure -----------------------------------------------------------------------------

def _clock(simulated_start: str | None = None) -> CompanyClock:
    start = at(simulated_start) if simulated_start else None
    return CompanyClock(berlin(), "test", None, start)


def _timeline(reply_after_ns: int | None, speedup: float) -> Timeline:
    """A probe that wrote at Friday 2025-06-13 16:00 Berlin (14:00Z) and got an acknowledgement `reply_after_ns` company ns later."""
    timeline = Timeline(origin=(0, "2025-06-13T14:00:00.000Z"))
    action = Action("ask", 0, "2025-06-13T14:00:00.000Z", "Hello")
    timeline.actions["ask"], timeline.action_log = action, [action]
    timeline.path = [Visit("ask", 1, 0, None), Visit("acknowledged", 1, 0, 0)]
    if reply_after_ns is not None:
        mail = ParsedMail(subject="Re: Order", text="We have received your message.", full_text="We have received your message.")
        timeline.replies.append(Reply(int(reply_after_ns / speedup), "", mail, 1, ACKNOWLEDGEMENT))
    return timeline


@pytest.mark.parametrize("speedup", [1.0, 14400.0])
def test_a_business_deadline_is_judged_on_the_company_clock(tmp_path: Path, speedup: float) -> None:
    business = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hours"), name="business")
    elapsed = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8h"), name="elapsed")
    clock = _clock()
    # an acknowledgement on Saturday 10:00 (18 h later): 1 business hour in, on time for Monday 16:00 (1 h Friday, 7 h Monday)
    (saturday,) = evaluate(business, _timeline(18 * H, speedup), now_ns=0, speedup=speedup, finished=True, clock=clock)
    assert (saturday.status, saturday.deadline_ns, saturday.business_latency_ns) == (PASSED, 72 * H, 1 * H)
    assert saturday.within == "8 business hours (by Mon 2025-06-16 16:00 CEST)"
    assert saturday.reason == "acknowledged after 18h (1h business)"
    assert saturday.as_dict()["business_latency_ns"] == 1 * H
    # the same reply against 8 elapsed hours is late
    (late,) = evaluate(elapsed, _timeline(18 * H, speedup), now_ns=0, speedup=speedup, finished=True, clock=clock)
    assert (late.status, late.deadline_ns, late.within) == (FAILED, 8 * H, None)
    assert late.reason == "acknowledged only after 18h (1h business), deadline 8h"
    # at the deadline it is still on time; on Monday 17:00 (73 h, 9 business hours) it is late
    (at_deadline,) = evaluate(business, _timeline(72 * H, speedup), now_ns=0, speedup=speedup, finished=True, clock=clock)
    assert at_deadline.status == PASSED
    (monday,) = evaluate(business, _timeline(73 * H, speedup), now_ns=0, speedup=speedup, finished=True, clock=clock)
    assert monday.status == FAILED and monday.timed_out
    assert monday.reason == "acknowledged only after 3d 1h (9h business), deadline 8 business hours (by Mon 2025-06-16 16:00 CEST)"
    # nothing yet on Monday 14:00 company time: still pending; at 16:01 it has failed
    (waiting,) = evaluate(business, _timeline(None, speedup), now_ns=int(70 * H / speedup), speedup=speedup, clock=clock)
    assert waiting.status == PENDING
    (missed,) = evaluate(business, _timeline(None, speedup), now_ns=int((72 * H + M) / speedup), speedup=speedup, clock=clock)
    assert missed.status == FAILED and missed.reason.startswith("no acknowledgement within 8 business hours (by Mon 2025-06-16 16:00")


def test_scoring_a_business_deadline_without_a_clock_says_what_to_add(tmp_path: Path) -> None:
    business = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hours"), name="business")
    with pytest.raises(ConfigError, match="has a business deadline \\(8 business hours\\) but its target has no 'clock:'"):
        evaluate(business, _timeline(18 * H, 1.0), now_ns=0, finished=True)


def test_without_a_clock_outcomes_are_what_they_were(tmp_path: Path) -> None:
    elapsed = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8h"), name="elapsed")
    (outcome,) = evaluate(elapsed, _timeline(18 * H, 1.0), now_ns=0, finished=True)
    assert outcome.reason == "acknowledged only after 18h, deadline 8h"
    assert "within" not in outcome.as_dict() and "business_latency_ns" not in outcome.as_dict()


# -- end to end: the demo desk with a company clock --------------------------------------------

SPEEDUP = 144_000.0  # one wall second is 40 company hours: a weekend plays in about 1.2 s


def clocked(target: Target, *, start: str, window: str | None = None, jitter: str = "0s") -> Target:
    """`target` with a Berlin company clock whose time is `start` when a probe starts."""
    clock = ClockSettings(timezone="Europe/Berlin", hours=OFFICE, holidays={"country": "DE", "subdivision": "BE"},
                          simulated_start=datetime.fromisoformat(start))
    send_window = SendWindowSettings(hours=window, jitter=jitter) if window else None
    spec = target.spec.model_copy(update={"clock": clock, "send_window": send_window})
    return Target(spec=spec, path=target.path)


def _events(store: Store, probe_id: str, kind: str) -> list[dict[str, object]]:
    return [{**e, "data": json.loads(e["data"])} for e in store.query_dicts(
        "SELECT kind, step, t_ns, utc, data FROM events WHERE run_id = 'run-1' AND probe_id = ? AND kind = ? ORDER BY id", (probe_id, kind))]


def test_a_run_against_the_demo_desk_scores_business_deadlines_on_its_clock(tmp_path: Path, engine: EngineThread, make_desk, store: Store) -> None:
    # Given two desks of one company, one acknowledging after 71 company hours, the other after 100, and a company clock
    # in Berlin that shows Friday 2024-03-08 12:00 when a probe starts: a holiday in Berlin (Women's Day), then the weekend
    prompt = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["71h", "71h"]}), speedup=SPEEDUP)
    slow = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["100h", "100h"]}), speedup=SPEEDUP)
    business = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hours"), name="business")
    elapsed = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8h"), name="elapsed")
    prompt_target = clocked(target_for(prompt.port, speedup=SPEEDUP, name="prompt"), start="2024-03-08T12:00")
    slow_target = clocked(target_for(slow.port, speedup=SPEEDUP, name="slow"), start="2024-03-08T12:00")
    specs = [
        ProbeSpec("on-time", business, prompt_target, specs_for(business, prompt_target, 1, seed=1)[0].persona),
        ProbeSpec("elapsed", elapsed, prompt_target, specs_for(elapsed, prompt_target, 1, seed=2)[0].persona),
        ProbeSpec("late", business, slow_target, specs_for(business, slow_target, 1, seed=3)[0].persona),
    ]
    for spec in specs:
        store.add_probe("run-1", spec.probe_id, spec.journey.name, spec.target.name, spec.persona.as_dict())
    # When the probes run
    results = {r.spec.probe_id: r for r in (f.result(timeout=60) for f in [engine.submit(s) for s in specs])}

    # Then 8 business hours from the holiday end on Monday 17:00, whenever on Friday the email went: the reply on
    # Monday at 11:00 and a bit (71 h) is on time, with what it took since Monday 09:00 in business time
    (on_time,) = results["on-time"].outcomes
    assert on_time.status == PASSED, on_time.reason
    assert on_time.within == "8 business hours (by Mon 2024-03-11 17:00 CET)"
    anchor = _company_at(store, "on-time", prompt_target, "sent")
    late_by = anchor - at("2024-03-08 12:00")  # how far into Friday the email went (sending takes some wall ms: company minutes)
    assert 0 <= late_by < 6 * H
    assert on_time.deadline_ns == at("2024-03-11 17:00") - anchor
    assert abs(on_time.latency_ns - 71 * H) < 4 * H  # 4 company hours = 100 ms of wall time: a loaded 2-core machine's noise
    replied = anchor + on_time.latency_ns  # Monday 11:00 and a bit; closed from the anchor until Monday 09:00
    assert abs(on_time.business_latency_ns - (replied - at("2024-03-11 09:00"))) < 10**9
    # the same reply against 8 elapsed hours is late
    (against_elapsed,) = results["elapsed"].outcomes
    assert against_elapsed.status == FAILED and against_elapsed.deadline_ns == 8 * H
    # and a reply after 100 h (Tuesday) misses it: the engine waited until Monday 17:00 on the company's clock, not 8 h
    (late,) = results["late"].outcomes
    assert late.status == FAILED and late.timed_out, late.reason
    (decided,) = _events(store, "late", "step_decided")
    assert decided["data"]["when"] == "timeout"
    assert _company_at(store, "late", slow_target, "step_decided") >= at("2024-03-11 17:00")

    # And the scorecard shows elapsed and business time for each reply, the clock of each target, and validates
    engine.call(engine.engine.entries_recorded())
    card = build_scorecard(store, "run-1", {"business": business, "elapsed": elapsed}, {"prompt": prompt_target, "slow": slow_target})
    jsonschema.validate(card, json.loads((ROOT / "mysteryshop/scorecard/schema.json").read_text()))
    probe = next(p for p in card["probes"] if p["id"] == "on-time")
    (message,) = probe["messages"]
    assert abs(message["after_ns"] - 71 * H) < 4 * H and message["business_ns"]  # from the probe's start: sending takes wall ms too == on_time.business_latency_ns
    assert message["business"] == format_duration(on_time.business_latency_ns) and message["local"].startswith("Mon 2024-03-11 1")
    assert probe["outcomes"][0]["within"] == "8 business hours (by Mon 2024-03-11 17:00 CET)"
    assert card["targets"]["prompt"]["clock"]["timezone"] == "Europe/Berlin"
    assert [e["business_ns"] for e in probe["events"] if e["kind"] == "received"] == [message["business_ns"]]


def _company_at(store: Store, probe_id: str, target: Target, kind: str) -> int:
    """The company's clock when the probe's first `kind` event happened (read from its start, at the target's speed-up)."""
    started = _events(store, probe_id, "probe_started")[0]
    assert target.clock is not None
    return target.clock.company_time(int(started["t_ns"]), str(started["utc"]), target.spec.speedup).at(int(_events(store, probe_id, kind)[0]["t_ns"]))


def test_a_probe_outside_its_send_window_waits_for_it(tmp_path: Path, engine: EngineThread, make_desk, store: Store) -> None:
    # Given a company whose clock shows Saturday 10:00 when the probe starts, and a send window on weekdays from 09:00
    desk = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["10m", "10m"]}), speedup=SPEEDUP)
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "1d"))
    target = clocked(target_for(desk.port, speedup=SPEEDUP), start="2025-06-14T10:00", window="Mon-Fri 09:00-17:00", jitter="30m")
    (spec,) = specs_for(journey, target, 1)
    # When it runs
    future = engine.submit(spec)
    deferred = None
    for _ in range(200):  # the progress line says what waits, and until when, as soon as the engine has noted it
        with contextlib.closing(store.read_only()) as conn:
            deferred = Progress.deferred(SimpleNamespace(config=SimpleNamespace(run_id="run-1")), [spec.probe_id], conn)
        if deferred is not None:
            break
        time.sleep(0.01)
    result = future.result(timeout=60)
    # Then the probe waited until Monday 09:00-09:30 on the company's clock (47 company hours, about 1.2 s) before it wrote
    assert result.status == PASSED, result.failure_lines()
    assert deferred is not None and deferred[0] == 1 and deferred[2].startswith("Mon 2025-06-16 09:")
    (event,) = _events(store, spec.probe_id, "deferred_until")
    (sent,) = _events(store, spec.probe_id, "sent")
    assert event["data"]["local"] == deferred[2]
    assert sent["t_ns"] >= event["data"]["until_ns"]
    assert len(desk.truth.received) == 1 and desk.truth.received[0]["t_ns"] >= event["data"]["until_ns"]
    # sending itself takes some wall milliseconds: company minutes at this speed-up
    assert at("2025-06-16 09:00") <= _company_at(store, spec.probe_id, target, "sent") <= at("2025-06-16 09:30") + 2 * H


def test_a_campaign_sends_a_probe_only_when_a_tick_finds_its_window_open(tmp_path: Path, make_desk, store: Store,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a campaign's clock we move by hand, and a company whose clock shows Saturday 10:00 at the start (speed-up 2:
    # Monday 09:00 is 47 company hours, 23.5 wall hours later)
    now = [time.time_ns()]
    monkeypatch.setattr(campaign_module, "CLOCK", lambda: now[0])
    desk = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["1s", "1s"]}), speedup=2)
    journey = write_journey(tmp_path, ACK_JOURNEY.replace("{within}", "1d"))
    target = clocked(target_for(desk.port, speedup=2), start="2025-06-14T10:00", window="Mon-Fri 09:00-17:00", jitter="30m")
    specs = specs_for(journey, target, 2)
    run = Campaign(store, "windowed")
    lines: list[str] = []
    # When the campaign starts on Saturday
    report = asyncio_run(run.start(specs, allowlist=Allowlist.load(tmp_path / "none.yaml"), config={}, out=lines.append))
    # Then nothing is sent: both probes wait for Monday morning
    assert report.waiting == 2 and report.advanced == 0
    assert all("deferred until Mon 2025-06-16 09:" in line for line in lines), lines
    until = [e["data"]["until_ns"] for s in specs for e in _events_of(store, run.run_id, s.probe_id, "deferred_until")]
    assert len(until) == 2 and all(now[0] + 47 * H / 2 <= u <= now[0] + 47.5 * H / 2 for u in until)
    # and a tick two (wall) hours before the first is due sends nothing either
    now[0] = min(until) - 2 * H
    journeys, targets = {journey.name: journey}, {target.name: target}
    assert asyncio_run(run.tick(journeys, targets)).waiting == 2
    time.sleep(0.3)
    assert desk.truth.received == []
    assert [p["status"] for p in build_scorecard(store, run.run_id, journeys, targets)["probes"]] == ["waiting", "waiting"]
    # When a tick finds the window open for one of them, it sends that one only; the next tick after both are due, the other
    first, second = sorted(until)
    now[0] = first
    asyncio_run(run.tick(journeys, targets))
    assert _wait(lambda: len(desk.truth.received) == 1)
    now[0] = second
    asyncio_run(run.tick(journeys, targets))
    assert _wait(lambda: len(desk.truth.received) == 2)
    sent = [e for s in specs for e in _events_of(store, run.run_id, s.probe_id, "sent")]
    assert sorted(e["t_ns"] for e in sent) == [first, second]


def asyncio_run(coro):
    import asyncio

    return asyncio.run(coro)


def _events_of(store: Store, run_id: str, probe_id: str, kind: str) -> list[dict[str, object]]:
    return [{**e, "data": json.loads(e["data"])} for e in store.query_dicts(
        "SELECT t_ns, data FROM events WHERE run_id = ? AND probe_id = ? AND kind = ? ORDER BY id", (run_id, probe_id, kind))]


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_progress_line_shows_a_business_deadline(tmp_path: Path, store: Store) -> None:
    # Given a probe of a clocked target (Friday 16:00 when it started) that sent its email just now
    business = write_journey(tmp_path, BUSINESS_JOURNEY.replace("{within}", "8 business hours"), name="business")
    target = clocked(target_for(2525, speedup=SPEEDUP), start="2025-06-13T16:00")
    (spec,) = [ProbeSpec("p0", business, target, specs_for(business, target, 1)[0].persona)]
    start = time.monotonic_ns()
    store.event("run-1", "p0", "probe_started", start)
    store.event("run-1", "p0", "sent", start, step="ask")
    store.write("SELECT 1")  # after the posted events
    progress = Progress()
    progress.specs = {"p0": spec}
    # When the progress line looks for the next deadline
    with contextlib.closing(store.read_only()) as conn:
        seconds, label, text = progress.next_deadline(SimpleNamespace(config=SimpleNamespace(run_id="run-1")), ["p0"], conn)
    # Then it is Monday 16:00 on the company's clock: 72 company hours, 1.8 s at this speed-up (not 8 h, 0.2 s)
    assert label == "business/acknowledged"
    assert text == "8 business hours, by Mon 2025-06-16 16:00 CEST"
    assert 1.5 < seconds <= 72 * H / SPEEDUP / 1e9
