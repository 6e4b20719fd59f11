"""An interrupted run goes on where it stood: nothing sent twice, replies that came meanwhile counted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mysteryshop.resume import walk_state
from mysteryshop.scoring.timeline import Action, Timeline
from mysteryshop.storage import exists
from mysteryshop.store import Store

from .conftest import store_at, free_port, profile, write_journey
from .test_collect_modes import JOURNEY, card_of, replies_of, target_yaml, write_project

FOLLOW_UP = """
id: follow
title: Ask, wait, then send a follow-up when nothing comes
steps:
  - id: ask
    do: send_email
    subject: "Order {persona.order_id}"
    body: "Where is it?"
  - id: acknowledged
    expect: acknowledgement
    within: 1h
    on_timeout: nudge
  - id: nudge
    do: send_email
    subject: "Order {persona.order_id}, again"
    body: "Anyone there?"
  - id: answered
    expect: answer
    within: 1d
"""


def _event(kind: str, step: str, t_ns: int, **data: object) -> dict[str, object]:
    return {"kind": kind, "step": step, "t_ns": t_ns, "data": json.dumps(data)}


def test_the_walk_state_is_rebuilt_from_the_events_and_an_unnoted_send_is_not_repeated(tmp_path: Path) -> None:
    journey = write_journey(tmp_path, FOLLOW_UP)
    timeline = Timeline(persona={})
    timeline.action_log.append(Action("ask", 10, "", "Where is it?"))
    # waiting for the acknowledgement
    events = [_event("step_entered", "ask", 10, visit=1), _event("step_entered", "acknowledged", 11, visit=1, anchor_ns=10)]
    state = walk_state(journey, events, timeline)
    assert state.current == "acknowledged" and state.waiting is not None and state.waiting.anchor_ns == 10
    assert state.last_action_ns == 10
    # the acknowledgement timed out: the nudge is next
    events.append(_event("step_decided", "acknowledged", 20, when="timeout", visit=1))
    state = walk_state(journey, events, timeline)
    assert state.current == "nudge" and state.waiting is None
    # the nudge was sent (its `sent` event is stored) but the process died before noting the step: it counts as done
    timeline.action_log.append(Action("nudge", 25, "", "Anyone there?"))
    state = walk_state(journey, events, timeline)
    assert state.current == "answered" and state.visits["nudge"] == 1 and state.last_action_ns == 25


def test_a_killed_run_resumes_sending_nothing_twice_and_gets_its_replies(tmp_path: Path, store_location: Path | str) -> None:
    # a desk at real speed that acknowledges after 3 s and answers after 6 s
    port = free_port()
    from mysteryshop.demo.process import DemoDeskProcess

    desk = DemoDeskProcess(
        profile(acknowledgement={"probability": 1.0, "delay": ["3s", "3s"]},
                answer={"probability": 1.0, "delay": ["6s", "6s"], "quality": {"good": 1.0}}),
        deliver_to=("127.0.0.1", port), speedup=1, workdir=tmp_path,
    ).start()
    try:
        journey = JOURNEY.replace("within: 1h", "within: 40s").replace("within: 6h", "within: 50s")
        project = write_project(tmp_path / "p", target_yaml(desk.port, f"{{port: {port}}}", speedup=1), store=store_location)
        (project / "journeys/ask.yaml").write_text(journey)
        cmd = [sys.executable, "-m", "mysteryshop.cli", "run", "--target", "desk", "--personas", "2", "--run-id", "cut", "--root", str(project)]
        first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while (len(desk.truth.received) < 2 or _sent_events(project) < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(desk.truth.received) == 2
        first.send_signal(signal.SIGKILL)  # a crash: nothing gets to mark the run
        first.wait(timeout=10)
        resumed = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "run", "--resume", "cut", "--root", str(project)],
                                 capture_output=True, text=True, timeout=120, env=dict(os.environ))
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    finally:
        desk.stop()
    assert len(desk.truth.received) == 2  # the company got each email once
    card = card_of(project, "cut")
    assert all(p["status"] == "passed" for p in card["probes"]), [p["outcomes"] for p in card["probes"]]
    replies = replies_of(store_at(project), "cut")
    assert len(replies) == 4
    store = Store(store_at(project))
    try:
        kinds = [r["kind"] for r in store.query("SELECT kind FROM events WHERE run_id = 'cut' ORDER BY id")]
        assert kinds.count("sent") == 2 and kinds.count("probe_resumed") == 2
        assert store.query("SELECT status FROM runs WHERE id = 'cut'")[0]["status"] == "passed"
    finally:
        store.close()


def _sent_events(project: Path) -> int:
    path = store_at(project)
    if not exists(path):
        return 0
    store = Store(path)
    try:
        return int(store.query("SELECT count(*) AS n FROM sends WHERE status = 'sent'")[0]["n"])
    finally:
        store.close()


def test_a_send_cut_off_before_the_company_confirmed_it_is_not_repeated_on_resume(tmp_path: Path, store_location: Path | str) -> None:
    from mysteryshop.demo.process import DemoDeskProcess

    port = free_port()
    desk = DemoDeskProcess(profile(acknowledgement={"probability": 1.0, "delay": ["1s", "1s"]}), deliver_to=("127.0.0.1", port),
                           speedup=1, workdir=tmp_path).start()
    try:
        journey = JOURNEY.replace("within: 1h", "within: 5s").replace("within: 6h", "within: 6s")
        project = write_project(tmp_path / "p", target_yaml(desk.port, f"{{port: {port}}}", speedup=1), store=store_location)
        (project / "journeys/ask.yaml").write_text(journey)
        # a run that was interrupted (its row says so) with one send started and never confirmed: the process died mid-SMTP
        store = Store(store_at(project))
        store.create_run("cut", {"seed": 1, "personas": 1, "locales": ["en_US"]})
        store.write("UPDATE runs SET status = 'interrupted' WHERE id = 'cut'")
        from mysteryshop.journey import load_journey
        from mysteryshop.plan import plan_probes
        from mysteryshop.session import RunConfig
        from mysteryshop.target import load_target

        (spec,) = plan_probes(RunConfig(seed=1, personas=1, run_id="cut"), load_journey(project / "journeys/ask.yaml"),
                              [load_target(project / "journeys/targets/desk.yaml")])
        store.add_probe("cut", spec.probe_id, "ask", "desk", spec.persona.as_dict())
        store.write("INSERT INTO sends (run_id, probe_id, step, visit, target, channel, owner, reserved_ns, status) "
                    "VALUES ('cut', ?, 'ask', 1, 'desk', 'email', 'run:cut', ?, 'started')", (spec.probe_id, time.time_ns()))
        store.close()
        resumed = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "run", "--resume", "cut", "--root", str(project)],
                                 capture_output=True, text=True, timeout=120)
    finally:
        desk.stop()
    assert desk.truth.received == []  # not sent a second time
    (probe,) = card_of(project, "cut")["probes"]
    assert probe["status"] == "error" and "may or may not have been delivered" in probe["error"], resumed.stdout + resumed.stderr


def test_a_run_waits_out_the_target_s_rate_limit_instead_of_breaking_it(tmp_path: Path, store_location: Path | str) -> None:
    from mysteryshop.demo.process import DemoDeskProcess

    port = free_port()
    desk = DemoDeskProcess(profile(acknowledgement={"probability": 1.0, "delay": ["1m", "1m"]}), deliver_to=("127.0.0.1", port),
                           speedup=60, workdir=tmp_path).start()
    try:
        # a company minute is a wall second here: 2 emails a (company) minute, 3 personas
        journey = JOURNEY.replace("within: 1h", "within: 2m").replace("within: 6h", "within: 3m")
        target = target_yaml(desk.port, f"{{port: {port}}}", speedup=60).replace("timeout: 5}", "timeout: 5, limits: {per_minute: 2}}")
        project = write_project(tmp_path / "p", target, store=store_location)
        (project / "journeys/ask.yaml").write_text(journey)
        result = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "run", "--target", "desk", "--personas", "3", "--run-id", "rl",
                                 "--root", str(project)], capture_output=True, text=True, timeout=120)
    finally:
        desk.stop()
    received = sorted(r["t_ns"] for r in desk.truth.received)
    assert len(received) == 3, result.stdout + result.stderr
    assert received[2] - received[0] >= 0.9e9  # the third waited for the window (1 s, less a tolerance of 0.1 s)
    store = Store(store_at(project))
    try:
        assert store.query("SELECT count(*) AS n FROM events WHERE run_id = 'rl' AND kind = 'deferred_until'")[0]["n"] >= 1
    finally:
        store.close()
