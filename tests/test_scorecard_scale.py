"""The scorecard at scale (issue #6): stored parsed fields instead of raw re-parsing, and writers that stream.

Every shortcut here must give the same scorecard as the slow path it replaces: a run read
from the fields recorded when its messages arrived scores exactly like the same run parsed
again from the raw bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
import sqlite3
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mysteryshop.journey import load_journey
from mysteryshop.mail import compose
from mysteryshop.collect.parse import from_stored, parse_mail, stored_fields, text_basis
from mysteryshop.runner import EngineThread
from mysteryshop.scorecard import rebuild
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.junit import _seconds, write_junit
from mysteryshop.scorecard.synthetic import write_synthetic_run
from mysteryshop.scorecard import write as scorecard_write
from mysteryshop.scorecard.write import render_html, write_json, write_scorecard
from mysteryshop.store import PARSED_COLUMNS, Store
from mysteryshop.target import load_target
from mysteryshop.untrusted import xml_chars

from .conftest import fresh_store, profile, specs_for, target_for, write_journey

ROOT = Path(__file__).resolve().parent.parent

JOURNEY = """
id: scale_equivalence
title: Everything a desk can send, for comparing the stored and the re-parsed scorecard
steps:
  - id: ask
    do: send_email
    subject: "Returning an opened item from order {persona.order_id}"
    body: |
      Hello, can I still return my jacket from order {persona.order_id}? Who pays return shipping?
      {persona.full_name}
  - id: acknowledged
    expect: acknowledgement
    within: 3s
  - id: answered
    expect: answer
    within: 4s
    must: [personalized]
    must_not: [marketing]
  - id: followed_up
    expect: satisfaction_followup
    within: 5s
  - id: no_marketing
    expect: no_marketing
"""


def _no_raw_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scorecard parsed a raw message although its parsed fields were stored")

    monkeypatch.setattr(rebuild, "parse_mail", refuse)


def _no_kind_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scorecard read a reply's kind again although the probe kept the kind it read on arrival")

    monkeypatch.setattr(rebuild, "read_kind", refuse)


def test_a_real_demo_run_scores_the_same_from_stored_fields_as_from_raw(
    tmp_path: Path, engine: EngineThread, make_desk, store: Store, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    # Given probes that ran against the real demo desk: acknowledgements (some stalling), good,
    # wrong and stalling answers, follow-ups and marketing, all through SMTP into the probe mailbox
    desk = make_desk(profile(
        acknowledgement={"probability": 0.8, "delay": ["50ms", "400ms"], "stalling": 0.5},
        answer={"probability": 0.9, "delay": ["200ms", "900ms"], "quality": {"good": 1.0, "wrong": 1.0, "stalling": 0.5}},
        followup={"probability": 0.6, "delay": ["1s", "1500ms"]},
        marketing={"probability": 0.5, "delay": ["100ms", "1s"]},
    ))
    journey = write_journey(tmp_path, JOURNEY)
    target = target_for(desk.port)
    specs = specs_for(journey, target, 12)
    for spec in specs:  # as the session (pytest plugin) registers its probes
        store.add_probe("run-1", spec.probe_id, journey.name, target.name, spec.persona.as_dict())
    results = [f.result(timeout=60) for f in [engine.submit(s) for s in specs]]
    assert len(results) == 12
    deadline = time.monotonic() + 5
    while len(desk.truth.sent) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    store.write("SELECT 1")  # every queued annotation is committed
    journeys, targets = {journey.name: journey}, {target.name: target}

    # When the scorecard is built from the raw bytes, and from the fields stored when each message arrived
    from_raw = build_scorecard(store, "run-1", journeys, targets, reparse=True)
    rows = store.query("SELECT direction, text_basis FROM messages WHERE run_id = 'run-1'")
    assert {r["direction"] for r in rows} == {"in", "out"} and all(r["text_basis"] is not None for r in rows)
    with monkeypatch.context() as patch:
        _no_raw_parsing(patch)
        _no_kind_read_again(patch)
        from_fields = build_scorecard(store, "run-1", journeys, targets)

    # Then they are the same scorecard, and it has something in it
    assert from_fields == from_raw
    kinds = {m["kind"] for p in from_fields["probes"] for m in p["messages"]}
    assert {"acknowledgement", "answer", "marketing"} <= kinds
    assert any(p["outcomes"][1]["criteria"] for p in from_fields["probes"])  # the must / must_not criteria were scored


def test_rows_never_annotated_are_parsed_from_raw_and_score_the_same(tmp_path: Path) -> None:
    # Given a synthetic run stored as the engine stores it (raw bytes and parsed fields)
    db = fresh_store(tmp_path)
    write_synthetic_run(db, "r", probes=40, seed=11)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
    store = Store(db)
    stored = build_scorecard(store, "r", journeys, targets)
    # When half the rows lose their parsed fields (as rows of an older store, or a raw collector, have none)
    store.write("UPDATE messages SET text_basis = NULL, text = NULL, subject = NULL WHERE id % 2 = 0")
    mixed = build_scorecard(store, "r", journeys, targets)
    reparsed = build_scorecard(store, "r", journeys, targets, reparse=True)
    store.close()
    # Then the scorecard is the same either way
    assert stored == mixed == reparsed
    assert stored["summary"]["probes"] == 40


def test_stored_fields_cut_again_when_the_customer_text_differs() -> None:
    # Given a reply that pastes the customer's sentence back, annotated without knowing the customer text
    customer = "Hello, can I still return my jacket from order ORD-1 after thirty days please?"
    body = f"Hi Sam,\n\nYou wrote: {customer}\n\nYes, within 30 days.\n\nAnna"
    raw = compose(sender="support@northwind.demo", to="sam@probe.test", subject="Re: jacket", body=body, domain="northwind.demo").as_bytes()
    row = stored_fields(parse_mail(raw), None)
    row["defects"] = json.dumps(row["defects"])
    # When it is read back for a probe whose customer text is known
    mail = from_stored(row, customer)
    # Then its text is what parsing the raw message against that customer text gives
    expected = parse_mail(raw, customer_text=customer)
    assert row["text_basis"] == "" and text_basis(customer) != ""
    assert (mail.text, mail.full_text, mail.subject, mail.html, mail.defects) == (
        expected.text, expected.full_text, expected.subject, expected.html, expected.defects)
    assert customer not in mail.text and customer in mail.full_text


@pytest.mark.sqlite_only("an older SQLite file's tables, created through sqlite3 itself")
def test_an_older_store_gains_the_parsed_columns(tmp_path: Path) -> None:
    # Given a store created before the parsed columns existed
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE messages (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, probe_id TEXT, direction TEXT NOT NULL,
            mail_from TEXT NOT NULL, rcpt_to TEXT NOT NULL, t_ns INTEGER NOT NULL, utc TEXT NOT NULL, raw BLOB NOT NULL,
            message_id TEXT, in_reply_to TEXT, subject TEXT, text TEXT, matched_by TEXT,
            malformed INTEGER NOT NULL DEFAULT 0, defects TEXT NOT NULL DEFAULT '[]');
        INSERT INTO messages (run_id, direction, mail_from, rcpt_to, t_ns, utc, raw) VALUES ('r', 'in', 'a@b', '[]', 1, 'x', X'00');
    """)
    conn.close()
    # When it is opened
    Store(db).close()
    # Then the columns are there, NULL on the old row (so it is parsed from raw)
    conn = sqlite3.connect(db)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
    assert set(PARSED_COLUMNS) | {"source"} <= columns
    assert conn.execute("SELECT text_basis FROM messages").fetchone() == (None,)
    conn.close()


@pytest.fixture(scope="module")
def card(tmp_path_factory: pytest.TempPathFactory) -> dict:
    db = fresh_store(tmp_path_factory.mktemp("card"))
    write_synthetic_run(db, "run-a", probes=30, seed=5, reply_text="<b>5 & 6</b> \"quoted\"\ttab\r\nline \u2028 \U0001F600 \x01 \x7f é \\ /")
    store = Store(db)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
    built = build_scorecard(store, "run-a", journeys, targets)
    store.close()
    return built


@pytest.mark.parametrize("per_write", [256, 7, 1])  # probes encoded a slice at a time: slices of 7 and 1 cross the boundaries
def test_json_is_byte_for_byte_json_dump(card: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_write: int) -> None:
    monkeypatch.setattr(scorecard_write, "_PROBES_PER_WRITE", per_write)
    with (tmp_path / "ref.json").open("w", encoding="utf-8") as fh:
        json.dump(card, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    assert write_json(card, tmp_path / "s.json").read_bytes() == (tmp_path / "ref.json").read_bytes()


def junit_tree(  # the ElementTree reference the streamed writer must equal
    card: Mapping[str, Any], linked: set[str] | None = None) -> ET.ElementTree:
    """The JUnit document of a scorecard; the testcases of the probes in `linked` (None: all) link to the QA page."""
    suites: dict[tuple[str, str], list[ET.Element]] = {}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for probe in card["probes"]:
        key = (probe["journey"], probe["target"])
        cases = suites.setdefault(key, [])
        tally = counts.setdefault(key, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
        classname = f"{probe['journey']}.{probe['target']}.{probe['persona'].get('key', probe['id'])}"
        persona = probe["persona"].get("full_name", "")
        url = {"url": f"scorecard.html#probe-{probe['id']}"} if linked is None or probe["id"] in linked else {}
        see = f"\ndetails: {url['url']}" if url else ""
        if probe["error"] and not probe["outcomes"]:
            case = ET.Element("testcase", name="probe", classname=classname, **url, time="0.000")
            ET.SubElement(case, "error", message=probe["error"], type="unreachable" if probe["unreachable"] else "error").text = probe["error"] + see
            cases.append(case)
            tally["tests"] += 1
            tally["errors"] += 1
            continue
        for outcome in probe["outcomes"]:
            name = f"{outcome['step']} ({outcome['expect']})"
            case = ET.Element("testcase", name=name, classname=classname, **url, time=_seconds(outcome["latency_ns"]))
            tally["tests"] += 1
            detail = [f"persona: {persona} <{probe['persona'].get('email', '')}>", f"probe: {probe['id']}", outcome["reason"]]
            if outcome["evidence"]:
                detail.append(f"evidence ({outcome['evidence']['utc']}): {outcome['evidence']['quote']}")
            if outcome["status"] == "failed":
                ET.SubElement(case, "failure", message=outcome["reason"], type=outcome["expect"]).text = "\n".join(detail) + see
                tally["failures"] += 1
            elif outcome["status"] == "pending":
                ET.SubElement(case, "skipped", message=f"undecided: {outcome['reason']}")
                tally["skipped"] += 1
            else:
                ET.SubElement(case, "system-out").text = "\n".join(detail)
            cases.append(case)
        if probe["error"]:
            case = ET.Element("testcase", name="probe", classname=classname, **url, time="0.000")
            ET.SubElement(case, "error", message=probe["error"], type="unreachable" if probe["unreachable"] else "error").text = probe["error"] + see
            cases.append(case)
            tally["tests"] += 1
            tally["errors"] += 1
    total = {k: sum(c[k] for c in counts.values()) for k in ("tests", "failures", "errors")}
    root = ET.Element("testsuites", name=f"mysteryshop run {card['run']['id']}", **{k: str(v) for k, v in total.items()})
    for (journey, target), cases in suites.items():
        tally = counts[(journey, target)]
        suite = ET.SubElement(
            root, "testsuite", name=f"{journey} @ {target}", tests=str(tally["tests"]), failures=str(tally["failures"]),
            errors=str(tally["errors"]), skipped=str(tally["skipped"]), timestamp=card["run"]["started_utc"] or "",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="run_id", value=card["run"]["id"])
        ET.SubElement(props, "property", name="grade", value=str(card["summary"].get("grade", {}).get("grade", "")))
        suite.extend(cases)
    return ET.ElementTree(root)



def _xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return xml_chars(value)
    if isinstance(value, dict):
        return {k: _xml_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_xml_safe(v) for v in value]
    return value


def test_streamed_junit_is_byte_for_byte_the_element_tree_document(card: dict, tmp_path: Path) -> None:
    # every kind of testcase: passed, failed, undecided (pending), a probe that could not run, one that failed half-way
    probes = [dict(p) for p in card["probes"]]
    probes[0]["outcomes"] = [dict(o, status="pending", reason='waiting <for> "an answer" & more') for o in probes[0]["outcomes"]]
    probes[1] = dict(probes[1], error="target unreachable: 127.0.0.1:9 <refused>", unreachable=True, outcomes=[])
    probes[2] = dict(probes[2], error="channel refused & stopped", unreachable=False)
    card = {**card, "probes": probes}
    statuses = {o["status"] for p in probes for o in p["outcomes"]}
    assert statuses == {"passed", "failed", "pending"}, statuses
    # the reference with the characters XML 1.0 cannot hold (the reply text has \x01) replaced, as the writer does:
    # ElementTree writes them as they are, and no XML parser reads its document then
    tree = junit_tree(_xml_safe(card))
    ET.indent(tree, space=" ")
    tree.write(tmp_path / "ref.xml", encoding="utf-8", xml_declaration=True)
    assert write_junit(card, tmp_path / "j.xml").read_bytes() == (tmp_path / "ref.xml").read_bytes()
    # only the probes the QA page shows link to it
    linked = {p["id"] for p in probes[::2]}
    tree = junit_tree(_xml_safe(card), linked)
    ET.indent(tree, space=" ")
    tree.write(tmp_path / "ref-linked.xml", encoding="utf-8", xml_declaration=True)
    assert write_junit(card, tmp_path / "jl.xml", linked=linked).read_bytes() == (tmp_path / "ref-linked.xml").read_bytes()
    ET.parse(tmp_path / "j.xml")
    empty = {**card, "probes": []}
    tree = junit_tree(empty)
    ET.indent(tree, space=" ")
    tree.write(tmp_path / "ref0.xml", encoding="utf-8", xml_declaration=True)
    assert write_junit(empty, tmp_path / "j0.xml").read_bytes() == (tmp_path / "ref0.xml").read_bytes()


def test_the_html_detail_is_capped_showing_probes_that_did_not_pass_first(card: dict, tmp_path: Path) -> None:
    # Given 30 probes, every third passed
    card = {**card, "probes": [dict(p, status="passed") if i % 3 == 0 else p for i, p in enumerate(card["probes"])]}
    statuses = [p["status"] for p in card["probes"]]
    not_passed = [p["id"] for p in card["probes"] if p["status"] != "passed"]
    assert "passed" in statuses and len(not_passed) > 5
    # When the page may show 5
    html = render_html(card, detail_limit=5)
    # Then it shows 5 probes, all of them ones that did not pass, and says where the rest is
    shown = [p["id"] for p in card["probes"] if f'id="probe-{p["id"]}"' in html]
    assert shown == not_passed[:5]
    assert 'id="detail-limit"' in html and "scorecard.json" in html
    # And under the limit every probe is shown, with no note
    full = render_html(card)
    assert all(f'id="probe-{p["id"]}"' in full for p in card["probes"]) and 'id="detail-limit"' not in full
    paths = write_scorecard(card, tmp_path / "out", detail_limit=5)
    assert paths["html"].read_text(encoding="utf-8").count('<tbody class="probe"') == 5


def test_mysteryshop_report_reparse_writes_the_same_scorecard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mysteryshop.cli import main

    # Given a stored run
    db = fresh_store(tmp_path)
    write_synthetic_run(db, "r", probes=15, seed=2)
    store = Store(db)
    store.finish_run("r", "failed", {"probes": 15})
    store.close()
    monkeypatch.chdir(ROOT)
    common = ["--store", str(db), "--journeys", str(ROOT / "journeys"), "--reports", str(tmp_path / "reports")]
    # When its scorecard is written from the stored fields, and again with --reparse
    assert main(["report", "r", "--out", str(tmp_path / "stored"), *common]) == 0
    assert main(["report", "r", "--out", str(tmp_path / "raw"), "--reparse", *common]) == 0
    # Then both are the same
    stored = json.loads((tmp_path / "stored" / "scorecard.json").read_text(encoding="utf-8"))
    raw = json.loads((tmp_path / "raw" / "scorecard.json").read_text(encoding="utf-8"))
    assert stored == raw and stored["summary"]["probes"] == 15
