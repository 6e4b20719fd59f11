"""The figures agree: random runs (channels, outcomes, missing data, unreachable targets, bounces, interruptions)
are stored, scored and written, and every invariant between scorecard.json, the HTML page and junit.xml holds.

Hypothesis draws the runs (tests/test_scorecard_agree.py is the place to add an invariant); each is written to a
real store (scorecard.synthetic.write_mixed_run), scored by build_scorecard and written by write_scorecard, then
read back from the files, as a CI server or a person would.
"""

from __future__ import annotations

import json
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import lxml.html
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.rubric import default_rubric
from mysteryshop.scorecard.samples import card_samples
from mysteryshop.scorecard.synthetic import CHAT_LINES, SyntheticProbe, write_mixed_run
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.scoring.metrics import METRICS
from mysteryshop.store import Store
from mysteryshop.target import load_target

ROOT = Path(__file__).resolve().parent.parent
JOURNEYS = {name: load_journey(ROOT / "journeys" / f"{name}.yaml") for name in ("email_question", "webform_refund", "chat_delivery")}
TARGETS = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
#: company seconds of a reply, or none: often near the thresholds that matter (15m, 20m, 1h, 4h, 24h), else anywhere in three days
MINUTES = st.one_of(st.none(), st.sampled_from([0.5, 2, 14.9, 15.1, 19.9, 20.1, 59, 61, 239, 241, 1439, 1441]).map(lambda m: m * 60),
                    st.floats(min_value=0.5, max_value=3 * 86400 / 60).map(lambda m: round(m * 60, 1)))

from .conftest import fresh_store


@st.composite
def probes(draw: st.DrawFn) -> SyntheticProbe:
    journey = draw(st.sampled_from(sorted(JOURNEYS)))
    if not draw(st.integers(0, 9)):  # one in ten: the target could not be reached
        return SyntheticProbe(journey, reached=False)
    chat = ()
    if journey == "chat_delivery":
        chat = tuple(draw(st.lists(st.tuples(st.one_of(st.sampled_from([5.0, 60.0, 299.0, 301.0, 1190.0, 1210.0, 3599.0]),
                                                       st.floats(min_value=1, max_value=7200).map(lambda s: round(s, 1))),
                                             st.sampled_from(sorted(CHAT_LINES))), max_size=5)))
    bounced = journey != "chat_delivery" and not draw(st.integers(0, 7))
    silent = bounced and draw(st.booleans())  # a bounce and nothing else: undeliverable, not graded
    return SyntheticProbe(
        journey, bounced=bounced, ack_s=None if silent else draw(MINUTES), stall=draw(st.booleans()),
        answer_s=None if silent else draw(MINUTES), good=draw(st.booleans()), followup_s=None if silent else draw(MINUTES),
        marketing_s=draw(st.one_of(st.none(), MINUTES)), confirmation=draw(st.booleans()),
        ticket=draw(st.booleans()), chat=chat, ending=draw(st.sampled_from(["finished"] * 6 + ["interrupted"])),
    )


def _write(specs: list[SyntheticProbe], folder: Path) -> tuple[dict[str, Any], Any, ET.Element]:
    db = fresh_store(folder)
    write_mixed_run(db, "run", specs)
    store = Store(db)
    try:
        card = build_scorecard(store, "run", JOURNEYS, TARGETS, quality=False)
    finally:
        store.close()
    paths = write_scorecard(card, folder / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    page = lxml.html.fromstring(paths["html"].read_text(encoding="utf-8"))
    return data, page, ET.parse(paths["junit"]).getroot()


def _text(node: Any) -> str:
    return " ".join(node.text_content().split())


def check_json(card: dict[str, Any]) -> None:
    summary, probes_ = card["summary"], card["probes"]
    min_sample = default_rubric().settings.min_sample
    # the header's counts are the probe list's
    assert summary["probes"] == len(probes_)
    for status in ("passed", "failed", "error", "interrupted", "undeliverable"):
        assert summary[status] == sum(p["status"] == status for p in probes_), status
    graded = [p for p in probes_ if p["status"] != "undeliverable"]
    for channel, data in card["channels"].items():
        # a channel's denominator is the probes that reached the company there
        contacts = sum(bool(p["metrics"][channel]) for p in graded)
        assert data["contacts"] == data["probes"] == summary["contacts"][channel] == contacts
        assert summary["metrics"][channel] == data["metrics"]
        for name, f in data["metrics"].items():
            assert 0 <= f["count"] <= f["of"] == contacts, (channel, name, f)
            assert f["measured"] == (f["of"] > 0) and f["too_few"] == (f["of"] < min_sample)
            if f["of"]:
                assert f["rate"] == f["count"] / f["of"]
                low, high = f["rate_ci95"]
                assert 0 <= low <= f["rate"] <= high <= 1
            else:
                assert f["rate"] is None and f["rate_ci95"] is None
            if "times" in f:
                assert 0 <= f["times"] <= f["of"]
                if f["times"]:
                    assert f["median_s"] <= f["p90_s"]
                    if f["median_ci95_s"]:
                        assert f["median_ci95_s"][0] <= f["median_s"] <= f["median_ci95_s"][1]
                else:
                    assert f["median_s"] is None and f["p90_s"] is None
        m = data["metrics"]
        if channel in ("email", "webform"):
            assert m["answered"]["times"] == m["answered"]["count"]
        if channel == "email":
            assert m["answered_in_first_reply"]["count"] <= m["answered"]["count"]
            assert m["acknowledged"]["count"] <= m["acknowledged"]["times"]
        if channel == "webform":
            assert m["ticket_given"]["count"] <= m["confirmation_shown"]["count"]
        if channel == "chat":
            assert m["reached_person"]["count"] <= m["first_response"]["count"]
        # the figures are counts of the probe list
        facts = [p["metrics"] for p in graded if p["metrics"][channel]]
        for name, fact in {"email.answered": "answered_ns", "webform.answered": "form_answered_ns", "chat.first_response": "chat_response_ns",
                           "chat.reached_person": "chat_person_ns"}.items():
            if name.startswith(f"{channel}."):
                assert m[name.split(".")[1]]["count"] == sum(f[fact] is not None for f in facts), name
        if channel == "chat":
            assert m["abandoned"]["count"] == sum(f["chat_ended"] and f["chat_answer_ns"] is None for f in facts)
        # nothing measured is never graded, and what is too few is left out
        grade = data["grade"]
        if contacts == 0:
            assert grade["grade"] == "—" and grade["score"] is None and grade["reason"].startswith("not measured")
        graded_metrics = {p["metric"].split(".")[1] for p in grade["points"]}
        assert not any(m[name]["too_few"] or not m[name]["measured"] for name in graded_metrics)
        assert (grade["score"] is None) == (grade["grade"] == "—") == (not grade["points"])
    # the regression gate tests what the page states: every rate's count of its denominator, every time behind a median
    samples = card_samples(card)
    for channel, data in card["channels"].items():
        for name, f in data["metrics"].items():
            key = f"{channel}.{name}"
            if f["measured"]:
                assert samples[f"{key}.rate"] == {"k": f["count"], "n": f["of"]}, key
            if "times" in f:
                assert len(samples[f"{key}.median_s"]["values"]) == f["times"], key
    overall = summary["grade"]
    assert (overall["grade"] == "—") == all(c["grade"]["score"] is None for c in card["channels"].values())
    if overall["grade"] == "—":
        assert overall["reason"]
    if not any(c["contacts"] for c in card["channels"].values()):
        assert overall["grade"] == "—" and "no probe reached the company" in overall["reason"]
    assert {p["metric"] for p in overall["points"]} == {c for c, d in card["channels"].items() if d["grade"]["score"] is not None}


def check_page(card: dict[str, Any], page: Any) -> None:
    summary = card["summary"]
    assert _text(page.get_element_by_id("overall-grade")) == summary["grade"]["grade"]
    header = _text(page.xpath("//section[@id='onepager']//div[@class='sub']")[0])
    assert f"{summary['probes']} synthetic customers" in header
    assert f"{summary['passed']} passed" in header and f"{summary['failed']} failed" in header
    if summary["error"]:
        assert f"{summary['error']} errors" in header
    if summary["grade"]["reason"]:
        assert _text(page.get_element_by_id("no-grade")) == f"Not graded: {summary['grade']['reason']}"
    rows = page.xpath("//table[@id='metrics']//tr[@data-metric]")
    shown = [m.key for m in METRICS if m.channel in card["channels"]]
    assert [r.get("data-metric") for r in rows] == shown
    for row in rows:
        channel, name = row.get("data-metric").split(".")
        f = card["channels"][channel]["metrics"][name]
        measured = _text(row.xpath("td")[1])
        if not f["measured"]:
            assert measured == "not measured"
        else:
            unit = f["unit"] if f["of"] != 1 else f["unit"].split(" ")[0].removesuffix("s") + f["unit"][len(f["unit"].split(" ")[0]):]
            assert measured.startswith(f"{f['count']} of {f['of']} {unit}"), (measured, f)
            if f["too_few"]:
                assert "too few to judge" in measured
            else:
                assert f"· {f['rate'] * 100:.0f}%" in measured
    for head in page.xpath("//table[@id='metrics']//tr[@class='channel-row']"):
        grade = card["channels"][head.get("data-channel")]["grade"]
        assert _text(head.xpath(".//span[contains(@class, 'grade')]")[0]) == grade["grade"]


def check_junit(card: dict[str, Any], junit: ET.Element) -> None:
    graded = [p for p in card["probes"] if p["status"] != "undeliverable"]
    failed = sum(o["status"] == "failed" for p in graded for o in p["outcomes"])
    errors = sum(1 for p in card["probes"] if p["status"] == "undeliverable") + sum(
        1 for p in graded if p["error"] and p["status"] != "interrupted")
    assert int(junit.get("failures")) == failed == len(junit.findall(".//failure"))
    assert int(junit.get("errors")) == errors == len(junit.findall(".//error"))
    assert int(junit.get("tests")) == len(junit.findall(".//testcase"))
    for suite in junit.findall("testsuite"):
        grade = next(p.get("value") for p in suite.iter("property") if p.get("name") == "grade")
        assert grade == card["summary"]["grade"]["grade"]


#: runs worth trying every time, beside those Hypothesis draws: the cases the figures have got wrong before
EDGES = [
    [SyntheticProbe("email_question", answer_s=120.0), SyntheticProbe("email_question", ack_s=30.0, answer_s=7200.0)],  # the answer is no ack
    [SyntheticProbe("chat_delivery", chat=((5.0, "greeting"), (60.0, "intro")))] * 2,  # a person wrote but never answered
    [SyntheticProbe("webform_refund", bounced=True), SyntheticProbe("email_question", bounced=True, ack_s=60.0)],  # undeliverable
    [SyntheticProbe("email_question", ack_s=60.0, answer_s=3600.0, ending="interrupted")] * 5 + [SyntheticProbe("chat_delivery")] * 5,
]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(probes(), min_size=0, max_size=16))
@example(EDGES[0])
@example(EDGES[1])
@example(EDGES[2])
@example(EDGES[3])
def test_the_json_the_page_and_junit_agree(specs: list[SyntheticProbe]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        card, page, junit = _write(specs, Path(folder))
    check_json(card)
    check_page(card, page)
    check_junit(card, junit)


def test_a_run_that_reached_nobody_has_no_grade_and_says_why(tmp_path: Path) -> None:
    card, page, junit = _write([SyntheticProbe(j, reached=False) for j in sorted(JOURNEYS) for _ in range(2)], tmp_path)
    assert card["summary"]["grade"]["grade"] == "—" and card["summary"]["grade"]["score"] is None
    assert card["summary"]["grade"]["reason"] == "no probe reached the company (6 unreachable)"
    assert all(c["grade"]["grade"] == "—" and not c["grade"]["points"] for c in card["channels"].values())
    assert "no marketing" not in json.dumps(card["summary"]["grade"]).lower()  # no points for what never happened
    assert _text(page.get_element_by_id("no-grade")) == "Not graded: no probe reached the company (6 unreachable)"
    assert re.search(r"\bnot measured\b", _text(page.get_element_by_id("metrics")))
    check_json(card)
    check_page(card, page)
    check_junit(card, junit)


def test_an_excellent_mixed_run_grades_each_channel_on_its_own_metrics(tmp_path: Path) -> None:
    chat = ((20.0, "greeting"), (120.0, "intro"), (400.0, "answer"), (900.0, "survey"))
    specs = ([SyntheticProbe("email_question", ack_s=60, answer_s=3600, followup_s=86400)] * 5
             + [SyntheticProbe("webform_refund", ack_s=60, answer_s=3600)] * 5 + [SyntheticProbe("chat_delivery", chat=chat)] * 5)
    card, page, junit = _write(specs, tmp_path)
    grades = {c: d["grade"]["grade"] for c, d in card["channels"].items()}
    assert grades == {"email": "A", "webform": "A", "chat": "A"} and card["summary"]["grade"]["grade"] == "A"
    assert card["channels"]["chat"]["contacts"] == 5 and card["channels"]["email"]["contacts"] == 5
    assert all(p["metric"].startswith("chat.") for p in card["channels"]["chat"]["grade"]["points"])
    check_json(card)
    check_page(card, page)
    check_junit(card, junit)
