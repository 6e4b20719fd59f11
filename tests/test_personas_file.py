"""Personas from a file (real test accounts): used instead of Faker, every problem at file:line, no credential ever in a record."""

from __future__ import annotations

import json

import pytest

from mysteryshop.errors import JourneyError
from mysteryshop.personas_file import load_personas
from mysteryshop.plan import plan_probes
from mysteryshop.session import RunConfig

from .conftest import target_for, write_journey

HEADER = "first_name,last_name,email,phone,order_id,locale,mailbox_user,mailbox_password_env\n"
GOOD = "Ana,Ruiz,ana.ruiz@shop.example,+34 600 000 001,NW-1001,es_ES,ana,ANA_PASSWORD\nJo,Lee,jo.lee@probe.mysteryshop.test,555-0102,NW-1002,en_US,,\n"


def test_personas_from_a_csv_are_used_instead_of_faker_and_credentials_stay_out_of_the_record(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + GOOD, encoding="utf-8")
    journey = write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Hi\n    body: \"{persona.order_id}\"\n")
    specs = plan_probes(RunConfig(personas=5, personas_file=str(path)), journey, [target_for(25)])
    assert [s.persona.email for s in specs] == ["ana.ruiz@shop.example", "jo.lee@probe.mysteryshop.test"]
    assert journey.write("ask", "body", specs[0].persona).text == "NW-1001\n"
    record = json.dumps([s.record() for s in specs])
    assert "ANA_PASSWORD" not in record and "mailbox" not in record and specs[0].record()["language"] == "en"
    assert load_personas(path).mailboxes["ana.ruiz@shop.example"].password_env == "ANA_PASSWORD"


@pytest.mark.parametrize(("text", "message"), [
    ("first_name,last_name,email,phone,locale\n", r"people\.csv:1: missing column\(s\) order_id"),
    (HEADER + "Jürgen,Groß,jürgen@shop.example,1,NW-1,de_DE,,\n", r"people\.csv:2: email 'jürgen@shop.example' is not ASCII"),
    (HEADER + GOOD + "Ann,Lee,Ana.Ruiz@shop.example,2,NW-3,en_US,,\n", r"people\.csv:4: email 'Ana.Ruiz@shop.example' is used by the persona on line 2"),
    (HEADER + "Ann,Lee,not-an-address,2,NW-3,en_US,,\n", r"people\.csv:2: email 'not-an-address' is not a valid address"),
    (HEADER + "Ann,Lee,ann@shop.example,2,NW-3,en_US,ann,\n", r"people\.csv:2: give mailbox_user and mailbox_password_env together"),
])
def test_bad_persona_files_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JourneyError, match=message):
        load_personas(path)


def test_a_yaml_personas_file_and_a_warning_for_an_address_off_test_domains(tmp_path):
    path = tmp_path / "people.yaml"
    path.write_text("- {first_name: Ann, last_name: Lee, email: ann@gmail.com, phone: '1', order_id: NW-1, locale: en_US}\n"
                    "- {first_name: Bo, last_name: Kim, email: bo@shop.example, phone: '2', locale: en_US}\n", encoding="utf-8")
    with pytest.raises(JourneyError, match=r"people\.yaml:2: missing order_id"):
        load_personas(path)
    path.write_text("- {first_name: Ann, last_name: Lee, email: ann@gmail.com, phone: '1', order_id: NW-1, locale: en_US}\n", encoding="utf-8")
    assert "people.yaml:1: ann@gmail.com is not on a test domain" in load_personas(path).warnings[0]
