"""Branching journeys: validation with locations, walks along each branch, the map, round-trips."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from mysteryshop.errors import JourneyError
from mysteryshop.journey import load_journey
from mysteryshop.journeymap import AMBER, GREEN, GREY, RED, journey_stats, render_svg
from mysteryshop.cli.journeys import target_problems
from mysteryshop.runner import EngineThread
from mysteryshop.target import Target, TargetSpec

from .conftest import ROOT, profile, specs_for, target_for

pytest_plugins = ["pytester"]

HEAD = "title: T\nsteps:\n  - id: ask\n    do: send_email\n    subject: s\n    body: b\n"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "j.yaml"
    path.write_text(text)
    with pytest.raises(JourneyError) as info:
        load_journey(path)
    return info.value.problems


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  - id: a\n    expect: acknowledgement\n    within: 1h\n  - id: b\n    expect: answer\n    within: 30m\n",
         "j.yaml:12:5: steps[2].within: 30m is sooner than 'a' (1h) earlier on the same path from 'ask'"),
        ("  - id: a\n    expect: acknowledgement\n    within: 1h\n    end: true\n  - id: lost\n    expect: answer\n    within: 2h\n",
         "j.yaml:11:5: steps[2]: step 'lost' can never be reached from 'ask'"),
        ("  - id: a\n    expect: acknowledgement\n    within: 1h\n    on_timeout: ask\n",
         "j.yaml:3:5: steps[0]: the steps ask -> a -> ask form a loop with no bound. Add 'max_visits: N'"),
        ("  - id: chat\n    do: send_email\n    channel: chatt\n    subject: s\n    body: b\n",
         "j.yaml:9:5: steps[1].channel: unknown channel 'chatt'."),
        ("  - id: a\n    expect: acknowledgement\n    within: 1h\n    on_fail: nudge\n",
         "j.yaml:10:5: steps[1].on_fail: no step 'nudge' in this journey"),
        ("  - id: a\n    use: missing\n",
         "j.yaml:8:5: steps[1].use: no template 'missing'"),
        ("  - id: m\n    do: send_email\n    subject: 'Hi {persona.frist_name}'\n    body: b\n",
         "j.yaml:9:5: steps[1].subject: unknown variable '{persona.frist_name}'. Did you mean 'first_name'?"),
    ],
    ids=["contradicting-deadline", "unreachable", "unbounded-cycle", "unknown-channel", "unknown-step", "unknown-template", "unknown-variable"],
)
def test_each_validation_error_has_its_message_and_location(tmp_path: Path, body: str, expected: str) -> None:
    problems = problems_of(tmp_path, HEAD + body)
    assert any(p.split("/")[-1].startswith(expected) for p in problems), problems


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        "title: T\nowner: [x]\nsteps:\n  - id: ask\n    do: send_emial\n  - id: a\n    expect: answer\n    within: soon\n"
        "  - id: b\n    expect: acknowledgement\n    within: 1h\n    next: nowhere\n",
    )
    joined = "\n".join(problems)
    assert "j.yaml:2:1: owner:" in joined
    assert "j.yaml:5:5: steps[0].do: unknown action 'send_emial'. Did you mean 'send_email'?" in joined
    assert "j.yaml:8:5: steps[1].within: 'soon' is not a duration" in joined
    assert "j.yaml:12:5: steps[2].next: no step 'nowhere'" in joined


def test_a_bounded_loop_and_templates_load(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(
        "title: Retry\ntemplates:\n  ask:\n    do: send_email\n    subject: 'Order {persona.order_id}'\n    body: 'Any news?'\n"
        "steps:\n  - id: ask\n    use: ask\n    max_visits: 3\n  - id: wait\n    expect: answer\n    within: 1h\n    on_timeout: ask\n"
    )
    journey = load_journey(path)
    assert journey.step("ask").subject == "Order {persona.order_id}"
    assert journey.follow("wait", "timeout") == "ask"
    assert journey.follow("wait", "pass") is None
    assert journey.graph.edges["wait", "ask"]["when"] == "timeout"


def test_a_target_without_the_channel_a_journey_uses_is_reported() -> None:
    journey = load_journey(ROOT / "journeys/email_question.yaml")
    no_email = Target(spec=TargetSpec(name="webonly"), path=Path("journeys/targets/webonly.yaml"))
    (problem,) = target_problems(journey, no_email)
    step_line = journey.path.read_text().splitlines().index("  - id: ask") + 2  # its `do:` line, under the id
    assert problem.startswith(f"{journey.path}:{step_line}:5: steps[0] ('ask') uses channel 'email', but target file journeys/targets/webonly.yaml has no 'email:' section")


def test_a_form_field_the_target_lacks_is_reported_with_its_location(tmp_path: Path) -> None:
    from mysteryshop.target import load_target

    path = tmp_path / "form.yaml"
    path.write_text("title: T\nsteps:\n  - id: send\n    do: submit_form\n    fields:\n      topc: Returns\n    body: hello\n"
                    "  - id: ok\n    expect: form_confirmation\n    within: 1m\n")
    (problem,) = target_problems(load_journey(path), load_target(ROOT / "journeys/targets/demo.yaml"))
    assert f"{path}:6:7: steps[0].fields.topc: target file" in problem
    assert "has no form field 'topc'. Did you mean 'topic'?" in problem


def _walk(engine: EngineThread, make_desk, desk_profile) -> list[str]:
    journey = load_journey(ROOT / "journeys/email_unacknowledged.yaml")
    # 1440x: the 15-minute deadline is 625 ms of wall time, far above scheduling noise on a busy machine
    desk = make_desk(desk_profile, speedup=1440)
    (spec,) = specs_for(journey, target_for(desk.port, speedup=1440), 1)
    result = engine.submit(spec).result(timeout=30)
    assert result.error is None
    return [v.step for v in result.timeline.path]


def test_the_pass_branch_is_taken_when_the_desk_acknowledges(engine: EngineThread, make_desk) -> None:
    path = _walk(engine, make_desk, profile(acknowledgement={"probability": 1.0, "delay": ["1m", "1m"]}))
    assert path == ["ask", "acknowledged", "done"]


def test_the_timeout_branch_nudges_a_silent_desk(engine: EngineThread, make_desk, store) -> None:
    path = _walk(engine, make_desk, profile())
    assert path == ["ask", "acknowledged", "nudge", "acknowledged_after_nudge", "done"]
    decided = [(e["step"], e["data"]) for e in store.events("run-1") if e["kind"] == "step_decided"]
    assert [step for step, _ in decided] == ["acknowledged", "acknowledged_after_nudge"]
    assert all(json.loads(data)["when"] == "timeout" for _, data in decided)


def _node_fills(svg: str) -> dict[str, str]:
    ns = {"svg": "http://www.w3.org/2000/svg"}
    root = ET.fromstring(svg)
    fills = {}
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") != "node":
            continue
        title = group.find("svg:title", ns).text
        shape = group.find("svg:path", ns)
        if shape is None:
            shape = group.find("svg:polygon", ns)
        fills[title] = shape.get("fill")
    return fills


def test_the_map_colours_each_step_by_its_outcomes() -> None:
    journey = load_journey(ROOT / "journeys/email_question.yaml")
    path = ["ask", "acknowledged", "answered", "followed_up", "no_marketing"]
    probes = [
        {"path": path, "outcomes": [
            {"step": "acknowledged", "status": "passed", "latency_ns": 1},
            {"step": "answered", "status": "passed" if i < 6 else "failed", "latency_ns": 2},
            {"step": "followed_up", "status": "failed"},
        ]}
        for i in range(10)
    ]
    steps, edges = journey_stats(journey, probes)
    fills = _node_fills(render_svg(journey, steps, edges))
    assert fills["acknowledged"] == GREEN      # 10/10
    assert fills["answered"] == AMBER          # 6/10
    assert fills["followed_up"] == RED         # 0/10
    assert fills["no_marketing"] == GREY       # never judged here
    assert edges[("ask", "acknowledged")] == 10


# -- property: random valid graphs load, validate and round-trip -----------------------------

@st.composite
def journeys(draw: st.DrawFn) -> dict:
    count = draw(st.integers(min_value=1, max_value=7))
    steps = [{"id": "s0", "do": "send_email", "subject": "Order {persona.order_id}", "body": "Hi from {persona.full_name}"}]
    deadline = 0
    for index in range(1, count + 1):
        if draw(st.booleans()):
            steps.append({"id": f"s{index}", "do": "send_email", "subject": f"s{index}", "body": "b"})
        else:
            deadline += draw(st.integers(min_value=1, max_value=600))
            step = {"id": f"s{index}", "expect": draw(st.sampled_from(["acknowledgement", "answer", "satisfaction_followup"])), "within": f"{deadline}m"}
            later = [f"s{j}" for j in range(index + 1, count + 1)]
            if later and draw(st.booleans()):
                step["on_timeout"] = draw(st.sampled_from(later))
            steps.append(step)
    return {"id": "random", "title": "Random journey", "tags": draw(st.lists(st.sampled_from(["email", "vip"]), unique=True)), "steps": steps}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=journeys())
def test_random_valid_journeys_load_validate_and_round_trip(tmp_path: Path, data: dict) -> None:
    yaml = YAML()
    first = tmp_path / "random.yaml"
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    first.write_text(buffer.getvalue())
    journey = load_journey(first)
    assert set(journey.graph) == {s["id"] for s in data["steps"]}
    dumped = journey.spec.model_dump(mode="json", exclude_defaults=True)
    second = tmp_path / "again.yaml"
    buffer = io.StringIO()
    yaml.dump(dumped, buffer)
    second.write_text(buffer.getvalue())
    again = load_journey(second)
    assert again.spec == journey.spec
    assert sorted(again.graph.edges(data=True)) == sorted(journey.graph.edges(data=True))


def test_an_unknown_quality_criterion_is_named_with_a_suggestion(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, HEAD + "  - id: a\n    expect: answer\n    within: 1h\n    must: [personalised]\n")
    assert any("j.yaml:10:5: steps[1].must: unknown quality criterion 'personalised'. Did you mean 'personalized'?" in p for p in problems), problems


def test_escalation_takes_the_chat_when_email_stays_silent_and_skips_it_when_answered(pytester: pytest.Pytester) -> None:
    # the shipped escalation journey, run from its YAML file against the demo desk in real Chromium
    import shutil

    shutil.copytree(ROOT / "journeys", pytester.path / "journeys", ignore=shutil.ignore_patterns("*.json"))
    paths = {}
    for profile_name in ("poor", "excellent"):
        pytester.runpytest_subprocess(
            "journeys/escalation.yaml", "--demo-profile", profile_name, "--personas", "4", "--seed", "3", "--run-id", profile_name
        )
        card = json.loads((pytester.path / "reports" / profile_name / "scorecard.json").read_text())
        paths[profile_name] = [[p["step"] if isinstance(p, dict) else p for p in probe["path"]] for probe in card["probes"]]
    # poor answers emails after 20 hours or never: every probe escalates to the chat and mentions the email
    assert all(path[:4] == ["ask", "answered_by_email", "open_chat", "mention_email"] for path in paths["poor"]), paths["poor"]
    # excellent answers within half an hour to three hours: the probes answered in time never open the chat
    assert ["ask", "answered_by_email", "done"] in paths["excellent"], paths["excellent"]
