"""Campaigns run any journey: web-form and chat steps run in a tick when their time comes, in a real Chromium."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mysteryshop.cli import main as cli
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.scoring.timeline import SIMULATED_GRACE_WALL_S
from mysteryshop.store import Store

from .conftest import ROOT, free_port, profile, store_at
from .test_campaign import Listener
from .test_web_probes import quick_chat

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not __import__("os").environ.get("MYSTERYSHOP_CHROMIUM"),
                                reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")

ESCALATION = """
id: escalate
title: No email answer in time, so the customer tries the chat
steps:
  - id: ask
    do: send_email
    subject: "Where is my order {persona.order_id}?"
    body: "Hello, my order {persona.order_id} has not arrived. {persona.full_name}"
  - id: answered_by_email
    expect: answer
    within: 1m
    on_pass: done
    on_timeout: open_chat
  - id: open_chat
    do: open_chat
  - id: mention_email
    do: say
    body: "Hi, I emailed you about order {persona.order_id} and got no answer. Where is my parcel?"
  - id: chat_answered
    expect: chat_answer
    within: 10m
  - id: done
    expect: no_marketing
"""
FORM = """
id: form
title: A message through the contact form
steps:
  - id: write
    do: submit_form
    body: "Hello, I would like to return order {persona.order_id}."
  - id: confirmed
    expect: form_confirmation
    within: 5m
"""


def desk_target(desk: DemoDeskProcess, speedup: int) -> str:
    """journeys/targets/demo.yaml as a company probed by hand: not embedded, its real ports."""
    text = (ROOT / "journeys/targets/demo.yaml").read_text()
    text = text.replace("name: demo", "name: deskweb").replace("embedded: demo", "").replace("speedup: 14400", f"speedup: {speedup}")
    text = text.replace("smtp_port: 0 ", f"smtp_port: {desk.port} ").replace("127.0.0.1:0/", f"127.0.0.1:{desk.http_port}/")
    return text


def test_a_tick_opens_the_chat_when_the_email_went_unanswered_and_waits_for_the_chat_answer(tmp_path: Path) -> None:
    (tmp_path / "journeys/targets").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    listener = Listener(tmp_path, free_port()).start()
    # a company (clock 60x: a company minute is a wall second) that never answers email, and answers in its chat
    desk = DemoDeskProcess(profile(chat=quick_chat()), deliver_to=("127.0.0.1", listener.port), speedup=60, workdir=tmp_path).start()
    try:
        (tmp_path / "journeys/escalate.yaml").write_text(ESCALATION)
        (tmp_path / "journeys/form.yaml").write_text(FORM)
        (tmp_path / "journeys/targets/deskweb.yaml").write_text(desk_target(desk, 60))
        root = ["--root", str(tmp_path)]
        # the start sends the email, and submits the contact form in Chromium
        assert cli(["run", "--campaign", "web", "--target", "deskweb", "--personas", "1", *root]) == 0
        assert len(desk.truth.received) == 1 and len(desk.truth.forms) == 1
        # the email's one company minute passes without an answer, and the grace a simulated clock is judged behind
        time.sleep(1.5 + SIMULATED_GRACE_WALL_S)
        # the tick finds the deadline passed, opens the chat, says its line and waits there for the agent's answer
        assert cli(["tick", "web", *root]) == 0
        assert cli(["score", "web", *root]) == 0
    finally:
        desk.stop()
        listener.stop()
    card = json.loads((tmp_path / "reports/campaign-web/scorecard.json").read_text())
    by_journey = {p["journey"]: p for p in card["probes"]}
    escalated = {o["step"]: o for o in by_journey["escalate"]["outcomes"]}
    assert escalated["answered_by_email"]["status"] == "failed" and escalated["answered_by_email"]["timed_out"]
    assert escalated["chat_answered"]["status"] == "passed", escalated["chat_answered"]
    assert by_journey["escalate"]["status"] == "failed"  # the email went unanswered: a finding, not an error
    assert {o["step"]: o["status"] for o in by_journey["form"]["outcomes"]} == {"confirmed": "passed"}
    # the chat happened: the agent's messages the desk showed are in the store, in the campaign's (wall) clock
    store = Store(store_at(tmp_path))
    try:
        rows = store.query("SELECT t_ns, data FROM events WHERE run_id = 'campaign-web' AND kind = 'chat_message'")
        sent = store.query("SELECT t_ns FROM events WHERE run_id = 'campaign-web' AND kind = 'sent'")
    finally:
        store.close()
    agents = [r for r in rows if json.loads(r["data"]).get("author") == "agent"]
    assert agents
    assert all(0 < r["t_ns"] - sent[0]["t_ns"] < 60e9 for r in rows)  # after the email, within a minute: same clock
