"""Journey and target files: loading into a graph, and errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from mysteryshop.errors import JourneyError
from mysteryshop.journey import load_journey, render_text
from mysteryshop.persona import make_persona
from mysteryshop.target import load_target

from .conftest import ROOT


def test_shipped_journey_loads_as_a_graph() -> None:
    journey = load_journey(ROOT / "journeys/email_question.yaml")
    assert isinstance(journey.graph, nx.DiGraph)
    assert [s.id for s in journey.steps] == ["ask", "acknowledged", "answered", "followed_up", "no_marketing"]
    assert list(journey.graph.successors("ask")) == ["acknowledged"]
    assert journey.anchor("followed_up") == "ask"
    assert journey.step("acknowledged").within == 15 * 60 * 10**9


def test_shipped_demo_target_loads() -> None:
    target = load_target(ROOT / "journeys/targets/demo.yaml")
    assert target.spec.embedded == "demo"
    assert target.ticket("Re: hello [#NW-123456]") == "NW-123456"
    assert target.wall_ns(14400 * 10**9) == 10**9


def test_a_target_form_value_naming_an_unknown_persona_variable_names_file_line_and_variable(tmp_path: Path) -> None:
    from mysteryshop.errors import JourneyError

    demo = (ROOT / "journeys/targets/demo.yaml").read_text(encoding="utf-8")
    path = tmp_path / "shop.yaml"
    path.write_text(demo.replace('{label: Your name, value: "{persona.full_name}"}', '{label: Your name, value: "{persona.fullname}"}'), encoding="utf-8")
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "persona.fullname" in text)
    with pytest.raises(JourneyError) as caught:
        load_target(path)
    message = str(caught.value)
    assert f"{path}:{line}:" in message and "fields.name" in message
    assert "unknown variable '{persona.fullname}'" in message and "{persona.full_name}" in message


def test_a_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "id: bad\ntitle: Bad\nsteps:\n"
        "  - id: ask\n    do: send_email\n    subject: s\n    body: b\n"
        "  - id: ack\n    expect: acknowledgement\n    withn: 15m\n"
        "  - id: ans\n    expect: answer\n    within: 15 minutes\n",
        encoding="utf-8",
    )
    with pytest.raises(JourneyError) as info:
        load_journey(path)
    problems = info.value.problems
    assert f"{path}:10:5: steps[1]: unknown field 'withn'. Did you mean 'within'?" in problems[0]
    assert any(p.startswith(f"{path}:13:5: steps[2].within: '15 minutes' is not a duration") for p in problems)


def test_an_unknown_expectation_suggests_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("title: T\nsteps:\n  - id: ask\n    do: send_email\n    subject: s\n    body: b\n  - id: ack\n    expect: acknowledgment\n    within: 1m\n")
    with pytest.raises(JourneyError, match=r"typo.yaml:8:5: steps\[1\].expect: unknown expectation 'acknowledgment'. Did you mean 'acknowledgement'\?"):
        load_journey(path)


def test_yaml_syntax_errors_have_a_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("title: T\nsteps: [\n  - id: x\n")
    with pytest.raises(JourneyError, match=r"broken.yaml:\d+:\d+: YAML syntax error"):
        load_journey(path)


def test_unknown_persona_variables_and_steps_are_reported_together(tmp_path: Path) -> None:
    path = tmp_path / "refs.yaml"
    path.write_text(
        "title: T\nsteps:\n  - id: ask\n    do: send_email\n    subject: 'Order {persona.ordr_id}'\n    body: b\n"
        "  - id: ack\n    expect: acknowledgement\n    within: 1m\n    next: nowhere\n"
    )
    with pytest.raises(JourneyError) as info:
        load_journey(path)
    text = str(info.value)
    assert "refs.yaml:5:5: steps[0].subject: unknown variable '{persona.ordr_id}'. Did you mean 'order_id'?" in text
    assert "refs.yaml:10:5: steps[1].next: no step 'nowhere' in this journey" in text


def test_persona_variables_are_filled(tmp_path: Path) -> None:
    persona = make_persona(5, 0)
    assert render_text("Hi from {persona.full_name}, order {persona.order_id}", persona) == (
        f"Hi from {persona.first_name} {persona.last_name}, order {persona.order_id}"
    )


def test_the_shipped_json_schema_is_current() -> None:
    import json

    from mysteryshop.journey import json_schema

    shipped = json.loads((ROOT / "journeys/journey.schema.json").read_text())
    assert shipped == json_schema(), "regenerate it: mysteryshop journeys schema --out journeys/journey.schema.json"
